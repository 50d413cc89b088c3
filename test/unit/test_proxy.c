/* SPDX-License-Identifier: MIT */
/*
 * The CONNECT tunnel (core/tls/proxy.c) over a scripted byte stream.
 *
 * Wire cases live in proxy_cases/: NAME.answer holds what the proxy
 * sends, NAME.expect the outcome (result=ok|auth|refused|protocol|closed
 * and, where the status line was whole, status=NNN). Each answer is fed
 * whole, a byte at a time and in random splits: a reader that assumes a
 * line arrives in one piece fails here.
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

#include "proxy.h"

static const char *g_case_dir;

/* ------------------------------------------------------ a scripted proxy */

typedef struct {
    const unsigned char *answer;
    size_t len, pos;
    size_t chunk;       /* most bytes per recv; 0: random 1..64 */
    unsigned seed;
    char sent[4096];    /* what the client sent */
    size_t sent_len;
    int send_err, recv_err;
} script_t;

static int s_send(void *ctx, const unsigned char *buf, size_t len)
{
    script_t *s = ctx;
    if (s->send_err)
        return s->send_err;
    if (len > 7)
        len = 7; /* short writes: the request must still go out whole */
    assert_true(s->sent_len + len < sizeof s->sent);
    memcpy(s->sent + s->sent_len, buf, len);
    s->sent_len += len;
    s->sent[s->sent_len] = '\0';
    return (int)len;
}

static int s_recv(void *ctx, unsigned char *buf, size_t len)
{
    script_t *s = ctx;
    size_t n = s->chunk;
    if (s->recv_err)
        return s->recv_err;
    if (n == 0) {
        s->seed = s->seed * 1103515245u + 12345u;
        n = 1 + (s->seed >> 16) % 64;
    }
    if (n > len)
        n = len;
    if (n > s->len - s->pos)
        n = s->len - s->pos;
    memcpy(buf, s->answer + s->pos, n);
    s->pos += n;
    return (int)n;
}

static int s_pending(void *ctx)
{
    script_t *s = ctx;
    return s->pos < s->len;
}

static wecom_err_t run(wecom__proxy_t *p, script_t *s, const char *host,
                       uint16_t port)
{
    wecom__proxy_io_t io;
    io.send = s_send;
    io.recv = s_recv;
    io.pending = s_pending;
    io.ctx = s;
    return wecom__proxy_connect(p, &io, host, port);
}

static void script_init(script_t *s, const void *answer, size_t len, size_t chunk)
{
    memset(s, 0, sizeof *s);
    s->answer = answer;
    s->len = len;
    s->chunk = chunk;
    s->seed = 7;
}

/* ---------------------------------------------------------- wire cases */

static size_t read_file(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, cap, f);
    assert_true(n < cap);
    fclose(f);
    return n;
}

static wecom_err_t result_code(const char *word)
{
    if (strcmp(word, "ok") == 0)
        return WECOM_OK;
    if (strcmp(word, "auth") == 0)
        return WECOM_ERR_PROXY_AUTH;
    if (strcmp(word, "refused") == 0)
        return WECOM_ERR_PROXY_REFUSED;
    if (strcmp(word, "protocol") == 0)
        return WECOM_ERR_PROXY_PROTOCOL;
    if (strcmp(word, "closed") == 0)
        return WECOM_ERR_CLOSED;
    fail_msg("unknown result '%s'", word);
    return 1;
}

static void run_case(const char *name)
{
    static unsigned char answer[16384];
    char path[1024], expect[256], word[32] = "";
    size_t len, i;
    int status = 0;
    const char *line;
    wecom_err_t want;
    /* Whole, one byte at a time, and three random splits. */
    static const size_t CHUNKS[] = { sizeof answer, 1, 0, 0, 0 };

    snprintf(path, sizeof path, "%s/%s.answer", g_case_dir, name);
    len = read_file(path, answer, sizeof answer);
    snprintf(path, sizeof path, "%s/%s.expect", g_case_dir, name);
    expect[read_file(path, (unsigned char *)expect, sizeof expect - 1)] = '\0';
    for (line = expect; *line != '\0'; line = strchr(line, '\n') + 1) {
        if (sscanf(line, "result=%31s", word) != 1)
            (void)sscanf(line, "status=%d", &status);
        if (strchr(line, '\n') == NULL)
            break;
    }
    want = result_code(word);
    for (i = 0; i < sizeof CHUNKS / sizeof CHUNKS[0]; i++) {
        wecom__proxy_t p;
        script_t s;
        wecom_err_t rc;
        memset(&p, 0, sizeof p);
        assert_int_equal(wecom__proxy_set(&p, "proxy.local", 3128, NULL, NULL), 0);
        script_init(&s, answer, len, CHUNKS[i]);
        s.seed = (unsigned)(7 + i);
        rc = run(&p, &s, "qyapi.weixin.qq.com", 443);
        if (rc != want || (status != 0 && p.status != status))
            fail_msg("%s (chunk %zu): got %d status %d, expected %d status %d",
                     name, CHUNKS[i], rc, p.status, want, status);
    }
}

