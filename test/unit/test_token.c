/* SPDX-License-Identifier: MIT */
/*
 * The token provider (core/token.c): asked before a request when the
 * client has no token or its token lapses within the margin, and once
 * after 40014/42001, when the request is sent again (an upload whole).
 * Over the in-memory stream, with a clock the test moves.
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

static client_fixture_t f;
static uint64_t g_now_ms;
static char g_answers[8][512];

static uint64_t fake_now(void *ctx)
{
    (void)ctx;
    return g_now_ms;
}

/* What the provider was asked, and what it hands out. */
static struct {
    int calls;
    wecom_token_reason_t last;
    const char *give;   /* NULL: fail */
    uint32_t ttl_s;
} g_p;

static wecom_err_t provider(void *ctx, wecom_client_t *c, wecom_token_reason_t why)
{
    (void)ctx;
    g_p.calls++;
    g_p.last = why;
    if (g_p.give == NULL)
        return WECOM_ERR_INVALID_ARG;
    return wecom_client_set_token_ttl(c, g_p.give, g_p.ttl_s);
}

static void add_answer(int slot, const char *json)
{
    snprintf(g_answers[slot], sizeof g_answers[slot],
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(json), json);
    mem_stream_add(&f.mem, g_answers[slot], strlen(g_answers[slot]), 0);
}

static const char SUCCESS[] =
    "{\"errcode\":0,\"errmsg\":\"\",\"type\":\"file\",\"media_id\":"
    "\"3a8asd892asd8asd\",\"created_at\":\"1380000000\"}";

static const char FILE_DATA[] = "FILE-BODY-MARKER-0123456789";

static void setup_client(void)
{
    client_fixture_init(&f, MEM_WHOLE);
    g_now_ms = 1000000;
    f.port.now_ms = fake_now;
    memset(&g_p, 0, sizeof g_p);
    wecom_client_set_token_provider(&f.client, provider, NULL);
}

static wecom_err_t upload(wecom_upload_result_t *res)
{
    static mem_source_t src;
    wecom_upload_t up;
    mem_source_init(&src, FILE_DATA, sizeof FILE_DATA - 1);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_FILE;
    up.no_check = 1;
    up.reader = &src.reader;
    up.length = sizeof FILE_DATA - 1;
    up.filename = "a.bin";
    return wecom_media_upload(&f.client, &up, res);
}

static int sent(const char *needle)
{
    return count_occurrences(f.sent, f.mem.sent_len, needle);
}

static void test_no_token_asks_the_provider_first(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup_client();
    wecom__client(&f.client)->token[0] = '\0';
    g_p.give = "tok_FROM-PROVIDER-1";
    add_answer(0, SUCCESS);
    assert_int_equal(upload(&res), WECOM_OK);
    assert_int_equal(g_p.calls, 1);
    assert_int_equal(g_p.last, WECOM_TOKEN_NEEDED);
    assert_int_equal(sent("access_token=tok_FROM-PROVIDER-1&"), 1);
    assert_int_equal(wecom_client_token_ttl(&f.client), -1); /* life unknown */
    client_fixture_free(&f);
}

static void test_no_token_and_no_provider_is_refused(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup_client();
    wecom_client_set_token_provider(&f.client, NULL, NULL);
    wecom__client(&f.client)->token[0] = '\0';
    assert_int_equal(upload(&res), WECOM_ERR_INVALID_ARG);
    assert_int_equal(f.mem.sent_len, 0);
    assert_int_equal(wecom_client_token_ensure(&f.client), WECOM_ERR_INVALID_ARG);
    client_fixture_free(&f);
}

/* A token of 7200 s is refreshed 300 s before it lapses, not sooner. */
static void test_refreshed_within_the_margin(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup_client();
    assert_int_equal(wecom_client_set_token_ttl(&f.client, "tok_OLD-0123456789", 7200),
                     WECOM_OK);
    assert_int_equal(wecom_client_token_ttl(&f.client), 7200);
    g_p.give = "tok_NEW-0123456789";
    g_p.ttl_s = 7200;
    g_now_ms += (7200 - WECOM_TOKEN_REFRESH_MARGIN_S - 1) * 1000ull;
    add_answer(0, SUCCESS);
    assert_int_equal(upload(&res), WECOM_OK);
    assert_int_equal(g_p.calls, 0);
    g_now_ms += 2000;
    add_answer(1, SUCCESS);
    assert_int_equal(upload(&res), WECOM_OK);
    assert_int_equal(g_p.calls, 1);
    assert_int_equal(g_p.last, WECOM_TOKEN_EXPIRING);
    assert_int_equal(sent("access_token=tok_OLD-0123456789&"), 1);
    assert_int_equal(sent("access_token=tok_NEW-0123456789&"), 1);
    assert_int_equal(wecom_client_token_ttl(&f.client), 7200);
    client_fixture_free(&f);
}

