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

typedef struct wecom__client {
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

/* Before a request (core/token.c): the token, from the provider when the
 * client has none or it lapses within the margin. */
wecom_err_t wecom__token_ensure(wecom__client_t *c);

/* After 40014/42001: a new token from the provider (or the refresh
 * hook); 0 when one is set and the request may be sent again. */
int wecom__token_renew(wecom__client_t *c);

/* Hand the request log a target whose credentials are masked (***). */
void wecom__request_log(wecom__client_t *c, const char *masked_target);

#endif
