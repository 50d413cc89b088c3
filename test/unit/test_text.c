/* SPDX-License-Identifier: MIT */
/* The bounded text builder: what fits is written, what does not sets a
 * flag that stays set, and nothing is ever written past the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static void test_cstr_fits_exactly(void **state)
{
    char buf[8];
    wecom__text_t t;
    (void)state;
    memset(buf, 'x', sizeof buf);
    wecom__text_init(&t, buf, 6, 1);
    wecom__text_put(&t, "ab");
    wecom__text_put_u64(&t, 123);
    assert_false(t.overflow); /* 5 characters and the NUL in 6 bytes */
    assert_string_equal(buf, "ab123");
    wecom__text_put(&t, "c");
    assert_true(t.overflow);
    assert_string_equal(buf, "ab123");
    assert_int_equal(buf[6], 'x'); /* never past cap */
    assert_int_equal(wecom__text_status(&t, WECOM_ERR_BUFFER_TOO_SMALL),
                     WECOM_ERR_BUFFER_TOO_SMALL);
}

static void test_overflow_is_sticky(void **state)
{
    char buf[8];
    wecom__text_t t;
    (void)state;
    wecom__text_init(&t, buf, sizeof buf, 1);
    wecom__text_put(&t, "too long for it");
    wecom__text_put(&t, "ok"); /* would fit, but comes after a loss */
    assert_true(t.overflow);
    assert_string_equal(buf, "");
}

static void test_bytes_use_all_room(void **state)
{
    unsigned char buf[4];
    wecom__text_t t;
    (void)state;
    wecom__text_init(&t, buf, sizeof buf, 0);
    wecom__text_put(&t, "abcd");
    assert_false(t.overflow);
    assert_int_equal(t.len, 4);
    assert_memory_equal(buf, "abcd", 4);
    assert_int_equal(wecom__text_status(&t, WECOM_ERR_BUFFER_TOO_SMALL), WECOM_OK);
}

static void test_encoded(void **state)
{
    char buf[64];
    wecom__text_t t;
    (void)state;
    wecom__text_init(&t, buf, sizeof buf, 1);
    wecom__text_put_encoded(&t, "a b&c=d/\xe4~._-");
    assert_false(t.overflow);
    assert_string_equal(buf, "a%20b%26c%3Dd%2F%E4~._-");
    /* an escape is written whole or not at all */
    wecom__text_init(&t, buf, 3, 1);
    wecom__text_put_encoded(&t, "a&");
    assert_true(t.overflow);
    assert_string_equal(buf, "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cstr_fits_exactly),
        cmocka_unit_test(test_overflow_is_sticky),
        cmocka_unit_test(test_bytes_use_all_room),
        cmocka_unit_test(test_encoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
