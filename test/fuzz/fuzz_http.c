/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/* The HTTP response reader on any bytes, split into reads as the input's
 * first bytes say. Invariants: no crash or overflow (ASan), every slot
 * NUL-terminated within its size, body bytes never more than came in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem_stream.h"
#include "http.h"

static uint64_t body_seen;

static int on_body(void *ctx, const unsigned char *d, size_t n)
{
    (void)ctx;
    (void)d;
    body_seen += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char buf[1024];
    static mem_stream_t m;
    wecom_http_t h;
    wecom_stream_t s;
    wecom_http_request_t req;
    wecom_http_response_t resp;
    wecom_http_sink_t sink = { NULL, on_body, NULL };
    if (size < 2)
        return 0;
    mem_stream_init(&m, (enum mem_split)(data[0] % 3), data[1], NULL, 0);
    mem_stream_add(&m, data + 2, size - 2, data[0] & 0x80);
    mem_stream_bind(&m, &s);
    if (wecom__http_init(&h, &s, buf, sizeof buf, "h", 443) != WECOM_OK)
        abort();
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/";
    body_seen = 0;
    (void)wecom__http_exchange(&h, &req, &resp, &sink);
    if (strnlen(resp.content_type, sizeof resp.content_type) == sizeof resp.content_type ||
        strnlen(resp.content_range, sizeof resp.content_range) == sizeof resp.content_range ||
        strnlen(resp.content_disposition, sizeof resp.content_disposition) ==
            sizeof resp.content_disposition ||
        strnlen(resp.etag, sizeof resp.etag) == sizeof resp.etag ||
        body_seen > size || body_seen != resp.body_bytes)
        abort();
    wecom__http_close(&h);
    return 0;
}
