/* SPDX-License-Identifier: MIT */
/*
 * One request/response exchange with keep-alive: a kept connection is
 * checked before reuse, and if the server closed it anyway before
 * answering (an idle timeout racing our request), the request is sent once
 * more on a new connection.
 */
#include <string.h>

#include "http_internal.h"
#include "text.h"

/* host[:port], an IPv6 literal in brackets; dst has room for the longest
 * (WECOM_HOST_MAX + 8). */
static void format_host(char *dst, size_t cap, const char *host,
                        uint16_t port)
{
    wecom__text_t t;
    int literal6 = strchr(host, ':') != NULL;
    wecom__text_init(&t, dst, cap, 1);
    if (literal6)
        wecom__text_put(&t, "[");
    wecom__text_put(&t, host);
    if (literal6)
        wecom__text_put(&t, "]");
    if (port != 443) {
        wecom__text_put(&t, ":");
        wecom__text_put_u64(&t, port);
    }
}

wecom_err_t wecom__http_init(wecom_http_t *h, const wecom_stream_t *stream,
                            unsigned char *buf, size_t buf_size,
                            const char *host, uint16_t port)
{
    if (h == NULL || stream == NULL || buf == NULL || host == NULL ||
        buf_size < 256)
        return WECOM_ERR_INVALID_ARG;
    if (strlen(host) >= WECOM_HOST_MAX)
        return WECOM_ERR_TLS_HOST_TOO_LONG;
    memset(h, 0, sizeof *h);
    h->stream = *stream;
    h->buf = buf;
    h->buf_size = buf_size;
    h->max_header_bytes = WECOM_HTTP_MAX_HEADER_BYTES;
    h->max_headers = WECOM_HTTP_MAX_HEADERS;
    h->max_interim = WECOM_HTTP_MAX_INTERIM;
    format_host(h->host_header, sizeof h->host_header, host, port);
    return WECOM_OK;
}

void wecom__http_close(wecom_http_t *h)
{
    if (h->is_open) {
        h->stream.close(h->stream.ctx);
        h->is_open = 0;
    }
}

/* Errors after which a request that got no answer may go out again. */
static int connection_lost(wecom_err_t rc)
{
    return rc == WECOM_ERR_CLOSED || rc == WECOM_ERR_IO ||
           rc == WECOM_ERR_TLS_IO;
}

wecom_err_t wecom__http_exchange(wecom_http_t *h,
                                const wecom_http_request_t *req,
                                wecom_http_response_t *resp,
                                const wecom_http_sink_t *sink)
{
    int attempt;
    if (h == NULL || req == NULL || resp == NULL || req->method == NULL ||
        req->target == NULL)
        return WECOM_ERR_INVALID_ARG;

    for (attempt = 0;; attempt++) {
        int reused, got = 0;
        wecom_err_t rc;
        if (h->is_open && !h->stream.usable(h->stream.ctx))
            wecom__http_close(h);
        reused = h->is_open;
        if (!h->is_open) {
            rc = h->stream.open(h->stream.ctx);
            if (rc != 0)
                return rc;
            h->is_open = 1;
            h->connects++;
        }
        h->request_sent = 0;
        rc = wecom__http_write_request(h, req);
        if (rc == WECOM_OK) {
            h->request_sent = 1;
            rc = wecom__http_read_response(h, resp, sink, &got);
        }
        if (rc == WECOM_OK) {
            if (!resp->keep_alive)
                wecom__http_close(h);
            return WECOM_OK;
        }
        wecom__http_close(h);
        /* A body that went out whole may have been acted on: not again. */
        if (!(reused && !got && attempt == 0 && connection_lost(rc)) ||
            (req->body_read != NULL && h->request_sent))
            return rc;
    }
}
