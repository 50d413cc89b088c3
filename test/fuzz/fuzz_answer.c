/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/*
 * The media-or-error rule (wecom__json_answer_classify) and the strict JSON
 * reader against any response. The input is a raw HTTP response; the
 * seeds are test/unit/answer_cases/ (seeds/fuzz_answer links there). It
 * is read once by the HTTP engine alone to learn its status, headers and
 * body; the rule is asked about that body fed in pieces, as the download
 * engine feeds it; then the download engine gets the same bytes.
 *
 * Properties, each an abort when broken:
 *  - media is never an error answer: taken as media without
 *    Content-Disposition, the body is not an object with errcode != 0;
 *    JSON-typed or starting like an object, it is one whole valid object
 *    whose errcode is 0 or absent;
 *  - an API error carries the non-zero errcode the strict parser reads;
 *  - a status other than 200 is never media;
 *  - a web page (text/html) is never media: a page or an API error;
 *  - the verdict does not depend on how the body is split;
 *  - the download engine agrees: success only for media, and then the
 *    writer got exactly the body; for any answer it got nothing;
 *  - a 200 with a Content-Encoding other than identity is refused
 *    whatever the rule says, and writes nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "client.h"
#include "json.h"
#include "mem_stream.h"
#include "wecom/media.h"
#include "wecom/posix.h"

#define BODY_MAX 65536

static unsigned char body[BODY_MAX];
static size_t body_len;
static unsigned char got[BODY_MAX];
static size_t got_len;
static int got_mismatch;

static int head_seen;

static int note_head(void *ctx, const wecom_http_response_t *r)
{
    (void)ctx;
    (void)r;
    head_seen = 1;
    body_len = 0;
    return 0;
}

static int keep_body(void *ctx, const unsigned char *d, size_t n)
{
    (void)ctx;
    if (!head_seen)
        return WECOM_ERR_HTTP_PARSE; /* a body before its head: not read */
    if (n > sizeof body - body_len)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    memcpy(body + body_len, d, n);
    body_len += n;
    return 0;
}

static int write_got(void *ctx, const unsigned char *d, size_t n)
{
    (void)ctx;
    if (n > sizeof got - got_len) {
        got_mismatch = 1;
        return WECOM_ERR_FILE_WRITE;
    }
    memcpy(got + got_len, d, n);
    got_len += n;
    return 0;
}

static void no_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    (void)ms;
}

static wecom_client_t client;
static wecom_port_t port;
static wecom_posix_net_t net;

static void setup(void)
{
    static test_cert_t ca;
    wecom_client_config_t cfg;
    if (certs_make_ca(&ca, "fuzz CA") != 0)
        abort();
    wecom_posix_port_init(&port, &net);
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = "https://qyapi.example";
    cfg.port = &port;
    cfg.tls.ca_pem = (const unsigned char *)ca.cert_pem;
    cfg.tls.ca_pem_len = strlen(ca.cert_pem) + 1;
    if (wecom_client_init(&client, &cfg) != WECOM_OK ||
        wecom_client_set_token(&client, "fuzz-token") != WECOM_OK)
        abort();
    port.sleep_ms = no_sleep;
}

/* Independent of the rule's own reading: the plain spellings only (the
 * rule takes more: any case, +json). */
static int json_typed(const char *ct)
{
    size_t n = strcspn(ct, "; \t");
    return (n == 16 && strncmp(ct, "application/json", 16) == 0) ||
           (n == 9 && strncmp(ct, "text/json", 9) == 0);
}

/* A Content-Encoding other than none or identity (any case). */
static int coded(const char *ce)
{
    static const char id[] = "identity";
    size_t i;
    if (ce[0] == '\0')
        return 0;
    for (i = 0; i < sizeof id; i++) {
        char c = ce[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != id[i])
            return 1;
    }
    return 0;
}

