/* JSON field extraction from API answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static wecom_json_t j;

static void parse(const char *s)
{
    assert_int_equal(wecom_json_parse(&j, s, strlen(s)), WECOM_OK);
}

static void test_fields(void **state)
{
    char out[64];
    int64_t v;
    (void)state;
    parse("{\"errcode\":0,\"errmsg\":\"\",\"nested\":{\"media_id\":\"inner\"},"
          "\"list\":[1,{\"a\":2}],\"type\":\"image\",\"media_id\":\"MID\","
          "\"created_at\":\"1380000000\",\"expires_in\":7200,\"neg\":-1}");
    assert_int_equal(wecom_json_string(&j, "media_id", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "MID"); /* the top-level one, not the nested */
    assert_int_equal(wecom_json_int(&j, "expires_in", &v), WECOM_OK);
    assert_int_equal(v, 7200);
    assert_int_equal(wecom_json_int(&j, "neg", &v), WECOM_OK);
    assert_int_equal(v, -1);
    assert_int_equal(wecom_json_digits(&j, "created_at", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "1380000000");
    assert_int_equal(wecom_json_digits(&j, "expires_in", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "7200");
    assert_int_equal(wecom_json_string(&j, "missing", out, sizeof out), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom_json_string(&j, "expires_in", out, sizeof out), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom_json_int(&j, "type", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom_json_digits(&j, "neg", out, sizeof out), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom_json_string(&j, "type", out, 3), WECOM_ERR_BUFFER_TOO_SMALL);
}

static void test_unescaping(void **state)
{
    char out[64];
    (void)state;
    parse("{\"errmsg\":\"a\\\"b\\\\c\\/d\\n\\u6d4b\\u8bd5\\ud83d\\ude00\"}");
    assert_int_equal(wecom_json_string(&j, "errmsg", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "a\"b\\c/d\n测试\xF0\x9F\x98\x80");
    parse("{\"errmsg\":\"\\ud83d\"}"); /* a lone surrogate */
    assert_int_equal(wecom_json_string(&j, "errmsg", out, sizeof out), WECOM_ERR_JSON_PARSE);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "", "[1,2]", "\"str\"", "{\"a\":", "{\"a\" 1}", "<html>",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (wecom_json_parse(&j, bad[i], strlen(bad[i])) == WECOM_OK)
            fail_msg("'%s' was taken", bad[i]);
    /* jsmn checks a literal's first character only; the field readers
     * still refuse what is not a number or a string. */
    {
        int64_t v;
        char out[8];
        assert_int_equal(wecom_json_parse(&j, "{\"a\":tru}", 10), WECOM_OK);
        assert_int_equal(wecom_json_int(&j, "a", &v), WECOM_ERR_JSON_FIELD);
        assert_int_equal(wecom_json_digits(&j, "a", out, sizeof out), WECOM_ERR_JSON_FIELD);
    }
}

static void test_token_limit(void **state)
{
    char big[4096];
    size_t n = 0;
    int i;
    (void)state;
    n += (size_t)snprintf(big, sizeof big, "{");
    for (i = 0; i < WECOM_JSON_TOKENS; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\":%d,", i, i);
    big[n - 1] = '}';
    assert_int_equal(wecom_json_parse(&j, big, n), WECOM_ERR_JSON_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_unescaping),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_token_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
