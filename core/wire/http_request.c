/* SPDX-License-Identifier: MIT */
/*
 * Writing one HTTP/1.1 request through the fixed buffer: the head first,
 * then the body read straight into the space after it, so each TLS record
 * goes out full and the body is never copied twice.
 */
#include <string.h>

#include "http_internal.h"
#include "text.h"
#include "wecom/media.h"

static int has_body(const wecom_http_request_t *req)
{
    return req->body_read != NULL;
}

static wecom_err_t write_request(wecom_http_t *h, const wecom_http_request_t *req)
{
    wecom__text_t o;
    uint64_t done = 0;
    int rc;

    wecom__text_init(&o, h->buf, h->buf_size, 0);
    wecom__text_put(&o, req->method);
    wecom__text_put(&o, " ");
    wecom__text_put(&o, req->target);
    wecom__text_put(&o, " HTTP/1.1\r\nHost: ");
    wecom__text_put(&o, h->host_header);
    wecom__text_put(&o, "\r\nUser-Agent: wecom-media/" WECOM_VERSION_STRING
            "\r\nAccept-Encoding: identity\r\n");
    if (has_body(req)) {
        wecom__text_put(&o, "Content-Length: ");
        wecom__text_put_u64(&o, req->body_len);
        wecom__text_put(&o, "\r\n");
    }
    if (req->headers != NULL)
        wecom__text_put(&o, req->headers);
    wecom__text_put(&o, "\r\n");
    if (o.overflow)
        return WECOM_ERR_HTTP_REQUEST_TOO_LARGE;

    while (has_body(req) && done < req->body_len) {
        uint64_t left = req->body_len - done;
        size_t room = o.cap - o.len;
        size_t want = left < room ? (size_t)left : room;
        int n = req->body_read(req->body_ctx, done, (unsigned char *)o.buf + o.len, want);
        if (n < 0)
            return n;
        if (n == 0) /* the source ended before the length it announced */
            return WECOM_ERR_HTTP_BODY_SHORT;
        o.len += (size_t)n;
        done += (uint64_t)n;
        if (o.len < o.cap && done < req->body_len)
            continue;
        rc = h->stream.send(h->stream.ctx, (unsigned char *)o.buf, o.len);
        if (rc != 0)
            return rc;
        o.len = 0;
        if (req->progress != NULL &&
            req->progress(req->progress_ctx, done, req->body_len) != 0)
            return WECOM_ERR_CANCELLED;
    }
    if (o.len > 0) {
        rc = h->stream.send(h->stream.ctx, (unsigned char *)o.buf, o.len);
        if (rc != 0)
            return rc;
    }
    return WECOM_OK;
}

wecom_err_t wecom__http_write_request(wecom_http_t *h,
                                      const wecom_http_request_t *req)
{
    wecom_err_t rc;
    /* A body of many buffers goes out as full packets; the end of the
     * request is flushed at once. */
    int cork = req->body_read != NULL && req->body_len > h->buf_size &&
               h->stream.cork != NULL;
    if (cork)
        h->stream.cork(h->stream.ctx, 1);
    rc = write_request(h, req);
    if (cork)
        h->stream.cork(h->stream.ctx, 0);
    return rc;
}
