/* SPDX-License-Identifier: MIT */
/* What the fuzz targets that feed a reader share: a property check that
 * aborts (so libFuzzer keeps the input), and a source over the input that
 * gives short reads, as a pipe or a slow disk does. */
#ifndef WECOM_FUZZ_SOURCE_H
#define WECOM_FUZZ_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)         \
    do {                 \
        if (!(c))        \
            abort();     \
    } while (0)

typedef struct {
    const uint8_t *p;
    size_t n;
    size_t max_chunk; /* the most one read returns */
} src_t;

static int src_read(void *ctx, uint64_t off, unsigned char *buf, size_t len)
{
    src_t *s = ctx;
    size_t n;
    CHECK(len > 0); /* a zero-length read would look like the end */
    if (off >= s->n)
        return 0;
    n = s->n - (size_t)off;
    if (n > len)
        n = len;
    if (n > s->max_chunk)
        n = s->max_chunk;
    memcpy(buf, s->p + off, n);
    return (int)n;
}

#endif
