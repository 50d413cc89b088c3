/* SPDX-License-Identifier: MIT */
/*
 * The HTTP engine over an in-memory stream.
 *
 * Wire cases live in http_cases/: NAME.http holds the raw response,
 * NAME.expect the outcome (key=value lines), NAME.body the body the sink
 * must receive. Each case is fed whole, byte by byte and in random splits.
 * The stream ends cleanly (TLS close_notify) unless the .expect says
 * close=tcp: then it ends as a bare TCP close would (WECOM_ERR_CLOSED).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem_stream.h"
#include "http.h"
#include "wecom/media.h"

static const char *g_case_dir;

/* ------------------------------------------------------------ helpers */

typedef struct {
    unsigned char data[65536];
    size_t len;
    int headers_calls;
    int fail_headers; /* on_headers returns this */
    int fail_body;    /* on_body returns this */
} capture_t;

static int cap_headers(void *ctx, const wecom_http_response_t *r)
{
    capture_t *c = ctx;
    (void)r;
    c->headers_calls++;
    return c->fail_headers;
}

static int cap_body(void *ctx, const unsigned char *d, size_t n)
{
    capture_t *c = ctx;
    if (c->fail_body)
        return c->fail_body;
    assert_true(c->len + n <= sizeof c->data);
    memcpy(c->data + c->len, d, n);
    c->len += n;
    return 0;
}

static size_t read_file(const char *path, unsigned char *buf, size_t cap,
                        int *found)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    *found = f != NULL;
    if (f == NULL)
        return 0;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static const wecom_http_request_t GET_REQ = { "GET", "/x", NULL, NULL, NULL,
                                              0, NULL, NULL };

typedef struct {
    mem_stream_t mem;
    wecom_http_t http;
    unsigned char buf[4096];
    unsigned char sent[16384];
    capture_t cap;
    wecom_http_sink_t sink;
    wecom_http_response_t resp;
} fixture_t;

static void fixture_init(fixture_t *f, enum mem_split split, uint32_t seed)
{
    wecom_stream_t s;
    memset(f, 0, sizeof *f);
    mem_stream_init(&f->mem, split, seed, f->sent, sizeof f->sent);
    mem_stream_bind(&f->mem, &s);
    assert_int_equal(wecom__http_init(&f->http, &s, f->buf, sizeof f->buf,
                                     "qyapi.example", 443),
                     WECOM_OK);
    f->sink.on_headers = cap_headers;
    f->sink.on_body = cap_body;
    f->sink.ctx = &f->cap;
}

/* ------------------------------------------------------------ wire cases */

/* The stream's own recv, wrapped to end without close_notify. */
static int (*g_clean_recv)(void *ctx, unsigned char *buf, size_t len);

static int tcp_close_recv(void *ctx, unsigned char *buf, size_t len)
{
    int n = g_clean_recv(ctx, buf, len);
    return n == 0 ? WECOM_ERR_CLOSED : n;
}

static void end_with_tcp_close(fixture_t *f)
{
    g_clean_recv = f->http.stream.recv;
    f->http.stream.recv = tcp_close_recv;
}

