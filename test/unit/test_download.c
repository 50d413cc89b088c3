/* SPDX-License-Identifier: MIT */
/*
 * Download over an in-memory stream: each response shape, what is asked
 * for on the wire, and what reaches the writer. The medium is the 100
 * bytes "0123456789" ten times.
 *
 * Answers that must never become the file live in answer_cases/ (the
 * folder is the first argument): NAME.http holds the raw response,
 * NAME.expect the outcome (error=WECOM_ERR_..., errcode=N), NAME.body
 * the bytes the writer must get when it is media. Each is fed whole, byte
 * by byte and in random splits.
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

static client_fixture_t f;
static mem_sink_t sink;
static char medium[101];
static char wire[32][1024];
static int nwire;
static uint64_t max_bytes; /* what get() passes as dl.max_bytes */

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
    max_bytes = 0;
}

static wecom_err_t get(uint64_t offset, uint64_t chunk, uint64_t known_total,
                       const char *if_range, wecom_download_result_t *res)
{
    wecom_download_t dl;
    memset(&dl, 0, sizeof dl);
    dl.max_bytes = max_bytes;
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

    /* Text that is larger than any API answer and does not start like
     * one: a medium */
    setup(MEM_RANDOM);
    memset(big, 'j', sizeof big - 1);
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
             "Content-Length: %zu\r\n\r\n", sizeof big - 1);
    {
        static char resp[5000];
        snprintf(resp, sizeof resp, "%s%s", head, big);
        mem_stream_add(&f.mem, resp, strlen(resp), 0);
    }
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, sizeof big - 1);
    assert_memory_equal(sink.data, big, sizeof big - 1);

    /* The same bytes typed as JSON, without Content-Disposition: an
     * answer that does not parse, never the file */
    setup(MEM_RANDOM);
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n", sizeof big - 1);
    {
        static char resp[5000];
        snprintf(resp, sizeof resp, "%s%s", head, big);
        mem_stream_add(&f.mem, resp, strlen(resp), 0);
    }
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_API_MALFORMED);
    assert_int_equal(sink.len, 0);
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

    setup(MEM_WHOLE); /* we hold more than there is: not its prefix */
    add_raw("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */100\r\n"
            "Content-Length: 0\r\n\r\n");
    assert_int_equal(get(150, 0, 0, NULL, &res), WECOM_ERR_REMOTE_CHANGED);

    setup(MEM_WHOLE); /* we hold less than there is, and ask for the rest */
    add_raw("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */100\r\n"
            "Content-Length: 0\r\n\r\n");
    assert_int_equal(get(40, 0, 0, NULL, &res), WECOM_ERR_RANGE_MISMATCH);
    assert_int_equal(sink.len, 0);
}

/* 416 and 206 answer a Range: to a request without one they are refused,
 * not taken for an empty or a whole medium. */
static void test_range_answers_to_no_range(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE);
    add_raw("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */0\r\n"
            "Content-Length: 0\r\n\r\n");
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_RANGE_MISMATCH);
    assert_int_equal(sent_has("Range:"), 0);

    setup(MEM_WHOLE);
    add_206(0, 99, 100, "");
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_RANGE_MISMATCH);
    assert_int_equal(sink.len, 0);
    assert_int_equal(sent_has("Range:"), 0);
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

static void test_no_retries_is_one_request(void **state)
{
    wecom_download_result_t res;
    int i;
    (void)state;
    setup(MEM_WHOLE);
    wecom_client_set_retry(&f.client, 0, 0);
    for (i = 0; i < 3; i++)
        mem_stream_add(&f.mem, NULL, 0, 0);
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_CLOSED);
    assert_int_equal(res.requests, 1);
    assert_int_equal(f.sleeps, 0);
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

/* A name over WECOM_FILENAME_MAX is cut on a character boundary and keeps
 * a short extension. */
