/* SPDX-License-Identifier: MIT */
/*
 * A call into a client from inside one of its own callbacks (the request
 * log, the retry hook, progress, a reader, a writer, the token provider,
 * the refresh hook) is refused with WECOM_ERR_BUSY, or ignored by a
 * function that returns nothing, and the outer call still completes as
 * if nothing had happened: one request on the wire, the right result.
 * The token hooks may still set and fetch the token (their job), and any
 * callback may read the client and cancel it. Over the in-memory stream
 * of the client fixture.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client_fixture.h"

static client_fixture_t f;
static mem_sink_t sink;
static char g_wire[8][512];
static int g_nwire;

static const char SUCCESS[] =
    "{\"errcode\":0,\"errmsg\":\"ok\",\"type\":\"file\",\"media_id\":"
    "\"MEDIA_OUTER-1\",\"created_at\":\"1380000000\"}";
static const char BUSY[] = "{\"errcode\":-1,\"errmsg\":\"system busy\"}";
static const char EXPIRED[] = "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}";
static const char FILE_DATA[] = "FILE-BODY-MARKER-0123456789";

/* What the callbacks saw: how many ran the nested calls, and whether the
 * token hook's own calls went through. */
static struct {
    int nested;       /* times refused_inside() ran */
    int hook_set;     /* the token hook's set_token results, all WECOM_OK */
    int hook_fetch;   /* its wecom_token_fetch: WECOM_OK */
    int fetch_logged; /* the request log inside that fetch ran */
    int only_once;    /* run the nested calls the first time only */
    int depth;        /* refused_inside() running: a nested call that was
                         let through came back to its callback */
} g, g_seen;

static void add_json(const char *json)
{
    char *w = g_wire[g_nwire++];
    snprintf(w, sizeof g_wire[0],
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(json), json);
    mem_stream_add(&f.mem, w, strlen(w), 0);
}

#if WECOM_DOWNLOAD
static const char MEDIUM[] = "0123456789abcdefghij";

