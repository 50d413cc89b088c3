/* SPDX-License-Identifier: MIT */
/*
 * The memory reader and writer (wecom_mem_reader, wecom_mem_writer) used
 * through the client against the in-memory server stream: an upload of a
 * frame held in RAM gives the exact multipart body of the file-based case
 * (upload_cases/, the first argument), also when it is re-read for a
 * retry; a download lands in a caller's buffer that is exactly big enough,
 * is refused with WECOM_ERR_OUTPUT_FULL one byte short with nothing
 * written past the end (a canary), and resumes into a buffer already
 * partly filled.
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

static const char *g_case_dir;
static client_fixture_t f;
static char g_wire[8][2048];

#define CANARY 0xA5
#define CANARY_LEN 64

static const char SUCCESS[] =
    "{\"errcode\":0,\"errmsg\":\"\",\"type\":\"image\",\"media_id\":"
    "\"3a8asd892asd8asd\",\"created_at\":\"1380000000\"}";
static const char BUSY[] = "{\"errcode\":-1,\"errmsg\":\"system busy\"}";

static void add_json(int slot, const char *json)
{
    int n = snprintf(g_wire[slot], sizeof g_wire[slot],
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(json), json);
    mem_stream_add(&f.mem, g_wire[slot], (size_t)n, 0);
}

static size_t read_file(const char *path, unsigned char *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    size_t n;
    assert_non_null(fp);
    n = fread(buf, 1, cap, fp);
    fclose(fp);
    return n;
}

static size_t head_len(const unsigned char *sent, size_t len, size_t from)
{
    size_t i;
    for (i = from; i + 4 <= len; i++)
        if (memcmp(sent + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    fail_msg("no request head");
    return 0;
}

/* image_jpeg.in sent from RAM gives image_jpeg.expect on the wire. */
static void upload_case_from_memory(int busy_first)
{
    static unsigned char in[65536], expect[70000];
    char path[1024];
    size_t in_len, exp_len, h, body2;
    wecom_mem_t m;
    wecom_reader_t r;
    wecom_upload_t up;
    wecom_upload_result_t res;

    snprintf(path, sizeof path, "%s/image_jpeg.in", g_case_dir);
    in_len = read_file(path, in, sizeof in);
    snprintf(path, sizeof path, "%s/image_jpeg.expect", g_case_dir);
    exp_len = read_file(path, expect, sizeof expect);

    client_fixture_init(&f, MEM_RANDOM);
    if (busy_first)
        add_json(0, BUSY);
    add_json(1, SUCCESS);
    wecom_mem_reader(&r, &m, in, in_len);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_IMAGE;
    up.reader = &r;
    up.length = in_len;
    up.filename = "photo.jpg";
    assert_int_equal(wecom_media_upload(&f.client, &up, &res), WECOM_OK);
    assert_string_equal(res.media_id, "3a8asd892asd8asd");
    assert_int_equal(res.attempts, busy_first ? 2 : 1);

    h = head_len(f.sent, f.mem.sent_len, 0);
    assert_true(f.mem.sent_len - h >= exp_len);
    if (memcmp(f.sent + h, expect, exp_len) != 0)
        fail_msg("body from memory differs from image_jpeg.expect");
    if (busy_first) { /* the retry read the frame again from offset 0 */
        body2 = head_len(f.sent, f.mem.sent_len, h + exp_len);
        assert_int_equal(f.mem.sent_len - body2, exp_len);
        assert_memory_equal(f.sent + body2, expect, exp_len);
    } else {
        assert_int_equal(f.mem.sent_len - h, exp_len);
    }
    client_fixture_free(&f);
}

static void test_upload_from_memory(void **state)
{
    (void)state;
    upload_case_from_memory(0);
}

static void test_upload_from_memory_retried(void **state)
{
    (void)state;
    upload_case_from_memory(1);
}

static void test_reader_offsets(void **state)
{
    static const char DATA[] = "0123456789";
    unsigned char buf[8];
    wecom_mem_t m;
    wecom_reader_t r;
    (void)state;
    wecom_mem_reader(&r, &m, DATA, 10);
    assert_int_equal(r.once, 0);
    assert_int_equal(r.read_at(r.ctx, 4, buf, sizeof buf), 6);
    assert_memory_equal(buf, "456789", 6);
    assert_int_equal(r.read_at(r.ctx, 0, buf, 3), 3);
    assert_memory_equal(buf, "012", 3);
    assert_int_equal(r.read_at(r.ctx, 10, buf, sizeof buf), 0);
    assert_int_equal(r.read_at(r.ctx, 1000, buf, sizeof buf), 0);
}

/* ------------------------------------------------------------ download */

static char g_medium[100];

static void add_media(int slot, const char *status, int from, int total)
{
    char range[64] = "";
    int n;
    if (from > 0)
        snprintf(range, sizeof range, "Content-Range: bytes %d-%d/%d\r\n", from,
                 total - 1, total);
    n = snprintf(g_wire[slot], sizeof g_wire[slot],
                 "HTTP/1.1 %s\r\nContent-Type: image/jpeg\r\n%s"
                 "Content-Length: %d\r\n\r\n%.*s", status, range, total - from,
                 total - from, g_medium + from);
    mem_stream_add(&f.mem, g_wire[slot], (size_t)n, 0);
}

