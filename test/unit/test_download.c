/*
 * Download over an in-memory stream: each response shape, what is asked
 * for on the wire, and what reaches the writer. The medium is the 100
 * bytes "0123456789" ten times.
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
static char medium[101];
static char wire[32][1024];
static int nwire;

#define MEDIA_HEADERS                                                 \
    "Content-Type: image/jpeg\r\n"                                    \
    "Content-Disposition: attachment; filename*=utf-8''photo%E5%9B%BE.jpg; " \
    "filename=\"photo图.jpg\"\r\nETag: \"v1\"\r\n"

/* Queue a response: head (status line and headers, CRLF-terminated
 * lines) and body bytes [from, to) of the medium, with Content-Length. */
static void add_media(const char *head, int from, int to)
{
    char *w = wire[nwire++];
    int n = snprintf(w, sizeof wire[0], "%sContent-Length: %d\r\n\r\n%.*s", head,
                     to - from, to - from, medium + from);
    mem_stream_add(&f.mem, w, (size_t)n, 0);
}

static void add_raw(const char *text)
{
    char *w = wire[nwire++];
    snprintf(w, sizeof wire[0], "%s", text);
    mem_stream_add(&f.mem, w, strlen(w), 0);
}

/* A response whose body is cut after `sent` of its bytes (the link died). */
static void add_cut(const char *head, int from, int to, int sent)
{
    char *w = wire[nwire++];
    int n = snprintf(w, sizeof wire[0], "%sContent-Length: %d\r\n\r\n%.*s", head,
                     to - from, sent, medium + from);
    mem_stream_add(&f.mem, w, (size_t)n, 1);
}

static void add_206(int first, int last_incl, int total, const char *extra)
{
    char head[512];
    snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\n%s"
             "Content-Range: bytes %d-%d/%d\r\n%s", MEDIA_HEADERS, first, last_incl,
             total, extra);
    add_media(head, first, last_incl + 1);
}

static void setup(enum mem_split split)
{
    int i;
    for (i = 0; i < 100; i++)
        medium[i] = (char)('0' + i % 10);
    client_fixture_init(&f, split);
    mem_sink_init(&sink);
    nwire = 0;
}

static wecom_err_t get(uint64_t offset, uint64_t chunk, uint64_t known_total,
                       const char *if_range, wecom_download_result_t *res)
{
    wecom_download_t dl;
    memset(&dl, 0, sizeof dl);
    dl.media_id = "MEDIA/ID+1";
    dl.writer = &sink.writer;
    dl.offset = offset;
    dl.chunk = chunk;
    dl.known_total = known_total;
    dl.if_range = if_range;
    return wecom_media_download(&f.client, &dl, res);
}

static int sent_has(const char *s)
{
    return count_occurrences(f.sent, f.mem.sent_len, s);
}

static void test_whole_medium(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_BYTES);
    add_media("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS "Last-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\n", 0, 100);
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 100);
    assert_memory_equal(sink.data, medium, 100);
    assert_int_equal(res.total, 100);
    assert_int_equal(res.written, 100);
    assert_string_equal(res.content_type, "image/jpeg");
    assert_string_equal(res.filename, "photo图.jpg");
    assert_string_equal(res.etag, "\"v1\"");
    assert_string_equal(res.last_modified, "Mon, 23 Nov 2026 10:00:00 GMT");
    /* the media_id is escaped in the query; no Range for a whole fetch */
    assert_int_equal(sent_has("GET /cgi-bin/media/get?access_token=" FIXTURE_TOKEN
                              "&media_id=MEDIA%2FID%2B1 HTTP/1.1\r\n"), 1);
    assert_int_equal(sent_has("Range:"), 0);
}

static void test_json_error_writes_nothing(void **state)
{
    static const char *const forms[] = {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
        "Content-Length: 45\r\n\r\n{\"errcode\":40007,\"errmsg\":\"invalid media_id\"}",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        "Content-Length: 45\r\n\r\n{\"errcode\":40007,\"errmsg\":\"invalid media_id\"}",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "a\r\n{\"errcode\"\r\n23\r\n:40007,\"errmsg\":\"invalid media_id\"}\r\n0\r\n\r\n",
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
        "Content-Length: 45\r\n\r\n{\"errcode\":40007,\"errmsg\":\"invalid media_id\"}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        wecom_download_result_t res;
        setup(MEM_RANDOM);
        add_raw(forms[i]);
        assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_API);
        assert_int_equal(res.api.errcode, 40007);
        assert_string_equal(res.api.errmsg, "invalid media_id");
        assert_int_equal(sink.len, 0);
        assert_int_equal(res.written, 0);
    }
}

static void test_text_medium_is_not_an_error(void **state)
{
    static char big[4000];
    char head[256];
    wecom_download_result_t res;
    (void)state;
    /* A small text file served without Content-Disposition */
    setup(MEM_WHOLE);
    add_raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n");
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 6);
    assert_memory_equal(sink.data, "hello\n", 6);

    /* JSON-typed but larger than any API answer: a medium */
    setup(MEM_RANDOM);
    memset(big, 'j', sizeof big - 1);
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n", sizeof big - 1);
    {
        static char resp[5000];
        snprintf(resp, sizeof resp, "%s%s", head, big);
        mem_stream_add(&f.mem, resp, strlen(resp), 0);
    }
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, sizeof big - 1);
    assert_memory_equal(sink.data, big, sizeof big - 1);
}

