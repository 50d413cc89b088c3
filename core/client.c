/* SPDX-License-Identifier: MIT */
/*
 * The client context: base URL, TLS session and HTTP engine over the one
 * I/O buffer it owns.
 */
#include <stddef.h>
#include <string.h>

#include "api.h"
#include "url.h"
#include "wecom/media.h"

static int tls_open(void *ctx)
{
    return wecom__tls_connect(ctx);
}

static int tls_send(void *ctx, const unsigned char *buf, size_t len)
{
    return wecom__tls_send(ctx, buf, len);
}

static int tls_recv(void *ctx, unsigned char *buf, size_t len)
{
    return wecom__tls_recv(ctx, buf, len);
}

static int tls_usable(void *ctx)
{
    return wecom__tls_usable(ctx);
}

static void tls_close(void *ctx)
{
    wecom__tls_close(ctx);
}

static void tls_cork(void *ctx, int on)
{
    wecom__tls_cork(ctx, on);
}

/* The real client must fit the storage applications declare, at no
 * stricter alignment. A failure here means wecom/abi.h is stale: re-run
 * cmake, which measures wecom__client_t again. */
/* Only measured with offsetof: their members are never used. */
// cppcheck-suppress unusedStructMember
struct align_real { char c; wecom__client_t x; };
// cppcheck-suppress unusedStructMember
struct align_public { char c; wecom_client_t x; };
typedef char client_fits_storage[
    sizeof(wecom__client_t) <= sizeof(wecom_client_t) ? 1 : -1];
typedef char client_alignment_fits[
    offsetof(struct align_real, x) <= offsetof(struct align_public, x) &&
    offsetof(struct align_real, x) == WECOM_CLIENT_ALIGN ? 1 : -1];

/* The configuration's proxy, if any, into the TLS layer's connect path. */
static wecom_err_t set_proxy(wecom__client_t *c, const wecom_client_config_t *cfg)
{
    if (cfg->proxy_host == NULL)
        return cfg->proxy_user == NULL && cfg->proxy_password == NULL
                   ? WECOM_OK
                   : WECOM_ERR_INVALID_ARG;
#if WECOM_PROXY
    return wecom__tls_set_proxy(&c->tls, cfg->proxy_host, cfg->proxy_port,
                               cfg->proxy_user, cfg->proxy_password);
#else
    (void)c;
    return WECOM_ERR_INVALID_ARG;
#endif
}

wecom_err_t wecom_client_init_checked(wecom_client_t *client,
                                      const wecom_client_config_t *cfg,
                                      size_t client_size,
                                      unsigned long long abi_stamp)
{
    wecom__client_t *c = wecom__client(client);
    wecom_stream_t stream;
    wecom_err_t rc;
    const char *url;

    /* Checked first: with another size the caller's storage cannot be
     * trusted, not even to be cleared. */
    if (client_size != sizeof(wecom_client_t) || abi_stamp != WECOM_ABI_STAMP)
        return WECOM_ERR_ABI_MISMATCH;
    if (c == NULL || cfg == NULL || cfg->port == NULL)
        return WECOM_ERR_INVALID_ARG;
    /* Not over a client whose call is running (from its callback). */
    if (c->magic == WECOM__CLIENT_MAGIC && c->busy != WECOM__IDLE)
        return WECOM_ERR_BUSY;
    memset(c, 0, sizeof *c);
    url = cfg->base_url != NULL ? cfg->base_url : WECOM_DEFAULT_BASE_URL;
    rc = wecom__url_parse(url, c->host, sizeof c->host, &c->server_port,
                         c->base_path, sizeof c->base_path);
    if (rc != WECOM_OK)
        return rc == WECOM_ERR_BUFFER_TOO_SMALL ? WECOM_ERR_INVALID_ARG : rc;
    c->port = cfg->port;
    c->retry_max = (unsigned)(WECOM_RETRY_MAX > 0 ? WECOM_RETRY_MAX - 1 : 0);
    c->retry_max_ms = (uint32_t)WECOM_RETRY_MAX_MS;
    /* The I/O buffer is idle until a connection is up: the CA store
     * reads the CA file through it (core/tls/castore.h). */
    rc = wecom__tls_init(&c->tls, cfg->port, &cfg->tls, c->io, sizeof c->io);
    if (rc != WECOM_OK)
        return rc;
    wecom__tls_bind_deadline(&c->tls, &c->deadline_ms);
    rc = wecom__tls_set_peer(&c->tls, c->host, c->server_port);
    if (rc == WECOM_OK)
        rc = set_proxy(c, cfg);
    if (rc == WECOM_OK)
        rc = wecom__tls_set_rate(&c->tls, cfg->rate_limit);
    if (rc != WECOM_OK)
        goto fail;
    stream.open = tls_open;
    stream.send = tls_send;
    stream.recv = tls_recv;
    stream.usable = tls_usable;
    stream.close = tls_close;
    stream.cork = tls_cork;
    stream.ctx = &c->tls;
    rc = wecom__http_init(&c->http, &stream, c->io, sizeof c->io, c->host,
                         c->server_port);
    if (rc != WECOM_OK)
        goto fail;
    c->magic = WECOM__CLIENT_MAGIC;
    return WECOM_OK;
fail:
    wecom__tls_free(&c->tls);
    return rc;
}