static int starts_like_object(const unsigned char *b, size_t n)
{
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i < n && b[i] == '{';
}

/* The Content-Disposition as the download engine gives it to the rule:
 * one sent but too long to keep (or sent twice) still counts. */
static const char *disposition_of(const wecom_http_response_t *r)
{
    return (r->dropped & WECOM_HTTP_DROPPED_DISPOSITION) != 0 ? "attachment"
                                                              : r->content_disposition;
}

/* The rule asked as the download engine asks it: after each piece, the
 * held bytes capped at WECOM_JSON_MAX. */
static wecom_answer_t classify_in_pieces(const wecom_http_response_t *r, uint32_t seed,
                                         int64_t *code)
{
    static char held[WECOM_JSON_MAX];
    static wecom_json_t j;
    wecom_answer_in_t in;
    wecom_answer_t v;
    size_t pos = 0;
    in.status = r->status;
    in.content_type = r->content_type;
    in.content_disposition = disposition_of(r);
    in.body = held;
    in.len = 0;
    in.complete = 0;
    in.overflow = 0;
    v = wecom__json_answer_classify(&in, &j, code);
    while (v == WECOM_ANSWER_UNDECIDED && pos < body_len) {
        size_t n, k;
        seed = seed * 1103515245u + 12345u;
        n = 1 + (seed >> 16) % 300;
        if (n > body_len - pos)
            n = body_len - pos;
        k = sizeof held - in.len < n ? sizeof held - in.len : n;
        memcpy(held + in.len, body + pos, k);
        in.len += k;
        in.overflow = k < n;
        pos += n;
        v = wecom__json_answer_classify(&in, &j, code);
    }
    if (v == WECOM_ANSWER_UNDECIDED) {
        in.complete = 1;
        v = wecom__json_answer_classify(&in, &j, code);
    }
    return v;
}