static void test_long_names_keep_extension(void **state)
{
    static const struct {
        unsigned reps;    /* times the 3-byte character U+957F */
        const char *tail; /* after them */
        const char *want_tail;
        size_t want_len;
    } cases[] = {
        { 121, ".amr", ".amr", 83 * 3 + 4 },        /* 367 bytes */
        { 100, "", "\xe9\x95\xbf", 85 * 3 },         /* 300 bytes, no extension */
        { 83, "abcd.jpg", ".jpg", 83 * 3 + 2 + 4 }, /* 257 bytes: cut in ASCII */
        { 100, ".a-very-long-suffix-that-is-no-extension", "\xe9\x95\xbf", 85 * 3 },
        { 85, "", "\xe9\x95\xbf", 85 * 3 },          /* exactly 255: kept whole */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wecom_download_result_t res;
        char head[1100], name[400];
        size_t n = 0, k, len;
        for (k = 0; k < cases[i].reps; k++) {
            memcpy(name + n, "\xe9\x95\xbf", 3);
            n += 3;
        }
        memcpy(name + n, cases[i].tail, strlen(cases[i].tail) + 1);
        setup(MEM_WHOLE);
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: audio/amr\r\n"
                 "Content-Disposition: attachment; filename=\"%s\"\r\n", name);
        add_media(head, 0, 10);
        assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
        len = strlen(res.filename);
        if (len != cases[i].want_len)
            fail_msg("case %u: %u bytes, expected %u", (unsigned)i, (unsigned)len,
                     (unsigned)cases[i].want_len);
        assert_true(len <= WECOM_FILENAME_MAX);
        assert_memory_equal(res.filename + len - strlen(cases[i].want_tail),
                            cases[i].want_tail, strlen(cases[i].want_tail));
        /* whole characters only: every lead byte of U+957F at a multiple of 3 */
        for (k = 0; k + 3 <= len && (unsigned char)res.filename[k] == 0xe9; k += 3)
            assert_memory_equal(res.filename + k, "\xe9\x95\xbf", 3);
    }
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


/* ------------------------------------------------------- honest answers */

static const char *g_case_dir;

static size_t slurp(const char *path, unsigned char *buf, size_t cap, int *found)
{
    FILE *fp = fopen(path, "rb");
    size_t n;
    *found = fp != NULL;
    if (fp == NULL)
        return 0;
    n = fread(buf, 1, cap, fp);
    fclose(fp);
    return n;
}

/* Value of key=VALUE in an .expect text, or NULL. */
static const char *expect_field(const char *text, const char *key, char *out,
                                size_t cap)
{
    size_t kl = strlen(key);
    const char *line = text;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
            size_t n = strcspn(line + kl + 1, "\n");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, line + kl + 1, n);
            out[n] = '\0';
            return out;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return NULL;
}

static void run_answer_case(const char *name, enum mem_split split)
{
    static unsigned char http[16384], body[16384];
    static char expect[1024];
    char path[1024], want[64], code[32];
    size_t hn, bn;
    int found, has_body;
    wecom_download_result_t res;
    wecom_err_t rc;

    snprintf(path, sizeof path, "%s/%s.http", g_case_dir, name);
    hn = slurp(path, http, sizeof http, &found);
    assert_true(found);
    snprintf(path, sizeof path, "%s/%s.expect", g_case_dir, name);
    expect[slurp(path, (unsigned char *)expect, sizeof expect - 1, &found)] = '\0';
    if (!found || expect_field(expect, "error", want, sizeof want) == NULL)
        fail_msg("%s: no .expect with error=", name);
    snprintf(path, sizeof path, "%s/%s.body", g_case_dir, name);
    bn = slurp(path, body, sizeof body, &has_body);

    setup(split);
    mem_stream_add(&f.mem, http, hn, 1);
    rc = get(0, 0, 0, NULL, &res);
    if (strcmp(wecom_errname(rc), want) != 0)
        fail_msg("%s (split %d): %s, expected %s; %zu bytes written", name,
                 (int)split, wecom_errname(rc), want, sink.len);
    if (expect_field(expect, "errcode", code, sizeof code) != NULL &&
        res.api.errcode != strtoll(code, NULL, 10))
        fail_msg("%s: errcode %lld, expected %s", name,
                 (long long)res.api.errcode, code);
    if (rc != WECOM_OK) {
        /* an answer of any kind: not a byte reaches the file */
        if (sink.len != 0 || res.written != 0)
            fail_msg("%s: %zu bytes of an error answer were written", name, sink.len);
    } else {
        if (!has_body)
            fail_msg("%s: media case without .body", name);
        if (sink.len != bn || memcmp(sink.data, body, bn) != 0)
            fail_msg("%s: wrote %zu bytes, not the %zu of the medium", name,
                     sink.len, bn);
    }
}

static void test_answer_cases(void **state)
{
    static const enum mem_split splits[] = { MEM_WHOLE, MEM_BYTES, MEM_RANDOM };
    DIR *dir;
    struct dirent *e;
    int cases = 0;
    (void)state;
    assert_non_null(g_case_dir);
    dir = opendir(g_case_dir);
    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        char name[256];
        size_t n = strlen(e->d_name), k;
        if (n <= 5 || strcmp(e->d_name + n - 5, ".http") != 0 || n - 5 >= sizeof name)
            continue;
        memcpy(name, e->d_name, n - 5);
        name[n - 5] = '\0';
        for (k = 0; k < sizeof splits / sizeof splits[0]; k++)
            run_answer_case(name, splits[k]);
        cases++;
    }
    closedir(dir);
    assert_true(cases >= 40); /* the folder was found and read */
}

