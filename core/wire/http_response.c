/* SPDX-License-Identifier: MIT */
/*
 * Reading one HTTP/1.1 response with llhttp into fixed slots.
 *
 * llhttp hands out spans of the receive buffer; a header name or value may
 * arrive in several spans across reads, so both are accumulated. Only the
 * headers the client uses are kept; every header still counts against the
 * byte and line limits, across interim (1xx) responses too.
 *
 * Content-Range decides where bytes go, so a value that does not fit or
 * comes twice is an error. A Content-Encoding that does not fit or comes
 * twice reads "?": a coding all the same. The others only inform: such a
 * value is dropped, its slot left empty and a bit set in resp->dropped.
 */
#include <stddef.h>
#include <string.h>

#include <llhttp.h>

#include "http_internal.h"

/* The public header holds the parser as opaque bytes: they must fit. */
typedef char llhttp_state_fits[sizeof(llhttp_t) <= sizeof(wecom_llhttp_state_t) ? 1 : -1];

static llhttp_t *parser_of(wecom_http_t *h)
{
    return (llhttp_t *)(void *)&h->parser;
}

enum slot {
    SLOT_NONE = 0,
    SLOT_CONTENT_TYPE,
    SLOT_CONTENT_RANGE,
    SLOT_CONTENT_DISPOSITION,
    SLOT_ETAG,
    SLOT_LAST_MODIFIED,
    SLOT_CONTENT_ENCODING
};

#define FIELD(f) offsetof(wecom_http_response_t, f), sizeof(((wecom_http_response_t *)0)->f)

/* Where each kept header's value goes in the response and, for one that
 * only informs, the WECOM_HTTP_DROPPED_* bit that notes its loss (0: a
 * loss is an error). */
static const struct {
    char name[20]; /* lower case */
    unsigned offset, cap, dropped;
} SLOTS[] = {
    [SLOT_NONE] = { "", 0, 0, 0 },
    [SLOT_CONTENT_TYPE] = { "content-type", FIELD(content_type),
                            WECOM_HTTP_DROPPED_CONTENT_TYPE },
    [SLOT_CONTENT_RANGE] = { "content-range", FIELD(content_range), 0 },
    [SLOT_CONTENT_DISPOSITION] = { "content-disposition",
                                   FIELD(content_disposition),
                                   WECOM_HTTP_DROPPED_DISPOSITION },
    [SLOT_ETAG] = { "etag", FIELD(etag), WECOM_HTTP_DROPPED_ETAG },
    [SLOT_LAST_MODIFIED] = { "last-modified", FIELD(last_modified),
                             WECOM_HTTP_DROPPED_LAST_MODIFIED },
    [SLOT_CONTENT_ENCODING] = { "content-encoding", FIELD(content_encoding), 0 },
};

static wecom_http_t *of(llhttp_t *p)
{
    return p->data;
}

static int fail(wecom_http_t *h, int err)
{
    if (h->error == 0)
        h->error = err;
    return -1;
}

static char *slot_buf(wecom_http_t *h, int slot)
{
    return (char *)h->resp + SLOTS[slot].offset;
}

/* Empty an informative slot and note it (Content-Encoding: mark it
 * unreadable); the rest of its value is ignored. Returns -1 when the
 * slot is neither. */
static int drop_slot(wecom_http_t *h, int slot)
{
    if (slot == SLOT_CONTENT_ENCODING)
        memcpy(slot_buf(h, slot), "?", 2);
    else if (SLOTS[slot].dropped == 0)
        return -1;
    else
        slot_buf(h, slot)[0] = '\0';
    h->resp->dropped |= SLOTS[slot].dropped;
    h->slot = SLOT_NONE;
    h->slot_len = 0;
    return 0;
}

static int count_bytes(wecom_http_t *h, size_t len)
{
    h->header_bytes += len;
    if (h->header_bytes > h->max_header_bytes)
        return fail(h, WECOM_ERR_HTTP_HEADERS_TOO_LARGE);
    return 0;
}