static void check_expect_line(const char *name, const char *key,
                              const char *val, wecom_err_t rc,
                              const wecom_http_response_t *r)
{
    char got[1600];
    if (strcmp(key, "error") == 0)
        snprintf(got, sizeof got, "%s", wecom_errname(rc));
    else if (strcmp(key, "status") == 0)
        snprintf(got, sizeof got, "%d", r->status);
    else if (strcmp(key, "content_length") == 0)
        snprintf(got, sizeof got, "%lld", (long long)r->content_length);
    else if (strcmp(key, "chunked") == 0)
        snprintf(got, sizeof got, "%d", r->chunked);
    else if (strcmp(key, "keep_alive") == 0)
        snprintf(got, sizeof got, "%d", r->keep_alive);
    else if (strcmp(key, "content_type") == 0)
        snprintf(got, sizeof got, "%s", r->content_type);
    else if (strcmp(key, "content_range") == 0)
        snprintf(got, sizeof got, "%s", r->content_range);
    else if (strcmp(key, "content_disposition") == 0)
        snprintf(got, sizeof got, "%s", r->content_disposition);
    else if (strcmp(key, "etag") == 0)
        snprintf(got, sizeof got, "%s", r->etag);
    else if (strcmp(key, "last_modified") == 0)
        snprintf(got, sizeof got, "%s", r->last_modified);
    else if (strcmp(key, "content_encoding") == 0)
        snprintf(got, sizeof got, "%s", r->content_encoding);
    else if (strcmp(key, "dropped") == 0)
        snprintf(got, sizeof got, "%u", r->dropped);
    else if (strcmp(key, "close") == 0)
        snprintf(got, sizeof got, "%s", val); /* an input, see run_case */
    else
        fail_msg("%s: unknown key %s", name, key);
    if (strcmp(got, val) != 0)
        fail_msg("%s: %s is '%s', expected '%s'", name, key, got, val);
}

static void run_case(const char *name, enum mem_split split, uint32_t seed)
{
    static unsigned char raw[1 << 16], body[1 << 16];
    static char expect[4096];
    static fixture_t f;
    char path[1024];
    size_t raw_len, body_len, exp_len;
    int found, has_body;
    wecom_err_t rc;
    char *line, *save = NULL;

    snprintf(path, sizeof path, "%s/%s.http", g_case_dir, name);
    raw_len = read_file(path, raw, sizeof raw, &found);
    assert_true(found);
    snprintf(path, sizeof path, "%s/%s.expect", g_case_dir, name);
    exp_len = read_file(path, (unsigned char *)expect, sizeof expect - 1, &found);
    assert_true(found);
    expect[exp_len] = '\0';
    snprintf(path, sizeof path, "%s/%s.body", g_case_dir, name);
    body_len = read_file(path, body, sizeof body, &has_body);

    fixture_init(&f, split, seed);
    if (strstr(expect, "close=tcp\n") != NULL)
        end_with_tcp_close(&f);
    mem_stream_add(&f.mem, raw, raw_len, 0);
    rc = wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink);

    for (line = strtok_r(expect, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        assert_non_null(eq);
        *eq = '\0';
        check_expect_line(name, line, eq + 1, rc, &f.resp);
    }
    if (has_body) {
        if (f.cap.len != body_len || memcmp(f.cap.data, body, body_len) != 0)
            fail_msg("%s: body differs (%zu bytes, expected %zu)", name,
                     f.cap.len, body_len);
        assert_int_equal(f.resp.body_bytes, body_len);
    }
    /* After an error the connection is never kept. */
    if (rc != WECOM_OK)
        assert_false(f.http.is_open);
}

static void test_wire_cases(void **state)
{
    DIR *d = opendir(g_case_dir);
    struct dirent *e;
    int cases = 0;
    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char name[256];
        size_t n = strlen(e->d_name);
        uint32_t seed;
        if (n < 6 || strcmp(e->d_name + n - 5, ".http") != 0)
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(n - 5), e->d_name);
        run_case(name, MEM_WHOLE, 1);
        run_case(name, MEM_BYTES, 1);
        for (seed = 1; seed <= 5; seed++)
            run_case(name, MEM_RANDOM, seed * 7919u);
        cases++;
    }
    closedir(d);
    assert_true(cases >= 20);
    printf("[ wire     ] %d cases, each whole, bytewise and in 5 random splits\n",
           cases);
}

/* ------------------------------------------------------------ limits */

