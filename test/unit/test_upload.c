/* SPDX-License-Identifier: MIT */
/*
 * Upload over an in-memory stream: the exact request bytes for each kind
 * (upload_cases/: NAME.case gives kind and name, control bytes as \xNN;
 * NAME.in the file; NAME.expect the multipart body), answers, retries, and refusals that
 * send nothing.
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

#include "client_fixture.h"
#include "retry.h"

static const char *g_case_dir;
static client_fixture_t f;

static char g_answers[12][2048];

/* A 200 answer with body json, kept in g_answers[slot]. */
static const char *answer(int slot, const char *json)
{
    snprintf(g_answers[slot], sizeof g_answers[slot],
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(json), json);
    return g_answers[slot];
}

/* Queue a 200 answer with body json as the next response. */
static void add_answer(int slot, const char *json)
{
    const char *a = answer(slot, json);
    mem_stream_add(&f.mem, a, strlen(a), 0);
}

static const char SUCCESS[] =
    "{\"errcode\":0,\"errmsg\":\"\",\"type\":\"image\",\"media_id\":"
    "\"3a8asd892asd8asd\",\"created_at\":\"1380000000\"}";

static size_t read_file(const char *path, unsigned char *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    size_t n;
    assert_non_null(fp);
    n = fread(buf, 1, cap, fp);
    fclose(fp);
    return n;
}

/* The request head's end, or fail. */
static size_t head_len(const unsigned char *sent, size_t len)
{
    size_t i;
    for (i = 0; i + 4 <= len; i++)
        if (memcmp(sent + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    fail_msg("no request head");
    return 0;
}

/* Case files write control bytes as \xNN; decode them in place. */
static void decode_hex_escapes(char *s)
{
    char *w = s;
    while (*s != '\0') {
        unsigned v;
        if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
            *w++ = (char)v;
            s += 4;
        } else {
            *w++ = *s++;
        }
    }
    *w = '\0';
}

static void run_case(const char *name)
{
    static unsigned char in[65536], expect[70000];
    char path[1024], meta[512], kind_name[16] = "", file_name[256] = "";
    char want_line[256], want_len[64];
    size_t in_len, exp_len, h;
    mem_source_t src;
    wecom_upload_t up;
    wecom_upload_result_t res;
    char *line, *save = NULL;

    snprintf(path, sizeof path, "%s/%s.case", g_case_dir, name);
    meta[read_file(path, (unsigned char *)meta, sizeof meta - 1)] = '\0';
    for (line = strtok_r(meta, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "kind=", 5) == 0)
            snprintf(kind_name, sizeof kind_name, "%s", line + 5);
        else if (strncmp(line, "name=", 5) == 0)
            snprintf(file_name, sizeof file_name, "%s", line + 5);
    }
    decode_hex_escapes(file_name);
    snprintf(path, sizeof path, "%s/%s.in", g_case_dir, name);
    in_len = read_file(path, in, sizeof in);
    snprintf(path, sizeof path, "%s/%s.expect", g_case_dir, name);
    exp_len = read_file(path, expect, sizeof expect);

    client_fixture_init(&f, MEM_RANDOM);
    add_answer(0, SUCCESS);
    mem_source_init(&src, in, in_len);
    memset(&up, 0, sizeof up);
    assert_int_equal(wecom_kind_parse(kind_name, &up.kind), WECOM_OK);
    up.reader = &src.reader;
    up.length = in_len;
    up.filename = file_name;
    if (wecom_media_upload(&f.client, &up, &res) != WECOM_OK)
        fail_msg("%s: upload failed", name);

    h = head_len(f.sent, f.mem.sent_len);
    snprintf(want_line, sizeof want_line,
             "POST /cgi-bin/media/upload?access_token=" FIXTURE_TOKEN
             "&type=%s HTTP/1.1\r\n", wecom_kind_name(res.check.kind));
    assert_memory_equal(f.sent, want_line, strlen(want_line));
    assert_int_equal(count_occurrences(f.sent, h,
        "\r\nContent-Type: multipart/form-data; boundary=" FIXTURE_BOUNDARY "\r\n"), 1);
    snprintf(want_len, sizeof want_len, "\r\nContent-Length: %zu\r\n", exp_len);
    assert_int_equal(count_occurrences(f.sent, h, want_len), 1);
    if (f.mem.sent_len - h != exp_len || memcmp(f.sent + h, expect, exp_len) != 0)
        fail_msg("%s: body differs from %s.expect", name, name);
    assert_string_equal(res.media_id, "3a8asd892asd8asd");
    assert_string_equal(res.created_at, "1380000000");
    assert_int_equal(res.attempts, 1);
    client_fixture_free(&f);
}