/* A short-lived token: the margin is at most half its life. */
static void test_margin_is_at_most_half_the_life(void **state)
{
    (void)state;
    setup_client();
    assert_int_equal(wecom_client_set_token_ttl(&f.client, "tok_SHORT-0123456789", 4),
                     WECOM_OK);
    g_p.give = "tok_NEXT-0123456789";
    g_now_ms += 1900;
    assert_int_equal(wecom_client_token_ensure(&f.client), WECOM_OK);
    assert_int_equal(g_p.calls, 0);
    g_now_ms += 200;
    assert_int_equal(wecom_client_token_ensure(&f.client), WECOM_OK);
    assert_int_equal(g_p.calls, 1);
    assert_string_equal(wecom_client_token(&f.client), "tok_NEXT-0123456789");
    client_fixture_free(&f);
}

/* A failed early refresh is no error while the old token lives, and is
 * not tried again before every request. */
static void test_failed_early_refresh_keeps_the_live_token(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup_client();
    assert_int_equal(wecom_client_set_token_ttl(&f.client, "tok_OLD-0123456789", 7200),
                     WECOM_OK);
    g_p.give = NULL; /* the provider fails */
    g_now_ms += (7200 - 200) * 1000ull; /* 200 s left */
    add_answer(0, SUCCESS);
    assert_int_equal(upload(&res), WECOM_OK);
    assert_int_equal(g_p.calls, 1);
    assert_int_equal(sent("access_token=tok_OLD-0123456789&"), 1);
    g_now_ms += 50 * 1000ull; /* 150 s left: not yet asked again */
    assert_int_equal(wecom_client_token_ensure(&f.client), WECOM_OK);
    assert_int_equal(g_p.calls, 1);
    g_now_ms += 60 * 1000ull; /* 90 s left: half of the 200 passed */
    assert_int_equal(wecom_client_token_ensure(&f.client), WECOM_OK);
    assert_int_equal(g_p.calls, 2);
    g_now_ms += 100 * 1000ull; /* lapsed, and the provider still fails */
    assert_int_equal(wecom_client_token_ttl(&f.client), 0);
    assert_int_equal(wecom_client_token_ensure(&f.client), WECOM_ERR_INVALID_ARG);
    client_fixture_free(&f);
}

/* 40014: the provider once, then the upload again, whole. */
static void test_rejected_token_resends_the_upload_whole(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup_client();
    g_p.give = "tok_RENEWED-0123456789";
    add_answer(0, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}");
    add_answer(1, SUCCESS);
    assert_int_equal(upload(&res), WECOM_OK);
    assert_int_equal(g_p.calls, 1);
    assert_int_equal(g_p.last, WECOM_TOKEN_REJECTED);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(sent("access_token=" FIXTURE_TOKEN "&"), 1);
    assert_int_equal(sent("access_token=tok_RENEWED-0123456789&"), 1);
    /* the file went out twice, whole: from the start of its source */
    assert_int_equal(sent(FILE_DATA), 2);
    assert_int_equal(sent("Content-Length: "), 2);
    assert_string_equal(res.media_id, "3a8asd892asd8asd");
    client_fixture_free(&f);
}

/* A second refusal in the same call is final; so is the same token again. */
static void test_refresh_once_and_never_the_same_token(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup_client();
    g_p.give = "tok_RENEWED-0123456789";
    add_answer(0, "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}");
    add_answer(1, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}");
    assert_int_equal(upload(&res), WECOM_ERR_API);
    assert_int_equal(res.api.errcode, 40014);
    assert_int_equal(g_p.calls, 1);
    assert_int_equal(res.attempts, 2);
    client_fixture_free(&f);

    setup_client();
    g_p.give = FIXTURE_TOKEN; /* hands back the refused one */
    add_answer(0, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}");
    assert_int_equal(upload(&res), WECOM_ERR_API);
    assert_int_equal(g_p.calls, 1);
    assert_int_equal(res.attempts, 1);
    client_fixture_free(&f);
}

