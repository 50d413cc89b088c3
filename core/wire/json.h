/* SPDX-License-Identifier: MIT */
/*
 * The API's small JSON answers: a strict parse (RFC 8259's grammar in
 * full, the whole input one object, no key twice at the top level) into
 * jsmn's tokens, offsets into the caller's text; strings unescaped into
 * the caller's buffer. And the one rule that tells a downloaded medium
 * from an error answer. Not part of the public API.
 */
#ifndef WECOM_JSON_H
#define WECOM_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifndef JSMN_H
#define JSMN_HEADER /* the token type only: json.c makes the tokens */
#endif
#include <jsmn.h>

#include "wecom/config.h"
#include "wecom/error.h"

typedef struct wecom_json {
    const char *js;
    size_t len;
    jsmntok_t tok[WECOM_JSON_TOKENS];
    int count;
} wecom_json_t;

/* Parse js (len bytes) as one JSON object and nothing else but
 * whitespace. WECOM_ERR_JSON_PARSE for anything RFC 8259 refuses
 * (including a bad \u escape or a lone surrogate), for a root that is not
 * an object and for a top-level key given twice; WECOM_ERR_JSON_TOO_LARGE
 * when it needs more than WECOM_JSON_TOKENS tokens. */
wecom_err_t wecom__json_parse(wecom_json_t *j, const char *js, size_t len);

/* The token index of a top-level member's value, or -1: for a caller
 * that reads a value's text as it stands (j->js from tok[v].start to
 * tok[v].end; its key is tok[v - 1]). */
int wecom__json_find(const wecom_json_t *j, const char *key);

/* 1 when the object has a top-level member named key. */
int wecom__json_has(const wecom_json_t *j, const char *key);

/* A top-level string member, unescaped to UTF-8 and NUL-terminated.
 * WECOM_ERR_JSON_FIELD when absent or not a string. */
wecom_err_t wecom__json_string(const wecom_json_t *j, const char *key,
                              char *out, size_t cap);

/* A top-level integer member: a JSON number without fraction or exponent
 * that fits int64_t. WECOM_ERR_JSON_FIELD otherwise (4.0007e4, "40007"). */
wecom_err_t wecom__json_int(const wecom_json_t *j, const char *key,
                           int64_t *out);

/* A member that is a decimal integer as a number or as a string (WeCom's
 * created_at is either), copied as its digits. */
wecom_err_t wecom__json_digits(const wecom_json_t *j, const char *key,
                              char *out, size_t cap);

/* --------------------------------------------- media or error answer */

/* What a response to media/get is. */
typedef enum wecom_answer {
    WECOM_ANSWER_UNDECIDED = 0, /* hold more of the body, then ask again */
    WECOM_ANSWER_MEDIA,         /* the medium: write the held bytes and on */
    WECOM_ANSWER_API_ERROR,     /* a JSON answer with errcode != 0 */
    WECOM_ANSWER_MALFORMED,     /* looks like an answer, is not a whole one */
    WECOM_ANSWER_STATUS,        /* a status that is neither media nor an
                                   API error */
    WECOM_ANSWER_PAGE           /* a 200 web page (text/html) that is no
                                   API error */
} wecom_answer_t;

/* A response as far as it is known. */
typedef struct wecom_answer_in {
    int status;
    const char *content_type;        /* "" when absent */
    const char *content_disposition; /* "" when absent */
    const char *body; /* the body's first bytes, as held (at most */
    size_t len;       /* WECOM_JSON_MAX of them) */
    int complete;     /* 1: body is all of it */
    int overflow;     /* 1: more came than could be held */
} wecom_answer_in_t;

/*
 * The rule, for any status but 206 and 416 (they answer a Range and are
 * checked against it by the caller):
 *
 *  - Status 200 with a Content-Disposition is the medium, whatever its
 *    bytes: WeCom sends one with every medium, and a .json file uploaded
 *    as a file comes back with it and must not be mistaken for an answer.
 *    (One too long to keep still counts: the caller passes a stand-in.)
 *  - Status 200 without one is an answer when its Content-Type is JSON
 *    (application/json, text/json, anything +json) or its body starts
 *    like an object (optional whitespace or a UTF-8 BOM, then '{');
 *    when its Content-Type is HTML (text/html, application/xhtml+xml:
 *    a reverse proxy's or a portal's page), it is never the medium: an
 *    API error if its whole body is one, else a page; otherwise it is
 *    the medium (a text file served bare, say).
 *  - An answer is held whole (at most WECOM_JSON_MAX bytes) and parsed
 *    strictly. It is the medium only when it is one complete, valid
 *    object whose errcode is absent or 0. An integer errcode != 0 is an
 *    API error; anything else (does not parse, too large, too many
 *    tokens, a key twice, errcode not an integer literal within int64)
 *    is malformed. Never media.
 *  - Any other status is never the medium: an API error when its whole
 *    body is an object with an integer errcode != 0, else a status error.
 *
 * Whitespace-only bodies that fill the held bytes are malformed (an
 * answer may follow the padding). For an API error, *errcode is set; j
 * is scratch (and holds the parse afterwards).
 */
wecom_answer_t wecom__json_answer_classify(const wecom_answer_in_t *in,
                                      wecom_json_t *j, int64_t *errcode);

#endif