static void test_exact_bodies(void **state)
{
    DIR *d = opendir(g_case_dir);
    struct dirent *e;
    int cases = 0;
    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char name[256];
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".case") != 0)
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(n - 5), e->d_name);
        run_case(name);
        cases++;
    }
    closedir(d);
    assert_true(cases >= 5);
}

static const unsigned char JPEG[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0, 1 };

static wecom_err_t upload_jpeg(wecom_upload_result_t *res, mem_source_t *src)
{
    wecom_upload_t up;
    mem_source_init(src, JPEG, sizeof JPEG);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_IMAGE;
    up.reader = &src->reader;
    up.length = sizeof JPEG;
    up.filename = "a.jpg";
    return wecom_media_upload(&f.client, &up, res);
}

static void test_created_at_as_number(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, "{\"errcode\":0,\"errmsg\":\"ok\",\"type\":\"image\","
                                     "\"media_id\":\"M1\",\"created_at\":1700000001}");
    assert_int_equal(upload_jpeg(&res, &src), WECOM_OK);
    assert_string_equal(res.created_at, "1700000001");
    assert_string_equal(res.type, "image");
    client_fixture_free(&f);
}

static void test_api_error_with_token_scrubbed(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, "{\"errcode\":40014,\"errmsg\":\"invalid access_token "
                                     FIXTURE_TOKEN ", hint: [x]\"}");
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
    assert_int_equal(res.api.errcode, 40014);
    assert_null(strstr(res.api.errmsg, FIXTURE_TOKEN));
    assert_non_null(strstr(res.api.errmsg, "invalid access_token ***, hint"));
    assert_int_equal(res.attempts, 1); /* not retried without a token source */
    client_fixture_free(&f);
}

static void test_busy_is_retried_with_whole_body(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_BYTES);
    add_answer(0, "{\"errcode\":-1,\"errmsg\":\"system busy\"}");
    add_answer(1, "{\"errcode\":45033,\"errmsg\":\"too many\"}");
    add_answer(2, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_OK);
    assert_int_equal(res.attempts, 3);
    assert_int_equal(f.sleeps, 2);
    /* doubling backoff, each drawn from its upper half (jitter) */
    assert_in_range(f.slept_ms, 250 + 500, 500 + 1000);
    /* three complete bodies went out, the file in each */
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "--" FIXTURE_BOUNDARY "--\r\n"), 3);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "JFIF"), 3);
}

/* A stream around the fixture's memory stream that can fail a send (a
 * reset mid-body) or time out waiting for the answer. */
typedef struct {
    wecom_stream_t inner;
    int sends;        /* send calls so far */
    int fail_send_at; /* this send call fails (1-based); 0: none */
    int fail_sends;   /* every send fails */
    int recv_error;   /* every receive fails with this */
    int fail_opens;   /* this many opens fail (a refused connect) */
    int open_error;   /* with this */
} flaky_t;

static flaky_t g_flaky;

static int flaky_send(void *ctx, const unsigned char *buf, size_t len)
{
    g_flaky.sends++;
    if (g_flaky.fail_sends || g_flaky.sends == g_flaky.fail_send_at) {
        /* half of it went out before the reset */
        (void)g_flaky.inner.send(ctx, buf, len / 2);
        return WECOM_ERR_IO;
    }
    return g_flaky.inner.send(ctx, buf, len);
}

static int flaky_recv(void *ctx, unsigned char *buf, size_t len)
{
    if (g_flaky.recv_error != 0)
        return g_flaky.recv_error;
    return g_flaky.inner.recv(ctx, buf, len);
}

static int flaky_open(void *ctx)
{
    if (g_flaky.fail_opens > 0) {
        g_flaky.fail_opens--;
        return g_flaky.open_error;
    }
    return g_flaky.inner.open(ctx);
}

static void flaky_bind(void)
{
    memset(&g_flaky, 0, sizeof g_flaky);
    g_flaky.inner = wecom__client(&f.client)->http.stream;
    wecom__client(&f.client)->http.stream.send = flaky_send;
    wecom__client(&f.client)->http.stream.recv = flaky_recv;
    wecom__client(&f.client)->http.stream.open = flaky_open;
}

/* Complete multipart bodies that reached the server. */
static int bodies_sent(void)
{
    return count_occurrences(f.sent, f.mem.sent_len, "--" FIXTURE_BOUNDARY "--\r\n");
}

