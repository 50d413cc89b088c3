/* SPDX-License-Identifier: MIT */
/*
 * wecom_mbedtls_gmtime.c: mbedtls_platform_gmtime_r() without glibc's
 * time-zone loading, for an mbedTLS built with wecom_mbedtls_config.h
 * (which sets MBEDTLS_PLATFORM_GMTIME_R_ALT).
 *
 * mbedTLS turns the clock into calendar fields to check a certificate's
 * validity. glibc's gmtime_r() reads the time-zone database on first use
 * (/etc/localtime: fopen and about ten mallocs) though UTC needs none of
 * it; this is the same conversion by arithmetic. Append it to mbedTLS's
 * own library/platform_util.c in the recipe, so that every program
 * linking that mbedTLS has it:
 *
 *   cat wecom_mbedtls_gmtime.c >> library/platform_util.c
 *
 * The civil-from-days conversion is Howard Hinnant's (proleptic
 * Gregorian, any 64-bit time).
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "mbedtls/platform_util.h"

#if defined(MBEDTLS_PLATFORM_GMTIME_R_ALT)

/* Days before each month in a common year. */
static const int16_t DAYS_BEFORE[12] = {0,   31,  59,  90,  120, 151,
                                        181, 212, 243, 273, 304, 334};

/* UTC calendar fields of *tt in tm_buf; NULL when the year does not fit. */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
    int64_t t = (int64_t)*tt;
    int64_t days = t / 86400, secs = t % 86400;
    int64_t z, era, doe, yoe, y, doy, mp, m;
    int leap;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    z = days + 719468; /* days since 0000-03-01 */
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* from March 1st */
    mp = (5 * doy + 2) / 153;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y - 1900 < INT32_MIN || y - 1900 > INT32_MAX)
        return NULL;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    memset(tm_buf, 0, sizeof *tm_buf);
    tm_buf->tm_year = (int)(y - 1900);
    tm_buf->tm_mon = (int)(m - 1);
    tm_buf->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    tm_buf->tm_hour = (int)(secs / 3600);
    tm_buf->tm_min = (int)(secs / 60 % 60);
    tm_buf->tm_sec = (int)(secs % 60);
    tm_buf->tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01: Thursday */
    tm_buf->tm_yday = DAYS_BEFORE[m - 1] + (leap && m > 2) + tm_buf->tm_mday - 1;
    return tm_buf;
}
#endif