/* The rule asked once, about the whole body. */
static wecom_answer_t classify_whole(const wecom_http_response_t *r, int64_t *code)
{
    static wecom_json_t j;
    wecom_answer_in_t in;
    in.status = r->status;
    in.content_type = r->content_type;
    in.content_disposition = disposition_of(r);
    in.body = (const char *)body;
    in.len = body_len > WECOM_JSON_MAX ? WECOM_JSON_MAX : body_len;
    in.complete = 1;
    in.overflow = body_len > WECOM_JSON_MAX;
    return wecom__json_answer_classify(&in, &j, code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char buf[4096];
    static mem_stream_t m;
    static wecom_json_t j;
    static int ready;
    wecom_http_t h;
    wecom_stream_t s;
    wecom_http_request_t req;
    wecom_http_response_t resp;
    wecom_http_sink_t sink = { note_head, keep_body, NULL };
    wecom_writer_t w = { write_got, NULL };
    wecom_download_t dl;
    wecom_download_result_t res;
    wecom_answer_t v;
    int64_t code = 0, code2 = 0, parsed_code = 0;
    int parses, has_code, code_ok, disp;
    uint32_t seed = 2166136261u;
    size_t i;
    wecom_err_t rc, hrc;

    if (!ready) {
        setup();
        ready = 1;
    }
    if (size > BODY_MAX)
        return 0;
    for (i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 16777619u;

    /* 1. The response as the HTTP engine reads it. */
    mem_stream_init(&m, MEM_WHOLE, 0, NULL, 0);
    mem_stream_add(&m, data, size, 1);
    mem_stream_bind(&m, &s);
    if (wecom__http_init(&h, &s, buf, sizeof buf, "h", 443) != WECOM_OK)
        abort();
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/";
    body_len = 0;
    head_seen = 0;
    hrc = wecom__http_exchange(&h, &req, &resp, &sink);
    wecom__http_close(&h);

    /* 2. The rule. */
    v = WECOM_ANSWER_UNDECIDED;
    if (hrc == WECOM_OK && resp.status != 206 && resp.status != 416) {
        v = classify_in_pieces(&resp, seed, &code);
        if (v == WECOM_ANSWER_UNDECIDED || v != classify_whole(&resp, &code2))
            abort();
        parses = body_len <= WECOM_JSON_MAX &&
                 wecom__json_parse(&j, (const char *)body, body_len) == WECOM_OK;
        has_code = parses && wecom__json_has(&j, "errcode");
        code_ok = has_code && wecom__json_int(&j, "errcode", &parsed_code) == WECOM_OK;
        disp = disposition_of(&resp)[0] != '\0';
        if (v == WECOM_ANSWER_MEDIA) {
            if (resp.status != 200)
                abort();
            if (!disp && code_ok && parsed_code != 0)
                abort(); /* an error answer taken for media */
            if (!disp && (json_typed(resp.content_type) ||
                          starts_like_object(body, body_len)) &&
                (!parses || (has_code && (!code_ok || parsed_code != 0))))
                abort();
        }
        if (v == WECOM_ANSWER_API_ERROR &&
            (!code_ok || parsed_code == 0 || code != parsed_code || code != code2))
            abort();
        if (v == WECOM_ANSWER_MALFORMED &&
            (resp.status != 200 || disp || (parses && (!has_code || code_ok))))
            abort();
        if (v == WECOM_ANSWER_PAGE && (resp.status != 200 || disp))
            abort();
        if (v == WECOM_ANSWER_MEDIA && !disp &&
            strncmp(resp.content_type, "text/html", 9) == 0 &&
            strchr("; \t", resp.content_type[9]) != NULL)
            abort(); /* a web page taken for the medium */
    }

    /* 3. The download engine on the same bytes, split another way. */
    mem_stream_init(&m, (enum mem_split)(seed % 3), seed >> 8, NULL, 0);
    mem_stream_add(&m, data, size, 1);
    wecom__http_close(&wecom__client(&client)->http);
    mem_stream_bind(&m, &s);
    wecom__client(&client)->http.stream = s;
    memset(&dl, 0, sizeof dl);
    dl.media_id = "FUZZ";
    dl.writer = &w;
    got_len = 0;
    got_mismatch = 0;
    rc = wecom_media_download(&client, &dl, &res);
    if (getenv("FUZZ_ANSWER_DEBUG") != NULL)
        fprintf(stderr, "http %d status %d ct '%s' body %zu verdict %d download %s written %zu\n",
                hrc, resp.status, resp.content_type, body_len, (int)v, wecom_errname(rc), got_len),
        fprintf(stderr, "cl %lld body '%.*s'\n", (long long)resp.content_length, (int)body_len, body);
    if (got_len != res.written || got_mismatch)
        abort();
    if (hrc == WECOM_OK && resp.status == 200 && coded(resp.content_encoding)) {
        if (rc != WECOM_ERR_CONTENT_ENCODING || got_len != 0)
            abort(); /* a coded body taken for the medium */
    } else if (hrc == WECOM_OK && resp.status != 206 && resp.status != 416) {
        if (v != WECOM_ANSWER_MEDIA && (got_len != 0 || rc == WECOM_OK))
            abort(); /* an answer reached the writer */
        if (v == WECOM_ANSWER_MEDIA && rc != WECOM_OK)
            abort(); /* a whole medium refused */
        if (v == WECOM_ANSWER_MALFORMED && rc != WECOM_ERR_API_MALFORMED)
            abort();
        if (v == WECOM_ANSWER_STATUS && rc != WECOM_ERR_HTTP_STATUS)
            abort();
        if (v == WECOM_ANSWER_PAGE && rc != WECOM_ERR_HTML_ANSWER)
            abort();
        if (rc == WECOM_OK && (got_len != body_len || memcmp(got, body, body_len) != 0))
            abort();
    }
    if (rc == WECOM_ERR_API && res.api.errcode == 0)
        abort();
    return 0;
}