static void test_answer_lost_after_whole_body_is_not_resent(void **state)
{
    static const wecom_err_t LOST[] = {
        WECOM_ERR_TIMEOUT, WECOM_ERR_TOO_SLOW, WECOM_ERR_DEADLINE,
        WECOM_ERR_IO, WECOM_ERR_TLS_IO, WECOM_ERR_CLOSED,
    };
    static const char CUT[] = "HTTP/1.1 200 OK\r\nContent-Length: 80\r\n\r\n{\"errcode\":0,";
    wecom_upload_result_t res;
    mem_source_t src;
    size_t i;
    (void)state;
    /* the connection closes once the body is in, before any answer */
    client_fixture_init(&f, MEM_WHOLE);
    mem_stream_add(&f.mem, NULL, 0, 0);
    add_answer(0, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_UPLOAD_UNCONFIRMED);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(f.mem.opens, 1);
    assert_int_equal(bodies_sent(), 1); /* one copy on the server at most */
    assert_int_equal(f.sleeps, 0);
    assert_string_equal(res.media_id, "");

    /* the answer times out, drips, or the link fails while it is awaited */
    for (i = 0; i < sizeof LOST / sizeof LOST[0]; i++) {
        client_fixture_init(&f, MEM_WHOLE);
        flaky_bind();
        g_flaky.recv_error = LOST[i];
        add_answer(0, SUCCESS);
        if (upload_jpeg(&res, &src) != WECOM_ERR_UPLOAD_UNCONFIRMED)
            fail_msg("%s after the body: not reported as unconfirmed",
                     wecom_errname(LOST[i]));
        assert_int_equal(res.attempts, 1);
        assert_int_equal(bodies_sent(), 1);
    }

    /* the answer is cut short */
    client_fixture_init(&f, MEM_WHOLE);
    mem_stream_add(&f.mem, CUT, sizeof CUT - 1, 0);
    add_answer(0, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_UPLOAD_UNCONFIRMED);
    assert_int_equal(bodies_sent(), 1);
    assert_non_null(strstr(wecom_strerror(WECOM_ERR_UPLOAD_UNCONFIRMED), "may have been stored"));
    client_fixture_free(&f);
}

static void test_kept_connection_closed_after_whole_body_is_not_resent(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, SUCCESS);
    mem_stream_add(&f.mem, NULL, 0, 0); /* the kept connection dies unanswered */
    add_answer(1, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_OK);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_UPLOAD_UNCONFIRMED);
    /* the HTTP layer did not send it again on a new connection either */
    assert_int_equal(f.mem.opens, 1);
    assert_int_equal(bodies_sent(), 2);
    assert_int_equal(res.attempts, 1);
    client_fixture_free(&f);
}

static unsigned char g_big[100000];

static void test_reset_mid_body_is_retried_whole(void **state)
{
    wecom_upload_result_t res;
    wecom_upload_t up;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    flaky_bind();
    g_flaky.fail_send_at = 2; /* the second buffer of the first attempt */
    add_answer(0, SUCCESS);
    mem_source_init(&src, g_big, sizeof g_big);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_FILE;
    up.reader = &src.reader;
    up.length = sizeof g_big;
    assert_int_equal(wecom_media_upload(&f.client, &up, &res), WECOM_OK);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(f.mem.opens, 2);
    assert_int_equal(bodies_sent(), 1);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "POST /cgi-bin/media/upload"), 2);
    assert_int_equal(f.sleeps, 1);
    client_fixture_free(&f);
}

static void test_retries_are_bounded(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    flaky_bind();
    g_flaky.fail_sends = 1;
    add_answer(0, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_IO);
    assert_int_equal(res.attempts, WECOM_RETRY_MAX);
    assert_int_equal(f.mem.opens, WECOM_RETRY_MAX);
    assert_int_equal(bodies_sent(), 0);
    client_fixture_free(&f);
}

/* The retry policy (core/retry.c), as upload and gettoken see it. */

typedef struct {
    int refreshes;
    unsigned retries;
    unsigned last_retry;
    wecom_err_t last_rc;
    int64_t last_errcode;
    uint32_t delays[16];
} retry_log_t;

static retry_log_t g_log;

static int refresh_ok(void *ctx, wecom_client_t *c)
{
    (void)ctx;
    g_log.refreshes++;
    return wecom_client_set_token(c, "tok_REFRESHED-0123456789") == WECOM_OK ? 0 : -1;
}

static void log_retry(void *ctx, unsigned retry, wecom_err_t rc,
                      const wecom_api_error_t *api, uint32_t delay_ms)
{
    (void)ctx;
    if (g_log.retries < 16)
        g_log.delays[g_log.retries] = delay_ms;
    g_log.retries++;
    g_log.last_retry = retry;
    g_log.last_rc = rc;
    g_log.last_errcode = api != NULL ? api->errcode : 0;
}

