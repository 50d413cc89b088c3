/* SPDX-License-Identifier: MIT */
/* gettoken: an access token for a corpid and secret; and when the client
 * asks its token provider for one. */
#include <string.h>

#include "api.h"
#include "retry.h"
#include "text.h"

#if WECOM_TOKEN_FETCH /* config.h: tokens may come from the application only */
/* c->target for gettoken; secret NULL: masked as *** (for the log). */
static wecom_err_t gettoken_target(wecom__client_t *c, wecom__text_t *t, const char *corpid,
                                   const char *secret)
{
    wecom__text_init(t, c->target, sizeof c->target, 1);
    wecom__text_put(t, c->base_path);
    wecom__text_put(t, "/cgi-bin/gettoken?corpid=");
    wecom__text_put_encoded(t, corpid);
    wecom__text_put(t, "&corpsecret=");
    if (secret == NULL)
        wecom__text_put(t, "***"); /* for the request log */
    else
        wecom__text_put_encoded(t, secret);
    return wecom__text_status(t, WECOM_ERR_BUFFER_TOO_SMALL);
}

static wecom_err_t fetch(wecom__client_t *c, const char *corpid,
                         const char *secret, int64_t *expires_in,
                         wecom_api_error_t *api)
{
    wecom_http_request_t req;
    wecom_http_response_t resp;
    wecom_http_sink_t sink;
    wecom_json_t j;
    wecom__text_t t;
    wecom_api_error_t local;
    char token[WECOM_TOKEN_MAX + 1];
    wecom_err_t rc;
    wecom__retry_t retry;

    if (api == NULL)
        api = &local;
    memset(api, 0, sizeof *api);
    if (corpid == NULL || secret == NULL || corpid[0] == '\0' || secret[0] == '\0')
        return WECOM_ERR_INVALID_ARG;
    if (c->request_log != NULL &&
        gettoken_target(c, &t, corpid, NULL) == WECOM_OK)
        wecom__request_log(c, c->target);
    if ((rc = gettoken_target(c, &t, corpid, secret)) != WECOM_OK) {
        wecom__api_wipe(c->target, sizeof c->target); /* part of the secret */
        return rc;
    }

    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = c->target;
    wecom__retry_init(&retry);
    retry.no_refresh = 1; /* this is where a token comes from */
    for (;;) {
        wecom__api_json_sink(c, &sink);
        rc = wecom__http_exchange(&c->http, &req, &resp, &sink);
        if (rc == WECOM_OK) {
            api->http_status = resp.status;
            /* WeCom could echo the secret it was sent, as the token. */
            rc = wecom__api_answer_hiding(c, &j, api, secret);
            if (rc == WECOM_ERR_JSON_PARSE && resp.status != 200)
                rc = WECOM_ERR_HTTP_STATUS;
        }
        if (!wecom__retry_next(c, &retry, &rc, api))
            break;
    }
    /* The secret sat in the target and in the request head; it goes no
     * further. */
    wecom__api_wipe(c->target, sizeof c->target);
    wecom__api_wipe(c->io, sizeof c->io);
    token[0] = '\0';
    if (rc == WECOM_OK) {
        rc = wecom__json_string(&j, "access_token", token, sizeof token);
        if (rc == WECOM_ERR_BUFFER_TOO_SMALL)
            rc = WECOM_ERR_JSON_FIELD;
    }
    if (rc == WECOM_OK) {
        int64_t life = 0;
        if (wecom__json_int(&j, "expires_in", &life) != WECOM_OK || life < 0)
            life = 0;
        if (expires_in != NULL)
            *expires_in = life;
        /* WeCom gives 7200 s; a life beyond a day is not believed (the
         * token is then used until refused). */
        if (life > 86400)
            life = 0;
        if (wecom__client_store_token(c, token, (uint32_t)life) != WECOM_OK)
            rc = WECOM_ERR_JSON_FIELD;
    }
    /* the answer held the token, or may echo the secret */
    wecom__api_wipe(token, sizeof token);
    wecom__api_wipe(c->json, sizeof c->json);
    return rc;
}

