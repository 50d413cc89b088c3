/* SPDX-License-Identifier: MIT */
/* Base URL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"

typedef struct {
    const char *url;
    wecom_err_t rc;
    const char *host;
    uint16_t port;
    const char *path;
} url_case_t;

static const url_case_t CASES[] = {
    { "https://qyapi.weixin.qq.com", 0, "qyapi.weixin.qq.com", 443, "" },
    { "https://qyapi.weixin.qq.com/", 0, "qyapi.weixin.qq.com", 443, "" },
    { "https://localhost:8443", 0, "localhost", 8443, "" },
    { "https://127.0.0.1:1/proxy/wecom/", 0, "127.0.0.1", 1, "/proxy/wecom" },
    { "https://[::1]:65535/p", 0, "::1", 65535, "/p" },
    { "http://qyapi.weixin.qq.com", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "qyapi.weixin.qq.com", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://host:0", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://host:65536", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://host:", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://host:12x", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://user:pw@host", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://host?x=1", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://host/a b", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://host/a?b", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://[::1", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
    { "https://ho\nst", WECOM_ERR_INVALID_ARG, 0, 0, 0 },
};

static void test_cases(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char host[64], path[64];
        uint16_t port = 0;
        wecom_err_t rc = wecom__url_parse(CASES[i].url, host, sizeof host,
                                         &port, path, sizeof path);
        if (rc != CASES[i].rc)
            fail_msg("%s: got %s", CASES[i].url, wecom_errname(rc));
        if (rc == 0) {
            assert_string_equal(host, CASES[i].host);
            assert_int_equal(port, CASES[i].port);
            assert_string_equal(path, CASES[i].path);
        }
    }
}

static void test_bounds(void **state)
{
    char host[8], path[4];
    uint16_t port;
    (void)state;
    assert_int_equal(wecom__url_parse("https://a-long-host", host, sizeof host,
                                     &port, path, sizeof path),
                     WECOM_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(wecom__url_parse("https://h/long", host, sizeof host, &port,
                                     path, sizeof path),
                     WECOM_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(wecom__url_parse(NULL, host, sizeof host, &port, path,
                                     sizeof path),
                     WECOM_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