static void retry_fixture(void)
{
    client_fixture_init(&f, MEM_WHOLE);
    memset(&g_log, 0, sizeof g_log);
    wecom_client_on_token_expiry(&f.client, refresh_ok, NULL);
    wecom_client_on_retry(&f.client, log_retry, NULL);
}

static void test_refresh_does_not_use_an_attempt(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    /* -1, then the token lapses, then -1 until the attempts are used up:
     * WECOM_RETRY_MAX attempts plus the one the refresh repeated. */
    retry_fixture();
    add_answer(0, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
    add_answer(1, "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}");
    add_answer(2, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
    add_answer(3, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
    add_answer(4, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
    add_answer(5, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
    add_answer(6, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
    assert_int_equal(res.api.errcode, -1);
    assert_int_equal(res.attempts, WECOM_RETRY_MAX + 1);
    assert_int_equal(bodies_sent(), WECOM_RETRY_MAX + 1);
    assert_int_equal(g_log.refreshes, 1);
    assert_int_equal(f.sleeps, WECOM_RETRY_MAX - 1); /* none for the refresh */
    /* each repetition was reported, the refresh with no delay */
    assert_int_equal(g_log.retries, WECOM_RETRY_MAX);
    assert_int_equal(g_log.delays[1], 0);
    assert_true(g_log.delays[0] > 0 && g_log.delays[2] > 0);
    assert_int_equal(g_log.last_retry, WECOM_RETRY_MAX); /* numbered 1, 2, ... */
    assert_int_equal(g_log.last_rc, WECOM_ERR_API);
    assert_int_equal(g_log.last_errcode, -1);
    /* the new token went out after the refresh */
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "tok_REFRESHED"),
                     WECOM_RETRY_MAX - 1);

    /* a second lapse in the same call is not refreshed again */
    retry_fixture();
    add_answer(0, "{\"errcode\":42001,\"errmsg\":\"expired\"}");
    add_answer(1, "{\"errcode\":40014,\"errmsg\":\"invalid\"}");
    add_answer(2, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
    assert_int_equal(res.api.errcode, 40014);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(g_log.refreshes, 1);
    client_fixture_free(&f);
}

static void test_rate_limit_is_never_retried(void **state)
{
    wecom_upload_result_t res;
    wecom_api_error_t api;
    mem_source_t src;
    (void)state;
    retry_fixture();
    add_answer(0, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}");
    add_answer(1, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
    assert_int_equal(res.api.errcode, 45009);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(f.sleeps, 0);
    assert_int_equal(g_log.retries, 0);

    retry_fixture();
    add_answer(0, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}");
    add_answer(1, "{\"errcode\":0,\"access_token\":\"tok_X\",\"expires_in\":7200}");
    assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", "secret-0123456789", NULL, &api),
                     WECOM_ERR_API);
    assert_int_equal(api.errcode, 45009);
    assert_int_equal(f.mem.opens, 1);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "GET /cgi-bin/gettoken"), 1);
    assert_int_equal(f.sleeps, 0);
    client_fixture_free(&f);
}

static void test_no_retries_sends_one_request(void **state)
{
    wecom_upload_result_t res;
    wecom_api_error_t api;
    mem_source_t src;
    (void)state;
    retry_fixture();
    wecom_client_set_retry(&f.client, 0, 0);
    add_answer(0, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
    add_answer(1, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(bodies_sent(), 1);
    assert_int_equal(f.sleeps, 0);
    assert_int_equal(g_log.retries, 0);

    /* a refused connect, for upload and for gettoken */
    retry_fixture();
    wecom_client_set_retry(&f.client, 0, 0);
    flaky_bind();
    g_flaky.fail_opens = 1;
    g_flaky.open_error = WECOM_ERR_CONNECT;
    add_answer(0, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_CONNECT);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(f.mem.opens, 0);
    g_flaky.fail_opens = 1;
    assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", "secret-0123456789", NULL, &api),
                     WECOM_ERR_CONNECT);
    assert_int_equal(f.sleeps, 0);

    /* the token refresh is not a retry: it still happens once */
    retry_fixture();
    wecom_client_set_retry(&f.client, 0, 0);
    add_answer(0, "{\"errcode\":42001,\"errmsg\":\"expired\"}");
    add_answer(1, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_OK);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(g_log.refreshes, 1);
    client_fixture_free(&f);
}

static void test_gettoken_retries(void **state)
{
    static const char TOKEN_OK[] =
        "{\"errcode\":0,\"access_token\":\"tok_FETCHED-0123\",\"expires_in\":7200}";
    wecom_api_error_t api;
    int64_t expires = 0;
    (void)state;
    /* busy, then the answer */
    retry_fixture();
    add_answer(0, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
    add_answer(1, TOKEN_OK);
    assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", "secret-0123456789", &expires, &api),
                     WECOM_OK);
    assert_int_equal(expires, 7200);
    assert_string_equal(wecom_client_token(&f.client), "tok_FETCHED-0123");
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "GET /cgi-bin/gettoken"), 2);
    assert_int_equal(f.sleeps, 1);
    assert_int_equal(g_log.retries, 1);
    assert_int_equal(g_log.last_errcode, -1);

    /* a refused connect, twice, then the answer */
    retry_fixture();
    flaky_bind();
    g_flaky.fail_opens = 2;
    g_flaky.open_error = WECOM_ERR_CONNECT;
    add_answer(0, TOKEN_OK);
    assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", "secret-0123456789", NULL, &api),
                     WECOM_OK);
    assert_int_equal(f.mem.opens, 1);
    assert_int_equal(f.sleeps, 2);
    assert_int_equal(g_log.last_rc, WECOM_ERR_CONNECT);

    /* a rejected secret is not retried, nor "refreshed" */
    retry_fixture();
    add_answer(0, "{\"errcode\":40001,\"errmsg\":\"invalid credential\"}");
    add_answer(1, TOKEN_OK);
    assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", "secret-0123456789", NULL, &api),
                     WECOM_ERR_API);
    assert_int_equal(api.errcode, 40001);
    assert_int_equal(f.mem.opens, 1);
    assert_int_equal(f.sleeps, 0);
    client_fixture_free(&f);
}

