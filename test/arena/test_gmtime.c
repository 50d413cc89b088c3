/* SPDX-License-Identifier: MIT */
/*
 * packaging/mbedtls/wecom_mbedtls_gmtime.c gives what glibc's gmtime_r
 * gives, field for field: around the epoch, leap days and centuries, the
 * 2038 and 2106 boundaries, and a million random times over +-10000 years.
 * A certificate's validity is decided on these fields.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The file compiles its function only for a build that asks for it. */
#include <mbedtls/version.h>
#ifndef MBEDTLS_PLATFORM_GMTIME_R_ALT
#define MBEDTLS_PLATFORM_GMTIME_R_ALT
#endif
#include "wecom_mbedtls_gmtime.c"

static int check(time_t t)
{
    struct tm a, b;
    mbedtls_time_t mt = (mbedtls_time_t)t;
    if (gmtime_r(&t, &a) == NULL)
        return 0;
    if (mbedtls_platform_gmtime_r(&mt, &b) == NULL ||
        a.tm_year != b.tm_year || a.tm_mon != b.tm_mon || a.tm_mday != b.tm_mday ||
        a.tm_hour != b.tm_hour || a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
        a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday) {
        printf("differs at %lld: glibc %d-%d-%d %d:%d:%d wday %d yday %d\n", (long long)t,
               a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour, a.tm_min, a.tm_sec,
               a.tm_wday, a.tm_yday);
        return 1;
    }
    return 0;
}

int main(void)
{
    static const long long fixed[] = {
        0, -1, 1, 86399, 86400, -86400, -86401, 951782400 /* 2000-02-29 */,
        951868800, 4107542399LL /* 2100-02-28 23:59:59 */, 4107542400LL,
        2147483647LL, 2147483648LL, 4294967295LL, 4294967296LL, -2208988800LL,
        253402300799LL /* 9999-12-31 */, -62135596800LL /* 0001-01-01 */};
    unsigned long long seed = 12345; /* 64 bits on 32-bit targets too */
    int bad = 0;
    size_t i;
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        bad += check((time_t)fixed[i]);
    for (i = 0; i < 1000000 && bad < 10; i++) {
        long long t;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        t = (long long)(seed >> 11) % (315569520000LL * 2) - 315569520000LL;
        bad += check((time_t)t);
    }
    printf("%s\n", bad ? "FAILED" : "gmtime: same fields as glibc");
    return bad != 0;
}