static void test_chunks_on_one_connection(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_RANDOM);
    add_206(0, 39, 100, "");
    add_206(40, 79, 100, "");
    add_206(80, 99, 100, "");
    assert_int_equal(get(0, 40, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 100);
    assert_memory_equal(sink.data, medium, 100);
    assert_int_equal(res.requests, 3);
    assert_int_equal(f.mem.opens, 1);
    assert_int_equal(sent_has("Range: bytes=0-39\r\n"), 1);
    /* later chunks carry the first answer's strong ETag */
    assert_int_equal(sent_has("Range: bytes=40-79\r\nIf-Range: \"v1\"\r\n"), 1);
    assert_int_equal(sent_has("Range: bytes=80-99\r\nIf-Range: \"v1\"\r\n"), 1);
}

static void test_bad_content_range_is_refused(void **state)
{
    static const char *const bad[] = {
        "bytes 1-39/100",  /* not where we asked */
        "bytes 0-59/100",  /* longer than asked */
        "bytes 0-39/30",   /* past the total */
        "bytes 0-39",      /* no total */
        "bytes=0-39/100",  /* not the syntax */
        "",                /* none */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wecom_download_result_t res;
        char resp[512];
        setup(MEM_WHOLE);
        snprintf(resp, sizeof resp, "HTTP/1.1 206 Partial Content\r\n%s"
                 "%s%s%sContent-Length: 40\r\n\r\n%.40s", MEDIA_HEADERS,
                 bad[i][0] ? "Content-Range: " : "",
                 bad[i], bad[i][0] ? "\r\n" : "", medium);
        add_raw(resp);
        if (get(0, 40, 0, NULL, &res) != WECOM_ERR_RANGE_MISMATCH)
            fail_msg("'%s' was taken", bad[i]);
        assert_int_equal(sink.len, 0);
    }
}

static void test_changes_between_chunks_are_refused(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE); /* the total changes */
    add_206(0, 39, 100, "");
    add_206(40, 79, 120, "");
    assert_int_equal(get(0, 40, 0, NULL, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 40);

    setup(MEM_WHOLE); /* the validator changes */
    add_206(0, 39, 100, "");
    {
        char head[512];
        snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
                 "ETag: \"v2\"\r\nContent-Range: bytes 40-79/100\r\n");
        add_media(head, 40, 80);
    }
    assert_int_equal(get(0, 40, 0, NULL, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 40);

    setup(MEM_WHOLE); /* resume against a total seen before */
    add_206(50, 99, 100, "");
    assert_int_equal(get(50, 0, 90, NULL, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 0);
}

static void test_resume_from_offset(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_BYTES);
    add_206(60, 99, 100, "");
    assert_int_equal(get(60, 0, 100, "\"v1\"", &res), WECOM_OK);
    assert_int_equal(sent_has("Range: bytes=60-\r\nIf-Range: \"v1\"\r\n"), 1);
    assert_int_equal(sink.len, 40);
    assert_memory_equal(sink.data, medium + 60, 40);
    assert_int_equal(res.total, 100);
}

static void test_range_ignored_writes_no_byte_twice(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_RANDOM); /* resume, the server sends all of it */
    add_media("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS, 0, 100);
    assert_int_equal(get(60, 0, 100, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 40);
    assert_memory_equal(sink.data, medium + 60, 40);

    setup(MEM_RANDOM); /* chunked, the server sends all of it at once */
    add_media("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS, 0, 100);
    assert_int_equal(get(0, 30, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 100);
    assert_memory_equal(sink.data, medium, 100);
    assert_int_equal(res.requests, 1);
}

static void test_if_range_mismatch_is_a_change(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE);
    /* If-Range "v0" did not match: the server sends the new medium whole */
    add_media("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS, 0, 100);
    assert_int_equal(get(60, 0, 100, "\"v0\"", &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 0);
}

static void test_416(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE); /* we hold it all already */
    add_raw("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */100\r\n"
            "Content-Type: text/html\r\nContent-Length: 5\r\n\r\n<p/>\n");
    assert_int_equal(get(100, 0, 100, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 0);
    assert_int_equal(res.total, 100);

    setup(MEM_WHOLE); /* we hold more than there is */
    add_raw("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */100\r\n"
            "Content-Length: 0\r\n\r\n");
    assert_int_equal(get(150, 0, 0, NULL, &res), WECOM_ERR_RANGE_MISMATCH);
}

static void test_dropped_body_resumes_from_last_byte(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_RANDOM);
    add_cut("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS, 0, 100, 37);
    add_206(37, 99, 100, "");
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 100);
    assert_memory_equal(sink.data, medium, 100);
    assert_int_equal(sent_has("Range: bytes=37-\r\nIf-Range: \"v1\"\r\n"), 1);
    assert_int_equal(f.sleeps, 0); /* progress was made: no backoff */

    setup(MEM_WHOLE); /* a chunk cut short, then the rest of that chunk */
    add_206(0, 39, 100, "");
    {
        char head[512];
        snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\n%s"
                 "Content-Range: bytes 40-79/100\r\n", MEDIA_HEADERS);
        add_cut(head, 40, 80, 5);
    }
    add_206(45, 84, 100, "");
    add_206(85, 99, 100, "");
    assert_int_equal(get(0, 40, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 100);
    assert_memory_equal(sink.data, medium, 100);
}

static void test_retries_without_progress_are_bounded(void **state)
{
    wecom_download_result_t res;
    int i;
    (void)state;
    setup(MEM_WHOLE);
    for (i = 0; i < 10; i++)
        mem_stream_add(&f.mem, NULL, 0, 0);
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_CLOSED);
    assert_int_equal(res.requests, WECOM_RETRY_MAX);
    assert_int_equal(f.sleeps, WECOM_RETRY_MAX - 1);
}

static void test_range_too_large_falls_back_to_ranges(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE);
    add_raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 43\r\n\r\n"
            "{\"errcode\":830002,\"errmsg\":\"range too big\"}");
    add_206(0, 99, 100, "");
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 100);
    assert_int_equal(sent_has("Range: bytes=0-20971519\r\n"), 1);
}