static unsigned char g_entropy_byte;

static int fixed_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    memset(buf, g_entropy_byte, len);
    return 0;
}

static int failing_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return -1;
}

static void test_jitter_stays_within_bounds(void **state)
{
    static const unsigned char BYTES[] = { 0x00, 0x01, 0x7f, 0x80, 0xa5, 0xfe, 0xff };
    wecom__client_t *c;
    size_t i;
    unsigned n;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    c = wecom__client(&f.client);
    f.port.entropy = fixed_entropy;
    for (i = 0; i < sizeof BYTES; i++) {
        g_entropy_byte = BYTES[i];
        for (n = 1; n <= 20; n++) {
            uint64_t full = WECOM_RETRY_BACKOFF_MS;
            uint32_t d = wecom__retry_delay(c, n);
            unsigned k;
            for (k = 1; k < n && full < 60000; k++)
                full *= 2;
            if (full > 60000)
                full = 60000;
            if (d < full / 2 || d > full)
                fail_msg("retry %u: %lu ms outside [%lu, %lu]", n, (unsigned long)d,
                         (unsigned long)(full / 2), (unsigned long)full);
        }
    }
    /* different entropy, different delays: the jitter is real */
    g_entropy_byte = 0x00;
    n = wecom__retry_delay(c, 3);
    g_entropy_byte = 0xa5;
    assert_int_not_equal(n, wecom__retry_delay(c, 3));
    /* without entropy: the full backoff, never a shorter one */
    f.port.entropy = failing_entropy;
    assert_int_equal(wecom__retry_delay(c, 1), WECOM_RETRY_BACKOFF_MS);
    client_fixture_free(&f);
}

