/*
 * Field extraction from the API's small JSON answers, over jsmn: tokens
 * are offsets into the caller's text; strings are unescaped into the
 * caller's buffer. Not part of the public API.
 */
#ifndef WECOM_JSON_H
#define WECOM_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifndef JSMN_H
#define JSMN_HEADER /* the types only; json.c holds the parser */
#endif
#include <jsmn.h>

#include "wecom/error.h"

/* Tokens for one answer; WeCom's have at most a dozen fields. */
#ifndef WECOM_JSON_TOKENS
#define WECOM_JSON_TOKENS 48
#endif

typedef struct wecom_json {
    const char *js;
    size_t len;
    jsmntok_t tok[WECOM_JSON_TOKENS];
    int count;
} wecom_json_t;

/* Parse js as one JSON object. */
wecom_err_t wecom_json_parse(wecom_json_t *j, const char *js, size_t len);

/* A top-level string member, unescaped to UTF-8 and NUL-terminated.
 * WECOM_ERR_JSON_FIELD when absent or not a string. */
wecom_err_t wecom_json_string(const wecom_json_t *j, const char *key,
                              char *out, size_t cap);

/* A top-level integer member (a JSON number without fraction). */
wecom_err_t wecom_json_int(const wecom_json_t *j, const char *key,
                           int64_t *out);

/* A member that is a decimal integer as a number or as a string (WeCom's
 * created_at is either), copied as its digits. */
wecom_err_t wecom_json_digits(const wecom_json_t *j, const char *key,
                              char *out, size_t cap);

#endif