static void add_medium(void)
{
    char *w = g_wire[g_nwire++];
    snprintf(w, sizeof g_wire[0],
             "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
             "Content-Disposition: attachment; filename=\"a.jpg\"\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(MEDIUM), MEDIUM);
    mem_stream_add(&f.mem, w, strlen(w), 0);
}
#endif

static int sent(const char *needle)
{
    return count_occurrences(f.sent, f.mem.sent_len, needle);
}

static void setup(void)
{
    client_fixture_init(&f, MEM_WHOLE);
    mem_sink_init(&sink);
    g_nwire = 0;
    memset(&g, 0, sizeof g);
}

/* ---------------------------------------------------- the nested calls */

static int quiet_read(void *ctx, uint64_t off, unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    (void)len;
    return 0;
}

static int quiet_write(void *ctx, const unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

static wecom_err_t quiet_provider(void *ctx, wecom_client_t *c, wecom_token_reason_t r)
{
    (void)ctx;
    (void)c;
    (void)r;
    return WECOM_OK;
}

static int quiet_refresh(void *ctx, wecom_client_t *c)
{
    (void)ctx;
    (void)c;
    return 0;
}

static void quiet_log(void *ctx, const char *host, uint16_t port, const char *target)
{
    (void)ctx;
    (void)host;
    (void)port;
    (void)target;
}

static void quiet_retry(void *ctx, unsigned n, wecom_err_t rc,
                        const wecom_api_error_t *api, uint32_t delay)
{
    (void)ctx;
    (void)n;
    (void)rc;
    (void)api;
    (void)delay;
}

/* Every call that would change the client or reuse its buffers, from
 * inside one of its callbacks: refused, and nothing changed. in_hook: the
 * token provider or refresh hook, which may set and fetch the token. */
static void refused_inside(wecom_client_t *c, int in_hook)
{
    const wecom__client_t *in = wecom__client(c);
    wecom__client_t before;
    wecom_reader_t r = {quiet_read, NULL, 0};
    wecom_writer_t w = {quiet_write, NULL};
    wecom_upload_t up;
    wecom_upload_result_t ures;
    wecom_client_config_t cfg;
    unsigned char buf[64];
    size_t len = 1;
#if WECOM_DOWNLOAD
    wecom_download_t dl;
    wecom_download_result_t dres;
#endif

    if (g.only_once && g.nested > 0)
        return;
    assert_int_equal(g.depth, 0);
    g.depth++;
    memcpy(&before, in, sizeof before);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_FILE;
    up.no_check = 1;
    up.reader = &r;
    up.length = 1;
    assert_int_equal(wecom_media_upload(c, &up, &ures), WECOM_ERR_BUSY);
#if WECOM_DOWNLOAD
    memset(&dl, 0, sizeof dl);
    dl.media_id = "NESTED";
    dl.writer = &w;
    assert_int_equal(wecom_media_download(c, &dl, &dres), WECOM_ERR_BUSY);
#else
    (void)w;
#endif
    assert_int_equal(wecom_client_token_ensure(c), WECOM_ERR_BUSY);
    if (!in_hook) {
        assert_int_equal(wecom_client_set_token(c, "tok_NESTED-0123456789"),
                         WECOM_ERR_BUSY);
        assert_int_equal(wecom_client_set_token_ttl(c, "tok_NESTED-0123456789", 60),
                         WECOM_ERR_BUSY);
#if WECOM_TOKEN_FETCH
        assert_int_equal(wecom_token_fetch(c, "corp", "secret-0123456789", NULL, NULL),
                         WECOM_ERR_BUSY);
#endif
    }
    assert_int_equal(wecom_client_set_rate_limit(c, 1000), WECOM_ERR_BUSY);
#if WECOM_SESSION_SAVE
    assert_int_equal(wecom_client_session_save(c, buf, sizeof buf, &len), WECOM_ERR_BUSY);
    assert_int_equal(len, 0);
    assert_int_equal(wecom_client_session_load(c, buf, sizeof buf), WECOM_ERR_BUSY);
#else
    (void)buf;
    (void)len;
#endif
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = "https://nested.example";
    cfg.port = &f.port;
    assert_int_equal(wecom_client_init(c, &cfg), WECOM_ERR_BUSY);
    /* Those that return nothing do nothing. */
    wecom_client_free(c);
    wecom_client_set_deadline(c, 12345);
    wecom_client_set_retry(c, 0, 1);
    wecom_client_on_request(c, quiet_log, NULL);
    wecom_client_on_retry(c, quiet_retry, NULL);
    wecom_client_set_token_provider(c, quiet_provider, NULL);
    wecom_client_on_token_expiry(c, quiet_refresh, NULL);
    wecom_client_cancel_clear(c);
    assert_int_equal(in->magic, before.magic);
    assert_ptr_equal(in->port, before.port);
    assert_true(in->deadline_ms == before.deadline_ms);
    assert_int_equal(in->retry_max, before.retry_max);
    assert_int_equal(in->retry_max_ms, before.retry_max_ms);
    assert_true(in->request_log == before.request_log);
    assert_true(in->on_retry == before.on_retry);
    assert_true(in->provider == before.provider);
    assert_true(in->refresh == before.refresh);
    assert_string_equal(in->host, before.host);
    assert_string_equal(in->target, before.target);
    assert_memory_equal(in->io, before.io, sizeof in->io);
    /* Reading is fine. */
    assert_string_equal(wecom_client_token(c), before.token);
    assert_int_equal(wecom_client_connections(c), before.http.connects);
    (void)wecom_client_token_ttl(c);
    (void)wecom_client_handshakes(c);
    (void)wecom_client_resumptions(c);
    (void)wecom_client_proxy_status(c);
    g.nested++;
    g.depth--;
}

/* ------------------------------------------------------ the callbacks */

static void log_cb(void *ctx, const char *host, uint16_t port, const char *target)
{
    (void)host;
    (void)port;
    (void)target;
    refused_inside(ctx, 0);
}

static void retry_cb(void *ctx, unsigned n, wecom_err_t rc, const wecom_api_error_t *api,
                     uint32_t delay)
{
    (void)n;
    (void)rc;
    (void)api;
    (void)delay;
    refused_inside(ctx, 0);
}

static int progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    (void)done;
    (void)total;
    refused_inside(ctx, 0);
    return 0;
}

static mem_source_t g_src;

static int reader_cb(void *ctx, uint64_t off, unsigned char *buf, size_t len)
{
    refused_inside(ctx, 0);
    return g_src.reader.read_at(g_src.reader.ctx, off, buf, len);
}

#if WECOM_DOWNLOAD
static int writer_cb(void *ctx, const unsigned char *buf, size_t len)
{
    refused_inside(ctx, 0);
    return sink.writer.write(sink.writer.ctx, buf, len);
}
#endif

/* The token hooks set a token, and are refused the rest. */
static void in_token_hook(wecom_client_t *c, const char *token)
{
    refused_inside(c, 1);
    assert_int_equal(wecom_client_set_token_ttl(c, token, 7200), WECOM_OK);
    g.hook_set++;
}

static wecom_err_t provider_cb(void *ctx, wecom_client_t *c, wecom_token_reason_t why)
{
    (void)ctx;
    (void)why;
    in_token_hook(c, "tok_PROVIDED-0123456789");
    return WECOM_OK;
}

static int refresh_cb(void *ctx, wecom_client_t *c)
{
    (void)ctx;
    in_token_hook(c, "tok_REFRESHED-0123456789");
    return 0;
}

/* ---------------------------------------------------- the outer calls */

static wecom_err_t upload_with(const wecom_reader_t *reader, wecom_progress_fn progress,
                               wecom_upload_result_t *res)
{
    wecom_upload_t up;
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_FILE;
    up.no_check = 1;
    up.reader = reader;
    up.length = sizeof FILE_DATA - 1;
    up.filename = "a.bin";
    up.progress = progress;
    up.progress_ctx = &f.client;
    return wecom_media_upload(&f.client, &up, res);
}

/* The outer upload went out once, with its whole file, and got its id. */
static void upload_completes(const wecom_reader_t *reader, wecom_progress_fn progress,
                             int requests)
{
    wecom_upload_result_t res;
    mem_source_init(&g_src, FILE_DATA, sizeof FILE_DATA - 1);
    assert_int_equal(upload_with(reader != NULL ? reader : &g_src.reader, progress, &res),
                     WECOM_OK);
    assert_string_equal(res.media_id, "MEDIA_OUTER-1");
    assert_int_equal(sent("POST "), requests);
    assert_int_equal(sent(FILE_DATA), requests);
    assert_int_equal(sent("NESTED"), 0);
    assert_true(g.nested > 0);
    g_seen = g;
    /* and the client is whole afterwards: a second call works (its
     * callbacks, still installed, skip the nested calls) */
    add_json(SUCCESS);
    g.only_once = 1;
    assert_int_equal(upload_with(&g_src.reader, NULL, &res), WECOM_OK);
    assert_string_equal(res.media_id, "MEDIA_OUTER-1");
    assert_int_equal(sent("POST "), requests + 1);
    client_fixture_free(&f);
}

static void test_request_log(void **state)
{
    (void)state;
    setup();
    wecom_client_on_request(&f.client, log_cb, &f.client);
    add_json(SUCCESS);
    upload_completes(NULL, NULL, 1);
}

static void test_retry_hook(void **state)
{
    (void)state;
    setup();
    wecom_client_on_retry(&f.client, retry_cb, &f.client);
    add_json(BUSY);
    add_json(SUCCESS);
    upload_completes(NULL, NULL, 2);
    assert_int_equal(f.sleeps, 1);
}

static void test_upload_progress(void **state)
{
    (void)state;
    setup();
    add_json(SUCCESS);
    upload_completes(NULL, progress_cb, 1);
}

static void test_upload_reader(void **state)
{
    wecom_reader_t r;
    (void)state;
    setup();
    r.read_at = reader_cb;
    r.ctx = &f.client;
    r.once = 0;
    add_json(SUCCESS);
    upload_completes(&r, NULL, 1);
}

static void test_token_provider(void **state)
{
    (void)state;
    setup();
    wecom__client(&f.client)->token[0] = '\0';
    wecom_client_set_token_provider(&f.client, provider_cb, NULL);
    add_json(SUCCESS);
    upload_completes(NULL, NULL, 1);
    assert_int_equal(g_seen.hook_set, 1);
    assert_int_equal(sent("access_token=tok_PROVIDED-0123456789&"), 2);
}

static void test_refresh_hook(void **state)
{
    (void)state;
    setup();
    wecom_client_on_token_expiry(&f.client, refresh_cb, NULL);
    add_json(EXPIRED);
    add_json(SUCCESS);
    upload_completes(NULL, NULL, 2);
    assert_int_equal(g_seen.hook_set, 1);
    assert_int_equal(sent("access_token=" FIXTURE_TOKEN "&"), 1);
    assert_int_equal(sent("access_token=tok_REFRESHED-0123456789&"), 2);
}

#if WECOM_DOWNLOAD
static void download_completes(wecom_progress_fn progress)
{
    wecom_download_t dl;
    wecom_download_result_t res;
    wecom_writer_t w;
    w.write = writer_cb;
    w.ctx = &f.client;
    memset(&dl, 0, sizeof dl);
    dl.media_id = "MEDIA_OUTER-1";
    dl.writer = progress != NULL ? &sink.writer : &w;
    dl.progress = progress;
    dl.progress_ctx = &f.client;
    add_medium();
    assert_int_equal(wecom_media_download(&f.client, &dl, &res), WECOM_OK);
    assert_int_equal(sink.len, strlen(MEDIUM));
    assert_memory_equal(sink.data, MEDIUM, strlen(MEDIUM));
    assert_int_equal(res.total, strlen(MEDIUM));
    assert_int_equal(sent("GET "), 1);
    assert_int_equal(sent("NESTED"), 0);
    assert_true(g.nested > 0);
    client_fixture_free(&f);
}

static void test_download_writer(void **state)
{
    (void)state;
    setup();
    download_completes(NULL);
}

static void test_download_progress(void **state)
{
    (void)state;
    setup();
    download_completes(progress_cb);
}
#endif

#if WECOM_TOKEN_FETCH
static const char GETTOKEN[] =
    "{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"tok_FETCHED-0123456789\","
    "\"expires_in\":7200}";

/* The provider fetches a token (allowed); the request log inside that
 * fetch is a callback of a call again: refused. */
static void fetch_log_cb(void *ctx, const char *host, uint16_t port, const char *target)
{
    wecom_client_t *c = ctx;
    (void)host;
    (void)port;
    if (strstr(target, "gettoken") == NULL)
        return;
    g.fetch_logged++;
    assert_int_equal(wecom_client_set_token(c, "tok_NESTED-0123456789"), WECOM_ERR_BUSY);
    assert_int_equal(wecom_token_fetch(c, "corp", "secret-0123456789", NULL, NULL),
                     WECOM_ERR_BUSY);
}

static wecom_err_t fetching_provider(void *ctx, wecom_client_t *c, wecom_token_reason_t why)
{
    (void)ctx;
    (void)why;
    refused_inside(c, 1);
    g.hook_fetch = wecom_token_fetch(c, "corp", "secret-0123456789", NULL, NULL) == WECOM_OK;
    return WECOM_OK;
}

static void test_token_fetch_in_provider(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup();
    wecom__client(&f.client)->token[0] = '\0';
    wecom_client_set_token_provider(&f.client, fetching_provider, NULL);
    wecom_client_on_request(&f.client, fetch_log_cb, &f.client);
    add_json(GETTOKEN);
    add_json(SUCCESS);
    mem_source_init(&g_src, FILE_DATA, sizeof FILE_DATA - 1);
    assert_int_equal(upload_with(&g_src.reader, NULL, &res), WECOM_OK);
    assert_string_equal(res.media_id, "MEDIA_OUTER-1");
    assert_int_equal(g.hook_fetch, 1);
    assert_int_equal(g.fetch_logged, 1);
    assert_true(g.nested > 0);
    assert_int_equal(sent("GET "), 1);
    assert_int_equal(sent("access_token=tok_FETCHED-0123456789&"), 1);
    assert_string_equal(wecom_client_token(&f.client), "tok_FETCHED-0123456789");
    client_fixture_free(&f);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_log),
        cmocka_unit_test(test_retry_hook),
        cmocka_unit_test(test_upload_progress),
        cmocka_unit_test(test_upload_reader),
        cmocka_unit_test(test_token_provider),
        cmocka_unit_test(test_refresh_hook),
#if WECOM_DOWNLOAD
        cmocka_unit_test(test_download_writer),
        cmocka_unit_test(test_download_progress),
#endif
#if WECOM_TOKEN_FETCH
        cmocka_unit_test(test_token_fetch_in_provider),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
