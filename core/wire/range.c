/* SPDX-License-Identifier: MIT */
/* Content-Range parsing and Range writing (see range.h). */
#include <string.h>

#include "range.h"
#include "text.h"

#if WECOM_DOWNLOAD /* Range is used by downloads only */

/* Digits to a uint64; *s advanced. -1 when none or on overflow. */
static int parse_u64(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        p++;
    }
    *s = p;
    *out = v;
    return 0;
}

wecom_err_t wecom__content_range_parse(const char *v,
                                      wecom_content_range_t *out)
{
    const char *p = v;
    memset(out, 0, sizeof *out);
    if (v == NULL || strncmp(p, "bytes ", 6) != 0)
        return WECOM_ERR_RANGE_MISMATCH;
    p += 6;
    while (*p == ' ')
        p++;
    if (*p == '*') {
        out->unsatisfied = 1;
        p++;
    } else if (parse_u64(&p, &out->first) != 0 || *p++ != '-' ||
               parse_u64(&p, &out->last) != 0 || out->last < out->first) {
        return WECOM_ERR_RANGE_MISMATCH;
    }
    if (*p++ != '/')
        return WECOM_ERR_RANGE_MISMATCH;
    if (*p == '*' && !out->unsatisfied) {
        out->total = WECOM_RANGE_UNKNOWN;
        p++;
    } else if (parse_u64(&p, &out->total) != 0 ||
               out->total == WECOM_RANGE_UNKNOWN ||
               (!out->unsatisfied && out->last >= out->total)) {
        return WECOM_ERR_RANGE_MISMATCH;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '\0' ? WECOM_OK : WECOM_ERR_RANGE_MISMATCH;
}

void wecom__range_header(wecom__text_t *t, uint64_t first, uint64_t last)
{
    wecom__text_put(t, "Range: bytes=");
    wecom__text_put_u64(t, first);
    wecom__text_put(t, "-");
    if (last != WECOM_RANGE_UNKNOWN)
        wecom__text_put_u64(t, last);
    wecom__text_put(t, "\r\n");
}

#endif /* WECOM_DOWNLOAD */
