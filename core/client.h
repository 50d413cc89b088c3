/* SPDX-License-Identifier: MIT */
/*
 * The client's real layout, private to the library. Applications hold it
 * as wecom_client_t: opaque bytes of WECOM_CLIENT_SIZE (wecom/abi.h, which
 * the build measures from this struct), so that mbedTLS's contexts and the
 * engines' state stay out of the public headers. core/client.c checks at
 * compile time that it fits that storage and its alignment.
 */
#ifndef WECOM_CORE_CLIENT_H
#define WECOM_CORE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "multipart.h"
#include "tls.h"
#include "wecom/media.h"

/* In wecom__client_t.magic from a successful wecom_client_init() until
 * wecom_client_free(): how every entry point tells a client that was set
 * up from zeroed storage, a failed init or a freed client. */
#define WECOM__CLIENT_MAGIC 0x57434D43u /* "WCMC" */

/* wecom__client_t.busy: what runs on the client. */
enum {
    WECOM__IDLE = 0,
    WECOM__IN_CALL,   /* a call: a nested one is refused (WECOM_ERR_BUSY) */
    WECOM__IN_TOKEN_HOOK /* the token provider or refresh hook, inside a
                            call: it may set or fetch the token */
};

typedef struct wecom__client {
    uint32_t magic;
    int busy;
    const wecom_port_t *port;
    wecom_token_refresh_fn refresh;
    void *refresh_ctx;
    wecom_token_provider_fn provider;
    void *provider_ctx;
    uint64_t token_expiry_ms;  /* monotonic ms when the token lapses, 0 unknown */
    uint32_t token_margin_ms;  /* ask for a new one this long before */
    int token_asking;          /* the provider runs: no second call into it */
    wecom_request_log_fn request_log;
    void *request_log_ctx;
    wecom_retry_fn on_retry;
    void *on_retry_ctx;
    unsigned retry_max;     /* retries after the first request */
    uint32_t retry_max_ms;  /* bound on one run of retries, 0 for none */
    /* The whole-operation bound (wecom_client_set_deadline; monotonic ms,
     * 0 for none): the client's, which the retry policy, the backoff and
     * every wait of the TLS layer (bound to it at init) go by. */
    uint64_t deadline_ms;
    wecom_tls_t tls;
    wecom_http_t http;
    uint16_t server_port;
    char host[WECOM_HOST_MAX];
    char base_path[WECOM_BASE_PATH_MAX];
    char token[WECOM_TOKEN_MAX + 1];
    char target[WECOM_TARGET_MAX];
    char headers[WECOM_HTTP_ETAG_MAX + 128]; /* extra request headers */
    char json[WECOM_JSON_MAX];  /* the API's JSON answer */
    size_t json_len;
    wecom_multipart_t multipart;
    unsigned char io[WECOM_IO_BUF_SIZE];
} wecom__client_t;

/* The real client inside the caller's storage, and back (the refresh hook
 * is given the caller's pointer). */
static inline wecom__client_t *wecom__client(wecom_client_t *c)
{
    return (wecom__client_t *)(void *)c;
}

static inline const wecom__client_t *wecom__client_const(const wecom_client_t *c)
{
    return (const wecom__client_t *)(const void *)c;
}

static inline wecom_client_t *wecom__client_public(wecom__client_t *c)
{
    return (wecom_client_t *)(void *)c;
}

/* 1 when c was set up by wecom_client_init() and not freed since. */
int wecom__client_ready(const wecom__client_t *c);

/* Whether a call may start on c: WECOM_ERR_INVALID_ARG when c is not set
 * up, WECOM_ERR_BUSY from inside a call on it (one of its callbacks),
 * unless hook_ok and that callback is the token provider or refresh
 * hook. */
wecom_err_t wecom__client_may_call(const wecom__client_t *c, int hook_ok);

/* Mark c as running a call (after wecom__client_may_call said it may) or
 * the token hook (what = WECOM__IN_CALL, WECOM__IN_TOKEN_HOOK); returns
 * what to give wecom__client_leave() when it ends. */
int wecom__client_enter(wecom__client_t *c, int what);
void wecom__client_leave(wecom__client_t *c, int was);

/* Set the token (wecom_client_set_token_ttl without the entry checks,
 * for the library's own use inside a call). */
wecom_err_t wecom__client_store_token(wecom__client_t *c, const char *token,
                                      uint32_t ttl_s);

/* Before a request (core/token.c): the token, from the provider when the
 * client has none or it lapses within the margin. */
wecom_err_t wecom__token_ensure(wecom__client_t *c);

/* After 40014/42001: a new token from the provider (or the refresh
 * hook); 0 when one is set and the request may be sent again. */
int wecom__token_renew(wecom__client_t *c);

/* Hand the request log a target whose credentials are masked (***). */
void wecom__request_log(wecom__client_t *c, const char *masked_target);

#endif