static void test_megabyte_header_is_an_error(void **state)
{
    static unsigned char raw[(1 << 20) + 128];
    static fixture_t f;
    size_t n = 0;
    (void)state;
    n += (size_t)sprintf((char *)raw, "HTTP/1.1 200 OK\r\nX-Huge: ");
    memset(raw + n, 'h', 1 << 20);
    n += 1 << 20;
    memcpy(raw + n, "\r\nContent-Length: 0\r\n\r\n", 23);
    n += 23;
    fixture_init(&f, MEM_RANDOM, 42);
    mem_stream_add(&f.mem, raw, n, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink),
                     WECOM_ERR_HTTP_HEADERS_TOO_LARGE);
    /* It stopped reading at the limit, long before the megabyte's end. */
    assert_true(f.mem.pos < 64 * 1024);
    assert_int_equal(f.cap.headers_calls, 0);
}

/* ------------------------------------------------------------ requests */

static void test_get_request_bytes(void **state)
{
    static fixture_t f;
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    wecom_http_request_t req = GET_REQ;
    const char *want =
        "GET /cgi-bin/media/get?media_id=M HTTP/1.1\r\n"
        "Host: qyapi.example\r\n"
        "User-Agent: wecom-media/" WECOM_VERSION_STRING "\r\n"
        "Accept-Encoding: identity\r\n"
        "Range: bytes=0-99\r\n"
        "\r\n";
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    mem_stream_add(&f.mem, resp, sizeof resp - 1, 0);
    req.target = "/cgi-bin/media/get?media_id=M";
    req.headers = "Range: bytes=0-99\r\n";
    assert_int_equal(wecom__http_exchange(&f.http, &req, &f.resp, &f.sink), 0);
    assert_int_equal(f.mem.sent_len, strlen(want));
    assert_memory_equal(f.sent, want, strlen(want));
}

typedef struct {
    const unsigned char *data;
    size_t len;
    int reads;
} body_src_t;

static int body_read(void *ctx, uint64_t off, unsigned char *buf, size_t len)
{
    body_src_t *b = ctx;
    size_t n;
    b->reads++;
    if (off >= b->len)
        return 0;
    n = b->len - (size_t)off;
    if (n > len)
        n = len;
    if (n > 333) /* short reads, as from a pipe */
        n = 333;
    memcpy(buf, b->data + off, n);
    return (int)n;
}

typedef struct {
    uint64_t last;
    int calls;
    int cancel_at;
} progress_t;

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_t *p = ctx;
    assert_true(done > p->last || (p->calls == 0 && done > 0));
    assert_true(done <= total);
    p->last = done;
    return ++p->calls == p->cancel_at;
}

static void test_post_body_streams_through_buffer(void **state)
{
    static fixture_t f;
    static unsigned char body[10000];
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    body_src_t src;
    progress_t prog = { 0, 0, 0 };
    wecom_http_request_t req = GET_REQ;
    const char *head_end;
    size_t i, head_len;
    (void)state;
    for (i = 0; i < sizeof body; i++)
        body[i] = (unsigned char)(i * 31 + 7);
    src.data = body;
    src.len = sizeof body;
    src.reads = 0;
    fixture_init(&f, MEM_WHOLE, 1);
    f.http.buf_size = 512; /* force many flushes */
    mem_stream_add(&f.mem, resp, sizeof resp - 1, 0);
    req.method = "POST";
    req.target = "/up";
    req.body_read = body_read;
    req.body_ctx = &src;
    req.body_len = sizeof body;
    req.progress = on_progress;
    req.progress_ctx = &prog;
    assert_int_equal(wecom__http_exchange(&f.http, &req, &f.resp, &f.sink), 0);
    f.sent[f.mem.sent_len] = 0;
    assert_non_null(strstr((char *)f.sent, "Content-Length: 10000\r\n"));
    head_end = strstr((char *)f.sent, "\r\n\r\n");
    assert_non_null(head_end);
    head_len = (size_t)(head_end + 4 - (char *)f.sent);
    assert_int_equal(f.mem.sent_len - head_len, sizeof body);
    assert_memory_equal(f.sent + head_len, body, sizeof body);
    assert_int_equal(prog.last, sizeof body);
    assert_true(prog.calls >= 19); /* 10000 bytes through a 512-byte buffer */
}