static void test_media_id_is_checked(void **state)
{
    static const char *const BAD[] = {
        "\"\"",                     /* empty */
        "\"abc def\"",              /* a space */
        "\"abc\\\"def\"",           /* a quote */
        "\"abc\\u001b[2Jdef\"",     /* ESC: would clear the terminal */
        "\"abc\\u0007\"",           /* BEL */
        "\"abc\\rdef\"",            /* CR: would overwrite the line */
        "\"abc\\ndef\"",            /* LF: a forged second id */
        "\"abc\\u0000def\"",        /* NUL: would cut the id short */
        "\"abc\\u007f\"",           /* DEL */
        "\"abc/def\"",              /* a path */
        "\"abc%0Adef\"",            /* URL syntax */
        "\"\\u00e9t\\u00e9\"",      /* not URL-safe */
        "\"\xc3\xa9t\xc3\xa9\"",    /* the same, raw UTF-8 */
    };
    char json[600], long_id[WECOM_MEDIA_ID_MAX + 1];
    wecom_upload_result_t res;
    mem_source_t src;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        client_fixture_init(&f, MEM_WHOLE);
        snprintf(json, sizeof json, "{\"errcode\":0,\"errmsg\":\"ok\",\"type\":\"image\","
                 "\"media_id\":%s,\"created_at\":\"1380000000\"}", BAD[i]);
        add_answer(0, json);
        add_answer(1, SUCCESS);
        if (upload_jpeg(&res, &src) != WECOM_ERR_MEDIA_ID)
            fail_msg("media_id %s accepted", BAD[i]);
        assert_string_equal(res.media_id, ""); /* nothing raw handed on */
        assert_int_equal(res.attempts, 1);     /* and not uploaded again */
        assert_int_equal(bodies_sent(), 1);
    }
    /* one byte too long for the result, then the longest that fits */
    for (i = 0; i < 2; i++) {
        size_t n = WECOM_MEDIA_ID_MAX - i;
        memset(long_id, 'A', n);
        long_id[n] = '\0';
        client_fixture_init(&f, MEM_WHOLE);
        snprintf(json, sizeof json, "{\"errcode\":0,\"media_id\":\"%s\"}", long_id);
        add_answer(0, json);
        assert_int_equal(upload_jpeg(&res, &src), i == 0 ? WECOM_ERR_MEDIA_ID : WECOM_OK);
        assert_string_equal(res.media_id, i == 0 ? "" : long_id);
    }
    /* every character WeCom's ids use */
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, "{\"errcode\":0,\"media_id\":\"3aZ09-_.~@x\"}");
    assert_int_equal(upload_jpeg(&res, &src), WECOM_OK);
    assert_string_equal(res.media_id, "3aZ09-_.~@x");
    /* absent or not a string: a field error, as before */
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, "{\"errcode\":0,\"media_id\":12}");
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_JSON_FIELD);
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, "{\"errcode\":0,\"type\":\"image\"}");
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_JSON_FIELD);
    client_fixture_free(&f);
}

/* No run of 4 or more of the token's characters, in order, shows. */
static void assert_no_token_piece(const char *msg, const char *token)
{
    size_t tl = strlen(token), k;
    char piece[8];
    for (k = 0; k + 4 <= tl; k++) {
        memcpy(piece, token + k, 4);
        piece[4] = '\0';
        if (strstr(msg, piece) != NULL)
            fail_msg("'%s' of the token in errmsg '%s'", piece, msg);
    }
}

static void test_token_scrubbed_before_errmsg_is_cut(void **state)
{
    char json[1200], msg[1000];
    size_t lead;
    (void)state;
    /* the token at every place across the cut edge of errmsg */
    for (lead = WECOM_ERRMSG_MAX - 30; lead < WECOM_ERRMSG_MAX + 2; lead++) {
        wecom_upload_result_t res;
        mem_source_t src;
        memset(msg, 'm', lead);
        snprintf(msg + lead, sizeof msg - lead, "%s and %s again, hint: [x]",
                 FIXTURE_TOKEN, FIXTURE_TOKEN);
        snprintf(json, sizeof json, "{\"errcode\":40001,\"errmsg\":\"%s\"}", msg);
        client_fixture_init(&f, MEM_WHOLE);
        add_answer(0, json);
        assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
        assert_no_token_piece(res.api.errmsg, FIXTURE_TOKEN);
        /* scrubbed, then cut: what follows the token still shows */
        assert_true(strlen(res.api.errmsg) == WECOM_ERRMSG_MAX - 1 ||
                    strstr(res.api.errmsg, "hint") != NULL);
        if (lead + 3 < WECOM_ERRMSG_MAX)
            assert_non_null(strstr(res.api.errmsg, "***"));
    }
    client_fixture_free(&f);
}

static void test_gettoken_error_hides_the_secret(void **state)
{
    static const char SECRET[] = "SECRET-abcdefghijklmnopqrstuvwxyz0123456789";
    char json[1200], msg[1000];
    size_t lead;
    (void)state;
    for (lead = WECOM_ERRMSG_MAX - 45; lead < WECOM_ERRMSG_MAX + 2; lead += 3) {
        wecom_api_error_t api;
        memset(msg, 'm', lead);
        snprintf(msg + lead, sizeof msg - lead, "invalid corpsecret %s, hint: [x]", SECRET);
        snprintf(json, sizeof json, "{\"errcode\":40001,\"errmsg\":\"%s\"}", msg);
        client_fixture_init(&f, MEM_WHOLE);
        add_answer(0, json);
        assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", SECRET, NULL, &api),
                         WECOM_ERR_API);
        assert_int_equal(api.errcode, 40001);
        assert_no_token_piece(api.errmsg, SECRET);
        /* the secret went out (in the query), and is in no buffer now */
        assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, SECRET), 1);
        assert_int_equal(count_occurrences((const unsigned char *)&f.client,
                                           sizeof f.client, SECRET), 0);
    }
    client_fixture_free(&f);
}

