/* SPDX-License-Identifier: MIT */
/* Shared parts of the API calls (see api.h). */
#include <string.h>

#include "api.h"
#include "text.h"

static wecom_err_t build_target(wecom__client_t *c, const char *path, const char *param,
                                const char *value, const char *token)
{
    wecom__text_t t;
    wecom__text_init(&t, c->target, sizeof c->target, 1);
    wecom__text_put(&t, c->base_path);
    wecom__text_put(&t, path);
    wecom__text_put(&t, "?access_token=");
    wecom__text_put(&t, token);
    wecom__text_put(&t, "&");
    wecom__text_put(&t, param);
    wecom__text_put(&t, "=");
    wecom__text_put_encoded(&t, value);
    return wecom__text_status(&t, WECOM_ERR_BUFFER_TOO_SMALL);
}

wecom_err_t wecom__api_target(wecom__client_t *c, const char *path,
                              const char *param, const char *value)
{
    /* Every request's target is built here: the place to renew a token
     * that is missing or about to lapse (which may use c->target). */
    wecom_err_t rc = wecom__token_ensure(c);
    if (rc != WECOM_OK)
        return rc;
    if (c->token[0] == '\0')
        return WECOM_ERR_INVALID_ARG;
    /* The request log sees the target with the token masked, built in
     * the same buffer first: no second one on the stack. */
    if (c->request_log != NULL &&
        build_target(c, path, param, value, "***") == WECOM_OK)
        wecom__request_log(c, c->target);
    return build_target(c, path, param, value, c->token);
}

static int json_headers(void *ctx, const wecom_http_response_t *r)
{
    wecom__client_t *c = ctx;
    (void)r;
    c->json_len = 0;
    return 0;
}

static int json_body(void *ctx, const unsigned char *d, size_t n)
{
    wecom__client_t *c = ctx;
    if (n > sizeof c->json - c->json_len)
        return WECOM_ERR_JSON_TOO_LARGE;
    memcpy(c->json + c->json_len, d, n);
    c->json_len += n;
    return 0;
}

void wecom__api_json_sink(wecom__client_t *c, wecom_http_sink_t *sink)
{
    c->json_len = 0;
    sink->on_headers = json_headers;
    sink->on_body = json_body;
    sink->ctx = c;
}

/* errmsg is shown to people and logged: make sure a credential, which
 * WeCom could echo, never is. */
static void scrub(char *msg, const char *secret)
{
    size_t tl = secret != NULL ? strlen(secret) : 0;
    char *hit;
    if (tl < 8) /* a short string would mask ordinary words */
        return;
    while ((hit = strstr(msg, secret)) != NULL) {
        hit[0] = hit[1] = hit[2] = '*';
        memmove(hit + 3, hit + tl, strlen(hit + tl) + 1);
    }
}

/* errmsg, scrubbed of the token (and of `also`) while whole, then cut to
 * api->errmsg on a character boundary: cut first, and a credential at the
 * cut edge would show its first characters. */
static void copy_errmsg(wecom__client_t *c, const wecom_json_t *j,
                        wecom_api_error_t *api, const char *also)
{
    /* The unescaped value is no longer than the answer that holds it. On
     * the stack, since the call is over: far less than a TLS handshake
     * takes. */
    char full[sizeof c->json + 1];
    size_t n;
    api->errmsg[0] = '\0';
    if (wecom__json_string(j, "errmsg", full, sizeof full) != WECOM_OK)
        return;
    scrub(full, c->token);
    scrub(full, also);
    n = strlen(full);
    if (n >= sizeof api->errmsg) {
        n = sizeof api->errmsg - 1;
        while (n > 0 && ((unsigned char)full[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(api->errmsg, full, n);
    api->errmsg[n] = '\0';
    wecom__api_wipe(full, sizeof full);
}

wecom_err_t wecom__api_answer_hiding(wecom__client_t *c, wecom_json_t *j,
                                     wecom_api_error_t *api, const char *also)
{
    int64_t code = 0;
    wecom_err_t rc = wecom__json_parse(j, c->json, c->json_len);
    if (rc != WECOM_OK)
        return rc;
    /* Some answers (gettoken's in places) omit errcode on success. */
    if (wecom__json_int(j, "errcode", &code) != WECOM_OK)
        code = 0;
    api->errcode = code;
    api->errmsg[0] = '\0';
    if (code == 0)
        return WECOM_OK;
    copy_errmsg(c, j, api, also);
    return WECOM_ERR_API;
}

wecom_err_t wecom__api_answer(wecom__client_t *c, wecom_json_t *j,
                              wecom_api_error_t *api)
{
    return wecom__api_answer_hiding(c, j, api, NULL);
}

void wecom__api_wipe(void *p, size_t n)
{
    /* Through a volatile pointer, so the compiler cannot drop the stores
     * to memory that is about to die. */
    volatile unsigned char *v = p;
    while (n-- > 0)
        *v++ = 0;
}

int wecom__api_retryable(wecom_err_t rc, const wecom_api_error_t *api)
{
    switch (rc) {
    case WECOM_ERR_CLOSED:
    case WECOM_ERR_IO:
    case WECOM_ERR_TIMEOUT:
    case WECOM_ERR_TLS_IO:
    case WECOM_ERR_CONNECT:
    case WECOM_ERR_HTTP_INCOMPLETE:
    case WECOM_ERR_HTTP_TRUNCATED:
        return 1;
    case WECOM_ERR_API:
        return api != NULL && (api->errcode == -1 || api->errcode == 45033);
    default:
        return 0;
    }
}

wecom_err_t wecom__api_backoff_ms(wecom__client_t *c, uint32_t delay_ms,
                                  wecom_err_t *rc)
{
    uint64_t wait = delay_ms;
    if (c->tls.cancelled)
        return *rc = WECOM_ERR_CANCELLED;
    if (c->deadline_ms != 0 &&
        c->port->now_ms(c->port->sys_ctx) + wait >= c->deadline_ms)
        return WECOM_ERR_DEADLINE;
    if (c->port->sleep_ms == NULL)
        return WECOM_OK;
    /* A port whose cancel wakes its sleep sleeps once; any other sleeps
     * in slices, looking at the flag between them. */
    if (c->port->transport.cancel != NULL) {
        c->port->sleep_ms(c->port->sys_ctx, (uint32_t)wait);
    } else {
        while (wait > 0 && !c->tls.cancelled) {
            uint64_t s = wait < WECOM_CANCEL_SLICE_MS ? wait : WECOM_CANCEL_SLICE_MS;
            c->port->sleep_ms(c->port->sys_ctx, (uint32_t)s);
            wait -= s;
        }
    }
    if (c->tls.cancelled)
        return *rc = WECOM_ERR_CANCELLED;
    return WECOM_OK;
}