static void setup_download(enum mem_split split)
{
    int i;
    for (i = 0; i < 100; i++)
        g_medium[i] = (char)('a' + i % 26);
    client_fixture_init(&f, split);
}

/* The buffer handed over is cap bytes at buf; the CANARY_LEN after it
 * must stay untouched whatever happens. */
static wecom_err_t download_into(unsigned char *buf, size_t cap, wecom_mem_t *m,
                                 uint64_t offset, uint64_t max_bytes,
                                 wecom_download_result_t *res)
{
    wecom_writer_t w;
    wecom_download_t dl;
    wecom_mem_writer(&w, m, buf, cap);
    m->len = (size_t)offset;
    memset(&dl, 0, sizeof dl);
    dl.media_id = "MEDIA1";
    dl.writer = &w;
    dl.offset = offset;
    dl.max_bytes = max_bytes;
    return wecom_media_download(&f.client, &dl, res);
}

static void assert_canary(const unsigned char *p)
{
    int i;
    for (i = 0; i < CANARY_LEN; i++)
        if (p[i] != CANARY)
            fail_msg("byte %d past the buffer's end was written", i);
}

static void test_download_exact_fit(void **state)
{
    static unsigned char area[100 + CANARY_LEN];
    wecom_download_result_t res;
    wecom_mem_t m;
    (void)state;
    setup_download(MEM_RANDOM);
    memset(area, CANARY, sizeof area);
    add_media(0, "200 OK", 0, 100);
    assert_int_equal(download_into(area, 100, &m, 0, 0, &res), WECOM_OK);
    assert_int_equal(m.len, 100);
    assert_int_equal(res.written, 100);
    assert_memory_equal(area, g_medium, 100);
    assert_canary(area + 100);
    client_fixture_free(&f);
}

/* One byte short: WECOM_ERR_OUTPUT_FULL, the buffer holds a prefix of the
 * medium (nothing when the body came in one write, 99 bytes when it came
 * byte by byte), and not a byte lands past its end. */
static void one_byte_short(enum mem_split split, size_t want_len)
{
    static unsigned char area[99 + CANARY_LEN];
    wecom_download_result_t res;
    wecom_mem_t m;
    setup_download(split);
    memset(area, CANARY, sizeof area);
    add_media(0, "200 OK", 0, 100);
    assert_int_equal(download_into(area, 99, &m, 0, 0, &res), WECOM_ERR_OUTPUT_FULL);
    assert_int_equal(m.len, want_len);
    assert_memory_equal(area, g_medium, m.len);
    assert_canary(area + 99);
    /* not retried: one request */
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "GET "), 1);
    client_fixture_free(&f);
}

static void test_download_one_byte_short(void **state)
{
    (void)state;
    one_byte_short(MEM_WHOLE, 0);
    one_byte_short(MEM_BYTES, 99);
}

/* With max_bytes set to the buffer's size the medium is refused from its
 * announced length, before a byte of it is written. */
static void test_download_refused_by_max_bytes(void **state)
{
    static unsigned char area[99 + CANARY_LEN];
    wecom_download_result_t res;
    wecom_mem_t m;
    (void)state;
    setup_download(MEM_WHOLE);
    memset(area, CANARY, sizeof area);
    add_media(0, "200 OK", 0, 100);
    assert_int_equal(download_into(area, 99, &m, 0, 99, &res),
                     WECOM_ERR_DOWNLOAD_TOO_LARGE);
    assert_int_equal(m.len, 0);
    assert_int_equal(area[0], CANARY);
    assert_canary(area + 99);
    client_fixture_free(&f);
}

/* 40 bytes already held: the rest is asked for by Range and appended. */
static void test_download_resumed(void **state)
{
    static unsigned char area[100 + CANARY_LEN];
    wecom_download_result_t res;
    wecom_mem_t m;
    (void)state;
    setup_download(MEM_RANDOM);
    memset(area, CANARY, sizeof area);
    memcpy(area, g_medium, 40);
    add_media(0, "206 Partial Content", 40, 100);
    assert_int_equal(download_into(area, 100, &m, 40, 0, &res), WECOM_OK);
    assert_int_equal(count_occurrences(f.sent, f.mem.sent_len, "\r\nRange: bytes=40-"), 1);
    assert_int_equal(res.written, 60);
    assert_int_equal(res.total, 100);
    assert_int_equal(m.len, 100);
    assert_memory_equal(area, g_medium, 100);
    assert_canary(area + 100);
    client_fixture_free(&f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_from_memory),
        cmocka_unit_test(test_upload_from_memory_retried),
        cmocka_unit_test(test_reader_offsets),
        cmocka_unit_test(test_download_exact_fit),
        cmocka_unit_test(test_download_one_byte_short),
        cmocka_unit_test(test_download_refused_by_max_bytes),
        cmocka_unit_test(test_download_resumed),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: %s UPLOAD_CASE_DIR\n", argv[0]);
        return 2;
    }
    g_case_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