/* A JSON body of 10 MB: refused once it passes what an answer may be,
 * without reading (or writing) the rest. */
static void test_huge_json_answer(void **state)
{
    static char resp[10 * 1024 * 1024 + 256];
    wecom_download_result_t res;
    size_t head, total = 10u * 1024 * 1024;
    (void)state;
    setup(MEM_RANDOM);
    head = (size_t)snprintf(resp, 256, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: %zu\r\n\r\n{\"errcode\":40007,\"pad\":\"", total);
    /* head ends with the body's first 24 bytes; 21 more close it */
    memset(resp + head, 'x', total - 24 - 21);
    memcpy(resp + head + total - 24 - 21, "\",\"errmsg\":\"invalid\"}", 21);
    mem_stream_add(&f.mem, resp, head + total - 24, 0);
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_API_MALFORMED);
    assert_int_equal(sink.len, 0);
    assert_int_equal(res.requests, 1);
    assert_true(f.mem.pos < 64 * 1024); /* stopped early */
}

/* An interim response that claims a body: those bytes belong to no
 * final response and never reach the file. */
static void test_interim_body_is_not_media(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_RANDOM);
    add_raw("HTTP/1.1 100 Continue\r\nContent-Length: 33\r\n\r\n"
            "{\"errcode\":40007,\"errmsg\":\"x\"}"
            "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\nJPEG");
    assert_int_not_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 0);
}

/* ------------------------------------------------------- bytes a medium may take */

static void test_endless_body_is_capped(void **state)
{
    static char resp[8192];
    wecom_download_result_t res;
    int n;
    (void)state;
    /* no length, not chunked: the body runs until the server stops */
    setup(MEM_RANDOM);
    n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n",
                 MEDIA_HEADERS);
    memset(resp + n, 'z', 4000);
    mem_stream_add(&f.mem, resp, (size_t)n + 4000, 1);
    max_bytes = 1000;
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_DOWNLOAD_TOO_LARGE);
    assert_true(sink.len <= 1000);
    assert_int_equal(res.requests, 1); /* not retried */

    /* at the cap exactly: taken */
    setup(MEM_RANDOM);
    mem_stream_add(&f.mem, resp, (size_t)n + 1000, 1);
    max_bytes = 1000;
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 1000);
}

static void test_announced_size_over_cap_is_refused(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_WHOLE); /* Content-Length */
    add_media("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS, 0, 100);
    max_bytes = 99;
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_DOWNLOAD_TOO_LARGE);
    assert_int_equal(sink.len, 0);

    setup(MEM_WHOLE); /* Content-Range's total */
    add_206(0, 39, 100, "");
    max_bytes = 99;
    assert_int_equal(get(0, 40, 0, NULL, &res), WECOM_ERR_DOWNLOAD_TOO_LARGE);
    assert_int_equal(sink.len, 0);

    setup(MEM_WHOLE); /* a range past the cap, total unknown */
    add_raw("HTTP/1.1 206 Partial Content\r\n" MEDIA_HEADERS
            "Content-Range: bytes 50-99/*\r\nContent-Length: 50\r\n\r\n"
            "01234567890123456789012345678901234567890123456789");
    max_bytes = 80;
    assert_int_equal(get(50, 0, 0, NULL, &res), WECOM_ERR_DOWNLOAD_TOO_LARGE);
    assert_int_equal(sink.len, 0);

    setup(MEM_WHOLE); /* the 416 form */
    add_raw("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */100\r\n"
            "Content-Length: 0\r\n\r\n");
    max_bytes = 99;
    assert_int_equal(get(99, 0, 0, NULL, &res), WECOM_ERR_DOWNLOAD_TOO_LARGE);

    setup(MEM_WHOLE); /* the default applies with max_bytes 0 */
    add_raw("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS "Content-Length: 9223372036854775807\r\n\r\n0123");
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_ERR_DOWNLOAD_TOO_LARGE);
    assert_int_equal(sink.len, 0);
}

/* ------------------------------------------------------- If-Range */

#define DATE "Mon, 23 Nov 2026 10:00:00 GMT"
#define DATE2 "Tue, 24 Nov 2026 11:30:00 GMT"

