/* SPDX-License-Identifier: MIT */
/*
 * The proxy's answer to CONNECT (core/tls/proxy.c), from a hostile proxy: the
 * input is what the proxy sends. Properties beyond "no crash": the
 * outcome is one of the tunnel's own, the same however the bytes are
 * split (whole, one at a time, in the splits the first byte picks), a
 * tunnel is granted only for a 2xx, and never more than
 * WECOM_PROXY_HEAD_MAX bytes are taken for the head.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    unsigned chunk; /* 0: one byte at a time, else up to this many */
} feed_t;

static int f_send(void *ctx, const unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    return (int)len;
}

static int f_recv(void *ctx, unsigned char *buf, size_t len)
{
    feed_t *f = ctx;
    size_t n = f->chunk == 0 ? 1 : f->chunk;
    if (n > len)
        n = len;
    if (n > f->len - f->pos)
        n = f->len - f->pos;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    return (int)n;
}

static int f_pending(void *ctx)
{
    feed_t *f = ctx;
    return f->pos < f->len;
}

static wecom_err_t run(const uint8_t *data, size_t len, unsigned chunk,
                       int *status, size_t *taken)
{
    wecom__proxy_t p;
    wecom__proxy_io_t io;
    feed_t f;
    wecom_err_t rc;
    memset(&p, 0, sizeof p);
    if (wecom__proxy_set(&p, "proxy.local", 3128, "user", "password") != 0)
        abort();
    f.data = data;
    f.len = len;
    f.pos = 0;
    f.chunk = chunk;
    io.send = f_send;
    io.recv = f_recv;
    io.pending = f_pending;
    io.ctx = &f;
    rc = wecom__proxy_connect(&p, &io, "qyapi.weixin.qq.com", 443);
    *status = p.status;
    *taken = f.pos;
    wecom__proxy_clear(&p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned split = size > 0 ? (unsigned)data[0] % 64 + 1 : 1;
    int s1, s2, s3;
    size_t t1, t2, t3;
    wecom_err_t whole = run(data, size, 256, &s1, &t1);
    wecom_err_t bytes = run(data, size, 0, &s2, &t2);
    wecom_err_t split_rc = run(data, size, split, &s3, &t3);
    (void)t2;
    (void)t3;
    if (whole != WECOM_OK && whole != WECOM_ERR_PROXY_AUTH &&
        whole != WECOM_ERR_PROXY_REFUSED && whole != WECOM_ERR_PROXY_PROTOCOL &&
        whole != WECOM_ERR_CLOSED)
        abort();
    if (whole != bytes || whole != split_rc || s1 != s2 || s1 != s3)
        abort(); /* the outcome depends on how the bytes arrived */
    if (whole == WECOM_OK && (s1 < 200 || s1 > 299))
        abort();
    if (whole == WECOM_ERR_PROXY_AUTH && s1 != 407)
        abort();
    if (t1 > WECOM_PROXY_HEAD_MAX + 256)
        abort();
    return 0;
}
