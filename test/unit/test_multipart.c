/* SPDX-License-Identifier: MIT */
/* multipart framing: the request header and the part head as bytes on the
 * wire, and the names and types that must never reach them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "multipart.h"

static int read_nothing(void *ctx, uint64_t off, unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    (void)len;
    return 0;
}

static const wecom_reader_t NOTHING = { read_nothing, NULL, 0 };
static wecom_multipart_t m;

static void test_token_boundary_goes_bare(void **state)
{
    (void)state;
    assert_int_equal(wecom__multipart_init(&m, "wecom-media-0f", "a.jpg", "image/jpeg",
                                          &NOTHING, 0), WECOM_OK);
    assert_string_equal(m.header,
                        "Content-Type: multipart/form-data; boundary=wecom-media-0f\r\n");
}

/* RFC 2046 allows ( ) , / : = ? in a boundary; RFC 2045 makes them
 * tspecials, so the parameter must be quoted or a strict server reads a
 * shorter boundary (or none). Found by fuzz_multipart. */
static void test_tspecial_boundary_is_quoted(void **state)
{
    (void)state;
    assert_int_equal(wecom__multipart_init(&m, "a=b", "a.jpg", "image/jpeg",
                                          &NOTHING, 0), WECOM_OK);
    assert_string_equal(m.header,
                        "Content-Type: multipart/form-data; boundary=\"a=b\"\r\n");
    /* the delimiters themselves carry the boundary bare */
    assert_memory_equal(m.head, "--a=b\r\n", 7);
    assert_int_equal(m.tail_len, 11);
    assert_memory_equal(m.tail, "\r\n--a=b--\r\n", 11);
}

/* A CR or LF in the name or the type would end the header line and let
 * the caller's string write headers of its own. Found by fuzz_multipart. */
static void test_control_bytes_refused(void **state)
{
    static const char *const names[] = { "evil\r\nX-Injected: 1.jpg", "a\nb", "tab\t.jpg",
                                         "del\x7f.jpg" };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (wecom__multipart_init(&m, "b", names[i], "image/jpeg", &NOTHING, 0) !=
            WECOM_ERR_INVALID_ARG)
            fail_msg("name %zu was taken", i);
    assert_int_equal(wecom__multipart_init(&m, "b", "a.jpg", "image/jpeg\r\nX: 1",
                                          &NOTHING, 0), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom__multipart_init(&m, "b", "a.jpg", "", &NOTHING, 0),
                     WECOM_ERR_INVALID_ARG);
    /* quotes and backslashes are escaped, not refused */
    assert_int_equal(wecom__multipart_init(&m, "b", "a\"b\\c", "image/jpeg", &NOTHING, 3),
                     WECOM_OK);
    assert_non_null(strstr((const char *)m.head, "filename=\"a\\\"b\\\\c\"; filelength=3\r\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_boundary_goes_bare),
        cmocka_unit_test(test_tspecial_boundary_is_quoted),
        cmocka_unit_test(test_control_bytes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