static int on_status(llhttp_t *p, const char *at, size_t len)
{
    (void)at;
    return count_bytes(of(p), len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    wecom_http_t *h = of(p);
    size_t i;
    if (count_bytes(h, len) != 0)
        return -1;
    for (i = 0; i < len; i++) {
        char c = at[i];
        if (h->name_len < sizeof h->name - 1) {
            h->name[h->name_len] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
        }
        h->name_len++; /* past the array: a name none of the slots has */
    }
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    wecom_http_t *h = of(p);
    int s;
    if (++h->header_count > h->max_headers)
        return fail(h, WECOM_ERR_HTTP_TOO_MANY_HEADERS);
    h->slot = SLOT_NONE;
    h->slot_len = 0;
    if (h->name_len >= sizeof h->name)
        return 0;
    h->name[h->name_len] = '\0';
    for (s = 1; s < (int)(sizeof SLOTS / sizeof SLOTS[0]); s++) {
        if (strcmp(h->name, SLOTS[s].name) == 0) {
            /* Two lines could mean two different things: never guess.
             * Two Content-Range lines are an error; two of a header that
             * only informs leave neither. */
            if (h->seen & (1u << s)) {
                if (drop_slot(h, s) != 0)
                    return fail(h, WECOM_ERR_HTTP_DUPLICATE_HEADER);
                return 0;
            }
            h->seen |= 1u << s;
            h->slot = s;
            break;
        }
    }
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    wecom_http_t *h = of(p);
    if (count_bytes(h, len) != 0)
        return -1;
    if (h->slot == SLOT_NONE)
        return 0;
    if (len >= SLOTS[h->slot].cap - h->slot_len) {
        if (drop_slot(h, h->slot) != 0)
            return fail(h, WECOM_ERR_HTTP_HEADER_VALUE_TOO_LONG);
        return 0;
    }
    memcpy(slot_buf(h, h->slot) + h->slot_len, at, len);
    h->slot_len += len;
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    wecom_http_t *h = of(p);
    if (h->slot != SLOT_NONE) {
        char *dst = slot_buf(h, h->slot);
        size_t n = h->slot_len;
        while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t'))
            n--;
        dst[n] = '\0';
    }
    h->name_len = 0;
    h->slot = SLOT_NONE;
    h->slot_len = 0;
    return 0;
}

static int is_interim(const llhttp_t *p)
{
    return p->status_code >= 100 && p->status_code < 200 &&
           p->status_code != 101;
}

static int on_headers_complete(llhttp_t *p)
{
    wecom_http_t *h = of(p);
    wecom_http_response_t *r = h->resp;
    r->status = p->status_code;
    r->chunked = (p->flags & F_CHUNKED) != 0;
    r->content_length =
        (p->flags & F_CONTENT_LENGTH) ? (int64_t)p->content_length : -1;
    if (p->status_code < 100)
        return fail(h, WECOM_ERR_HTTP_PARSE); /* llhttp 8 lets "HTTP/1.1  200" by */
    if (is_interim(p))
        return 0;
    if (h->sink != NULL && h->sink->on_headers != NULL) {
        int rc = h->sink->on_headers(h->sink->ctx, r);
        if (rc != 0)
            return fail(h, rc);
    }
    /* 204 and 304 never have a body, whatever Content-Length says; 1
     * tells llhttp so (llhttp 9 knows, 8 would wait for the bytes). */
    return (p->status_code == 204 || p->status_code == 304) ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    wecom_http_t *h = of(p);
    /* A 1xx response has no body (RFC 9110 15.2); llhttp hands over what
     * its Content-Length announces, which would reach the sink as if it
     * were the final response's. */
    if (is_interim(p))
        return fail(h, WECOM_ERR_HTTP_PARSE);
    h->resp->body_bytes += len;
    if (h->sink != NULL && h->sink->on_body != NULL) {
        int rc = h->sink->on_body(h->sink->ctx, (const unsigned char *)at, len);
        if (rc != 0)
            return fail(h, rc);
    }
    return 0;
}

/* Slots and duplicate checks start afresh for each response; the byte
 * and line counts run on across interim responses, or a server could
 * send heads for ever. */
static void reset_response(wecom_http_t *h)
{
    memset(h->resp, 0, sizeof *h->resp);
    h->resp->content_length = -1;
    h->slot = SLOT_NONE;
    h->slot_len = 0;
    h->name_len = 0;
    h->seen = 0;
}

static int on_message_complete(llhttp_t *p)
{
    wecom_http_t *h = of(p);
    if (is_interim(p)) {
        /* 100 Continue, 103 Early Hints: the real response follows, but
         * only so many times. */
        if (++h->interim > h->max_interim)
            return fail(h, WECOM_ERR_HTTP_TOO_MANY_INTERIM);
        reset_response(h);
        return 0;
    }
    h->resp->keep_alive = llhttp_should_keep_alive(p);
    h->complete = 1;
    /* Stop here: anything after the message is not ours to read. */
    return HPE_PAUSED;
}

static const llhttp_settings_t SETTINGS = {
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value_complete = on_header_value_complete,
};

/* The stream ended after some of the response. A body that runs to the
 * close (no length, not chunked) ends here, but only a clean end (TLS
 * close_notify) proves it whole: without one, an attacker or a cut line
 * may have shortened it. Any other framing cut short is incomplete. */
static wecom_err_t end_of_stream(wecom_http_t *h, int clean)
{
    (void)llhttp_finish(parser_of(h));
    if (h->error != 0)
        return h->error;
    if (!h->complete)
        return WECOM_ERR_HTTP_INCOMPLETE;
    return clean ? WECOM_OK : WECOM_ERR_HTTP_TRUNCATED;
}

wecom_err_t wecom__http_read_response(wecom_http_t *h,
                                      wecom_http_response_t *resp,
                                      const wecom_http_sink_t *sink,
                                      int *got_bytes)
{
    *got_bytes = 0;
    h->resp = resp;
    h->sink = sink;
    h->error = 0;
    h->complete = 0;
    h->header_bytes = 0;
    h->header_count = 0;
    h->interim = 0;
    reset_response(h);
    llhttp_init(parser_of(h), HTTP_RESPONSE, &SETTINGS);
    parser_of(h)->data = h;

    for (;;) {
        llhttp_errno_t e;
        int n = h->stream.recv(h->stream.ctx, h->buf, h->buf_size);
        if (n == WECOM_ERR_CLOSED && *got_bytes)
            return end_of_stream(h, 0);
        if (n < 0)
            return n;
        if (n == 0) {
            if (*got_bytes == 0)
                return WECOM_ERR_CLOSED;
            return end_of_stream(h, 1);
        }
        *got_bytes = 1;
        e = llhttp_execute(parser_of(h), (const char *)h->buf, (size_t)n);
        if (h->complete)
            return WECOM_OK;
        if (h->error != 0)
            return h->error;
        if (e != HPE_OK)
            return WECOM_ERR_HTTP_PARSE;
    }
}