static void test_client_free_leaves_no_token(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    /* an answer that echoes it, so the JSON buffer holds it too */
    add_answer(0, "{\"errcode\":0,\"media_id\":\"M1\",\"note\":\"" FIXTURE_TOKEN "\"}");
    assert_int_equal(upload_jpeg(&res, &src), WECOM_OK);
    assert_true(count_occurrences((const unsigned char *)&f.client, sizeof f.client,
                                  FIXTURE_TOKEN) >= 2); /* token, target, head... */
    wecom_client_free(&f.client);
    assert_int_equal(count_occurrences((const unsigned char *)&f.client, sizeof f.client,
                                       FIXTURE_TOKEN), 0);
    /* nor any long piece of it */
    assert_int_equal(count_occurrences((const unsigned char *)&f.client, sizeof f.client,
                                       "FIXTURE-0123"), 0);
}

static int refresh_calls;

static int refresh(void *ctx, wecom_client_t *c)
{
    (void)ctx;
    refresh_calls++;
    return wecom_client_set_token(c, "tok_NEW-after-refresh");
}

static void test_expired_token_is_refreshed_once(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    wecom_client_on_token_expiry(&f.client, refresh, NULL);
    refresh_calls = 0;
    add_answer(0, "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}");
    add_answer(1, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_OK);
    assert_int_equal(refresh_calls, 1);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "access_token=" FIXTURE_TOKEN "&"), 1);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "access_token=tok_NEW-after-refresh&"), 1);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "--" FIXTURE_BOUNDARY "--\r\n"), 2);
    assert_int_equal(f.sleeps, 0);

    /* a second refusal in the same call is final */
    client_fixture_init(&f, MEM_WHOLE);
    wecom_client_on_token_expiry(&f.client, refresh, NULL);
    refresh_calls = 0;
    add_answer(0, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}");
    add_answer(1, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}");
    add_answer(2, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
    assert_int_equal(res.api.errcode, 40014);
    assert_int_equal(refresh_calls, 1);
    assert_int_equal(res.attempts, 2);
    client_fixture_free(&f);
}

static void test_rate_limit_fails_fast(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}");
    add_answer(1, SUCCESS);
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_API);
    assert_int_equal(res.api.errcode, 45009);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(f.sleeps, 0);
    client_fixture_free(&f);
}

static void test_pipe_is_not_retried(void **state)
{
    wecom_upload_result_t res;
    wecom_upload_t up;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    flaky_bind();
    g_flaky.fail_send_at = 1; /* a reset before the body is in */
    add_answer(0, SUCCESS);
    mem_source_init(&src, JPEG, sizeof JPEG);
    src.reader.once = 1;
    memset(&up, 0, sizeof up);
    up.reader = &src.reader;
    up.length = sizeof JPEG;
    assert_int_equal(wecom_media_upload(&f.client, &up, &res), WECOM_ERR_IO);
    assert_int_equal(res.attempts, 1);
    /* its content could not be looked at: it went as a file */
    assert_int_equal(res.check.kind, WECOM_KIND_FILE);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "POST "), 1);
    client_fixture_free(&f);
}

typedef struct {
    uint64_t last, total;
    int calls, cancel_at;
} progress_t;

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_t *p = ctx;
    assert_true(done >= p->last);
    p->last = done;
    p->total = total;
    return ++p->calls == p->cancel_at;
}

static void test_progress_in_file_bytes(void **state)
{
    static unsigned char big[100000];
    wecom_upload_result_t res;
    wecom_upload_t up;
    mem_source_t src;
    progress_t p = { 0, 0, 0, 0 };
    (void)state;
    big[0] = 'x';
    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, SUCCESS);
    mem_source_init(&src, big, sizeof big);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_FILE;
    up.reader = &src.reader;
    up.length = sizeof big;
    up.progress = on_progress;
    up.progress_ctx = &p;
    assert_int_equal(wecom_media_upload(&f.client, &up, &res), WECOM_OK);
    assert_int_equal(p.last, sizeof big);
    assert_int_equal(p.total, sizeof big);
    assert_true(p.calls >= 6); /* 100 kB through a 16 kB buffer */

    client_fixture_init(&f, MEM_WHOLE);
    add_answer(0, SUCCESS);
    memset(&p, 0, sizeof p);
    p.cancel_at = 2;
    assert_int_equal(wecom_media_upload(&f.client, &up, &res), WECOM_ERR_CANCELLED);
    assert_int_equal(res.attempts, 1);
    client_fixture_free(&f);
}