void wecom_client_free(wecom_client_t *client)
{
    wecom__client_t *c = wecom__client(client);
    if (wecom__client_may_call(c, 0) != WECOM_OK)
        return;
    wecom__http_close(&c->http);
    wecom__tls_free(&c->tls);
    /* The token is a credential: leave no copy behind. It sits in the
     * token, in each request target and head (the I/O buffer), and may
     * come back in an answer (json). */
    wecom__api_wipe(c->token, sizeof c->token);
    wecom__api_wipe(c->target, sizeof c->target);
    wecom__api_wipe(c->headers, sizeof c->headers);
    wecom__api_wipe(c->json, sizeof c->json);
    c->json_len = 0;
    wecom__api_wipe(c->io, sizeof c->io);
    c->port = NULL;
    c->magic = 0;
}

int wecom__client_ready(const wecom__client_t *c)
{
    return c != NULL && c->magic == WECOM__CLIENT_MAGIC;
}

wecom_err_t wecom__client_may_call(const wecom__client_t *c, int hook_ok)
{
    if (!wecom__client_ready(c))
        return WECOM_ERR_INVALID_ARG;
    if (c->busy == WECOM__IDLE || (hook_ok && c->busy == WECOM__IN_TOKEN_HOOK))
        return WECOM_OK;
    return WECOM_ERR_BUSY;
}

int wecom__client_enter(wecom__client_t *c, int what)
{
    int was = c->busy;
    c->busy = what;
    return was;
}

void wecom__client_leave(wecom__client_t *c, int was)
{
    c->busy = was;
}

/* The client for a function that changes a setting and returns nothing:
 * NULL (nothing to do) when it is not set up or a call runs on it. */
static wecom__client_t *settable(wecom_client_t *client)
{
    wecom__client_t *c = wecom__client(client);
    return wecom__client_may_call(c, 0) == WECOM_OK ? c : NULL;
}

static int token_char_ok(char ch)
{
    /* WeCom tokens are URL-safe; anything else would need escaping and
     * could smuggle parameters into the query. */
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
           ch == '~';
}

wecom_err_t wecom__client_store_token(wecom__client_t *c, const char *token,
                                      uint32_t ttl_s)
{
    uint64_t margin = (uint64_t)WECOM_TOKEN_REFRESH_MARGIN_S * 1000u;
    size_t i, n;
    if (token == NULL)
        return WECOM_ERR_INVALID_ARG;
    n = strlen(token);
    if (n == 0 || n > WECOM_TOKEN_MAX)
        return WECOM_ERR_INVALID_ARG;
    for (i = 0; i < n; i++)
        if (!token_char_ok(token[i]))
            return WECOM_ERR_INVALID_ARG;
    memcpy(c->token, token, n + 1);
    c->token_expiry_ms = 0;
    c->token_margin_ms = 0;
    if (ttl_s > 0) {
        /* Never more than half the life: a token given for 4 s is still
         * used for 2, not refreshed before every request. */
        if (margin > (uint64_t)ttl_s * 500u)
            margin = (uint64_t)ttl_s * 500u;
        c->token_expiry_ms = c->port->now_ms(c->port->sys_ctx) + (uint64_t)ttl_s * 1000u;
        c->token_margin_ms = (uint32_t)margin;
    }
    return WECOM_OK;
}

