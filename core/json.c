/* JSON field extraction over jsmn (see json.h). */
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "json.h"
#include "text.h"

wecom_err_t wecom_json_parse(wecom_json_t *j, const char *js, size_t len)
{
    jsmn_parser p;
    int n;
    j->js = js;
    j->len = len;
    j->count = 0;
    jsmn_init(&p);
    n = jsmn_parse(&p, js, len, j->tok, WECOM_JSON_TOKENS);
    if (n == JSMN_ERROR_NOMEM)
        return WECOM_ERR_JSON_TOO_LARGE;
    if (n < 1 || j->tok[0].type != JSMN_OBJECT)
        return WECOM_ERR_JSON_PARSE;
    j->count = n;
    return WECOM_OK;
}

/* Index just past token i and everything inside it. */
static int skip(const wecom_json_t *j, int i)
{
    int end = j->tok[i].end;
    i++;
    while (i < j->count && j->tok[i].start < end)
        i++;
    return i;
}

static int find(const wecom_json_t *j, const char *key)
{
    size_t klen = strlen(key);
    int i = 1, members = j->tok[0].size, m;
    for (m = 0; m < members && i + 1 < j->count; m++) {
        const jsmntok_t *k = &j->tok[i];
        if (k->type == JSMN_STRING && (size_t)(k->end - k->start) == klen &&
            memcmp(j->js + k->start, key, klen) == 0)
            return i + 1;
        i = skip(j, i + 1);
    }
    return -1;
}

static int read_u16(const char *s, const char *end, unsigned *out)
{
    int i;
    *out = 0;
    if (end - s < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int v = wecom__hexval(s[i]);
        if (v < 0)
            return -1;
        *out = (*out << 4) | (unsigned)v;
    }
    return 0;
}

/* Append code point cp as UTF-8; -1 when it does not fit. */
static int put_utf8(char *out, size_t cap, size_t *n, unsigned long cp)
{
    unsigned char b[4];
    size_t k, len;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        len = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        len = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        len = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        len = 4;
    }
    if (len >= cap - *n)
        return -1;
    for (k = 0; k < len; k++)
        out[(*n)++] = (char)b[k];
    return 0;
}

static wecom_err_t unescape(const char *s, const char *end, char *out,
                            size_t cap)
{
    size_t n = 0;
    while (s < end) {
        unsigned long cp = (unsigned char)*s++;
        if (cp == '\\' && s < end) {
            char e = *s++;
            unsigned u;
            switch (e) {
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (read_u16(s, end, &u) != 0)
                    return WECOM_ERR_JSON_PARSE;
                s += 4;
                cp = u;
                if (u >= 0xD800 && u <= 0xDBFF) { /* a surrogate pair */
                    unsigned lo;
                    if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
                        read_u16(s + 2, end, &lo) != 0 || lo < 0xDC00 ||
                        lo > 0xDFFF)
                        return WECOM_ERR_JSON_PARSE;
                    s += 6;
                    cp = 0x10000 + (((unsigned long)u - 0xD800) << 10) +
                         (lo - 0xDC00);
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    return WECOM_ERR_JSON_PARSE;
                }
                if (put_utf8(out, cap, &n, cp) != 0)
                    return WECOM_ERR_BUFFER_TOO_SMALL;
                continue;
            default: cp = (unsigned char)e; break; /* \" \\ \/ */
            }
        }
        if (n + 1 >= cap)
            return WECOM_ERR_BUFFER_TOO_SMALL;
        out[n++] = (char)cp;
    }
    out[n] = '\0';
    return WECOM_OK;
}

wecom_err_t wecom_json_string(const wecom_json_t *j, const char *key,
                              char *out, size_t cap)
{
    int v = find(j, key);
    if (cap == 0)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    out[0] = '\0';
    if (v < 0 || j->tok[v].type != JSMN_STRING)
        return WECOM_ERR_JSON_FIELD;
    return unescape(j->js + j->tok[v].start, j->js + j->tok[v].end, out, cap);
}

wecom_err_t wecom_json_int(const wecom_json_t *j, const char *key,
                           int64_t *out)
{
    int v = find(j, key), neg = 0;
    const char *s, *end;
    uint64_t acc = 0;
    if (v < 0 || j->tok[v].type != JSMN_PRIMITIVE)
        return WECOM_ERR_JSON_FIELD;
    s = j->js + j->tok[v].start;
    end = j->js + j->tok[v].end;
    if (s < end && *s == '-') {
        neg = 1;
        s++;
    }
    if (s == end)
        return WECOM_ERR_JSON_FIELD;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9' || acc > (uint64_t)INT64_MAX / 10)
            return WECOM_ERR_JSON_FIELD;
        acc = acc * 10 + (uint64_t)(*s - '0');
    }
    if (acc > (uint64_t)INT64_MAX)
        return WECOM_ERR_JSON_FIELD;
    *out = neg ? -(int64_t)acc : (int64_t)acc;
    return WECOM_OK;
}

wecom_err_t wecom_json_digits(const wecom_json_t *j, const char *key,
                              char *out, size_t cap)
{
    int v = find(j, key);
    size_t n, i;
    const char *s;
    if (cap == 0)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    out[0] = '\0';
    if (v < 0 || (j->tok[v].type != JSMN_PRIMITIVE &&
                  j->tok[v].type != JSMN_STRING))
        return WECOM_ERR_JSON_FIELD;
    s = j->js + j->tok[v].start;
    n = (size_t)(j->tok[v].end - j->tok[v].start);
    if (n == 0)
        return WECOM_ERR_JSON_FIELD;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return WECOM_ERR_JSON_FIELD;
    if (n >= cap)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    memcpy(out, s, n);
    out[n] = '\0';
    return WECOM_OK;
}
