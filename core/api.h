/* SPDX-License-Identifier: MIT */
/* What upload, download and token calls share: request targets, the JSON
 * answer, retry decisions. Not part of the public API. */
#ifndef WECOM_API_H
#define WECOM_API_H

#include "client.h"
#include "json.h"
#include "wecom/media.h"

/* c->target = base path + path + "?access_token=TOKEN&" + param + "=" +
 * value, percent-encoded. WECOM_ERR_BUFFER_TOO_SMALL when it does not fit. */
wecom_err_t wecom__api_target(wecom__client_t *c, const char *path,
                              const char *param, const char *value);

/* A sink that collects the body into c->json. */
void wecom__api_json_sink(wecom__client_t *c, wecom_http_sink_t *sink);

/* Parse c->json: WECOM_OK when errcode is 0 or absent, WECOM_ERR_API with
 * errcode and errmsg in api otherwise. */
wecom_err_t wecom__api_answer(wecom__client_t *c, wecom_json_t *j,
                              wecom_api_error_t *api);

/* The same, and `also` (a secret, or NULL) is scrubbed from errmsg like
 * the token: both before errmsg is cut to size. */
wecom_err_t wecom__api_answer_hiding(wecom__client_t *c, wecom_json_t *j,
                                     wecom_api_error_t *api, const char *also);

/* Zero n bytes at p in a way the compiler keeps (for credentials in
 * memory that is about to be released). */
void wecom__api_wipe(void *p, size_t n);

/* 1 when a failed attempt may be made again: the connection dropped or
 * WeCom said busy (-1) or too many concurrent calls (45033). */
int wecom__api_retryable(wecom_err_t rc, const wecom_api_error_t *api);

/* Sleep delay_ms before a retry (the delay comes from retry.c).
 * WECOM_ERR_DEADLINE when the deadline would pass first (the call then
 * returns its last error, *rc); WECOM_ERR_CANCELLED, put in *rc too, when
 * wecom_client_cancel came before or during the sleep. */
wecom_err_t wecom__api_backoff_ms(wecom__client_t *c, uint32_t delay_ms,
                                  wecom_err_t *rc);

#endif