static void test_if_range_with_a_date(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_BYTES); /* resume with the date seen before: sent, honoured */
    add_raw("HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
            "Last-Modified: " DATE "\r\nContent-Range: bytes 60-99/100\r\n"
            "Content-Length: 40\r\n\r\n0123456789012345678901234567890123456789");
    assert_int_equal(get(60, 0, 100, DATE, &res), WECOM_OK);
    assert_int_equal(sent_has("Range: bytes=60-\r\nIf-Range: " DATE "\r\n"), 1);
    assert_int_equal(sink.len, 40);

    setup(MEM_WHOLE); /* the server says it changed: a 200 with a new date */
    add_raw("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nLast-Modified: " DATE2
            "\r\nContent-Length: 10\r\n\r\n0123456789");
    assert_int_equal(get(60, 0, 100, DATE, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 0);

    setup(MEM_WHOLE); /* a 200 that shows no validator proves nothing */
    add_media("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n", 0, 100);
    assert_int_equal(get(60, 0, 100, DATE, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 0);

    setup(MEM_WHOLE); /* a 200 with the same date: Range ignored, followed */
    add_media("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nLast-Modified: " DATE "\r\n",
              0, 100);
    assert_int_equal(get(60, 0, 100, DATE, &res), WECOM_OK);
    assert_int_equal(sink.len, 40);
    assert_memory_equal(sink.data, medium + 60, 40);

    setup(MEM_WHOLE); /* a 206 whose date differs from the one we hold */
    add_raw("HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
            "Last-Modified: " DATE2 "\r\nContent-Range: bytes 60-99/100\r\n"
            "Content-Length: 40\r\n\r\n0123456789012345678901234567890123456789");
    assert_int_equal(get(60, 0, 100, DATE, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 0);
}

static void test_if_range_within_a_call(void **state)
{
    wecom_download_result_t res;
    char head[256];
    (void)state;
    /* no ETag, a Last-Modified: later chunks carry the date */
    setup(MEM_RANDOM);
    snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
             "Last-Modified: " DATE "\r\nContent-Range: bytes 0-49/100\r\n");
    add_media(head, 0, 50);
    snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
             "Last-Modified: " DATE "\r\nContent-Range: bytes 50-99/100\r\n");
    add_media(head, 50, 100);
    assert_int_equal(get(0, 50, 0, NULL, &res), WECOM_OK);
    assert_int_equal(sent_has("Range: bytes=50-99\r\nIf-Range: " DATE "\r\n"), 1);
    assert_int_equal(sink.len, 100);
}

static void test_if_range_refuses_what_it_cannot_send(void **state)
{
    static const char *const refused[] = {
        "W/\"v1\"",                        /* weak: never for If-Range */
        "\"v1\"\r\nX-Evil: 1",             /* a header smuggled in */
        "\"v 1\"",                         /* not etagc */
        "Mon, 23 Nov 2026 10:00:00 GMT\r\nX: y",
        "23 Nov 2026",                     /* not an HTTP-date */
        "",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        wecom_download_result_t res;
        setup(MEM_WHOLE);
        add_206(60, 99, 100, "");
        assert_int_equal(get(60, 0, 100, refused[i], &res), WECOM_OK);
        if (sent_has("If-Range") != 0 || sent_has("X-Evil") != 0)
            fail_msg("If-Range sent for '%s'", refused[i]);
    }
}

