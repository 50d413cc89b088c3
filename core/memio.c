/* SPDX-License-Identifier: MIT */
/*
 * Memory as a reader or writer (see wecom/port.h): a frame already in RAM
 * goes up without a file, and a medium comes down into a caller's buffer
 * of fixed size. Nothing here depends on the platform.
 */
#include <limits.h>
#include <string.h>

#include "wecom/port.h"

static int mem_read_at(void *ctx, uint64_t offset, unsigned char *buf,
                       size_t len)
{
    const wecom_mem_t *m = ctx;
    size_t n;
    if (offset >= m->len)
        return 0;
    n = m->len - (size_t)offset;
    if (n > len)
        n = len;
    if (n > INT_MAX)
        n = INT_MAX;
    memcpy(buf, m->in + offset, n);
    return (int)n;
}

/* All or nothing: a write that does not fit whole leaves the buffer as it
 * was, so the bytes in it are always a prefix the caller can trust. */
static int mem_write(void *ctx, const unsigned char *buf, size_t len)
{
    wecom_mem_t *m = ctx;
    if (m->len > m->cap || len > m->cap - m->len)
        return WECOM_ERR_OUTPUT_FULL;
    if (len > 0)
        memcpy(m->out + m->len, buf, len);
    m->len += len;
    return 0;
}

void wecom_mem_reader(wecom_reader_t *r, wecom_mem_t *m, const void *buf,
                      size_t len)
{
    if (r == NULL || m == NULL)
        return;
    m->in = buf;
    m->out = NULL;
    m->len = buf != NULL ? len : 0;
    m->cap = 0;
    r->read_at = mem_read_at;
    r->ctx = m;
    r->once = 0;
}

void wecom_mem_writer(wecom_writer_t *w, wecom_mem_t *m, void *buf,
                      size_t cap)
{
    if (w == NULL || m == NULL)
        return;
    m->in = NULL;
    m->out = buf;
    m->len = 0;
    m->cap = buf != NULL ? cap : 0;
    w->write = mem_write;
    w->ctx = m;
}
