/* SPDX-License-Identifier: MIT */
/* Every error code has a name and a description of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wecom/error.h"

static void test_every_code_is_named(void **state)
{
    int code, named = 0;
    (void)state;
    for (code = 0; code >= -0x7F; code--) {
        const char *name = wecom_errname(code);
        const char *text = wecom_strerror(code);
        if (strcmp(name, "WECOM_ERR_UNKNOWN") == 0) {
            assert_string_equal(text, "unknown error");
            continue;
        }
        named++;
        assert_true(strlen(text) > 5);
        assert_true(strncmp(name, "WECOM_", 6) == 0);
    }
    assert_true(named >= 30);
    assert_string_equal(wecom_errname(WECOM_ERR_TLS_CERT_EXPIRED),
                        "WECOM_ERR_TLS_CERT_EXPIRED");
    assert_string_equal(wecom_errname(12345), "WECOM_ERR_UNKNOWN");
    assert_string_equal(wecom_errname(WECOM_ERR_BUSY), "WECOM_ERR_BUSY");
}

static void test_descriptions_are_distinct(void **state)
{
    int a, b;
    (void)state;
    for (a = 0; a >= -0x7F; a--)
        for (b = a - 1; b >= -0x7F; b--)
            if (strcmp(wecom_errname(a), "WECOM_ERR_UNKNOWN") != 0)
                assert_string_not_equal(wecom_strerror(a), wecom_strerror(b));
}

#if WECOM_ERROR_TEXT
static void test_clock_hint(void **state)
{
    (void)state;
    /* A device that booted in 1970 must be told where to look. */
    assert_non_null(strstr(wecom_strerror(WECOM_ERR_TLS_CERT_NOT_YET_VALID), "clock"));
    assert_non_null(strstr(wecom_strerror(WECOM_ERR_TLS_CERT_EXPIRED), "clock"));
}

static void test_upload_outcomes(void **state)
{
    (void)state;
    /* A lost answer after the whole body must say the file may be there,
     * so that nobody sends it again blindly. */
    assert_string_equal(wecom_errname(WECOM_ERR_UPLOAD_UNCONFIRMED),
                        "WECOM_ERR_UPLOAD_UNCONFIRMED");
    assert_non_null(strstr(wecom_strerror(WECOM_ERR_UPLOAD_UNCONFIRMED),
                           "may have been stored"));
    assert_string_equal(wecom_errname(WECOM_ERR_MEDIA_ID), "WECOM_ERR_MEDIA_ID");
    assert_non_null(strstr(wecom_strerror(WECOM_ERR_MEDIA_ID), "media_id"));
}
#else
/* Built without the descriptions (test_error_names): the name stands in,
 * so a tool that prints wecom_strerror still says which error it was. */
static void test_text_is_the_name(void **state)
{
    int code;
    (void)state;
    for (code = 0; code >= -0x7F; code--)
        if (strcmp(wecom_errname(code), "WECOM_ERR_UNKNOWN") != 0)
            assert_string_equal(wecom_strerror(code), wecom_errname(code));
    assert_string_equal(wecom_strerror(WECOM_ERR_TLS_CERT_EXPIRED),
                        "WECOM_ERR_TLS_CERT_EXPIRED");
    assert_string_equal(wecom_strerror(WECOM_ERR_OUTBOX_ABSENT),
                        "WECOM_ERR_OUTBOX_ABSENT");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_is_named),
        cmocka_unit_test(test_descriptions_are_distinct),
#if WECOM_ERROR_TEXT
        cmocka_unit_test(test_clock_hint),
        cmocka_unit_test(test_upload_outcomes),
#else
        cmocka_unit_test(test_text_is_the_name),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