static void test_refusals_send_nothing(void **state)
{
    static unsigned char big[2097153];
    static const unsigned char AMR_WB[] = "#!AMR-WB\n\x04\x00\x00";
    static const unsigned char TINY[] = { 0xFF, 0xD8, 0xFF, 0, 0 };
    static unsigned char long_amr[6 + 3001];
    struct {
        wecom_kind_t kind;
        const unsigned char *data;
        size_t len;
        wecom_err_t err;
        const char *says;
    } cases[] = {
        { WECOM_KIND_IMAGE, TINY, sizeof TINY, WECOM_ERR_MEDIA_TOO_SMALL, "5" },
        { WECOM_KIND_IMAGE, big, sizeof big, WECOM_ERR_MEDIA_TOO_LARGE, "2097153 bytes is over the limit of 2097152" },
        { WECOM_KIND_VIDEO, JPEG, sizeof JPEG, WECOM_ERR_MEDIA_FORMAT, "MP4" },
        { WECOM_KIND_VOICE, AMR_WB, sizeof AMR_WB - 1, WECOM_ERR_MEDIA_AMR_WB, "AMR-WB" },
        { WECOM_KIND_VOICE, long_amr, sizeof long_amr, WECOM_ERR_MEDIA_VOICE_TOO_LONG, "60020 ms is over the limit of 60000 ms" },
    };
    size_t i;
    (void)state;
    memcpy(big, JPEG, sizeof JPEG);
    memcpy(long_amr, "#!AMR\n", 6);
    memset(long_amr + 6, 0x7C, 3001); /* NO_DATA frames, 20 ms each */
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wecom_upload_result_t res;
        wecom_upload_t up;
        mem_source_t src;
        char why[200];
        wecom_err_t rc;
        client_fixture_init(&f, MEM_WHOLE);
        add_answer(0, SUCCESS);
        mem_source_init(&src, cases[i].data, cases[i].len);
        memset(&up, 0, sizeof up);
        up.kind = cases[i].kind;
        up.reader = &src.reader;
        up.length = cases[i].len;
        rc = wecom_media_upload(&f.client, &up, &res);
        if (rc != cases[i].err)
            fail_msg("case %zu: %s", i, wecom_errname(rc));
        assert_int_equal(f.mem.opens, 0);
        assert_int_equal(f.mem.sent_len, 0);
        wecom_check_describe(rc, &res.check, why, sizeof why);
        if (strstr(why, cases[i].says) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, why, cases[i].says);
        /* the same file goes out when the checks are switched off */
        up.no_check = 1;
        assert_int_equal(wecom_media_upload(&f.client, &up, &res), WECOM_OK);
        assert_int_equal(f.mem.opens, 1);
        client_fixture_free(&f);
    }
}

static void test_no_token_is_an_error(void **state)
{
    wecom_upload_result_t res;
    mem_source_t src;
    (void)state;
    client_fixture_init(&f, MEM_WHOLE);
    wecom__client(&f.client)->token[0] = '\0';
    assert_int_equal(upload_jpeg(&res, &src), WECOM_ERR_INVALID_ARG);
    assert_int_equal(f.mem.sent_len, 0);
    assert_int_equal(wecom_client_set_token(&f.client, "a&b=c"), WECOM_ERR_INVALID_ARG);
    client_fixture_free(&f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_bodies),
        cmocka_unit_test(test_created_at_as_number),
        cmocka_unit_test(test_api_error_with_token_scrubbed),
        cmocka_unit_test(test_busy_is_retried_with_whole_body),
        cmocka_unit_test(test_answer_lost_after_whole_body_is_not_resent),
        cmocka_unit_test(test_kept_connection_closed_after_whole_body_is_not_resent),
        cmocka_unit_test(test_reset_mid_body_is_retried_whole),
        cmocka_unit_test(test_retries_are_bounded),
        cmocka_unit_test(test_expired_token_is_refreshed_once),
        cmocka_unit_test(test_rate_limit_fails_fast),
        cmocka_unit_test(test_pipe_is_not_retried),
        cmocka_unit_test(test_progress_in_file_bytes),
        cmocka_unit_test(test_refusals_send_nothing),
        cmocka_unit_test(test_no_token_is_an_error),
        cmocka_unit_test(test_media_id_is_checked),
        cmocka_unit_test(test_refresh_does_not_use_an_attempt),
        cmocka_unit_test(test_rate_limit_is_never_retried),
        cmocka_unit_test(test_no_retries_sends_one_request),
        cmocka_unit_test(test_gettoken_retries),
        cmocka_unit_test(test_jitter_stays_within_bounds),
        cmocka_unit_test(test_token_scrubbed_before_errmsg_is_cut),
        cmocka_unit_test(test_gettoken_error_hides_the_secret),
        cmocka_unit_test(test_client_free_leaves_no_token),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    g_case_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