static int refreshes;

static int refresh(void *ctx, wecom_client_t *c)
{
    (void)ctx;
    refreshes++;
    return wecom_client_set_token(c, "tok_NEW-after-refresh");
}

static void test_expired_token_is_refreshed(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE);
    refreshes = 0;
    wecom_client_on_token_expiry(&f.client, refresh, NULL);
    add_206(0, 39, 100, "");
    add_raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42\r\n\r\n"
            "{\"errcode\":42001,\"errmsg\":\"token expired\"}");
    add_206(40, 79, 100, "");
    add_206(80, 99, 100, "");
    assert_int_equal(get(0, 40, 0, NULL, &res), WECOM_OK);
    assert_int_equal(refreshes, 1);
    /* the refused chunk is asked again with the new token; nothing of
     * the refusal was written */
    assert_int_equal(sent_has("access_token=tok_NEW-after-refresh&"), 2);
    assert_int_equal(sent_has("Range: bytes=40-79\r\n"), 2);
    assert_int_equal(sink.len, 100);
    assert_memory_equal(sink.data, medium, 100);
}

static void test_unexpected_status(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE);
    add_raw("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n<h1>x</h1"
            );
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_HTTP_STATUS);
    assert_int_equal(sink.len, 0);
}

static void test_hostile_names_are_made_safe(void **state)
{
    static const char *const cases[][2] = {
        { "attachment; filename=\"../../etc/passwd\"", "passwd" },
        { "attachment; filename=\"/etc/shadow\"", "shadow" },
        { "attachment; filename*=UTF-8''..%2F..%2Fx.sh", "x.sh" },
        { "attachment; filename*=utf-8''%E6%B5%8B%E8%AF%95.xlsx; filename=\"raw.xlsx\"", "测试.xlsx" },
        { "attachment; filename=\"..\"", "" },
        { "attachment; filename=\"\"", "" },
        { "attachment; filename=\".profile\"", "_profile" },
        { "attachment; filename=\"a\\\\b\\\\c.txt\"", "c.txt" },
        { "attachment; filename*=utf-8''ev%0Ail%00.txt", "evil.txt" },
        { "attachment; filename=voice", "voice" },
        { "inline", "" },
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wecom_download_result_t res;
        char head[512];
        setup(MEM_WHOLE);
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: audio/amr\r\n"
                 "Content-Disposition: %s\r\n", cases[i][0]);
        add_media(head, 0, 10);
        assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
        if (strcmp(res.filename, cases[i][1]) != 0)
            fail_msg("%s gave '%s'", cases[i][0], res.filename);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_medium),
        cmocka_unit_test(test_json_error_writes_nothing),
        cmocka_unit_test(test_text_medium_is_not_an_error),
        cmocka_unit_test(test_chunks_on_one_connection),
        cmocka_unit_test(test_bad_content_range_is_refused),
        cmocka_unit_test(test_changes_between_chunks_are_refused),
        cmocka_unit_test(test_resume_from_offset),
        cmocka_unit_test(test_range_ignored_writes_no_byte_twice),
        cmocka_unit_test(test_if_range_mismatch_is_a_change),
        cmocka_unit_test(test_416),
        cmocka_unit_test(test_dropped_body_resumes_from_last_byte),
        cmocka_unit_test(test_retries_without_progress_are_bounded),
        cmocka_unit_test(test_range_too_large_falls_back_to_ranges),
        cmocka_unit_test(test_expired_token_is_refreshed),
        cmocka_unit_test(test_unexpected_status),
        cmocka_unit_test(test_hostile_names_are_made_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
