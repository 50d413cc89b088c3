/* gettoken: an access token for a corpid and secret. */
#include <string.h>

#include "api.h"
#include "retry.h"
#include "text.h"

wecom_err_t wecom_token_fetch(wecom_client_t *client, const char *corpid,
                              const char *secret, int64_t *expires_in,
                              wecom_api_error_t *api)
{
    wecom__client_t *c = wecom__client(client);
    wecom_http_request_t req;
    wecom_http_response_t resp;
    wecom_http_sink_t sink;
    wecom_json_t j;
    wecom__text_t t;
    wecom_api_error_t local;
    char token[WECOM_TOKEN_MAX + 1];
    wecom_err_t rc;
    wecom__retry_t retry;

    if (c == NULL || c->port == NULL || corpid == NULL || secret == NULL ||
        corpid[0] == '\0' || secret[0] == '\0')
        return WECOM_ERR_INVALID_ARG;
    if (api == NULL)
        api = &local;
    memset(api, 0, sizeof *api);
    wecom__text_init(&t, c->target, sizeof c->target, 1);
    wecom__text_put(&t, c->base_path);
    wecom__text_put(&t, "/cgi-bin/gettoken?corpid=");
    wecom__text_put_encoded(&t, corpid);
    wecom__text_put(&t, "&corpsecret=");
    wecom__text_put_encoded(&t, secret);
    if ((rc = wecom__text_status(&t, WECOM_ERR_BUFFER_TOO_SMALL)) != WECOM_OK) {
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
        if (expires_in != NULL &&
            wecom__json_int(&j, "expires_in", expires_in) != WECOM_OK)
            *expires_in = 0;
        if (wecom_client_set_token(client, token) != WECOM_OK)
            rc = WECOM_ERR_JSON_FIELD;
    }
    /* the answer held the token, or may echo the secret */
    wecom__api_wipe(token, sizeof token);
    wecom__api_wipe(c->json, sizeof c->json);
    return rc;
}
