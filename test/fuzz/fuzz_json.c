/* SPDX-License-Identifier: MIT */
/* JSON answers: parsing and every field reader on any bytes; and the
 * tokens of every answer the parser takes, the same as jsmn's own parser
 * makes of it (json.c records them in its grammar pass, in jsmn's layout;
 * jsmn here is the oracle). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "json.h"

static void same_tokens_as_jsmn(const wecom_json_t *j, wecom_err_t rc)
{
    static jsmntok_t tok[WECOM_JSON_TOKENS];
    jsmn_parser p;
    int n, i;
    if (rc != WECOM_OK && rc != WECOM_ERR_JSON_TOO_LARGE)
        return; /* jsmn takes much that RFC 8259 refuses */
    jsmn_init(&p);
    n = jsmn_parse(&p, j->js, j->len, tok, WECOM_JSON_TOKENS);
    if (rc == WECOM_ERR_JSON_TOO_LARGE) {
        if (n != JSMN_ERROR_NOMEM)
            abort();
        return;
    }
    if (n != j->count)
        abort();
    for (i = 0; i < j->count; i++)
        if (tok[i].type != j->tok[i].type || tok[i].start != j->tok[i].start ||
            tok[i].end != j->tok[i].end || tok[i].size != j->tok[i].size)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = { "errcode", "errmsg", "media_id", "type",
                                        "created_at", "access_token", "expires_in" };
    wecom_json_t j;
    char out[64];
    int64_t v;
    size_t i;
    wecom_err_t rc = wecom__json_parse(&j, (const char *)data, size);
    same_tokens_as_jsmn(&j, rc);
    if (rc != WECOM_OK)
        return 0;
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (wecom__json_string(&j, keys[i], out, sizeof out) == WECOM_OK &&
            strlen(out) >= sizeof out)
            abort();
        (void)wecom__json_int(&j, keys[i], &v);
        if (wecom__json_digits(&j, keys[i], out, sizeof out) == WECOM_OK &&
            strspn(out, "0123456789") != strlen(out))
            abort();
    }
    return 0;
}