static void test_wire_cases(void **state)
{
    DIR *d = opendir(g_case_dir);
    struct dirent *e;
    int n = 0;
    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char name[256];
        size_t l = strlen(e->d_name);
        if (l < 8 || strcmp(e->d_name + l - 7, ".answer") != 0 || l - 7 >= sizeof name)
            continue;
        memcpy(name, e->d_name, l - 7);
        name[l - 7] = '\0';
        run_case(name);
        n++;
    }
    closedir(d);
    assert_true(n >= 20);
}

/* ------------------------------------------------------- the parser */

static void test_parser_stops_at_the_head_end(void **state)
{
    static const char A[] = "HTTP/1.1 200 OK\r\nVia: x\r\n\r\nTLS";
    wecom__proxy_answer_t a;
    size_t i, used = 0;
    int r = 0;
    (void)state;
    wecom__proxy_answer_init(&a);
    for (i = 0; i < sizeof A - 1 && r == 0; i++) {
        r = wecom__proxy_answer_feed(&a, (const unsigned char *)A + i, 1, &used);
        assert_int_equal(used, 1);
    }
    assert_int_equal(r, 1);
    assert_int_equal(i, sizeof A - 4); /* "TLS" was not eaten */
    assert_int_equal(a.status, 200);
    /* Fed whole: used stops before what follows the head. */
    wecom__proxy_answer_init(&a);
    assert_int_equal(wecom__proxy_answer_feed(&a, (const unsigned char *)A,
                                             sizeof A - 1, &used), 1);
    assert_int_equal(used, sizeof A - 4);
}

/* A head of exactly WECOM_PROXY_HEAD_MAX bytes passes, one byte more is
 * refused: the bound that stops headers without end. */
static void test_head_size_bound(void **state)
{
    static char head[WECOM_PROXY_HEAD_MAX + 2];
    size_t extra;
    (void)state;
    for (extra = 0; extra < 2; extra++) {
        size_t total = WECOM_PROXY_HEAD_MAX + extra, n;
        wecom__proxy_t p;
        script_t s;
        memset(head, 'a', sizeof head);
        n = (size_t)snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nX-Pad: ");
        head[n] = 'a';
        memcpy(head + total - 4, "\r\n\r\n", 4);
        memset(&p, 0, sizeof p);
        script_init(&s, head, total, 0);
        assert_int_equal(run(&p, &s, "example.com", 443),
                         extra == 0 ? WECOM_OK : WECOM_ERR_PROXY_PROTOCOL);
    }
}

/* A proxy that sends header lines for ever is cut off at the bound, not
 * read until memory or patience runs out. */
static void test_endless_headers(void **state)
{
    static unsigned char endless[1 << 20];
    wecom__proxy_t p;
    script_t s;
    size_t i, n;
    (void)state;
    n = (size_t)snprintf((char *)endless, sizeof endless, "HTTP/1.1 200 OK\r\n");
    for (i = n; i + 8 < sizeof endless; i += 8)
        memcpy(endless + i, "X: yyy\r\n", 8);
    memset(&p, 0, sizeof p);
    script_init(&s, endless, i, 100);
    assert_int_equal(run(&p, &s, "example.com", 443), WECOM_ERR_PROXY_PROTOCOL);
    assert_true(s.pos <= WECOM_PROXY_HEAD_MAX + 100);
}

/* --------------------------------------------------------- the request */

static void expect_request(const char *host, uint16_t port, const char *user,
                           const char *password, const char *want)
{
    static const char OK[] = "HTTP/1.1 200 OK\r\n\r\n";
    wecom__proxy_t p;
    script_t s;
    memset(&p, 0, sizeof p);
    assert_int_equal(wecom__proxy_set(&p, "10.0.0.1", 8080, user, password), 0);
    script_init(&s, OK, sizeof OK - 1, 0);
    assert_int_equal(run(&p, &s, host, port), WECOM_OK);
    assert_string_equal(s.sent, want);
    wecom__proxy_clear(&p);
}