/* gettoken sets the token with its life; the provider's own gettoken
 * does not ask the provider again. */
static void test_gettoken_sets_the_life(void **state)
{
    wecom_api_error_t api;
    int64_t expires = 0;
    (void)state;
    setup_client();
    add_answer(0, "{\"errcode\":0,\"access_token\":\"tok_FETCHED-0123\",\"expires_in\":7200}");
    assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", "secret-0123456789", &expires,
                                       &api), WECOM_OK);
    assert_int_equal(expires, 7200);
    assert_int_equal(wecom_client_token_ttl(&f.client), 7200);
    g_now_ms += 7100 * 1000ull;
    assert_int_equal(wecom_client_token_ttl(&f.client), 100);
    assert_int_equal(g_p.calls, 0);
    /* a set token without a life is never refreshed early */
    assert_int_equal(wecom_client_set_token(&f.client, "tok_FIXED-0123456789"), WECOM_OK);
    assert_int_equal(wecom_client_token_ttl(&f.client), -1);
    g_now_ms += 86400 * 1000ull;
    assert_int_equal(wecom_client_token_ensure(&f.client), WECOM_OK);
    assert_int_equal(g_p.calls, 0);
    client_fixture_free(&f);
}

/* Without a provider, the old refresh hook still serves 40014. */
static int g_hook_calls;
static int hook(void *ctx, wecom_client_t *c)
{
    (void)ctx;
    g_hook_calls++;
    return wecom_client_set_token(c, "tok_HOOK-0123456789") == WECOM_OK ? 0 : -1;
}

static void test_refresh_hook_without_provider(void **state)
{
    wecom_upload_result_t res;
    (void)state;
    setup_client();
    wecom_client_set_token_provider(&f.client, NULL, NULL);
    wecom_client_on_token_expiry(&f.client, hook, NULL);
    g_hook_calls = 0;
    add_answer(0, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}");
    add_answer(1, SUCCESS);
    assert_int_equal(upload(&res), WECOM_OK);
    assert_int_equal(g_hook_calls, 1);
    assert_int_equal(sent("access_token=tok_HOOK-0123456789&"), 1);
    client_fixture_free(&f);
}

/* The request log sees every target with its credentials masked; the
 * wire carries them. */
static char g_logged[4][512];
static int g_nlogged;
static void log_request(void *ctx, const char *host, uint16_t port, const char *target)
{
    (void)ctx;
    if (g_nlogged < 4)
        snprintf(g_logged[g_nlogged++], sizeof g_logged[0], "%s:%u%s", host, (unsigned)port,
                 target);
}

static void test_request_log_masks_credentials(void **state)
{
    wecom_upload_result_t res;
    wecom_api_error_t api;
    (void)state;
    setup_client();
    g_nlogged = 0;
    wecom_client_on_request(&f.client, log_request, NULL);
    add_answer(0, "{\"errcode\":0,\"access_token\":\"tok_FETCHED-0123\",\"expires_in\":7200}");
    add_answer(1, SUCCESS);
    assert_int_equal(wecom_token_fetch(&f.client, "wwcorp", "secret-0123456789", NULL, &api),
                     WECOM_OK);
    assert_int_equal(upload(&res), WECOM_OK);
    assert_int_equal(g_nlogged, 2);
    assert_string_equal(g_logged[0],
                        "qyapi.example:443/cgi-bin/gettoken?corpid=wwcorp&corpsecret=***");
    assert_string_equal(g_logged[1],
                        "qyapi.example:443/cgi-bin/media/upload?access_token=***&type=file");
    assert_int_equal(sent("corpsecret=secret-0123456789"), 1);
    assert_int_equal(sent("access_token=tok_FETCHED-0123&type=file"), 1);
    client_fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_token_asks_the_provider_first),
        cmocka_unit_test(test_no_token_and_no_provider_is_refused),
        cmocka_unit_test(test_refreshed_within_the_margin),
        cmocka_unit_test(test_margin_is_at_most_half_the_life),
        cmocka_unit_test(test_failed_early_refresh_keeps_the_live_token),
        cmocka_unit_test(test_rejected_token_resends_the_upload_whole),
        cmocka_unit_test(test_refresh_once_and_never_the_same_token),
        cmocka_unit_test(test_gettoken_sets_the_life),
        cmocka_unit_test(test_refresh_hook_without_provider),
        cmocka_unit_test(test_request_log_masks_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