static void test_200_to_etag_if_range_without_etag(void **state)
{
    wecom_download_result_t res;
    (void)state;
    /* We asked "the rest, if still \"v1\""; the whole of something that
     * shows no ETag came back: the held bytes cannot be trusted. */
    setup(MEM_WHOLE);
    add_media("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n", 0, 100);
    assert_int_equal(get(60, 0, 100, "\"v1\"", &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 0);

    setup(MEM_WHOLE); /* the same ETag: a server that ignores Range */
    add_media("HTTP/1.1 200 OK\r\n" MEDIA_HEADERS, 0, 100);
    assert_int_equal(get(60, 0, 100, "\"v1\"", &res), WECOM_OK);
    assert_int_equal(sink.len, 40);
    assert_memory_equal(sink.data, medium + 60, 40);
}

/* A server or cache that ignores If-Range answers 206 whatever the
 * medium is now: a piece that does not show the validator asked for is
 * never joined to the bytes held. */
static void test_206_must_show_the_validator(void **state)
{
    static const char *const heads[] = {
        "", /* no validator at all */
        "Last-Modified: " DATE "\r\n", /* only the date, to an ETag */
        "ETag: W/\"v1\"\r\n", /* weak: never the same */
        "ETag: \"v2\"\r\n",
    };
    wecom_download_result_t res;
    char head[256];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        setup(MEM_RANDOM);
        snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
                 "%sContent-Range: bytes 60-99/100\r\n", heads[i]);
        add_media(head, 60, 100);
        if (get(60, 0, 100, "\"v1\"", &res) != WECOM_ERR_REMOTE_CHANGED || sink.len != 0)
            fail_msg("a 206 with '%s' was joined to \"v1\"", heads[i]);
    }

    setup(MEM_WHOLE); /* a date sent, a 206 without one */
    add_media("HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
              "Content-Range: bytes 60-99/100\r\n", 60, 100);
    assert_int_equal(get(60, 0, 100, DATE, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 0);

    setup(MEM_WHOLE); /* within a call: the second chunk drops the ETag */
    add_206(0, 39, 100, "");
    add_media("HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
              "Content-Range: bytes 40-79/100\r\n", 40, 80);
    assert_int_equal(get(0, 40, 0, NULL, &res), WECOM_ERR_REMOTE_CHANGED);
    assert_int_equal(sink.len, 40);

    setup(MEM_WHOLE); /* no validator known: nothing to show */
    add_media("HTTP/1.1 206 Partial Content\r\nContent-Type: image/jpeg\r\n"
              "Content-Range: bytes 60-99/100\r\n", 60, 100);
    assert_int_equal(get(60, 0, 100, NULL, &res), WECOM_OK);
    assert_int_equal(sink.len, 40);
}

/* A resume answered with a coded piece: refused like a coded whole. */
static void test_coded_206_is_refused(void **state)
{
    wecom_download_result_t res;
    (void)state;
    setup(MEM_RANDOM);
    add_206(60, 99, 100, "Content-Encoding: gzip\r\n");
    assert_int_equal(get(60, 0, 100, "\"v1\"", &res), WECOM_ERR_CONTENT_ENCODING);
    assert_int_equal(sink.len, 0);
    assert_int_equal(res.requests, 1); /* not retried */
}

/* ------------------------------------------------------- truncation */

/* The peer's close without TLS close_notify: the stream reports
 * WECOM_ERR_CLOSED where a clean end would be 0 (as core/tls/tls.c does). */
static int (*mem_recv)(void *ctx, unsigned char *buf, size_t len);
static int cut_without_notify;

static int recv_unclean(void *ctx, unsigned char *buf, size_t len)
{
    int n = mem_recv(ctx, buf, len);
    if (n == 0 && cut_without_notify) {
        cut_without_notify = 0;
        return WECOM_ERR_CLOSED;
    }
    return n;
}

static void test_truncated_body_resumes(void **state)
{
    static char resp[512];
    wecom_download_result_t res;
    int n;
    (void)state;
    setup(MEM_RANDOM);
    mem_recv = wecom__client(&f.client)->http.stream.recv;
    wecom__client(&f.client)->http.stream.recv = recv_unclean;
    cut_without_notify = 1;
    n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n%.37s",
                 MEDIA_HEADERS, medium);
    mem_stream_add(&f.mem, resp, (size_t)n, 1);
    add_206(37, 99, 100, "");
    assert_int_equal(get(0, 0, 0, NULL, &res), WECOM_OK);
    assert_int_equal(res.requests, 2);
    assert_int_equal(sent_has("Range: bytes=37-\r\nIf-Range: \"v1\"\r\n"), 1);
    assert_int_equal(sink.len, 100);
    assert_memory_equal(sink.data, medium, 100);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_medium),
        cmocka_unit_test(test_no_retries_is_one_request),
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
        cmocka_unit_test(test_long_names_keep_extension),
        cmocka_unit_test(test_range_answers_to_no_range),
        cmocka_unit_test(test_answer_cases),
        cmocka_unit_test(test_huge_json_answer),
        cmocka_unit_test(test_interim_body_is_not_media),
        cmocka_unit_test(test_endless_body_is_capped),
        cmocka_unit_test(test_announced_size_over_cap_is_refused),
        cmocka_unit_test(test_if_range_with_a_date),
        cmocka_unit_test(test_if_range_within_a_call),
        cmocka_unit_test(test_if_range_refuses_what_it_cannot_send),
        cmocka_unit_test(test_200_to_etag_if_range_without_etag),
        cmocka_unit_test(test_206_must_show_the_validator),
        cmocka_unit_test(test_coded_206_is_refused),
        cmocka_unit_test(test_truncated_body_resumes),
    };
    g_case_dir = argc > 1 ? argv[1] : NULL;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
