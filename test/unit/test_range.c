/* SPDX-License-Identifier: MIT */
/* Content-Range parsing and Range writing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "range.h"

static void test_parse(void **state)
{
    wecom_content_range_t r;
    static const char *const bad[] = {
        "", "bytes", "bytes 5-4/10", "bytes 0-10/10", "bytes 0-1", "bytes 0-1/",
        "bytes */*", "items 0-1/10", "bytes -1-2/10", "bytes 0-1/10x",
        "bytes 0-99999999999999999999/1", "bytes 0-1/18446744073709551615",
    };
    size_t i;
    (void)state;
    assert_int_equal(wecom__content_range_parse("bytes 0-499/10000", &r), WECOM_OK);
    assert_int_equal(r.first, 0);
    assert_int_equal(r.last, 499);
    assert_int_equal(r.total, 10000);
    assert_false(r.unsatisfied);
    assert_int_equal(wecom__content_range_parse("bytes 9500-9999/*", &r), WECOM_OK);
    assert_int_equal(r.total, WECOM_RANGE_UNKNOWN);
    assert_int_equal(wecom__content_range_parse("bytes */10000", &r), WECOM_OK);
    assert_true(r.unsatisfied);
    assert_int_equal(r.total, 10000);
    assert_int_equal(wecom__content_range_parse("bytes 21010-47021/47022", &r), WECOM_OK);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (wecom__content_range_parse(bad[i], &r) != WECOM_ERR_RANGE_MISMATCH)
            fail_msg("'%s' was taken", bad[i]);
}

static void test_header(void **state)
{
    char h[64];
    wecom__text_t t;
    (void)state;
    wecom__text_init(&t, h, sizeof h, 1);
    wecom__range_header(&t, 0, 1023);
    assert_false(t.overflow);
    assert_string_equal(h, "Range: bytes=0-1023\r\n");
    wecom__text_init(&t, h, sizeof h, 1);
    wecom__range_header(&t, 18446744073709551614u, WECOM_RANGE_UNKNOWN);
    assert_false(t.overflow);
    assert_string_equal(h, "Range: bytes=18446744073709551614-\r\n");
    /* cut short: the flag is set and no piece is written half */
    wecom__text_init(&t, h, 17, 1);
    wecom__range_header(&t, 0, 1);
    assert_true(t.overflow);
    assert_string_equal(h, "Range: bytes=0-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