static void test_progress_cancels(void **state)
{
    static fixture_t f;
    static unsigned char body[5000];
    body_src_t src = { body, sizeof body, 0 };
    progress_t prog = { 0, 0, 3 };
    wecom_http_request_t req = GET_REQ;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    f.http.buf_size = 512;
    req.method = "POST";
    req.body_read = body_read;
    req.body_ctx = &src;
    req.body_len = sizeof body;
    req.progress = on_progress;
    req.progress_ctx = &prog;
    assert_int_equal(wecom__http_exchange(&f.http, &req, &f.resp, &f.sink),
                     WECOM_ERR_CANCELLED);
    assert_int_equal(prog.calls, 3);
    assert_false(f.http.is_open);
}

static void test_short_body_source_is_an_error(void **state)
{
    static fixture_t f;
    static unsigned char body[100];
    body_src_t src = { body, sizeof body, 0 };
    wecom_http_request_t req = GET_REQ;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    req.method = "POST";
    req.body_read = body_read;
    req.body_ctx = &src;
    req.body_len = 200; /* announced more than the source holds */
    assert_int_equal(wecom__http_exchange(&f.http, &req, &f.resp, &f.sink),
                     WECOM_ERR_HTTP_BODY_SHORT);
}

static void test_request_head_too_large(void **state)
{
    static fixture_t f;
    static char target[5000];
    wecom_http_request_t req = GET_REQ;
    (void)state;
    memset(target, 'a', sizeof target - 1);
    target[0] = '/';
    fixture_init(&f, MEM_WHOLE, 1);
    req.target = target;
    assert_int_equal(wecom__http_exchange(&f.http, &req, &f.resp, &f.sink),
                     WECOM_ERR_HTTP_REQUEST_TOO_LARGE);
    assert_int_equal(f.mem.sent_len, 0);
}

static void test_host_header_forms(void **state)
{
    static fixture_t f;
    wecom_stream_t s;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    mem_stream_bind(&f.mem, &s);
    assert_int_equal(wecom__http_init(&f.http, &s, f.buf, sizeof f.buf, "::1", 8443), 0);
    assert_string_equal(f.http.host_header, "[::1]:8443");
    assert_int_equal(wecom__http_init(&f.http, &s, f.buf, sizeof f.buf, "localhost", 443), 0);
    assert_string_equal(f.http.host_header, "localhost");
    assert_int_equal(wecom__http_init(&f.http, &s, f.buf, sizeof f.buf, "h", 80), 0);
    assert_string_equal(f.http.host_header, "h:80");
}

/* ------------------------------------------------------------ keep-alive */

