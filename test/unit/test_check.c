/* SPDX-License-Identifier: MIT */
/* Checks before upload: magic bytes, limits, AMR frames and duration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client_fixture.h"

static unsigned char scratch[256]; /* small: the AMR walk must refill it */
static unsigned char file[200000];

static wecom_err_t check(size_t len, wecom_kind_t kind, const wecom_limits_t *lim,
                         wecom_check_t *out)
{
    mem_source_t src;
    mem_source_init(&src, file, len);
    return wecom_media_check(&src.reader, len, kind, lim, scratch, sizeof scratch, out);
}

/* An AMR file of `frames` frames of type ft. Returns its length. */
static size_t amr(unsigned frames, int ft)
{
    static const int payload[16] = { 12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0 };
    size_t n = 6;
    unsigned i;
    memcpy(file, "#!AMR\n", 6);
    for (i = 0; i < frames; i++) {
        file[n++] = (unsigned char)((ft << 3) | 0x04);
        memset(file + n, 0xA5, (size_t)payload[ft]);
        n += (size_t)payload[ft];
    }
    return n;
}

static void test_detects_kinds(void **state)
{
    wecom_check_t c;
    (void)state;
    memcpy(file, "\xFF\xD8\xFF\xE1xxxxxxxx", 12);
    assert_int_equal(check(12, WECOM_KIND_AUTO, NULL, &c), WECOM_OK);
    assert_int_equal(c.kind, WECOM_KIND_IMAGE);
    assert_int_equal(c.format, WECOM_FORMAT_JPEG);
    memcpy(file, "\x89PNG\r\n\x1a\nxxxx", 12);
    assert_int_equal(check(12, WECOM_KIND_AUTO, NULL, &c), WECOM_OK);
    assert_int_equal(c.format, WECOM_FORMAT_PNG);
    memcpy(file, "\0\0\0\x20" "ftypisom", 12);
    assert_int_equal(check(12, WECOM_KIND_AUTO, NULL, &c), WECOM_OK);
    assert_int_equal(c.kind, WECOM_KIND_VIDEO);
    assert_int_equal(check(amr(10, 7), WECOM_KIND_AUTO, NULL, &c), WECOM_OK);
    assert_int_equal(c.kind, WECOM_KIND_VOICE);
    assert_int_equal(c.duration_ms, 200);
    memcpy(file, "%PDF-1.7\nxxx", 12);
    assert_int_equal(check(12, WECOM_KIND_AUTO, NULL, &c), WECOM_OK);
    assert_int_equal(c.kind, WECOM_KIND_FILE);
    /* a file may hold anything, a JPEG included */
    memcpy(file, "\xFF\xD8\xFF\xE1xxxxxxxx", 12);
    assert_int_equal(check(12, WECOM_KIND_FILE, NULL, &c), WECOM_OK);
}

static void test_limits(void **state)
{
    wecom_check_t c;
    wecom_limits_t lim;
    (void)state;
    memcpy(file, "\xFF\xD8\xFF\xE1xxxxxxxx", 12);
    assert_int_equal(check(5, WECOM_KIND_IMAGE, NULL, &c), WECOM_ERR_MEDIA_TOO_SMALL);
    assert_int_equal(check(6, WECOM_KIND_IMAGE, NULL, &c), WECOM_OK); /* over 5 */
    wecom_limits_default(&lim);
    assert_int_equal(lim.image_bytes, 2u * 1048576u);
    assert_int_equal(lim.file_bytes, 20u * 1048576u);
    lim.image_bytes = 100;
    assert_int_equal(check(100, WECOM_KIND_IMAGE, &lim, &c), WECOM_OK);
    assert_int_equal(check(101, WECOM_KIND_IMAGE, &lim, &c), WECOM_ERR_MEDIA_TOO_LARGE);
    assert_int_equal(c.actual, 101);
    assert_int_equal(c.limit, 100);
    lim.file_bytes = 50;
    memcpy(file, "%PDF-1.7", 8); /* detected as a file */
    assert_int_equal(check(51, WECOM_KIND_AUTO, &lim, &c), WECOM_ERR_MEDIA_TOO_LARGE);
}

static void test_amr_duration(void **state)
{
    wecom_check_t c;
    size_t n;
    (void)state;
    assert_int_equal(check(amr(3000, 15), WECOM_KIND_VOICE, NULL, &c), WECOM_OK);
    assert_int_equal(c.duration_ms, 60000);
    assert_int_equal(check(amr(3001, 15), WECOM_KIND_VOICE, NULL, &c),
                     WECOM_ERR_MEDIA_VOICE_TOO_LONG);
    assert_int_equal(c.actual, 60020);
    assert_int_equal(check(amr(2999, 8), WECOM_KIND_VOICE, NULL, &c), WECOM_OK); /* SID */
    /* mixed modes, each 20 ms */
    n = amr(100, 0);
    file[6 + 13 * 50] = (unsigned char)(7 << 3); /* one 12.2k header in a 4.75k stream */
    assert_int_not_equal(check(n, WECOM_KIND_VOICE, NULL, &c), WECOM_ERR_MEDIA_VOICE_TOO_LONG);
    /* a reserved frame type */
    n = amr(10, 7);
    file[6 + 32 * 4] = (unsigned char)(12 << 3);
    assert_int_equal(check(n, WECOM_KIND_VOICE, NULL, &c), WECOM_ERR_MEDIA_AMR_CORRUPT);
    /* the last frame cut off */
    n = amr(10, 7);
    assert_int_equal(check(n - 1, WECOM_KIND_VOICE, NULL, &c), WECOM_ERR_MEDIA_AMR_CORRUPT);
    memcpy(file, "#!AMR-WB\n\x04", 10);
    assert_int_equal(check(10, WECOM_KIND_VOICE, NULL, &c), WECOM_ERR_MEDIA_AMR_WB);
    memcpy(file, "RIFF....WAVE", 12);
    assert_int_equal(check(12, WECOM_KIND_VOICE, NULL, &c), WECOM_ERR_MEDIA_FORMAT);
}

static void test_file_shorter_than_said(void **state)
{
    wecom_check_t c;
    mem_source_t src;
    (void)state;
    memcpy(file, "\xFF\xD8\xFF\xE1xx", 6);
    mem_source_init(&src, file, 6);
    assert_int_equal(wecom_media_check(&src.reader, 1000, WECOM_KIND_IMAGE, NULL, scratch,
                                       sizeof scratch, &c), WECOM_ERR_MEDIA_LENGTH);
}

static void test_kind_names(void **state)
{
    wecom_kind_t k;
    (void)state;
    assert_int_equal(wecom_kind_parse("voice", &k), WECOM_OK);
    assert_int_equal(k, WECOM_KIND_VOICE);
    assert_string_equal(wecom_kind_name(WECOM_KIND_VIDEO), "video");
    assert_int_equal(wecom_kind_parse("Voice", &k), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_kind_parse("mp3", &k), WECOM_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detects_kinds),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_amr_duration),
        cmocka_unit_test(test_file_shorter_than_said),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
