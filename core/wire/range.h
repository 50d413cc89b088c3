/* SPDX-License-Identifier: MIT */
/* Content-Range (RFC 7233 section 4.2), for byte ranges. Not public. */
#ifndef WECOM_RANGE_H
#define WECOM_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"
#include "wecom/error.h"

#define WECOM_RANGE_UNKNOWN UINT64_MAX

typedef struct wecom_content_range {
    int unsatisfied; /* the 416 form, a star for the range: only total set */
    uint64_t first;
    uint64_t last;   /* inclusive */
    uint64_t total;  /* WECOM_RANGE_UNKNOWN when the server sent a star */
} wecom_content_range_t;

/* Parse "bytes FIRST-LAST/TOTAL", with a star for TOTAL when unknown, or
 * with a star for FIRST-LAST (the 416 form). WECOM_ERR_RANGE_MISMATCH for
 * anything else, for LAST < FIRST, or for LAST >= TOTAL. */
wecom_err_t wecom__content_range_parse(const char *v,
                                      wecom_content_range_t *out);

/* Write "Range: bytes=FIRST-LAST" and CRLF to t; with LAST
 * WECOM_RANGE_UNKNOWN the range is open-ended. */
void wecom__range_header(wecom__text_t *t, uint64_t first, uint64_t last);

#endif