wecom_err_t wecom_token_fetch(wecom_client_t *client, const char *corpid,
                              const char *secret, int64_t *expires_in,
                              wecom_api_error_t *api)
{
    wecom__client_t *c = wecom__client(client);
    wecom_err_t rc = wecom__client_may_call(c, 1); /* the token hook's job */
    int was;
    if (rc != WECOM_OK)
        return rc;
    was = wecom__client_enter(c, WECOM__IN_CALL);
    rc = fetch(c, corpid, secret, expires_in, api);
    wecom__client_leave(c, was);
    return rc;
}
#endif /* WECOM_TOKEN_FETCH */

static wecom_err_t ask(wecom__client_t *c, wecom_token_reason_t why)
{
    wecom_err_t rc;
    int was = wecom__client_enter(c, WECOM__IN_TOKEN_HOOK);
    c->token_asking = 1;
    rc = c->provider(c->provider_ctx, wecom__client_public(c), why);
    c->token_asking = 0;
    wecom__client_leave(c, was);
    return rc;
}

wecom_err_t wecom__token_ensure(wecom__client_t *c)
{
    wecom_token_reason_t why;
    uint64_t now = 0;
    wecom_err_t rc;

    if (c->token[0] == '\0') {
        why = WECOM_TOKEN_NEEDED;
    } else if (c->token_expiry_ms != 0) {
        now = c->port->now_ms(c->port->sys_ctx);
        if (now + c->token_margin_ms < c->token_expiry_ms)
            return WECOM_OK;
        why = WECOM_TOKEN_EXPIRING;
    } else {
        return WECOM_OK;
    }
    /* No provider, or this is the provider's own gettoken: go on with
     * what there is (WeCom's 40014/42001 then calls the refresh hook). */
    if (c->provider == NULL || c->token_asking)
        return c->token[0] != '\0' ? WECOM_OK : WECOM_ERR_INVALID_ARG;
    rc = ask(c, why);
    if (rc == WECOM_OK && c->token[0] != '\0')
        return WECOM_OK;
    if (why == WECOM_TOKEN_EXPIRING && now < c->token_expiry_ms) {
        /* The old token still lives: use it, and ask again only when
         * half of what is left has passed, not before every request
         * (gettoken's callers are blocked when they ask too often). */
        c->token_margin_ms = (uint32_t)((c->token_expiry_ms - now) / 2u);
        return WECOM_OK;
    }
    return rc != WECOM_OK ? rc : WECOM_ERR_INVALID_ARG;
}

int wecom__token_renew(wecom__client_t *c)
{
    char old[WECOM_TOKEN_MAX + 1];
    int fresh, was;
    if (c->token_asking)
        return -1;
    if (c->provider == NULL) {
        if (c->refresh == NULL)
            return -1;
        was = wecom__client_enter(c, WECOM__IN_TOKEN_HOOK);
        fresh = c->refresh(c->refresh_ctx, wecom__client_public(c)) == 0;
        wecom__client_leave(c, was);
        return fresh ? 0 : -1;
    }
    memcpy(old, c->token, sizeof old);
    /* The same token again would be refused again: no repeat for it. */
    fresh = ask(c, WECOM_TOKEN_REJECTED) == WECOM_OK && c->token[0] != '\0' &&
            strcmp(old, c->token) != 0;
    wecom__api_wipe(old, sizeof old);
    return fresh ? 0 : -1;
}

wecom_err_t wecom_client_token_ensure(wecom_client_t *client)
{
    wecom__client_t *c = wecom__client(client);
    wecom_err_t rc = wecom__client_may_call(c, 0);
    int was;
    if (rc != WECOM_OK)
        return rc;
    was = wecom__client_enter(c, WECOM__IN_CALL);
    rc = wecom__token_ensure(c);
    wecom__client_leave(c, was);
    return rc;
}
