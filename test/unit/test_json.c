/* SPDX-License-Identifier: MIT */
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
    assert_int_equal(wecom__json_parse(&j, s, strlen(s)), WECOM_OK);
}

static void test_fields(void **state)
{
    char out[64];
    int64_t v;
    (void)state;
    parse("{\"errcode\":0,\"errmsg\":\"\",\"nested\":{\"media_id\":\"inner\"},"
          "\"list\":[1,{\"a\":2}],\"type\":\"image\",\"media_id\":\"MID\","
          "\"created_at\":\"1380000000\",\"expires_in\":7200,\"neg\":-1}");
    assert_int_equal(wecom__json_string(&j, "media_id", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "MID"); /* the top-level one, not the nested */
    assert_int_equal(wecom__json_int(&j, "expires_in", &v), WECOM_OK);
    assert_int_equal(v, 7200);
    assert_int_equal(wecom__json_int(&j, "neg", &v), WECOM_OK);
    assert_int_equal(v, -1);
    assert_int_equal(wecom__json_digits(&j, "created_at", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "1380000000");
    assert_int_equal(wecom__json_digits(&j, "expires_in", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "7200");
    assert_int_equal(wecom__json_string(&j, "missing", out, sizeof out), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_string(&j, "expires_in", out, sizeof out), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "type", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_digits(&j, "neg", out, sizeof out), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_string(&j, "type", out, 3), WECOM_ERR_BUFFER_TOO_SMALL);
}

static void test_unescaping(void **state)
{
    char out[64];
    (void)state;
    parse("{\"errmsg\":\"a\\\"b\\\\c\\/d\\n\\u6d4b\\u8bd5\\ud83d\\ude00\"}");
    assert_int_equal(wecom__json_string(&j, "errmsg", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "a\"b\\c/d\n测试\xF0\x9F\x98\x80");
    /* a key is found by what it says, escaped or not */
    parse("{\"err\\u006dsg\":\"x\",\"\\u6d4b\":1}");
    assert_int_equal(wecom__json_string(&j, "errmsg", out, sizeof out), WECOM_OK);
    assert_string_equal(out, "x");
    assert_int_equal(wecom__json_has(&j, "\xE6\xB5\x8B"), 1);
}

static void test_malformed(void **state)
{
    /* Each is refused whole. Many of them jsmn alone takes. */
    static const char *const bad[] = {
        "", "   ", "[1,2]", "\"str\"", "{\"a\":", "{\"a\" 1}", "<html>",
        "{\"a\":tru}", "{\"a\":1-2}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
        "{\"a\":1e}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":1,}", "{,\"a\":1}",
        "{\"a\":1,,\"b\":2}", "{\"a\":1 \"b\":2}", "{\"a\"}", "{1:2}",
        "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":{\"b\":1]}", "{\"a\":1]",
        "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":1} 1", "{}}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\uZZZZ\"}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"errcode\":0,\"errcode\":40007}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (wecom__json_parse(&j, bad[i], strlen(bad[i])) == WECOM_OK)
            fail_msg("'%s' was taken", bad[i]);
    /* a NUL ends nothing: what follows it counts */
    assert_int_equal(wecom__json_parse(&j, "{\"a\":1}\0{}", 10), WECOM_ERR_JSON_PARSE);
    assert_int_equal(wecom__json_parse(&j, "{\"a\":\"x\0\"}", 10), WECOM_ERR_JSON_PARSE);
}

static void test_valid_forms(void **state)
{
    static const char *const good[] = {
        "{}", " \r\n\t{ } \n", "{\"a\":-0.5e+10,\"b\":0,\"c\":1E-2,\"d\":-0}",
        "{\"a\":[],\"b\":{},\"c\":[[],{}],\"d\":true,\"e\":false,\"f\":null}",
        "{\"a\":{\"x\":1},\"b\":{\"x\":2}}", /* nested keys may repeat */
        "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\uD83D\\uDE00\"}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof good / sizeof good[0]; i++)
        if (wecom__json_parse(&j, good[i], strlen(good[i])) != WECOM_OK)
            fail_msg("'%s' was refused", good[i]);
}

static void test_integers(void **state)
{
    int64_t v = 7;
    char out[8];
    (void)state;
    parse("{\"max\":9223372036854775807,\"min\":-9223372036854775808,"
          "\"over\":9223372036854775808,\"under\":-9223372036854775809,"
          "\"huge\":99999999999999999999,\"exp\":4.0007e4,\"frac\":40007.0,"
          "\"str\":\"40007\",\"t\":true,\"n\":null,\"o\":{}}");
    assert_int_equal(wecom__json_int(&j, "max", &v), WECOM_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(wecom__json_int(&j, "min", &v), WECOM_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(wecom__json_int(&j, "over", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "under", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "huge", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "exp", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "frac", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "str", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "t", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "n", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_int(&j, "o", &v), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_digits(&j, "t", out, sizeof out), WECOM_ERR_JSON_FIELD);
    assert_int_equal(wecom__json_has(&j, "str"), 1);
    assert_int_equal(wecom__json_has(&j, "errcode"), 0);
}

/* ------------------------------------------------- media or error answer */

static wecom_answer_t classify(int status, const char *ct, const char *cd,
                               const char *body, int complete, int overflow,
                               int64_t *code)
{
    wecom_answer_in_t in;
    in.status = status;
    in.content_type = ct;
    in.content_disposition = cd;
    in.body = body;
    in.len = strlen(body);
    in.complete = complete;
    in.overflow = overflow;
    return wecom__json_answer_classify(&in, &j, code);
}

static void test_classifier(void **state)
{
    static const char ERR[] = "{\"errcode\":40007,\"errmsg\":\"invalid media_id\"}";
    static const char *const json_types[] = {
        "application/json", "application/json; charset=UTF-8", "Application/JSON",
        "text/json", "application/problem+json", "application/vnd.x+JSON;q=1",
    };
    static const char *const other_types[] = {
        "", "text/plain", "image/jpeg", "application/octet-stream", "application/jsonx",
        "json",
    };
    static const char *const html_types[] = {
        "text/html", "text/html; charset=utf-8", "TEXT/HTML", "application/xhtml+xml",
    };
    int64_t code = 0;
    size_t i;
    (void)state;
    /* Content-Disposition: media, whatever the bytes and the type */
    assert_int_equal(classify(200, "application/json", "attachment; filename=a.json",
                              ERR, 1, 0, &code), WECOM_ANSWER_MEDIA);
    assert_int_equal(classify(200, "application/json", "attachment", "", 0, 0, &code),
                     WECOM_ANSWER_MEDIA);
    for (i = 0; i < sizeof json_types / sizeof json_types[0]; i++) {
        /* a JSON type is an answer: held until whole */
        assert_int_equal(classify(200, json_types[i], "", "no json", 0, 0, &code),
                         WECOM_ANSWER_UNDECIDED);
        assert_int_equal(classify(200, json_types[i], "", "no json", 1, 0, &code),
                         WECOM_ANSWER_MALFORMED);
        assert_int_equal(classify(200, json_types[i], "", ERR, 1, 0, &code),
                         WECOM_ANSWER_API_ERROR);
        assert_true(code == 40007);
        assert_int_equal(classify(200, json_types[i], "", ERR, 0, 1, &code),
                         WECOM_ANSWER_MALFORMED);
    }
    for (i = 0; i < sizeof other_types / sizeof other_types[0]; i++) {
        /* any other type: decided by the first byte that is not space */
        if (classify(200, other_types[i], "", "", 0, 0, &code) != WECOM_ANSWER_UNDECIDED ||
            classify(200, other_types[i], "", " \r\n", 0, 0, &code) != WECOM_ANSWER_UNDECIDED ||
            classify(200, other_types[i], "", "\xEF", 0, 0, &code) != WECOM_ANSWER_UNDECIDED ||
            classify(200, other_types[i], "", "\xEF\xBB\xBF ", 0, 0, &code) != WECOM_ANSWER_UNDECIDED ||
            classify(200, other_types[i], "", " {", 0, 0, &code) != WECOM_ANSWER_UNDECIDED ||
            classify(200, other_types[i], "", ERR, 1, 0, &code) != WECOM_ANSWER_API_ERROR ||
            classify(200, other_types[i], "", " x{", 0, 0, &code) != WECOM_ANSWER_MEDIA ||
            classify(200, other_types[i], "", "\xFF\xD8\xFF", 0, 0, &code) != WECOM_ANSWER_MEDIA ||
            classify(200, other_types[i], "", "", 1, 0, &code) != WECOM_ANSWER_MEDIA ||
            classify(200, other_types[i], "", "   ", 0, 1, &code) != WECOM_ANSWER_MALFORMED ||
            classify(200, other_types[i], "", "{\"errcode\":\"1\"}", 1, 0, &code) != WECOM_ANSWER_MALFORMED)
            fail_msg("type '%s' misread", other_types[i]);
    }
    for (i = 0; i < sizeof html_types / sizeof html_types[0]; i++) {
        /* a web page: never media, told early unless it may be an answer */
        if (classify(200, html_types[i], "", "<html>", 0, 0, &code) != WECOM_ANSWER_PAGE ||
            classify(200, html_types[i], "", "", 0, 0, &code) != WECOM_ANSWER_UNDECIDED ||
            classify(200, html_types[i], "", "", 1, 0, &code) != WECOM_ANSWER_PAGE ||
            classify(200, html_types[i], "", " {", 0, 0, &code) != WECOM_ANSWER_UNDECIDED ||
            classify(200, html_types[i], "", ERR, 1, 0, &code) != WECOM_ANSWER_API_ERROR ||
            classify(200, html_types[i], "", "{}", 1, 0, &code) != WECOM_ANSWER_PAGE ||
            classify(200, html_types[i], "", "{\"errcode\":0}", 1, 0, &code) != WECOM_ANSWER_PAGE ||
            classify(200, html_types[i], "", "{", 0, 1, &code) != WECOM_ANSWER_PAGE ||
            classify(200, html_types[i], "attachment", "<html>", 1, 0, &code) != WECOM_ANSWER_MEDIA)
            fail_msg("type '%s' misread", html_types[i]);
    }
    /* a whole object without a non-zero errcode is media */
    assert_int_equal(classify(200, "application/json", "", "{\"errcode\":0}", 1, 0, &code),
                     WECOM_ANSWER_MEDIA);
    assert_int_equal(classify(200, "", "", "{\"a\":[1]}", 1, 0, &code), WECOM_ANSWER_MEDIA);
    /* other statuses are never media */
    assert_int_equal(classify(404, "application/json", "attachment", ERR, 0, 0, &code),
                     WECOM_ANSWER_UNDECIDED);
    assert_int_equal(classify(404, "application/json", "attachment", ERR, 1, 0, &code),
                     WECOM_ANSWER_API_ERROR);
    assert_int_equal(classify(500, "text/html", "", "<h1>", 1, 0, &code), WECOM_ANSWER_STATUS);
    assert_int_equal(classify(302, "", "", "", 1, 0, &code), WECOM_ANSWER_STATUS);
    assert_int_equal(classify(503, "", "", "{\"errcode\":0}", 1, 0, &code), WECOM_ANSWER_STATUS);
    assert_int_equal(classify(500, "", "", ERR, 0, 1, &code), WECOM_ANSWER_STATUS);
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
    assert_int_equal(wecom__json_parse(&j, big, n), WECOM_ERR_JSON_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_unescaping),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_token_limit),
        cmocka_unit_test(test_valid_forms),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_classifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