static void test_request_bytes(void **state)
{
    (void)state;
    expect_request("qyapi.weixin.qq.com", 443, NULL, NULL,
                   "CONNECT qyapi.weixin.qq.com:443 HTTP/1.1\r\n"
                   "Host: qyapi.weixin.qq.com:443\r\n\r\n");
    /* RFC 7617's own example. */
    expect_request("localhost", 8443, "Aladdin", "open sesame",
                   "CONNECT localhost:8443 HTTP/1.1\r\nHost: localhost:8443\r\n"
                   "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
    expect_request("::1", 443, "ab", "cd",
                   "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n"
                   "Proxy-Authorization: Basic YWI6Y2Q=\r\n\r\n");
    expect_request("h", 1, "a", "b",
                   "CONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n"
                   "Proxy-Authorization: Basic YTpi\r\n\r\n");
    /* An empty password is a password (user "ab", ":" and nothing). */
    expect_request("h", 1, "ab", "",
                   "CONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n"
                   "Proxy-Authorization: Basic YWI6\r\n\r\n");
}

static void test_settings_refused(void **state)
{
    static char long_pw[WECOM_PROXY_CREDENTIALS_MAX + 1];
    wecom__proxy_t p;
    (void)state;
    memset(&p, 0, sizeof p);
    assert_int_equal(wecom__proxy_set(&p, "proxy", 0, NULL, NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, "", 3128, NULL, NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, NULL, 3128, NULL, NULL), WECOM_ERR_INVALID_ARG);
    /* Anything that could end the request line early or smuggle a header. */
    assert_int_equal(wecom__proxy_set(&p, "proxy\r\nX: y", 3128, NULL, NULL),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, "user@proxy", 3128, NULL, NULL),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, "us:er", "pw"), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, "user", "p\nw"), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, "", "pw"), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, "user", NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, NULL, "pw"), WECOM_ERR_INVALID_ARG);
    /* "u:" + password: one byte over the bound, then exactly at it. */
    memset(long_pw, 'p', sizeof long_pw - 1);
    long_pw[WECOM_PROXY_CREDENTIALS_MAX - 1] = '\0';
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, "u", long_pw), WECOM_ERR_INVALID_ARG);
    assert_int_equal(p.port, 0); /* a refusal leaves no proxy behind */
    long_pw[WECOM_PROXY_CREDENTIALS_MAX - 2] = '\0';
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, "u", long_pw), WECOM_OK);
    assert_int_equal(p.port, 3128);
    assert_int_equal(strlen(p.auth), sizeof p.auth - 1);
}

static void test_clear_wipes_credentials(void **state)
{
    wecom__proxy_t p;
    size_t i;
    (void)state;
    memset(&p, 0, sizeof p);
    assert_int_equal(wecom__proxy_set(&p, "proxy", 3128, "Aladdin", "open sesame"), 0);
    assert_string_equal(p.auth, "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    wecom__proxy_clear(&p);
    for (i = 0; i < sizeof p.auth; i++)
        assert_int_equal(p.auth[i], 0);
    assert_int_equal(p.port, 0);
}

static void test_stream_errors_pass_through(void **state)
{
    static const char OK[] = "HTTP/1.1 200 OK\r\n\r\n";
    wecom__proxy_t p;
    script_t s;
    (void)state;
    memset(&p, 0, sizeof p);
    script_init(&s, OK, sizeof OK - 1, 0);
    s.send_err = WECOM_ERR_CLOSED;
    assert_int_equal(run(&p, &s, "h", 443), WECOM_ERR_CLOSED);
    script_init(&s, OK, sizeof OK - 1, 0);
    s.recv_err = WECOM_ERR_TIMEOUT; /* a proxy that never answers */
    assert_int_equal(run(&p, &s, "h", 443), WECOM_ERR_TIMEOUT);
    script_init(&s, OK, sizeof OK - 1, 0);
    s.recv_err = WECOM_ERR_DEADLINE;
    assert_int_equal(run(&p, &s, "h", 443), WECOM_ERR_DEADLINE);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_cases),
        cmocka_unit_test(test_parser_stops_at_the_head_end),
        cmocka_unit_test(test_head_size_bound),
        cmocka_unit_test(test_endless_headers),
        cmocka_unit_test(test_request_bytes),
        cmocka_unit_test(test_settings_refused),
        cmocka_unit_test(test_clear_wipes_credentials),
        cmocka_unit_test(test_stream_errors_pass_through),
    };
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    g_case_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