wecom_err_t wecom_client_set_token_ttl(wecom_client_t *client, const char *token,
                                       uint32_t ttl_s)
{
    wecom__client_t *c = wecom__client(client);
    wecom_err_t rc = wecom__client_may_call(c, 1);
    return rc != WECOM_OK ? rc : wecom__client_store_token(c, token, ttl_s);
}

wecom_err_t wecom_client_set_token(wecom_client_t *client, const char *token)
{
    return wecom_client_set_token_ttl(client, token, 0);
}

int64_t wecom_client_token_ttl(const wecom_client_t *client)
{
    const wecom__client_t *c = wecom__client_const(client);
    uint64_t now;
    if (!wecom__client_ready(c) || c->token[0] == '\0')
        return 0;
    if (c->token_expiry_ms == 0)
        return -1;
    now = c->port->now_ms(c->port->sys_ctx);
    return now >= c->token_expiry_ms ? 0 : (int64_t)((c->token_expiry_ms - now) / 1000u);
}

void wecom_client_set_token_provider(wecom_client_t *client, wecom_token_provider_fn fn,
                                     void *ctx)
{
    wecom__client_t *c = settable(client);
    if (c == NULL)
        return;
    c->provider = fn;
    c->provider_ctx = ctx;
}

void wecom_client_on_request(wecom_client_t *client, wecom_request_log_fn fn, void *ctx)
{
    wecom__client_t *c = settable(client);
    if (c == NULL)
        return;
    c->request_log = fn;
    c->request_log_ctx = ctx;
}

void wecom__request_log(wecom__client_t *c, const char *masked_target)
{
    if (c->request_log != NULL)
        c->request_log(c->request_log_ctx, c->host, c->server_port, masked_target);
}

void wecom_client_on_token_expiry(wecom_client_t *client, wecom_token_refresh_fn fn,
                                  void *ctx)
{
    wecom__client_t *c = settable(client);
    if (c == NULL)
        return;
    c->refresh = fn;
    c->refresh_ctx = ctx;
}

void wecom_client_on_retry(wecom_client_t *client, wecom_retry_fn fn, void *ctx)
{
    wecom__client_t *c = settable(client);
    if (c == NULL)
        return;
    c->on_retry = fn;
    c->on_retry_ctx = ctx;
}

void wecom_client_set_retry(wecom_client_t *client, unsigned retries, uint32_t max_ms)
{
    wecom__client_t *c = settable(client);
    if (c == NULL)
        return;
    c->retry_max = retries;
    c->retry_max_ms = max_ms;
}

void wecom_client_set_deadline(wecom_client_t *client, uint64_t deadline_ms)
{
    wecom__client_t *c = settable(client);
    if (c == NULL)
        return;
    c->deadline_ms = deadline_ms;
}

wecom_err_t wecom_client_set_rate_limit(wecom_client_t *client, uint32_t bytes_per_s)
{
    wecom__client_t *c = wecom__client(client);
    wecom_err_t rc = wecom__client_may_call(c, 0);
    return rc != WECOM_OK ? rc : wecom__tls_set_rate(&c->tls, bytes_per_s);
}

int wecom_client_proxy_status(const wecom_client_t *client)
{
#if WECOM_PROXY
    const wecom__client_t *c = wecom__client_const(client);
    return wecom__client_ready(c) ? c->tls.proxy.status : 0;
#else
    (void)client;
    return 0;
#endif
}

int wecom_client_tls_error(const wecom_client_t *client)
{
    const wecom__client_t *c = wecom__client_const(client);
    return wecom__client_ready(c) ? c->tls.lib_err : 0;
}

unsigned long wecom_client_handshakes(const wecom_client_t *client)
{
    const wecom__client_t *c = wecom__client_const(client);
    return wecom__client_ready(c) ? c->tls.handshakes : 0;
}

unsigned long wecom_client_connections(const wecom_client_t *client)
{
    const wecom__client_t *c = wecom__client_const(client);
    return wecom__client_ready(c) ? c->http.connects : 0;
}

const char *wecom_client_token(const wecom_client_t *client)
{
    const wecom__client_t *c = wecom__client_const(client);
    return wecom__client_ready(c) ? c->token : "";
}