static const char OK_A[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA";
static const char OK_B[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB";
static const char OK_CLOSE[] =
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nC";

static void test_keep_alive_reuses_connection(void **state)
{
    static fixture_t f;
    (void)state;
    fixture_init(&f, MEM_RANDOM, 3);
    mem_stream_add(&f.mem, OK_A, sizeof OK_A - 1, 0);
    mem_stream_add(&f.mem, OK_B, sizeof OK_B - 1, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_int_equal(f.cap.len, 2);
    assert_memory_equal(f.cap.data, "AB", 2);
    assert_int_equal(f.mem.opens, 1);
    assert_int_equal(f.http.connects, 1);
}

static void test_connection_close_reconnects(void **state)
{
    static fixture_t f;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    mem_stream_add(&f.mem, OK_CLOSE, sizeof OK_CLOSE - 1, 1);
    mem_stream_add(&f.mem, OK_B, sizeof OK_B - 1, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_false(f.http.is_open);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_memory_equal(f.cap.data, "CB", 2);
    assert_int_equal(f.mem.opens, 2);
}

static void test_stale_connection_detected_before_reuse(void **state)
{
    static fixture_t f;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    /* The server closes after A without saying so in the headers. */
    mem_stream_add(&f.mem, OK_A, sizeof OK_A - 1, 1);
    mem_stream_add(&f.mem, OK_B, sizeof OK_B - 1, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_memory_equal(f.cap.data, "AB", 2);
    assert_int_equal(f.mem.opens, 2);
}

static void test_closed_while_sending_is_resent_once(void **state)
{
    static fixture_t f;
    const char *req_head = "GET /x HTTP/1.1\r\n";
    (void)state;
    fixture_init(&f, MEM_BYTES, 1);
    mem_stream_add(&f.mem, OK_A, sizeof OK_A - 1, 0);
    mem_stream_add(&f.mem, NULL, 0, 0); /* kept connection died unseen */
    mem_stream_add(&f.mem, OK_B, sizeof OK_B - 1, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink), 0);
    assert_memory_equal(f.cap.data, "AB", 2);
    assert_int_equal(f.mem.opens, 2);
    /* three request heads went out: A, the lost one, and its resend */
    {
        int heads = 0;
        const unsigned char *p = f.sent, *end = f.sent + f.mem.sent_len;
        while (p < end) {
            const unsigned char *hit = memchr(p, 'G', (size_t)(end - p));
            if (hit == NULL)
                break;
            if ((size_t)(end - hit) >= strlen(req_head) &&
                memcmp(hit, req_head, strlen(req_head)) == 0)
                heads++;
            p = hit + 1;
        }
        assert_int_equal(heads, 3);
    }
}

static void test_fresh_connection_closed_is_not_resent(void **state)
{
    static fixture_t f;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    mem_stream_add(&f.mem, NULL, 0, 0);
    mem_stream_add(&f.mem, OK_B, sizeof OK_B - 1, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink),
                     WECOM_ERR_CLOSED);
    assert_int_equal(f.mem.opens, 1);
}

static void test_sink_errors_stop_the_exchange(void **state)
{
    static fixture_t f;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    f.cap.fail_headers = WECOM_ERR_API;
    mem_stream_add(&f.mem, OK_A, sizeof OK_A - 1, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink),
                     WECOM_ERR_API);
    assert_int_equal(f.cap.len, 0);
    assert_false(f.http.is_open);

    fixture_init(&f, MEM_WHOLE, 1);
    f.cap.fail_body = WECOM_ERR_FILE_WRITE;
    mem_stream_add(&f.mem, OK_A, sizeof OK_A - 1, 0);
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink),
                     WECOM_ERR_FILE_WRITE);
}

static void test_open_failure_is_returned(void **state)
{
    static fixture_t f;
    (void)state;
    fixture_init(&f, MEM_WHOLE, 1);
    f.mem.fail_open = WECOM_ERR_TLS_CERT_UNTRUSTED;
    assert_int_equal(wecom__http_exchange(&f.http, &GET_REQ, &f.resp, &f.sink),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_cases),
        cmocka_unit_test(test_megabyte_header_is_an_error),
        cmocka_unit_test(test_get_request_bytes),
        cmocka_unit_test(test_post_body_streams_through_buffer),
        cmocka_unit_test(test_progress_cancels),
        cmocka_unit_test(test_short_body_source_is_an_error),
        cmocka_unit_test(test_request_head_too_large),
        cmocka_unit_test(test_host_header_forms),
        cmocka_unit_test(test_keep_alive_reuses_connection),
        cmocka_unit_test(test_connection_close_reconnects),
        cmocka_unit_test(test_stale_connection_detected_before_reuse),
        cmocka_unit_test(test_closed_while_sending_is_resent_once),
        cmocka_unit_test(test_fresh_connection_closed_is_not_resent),
        cmocka_unit_test(test_sink_errors_stop_the_exchange),
        cmocka_unit_test(test_open_failure_is_returned),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    g_case_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
