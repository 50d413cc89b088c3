/* SPDX-License-Identifier: MIT */
/* JSON answers in jsmn's tokens, and the media-or-error rule (see json.h). */
#include <string.h>

#include "json.h"
#include "text.h"

/* ------------------------------------------------------------ grammar */

/* One pass checks the text against RFC 8259 in full and records its
 * tokens. jsmn's own parser checks little of the grammar (it takes
 * {"a" 1}, numbers such as 1-2 or 4.0007e4x, stops at a NUL, and reads on
 * past the object), so it could only have been a second pass over text
 * already checked here: 1.2 KB of code for the token offsets alone. Its
 * token type stays (json.h). Nesting is tracked in a 64-bit stack; an
 * answer that deep would need more tokens than WECOM_JSON_TOKENS anyway. */
#define DEPTH_MAX 64

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *s, size_t i, size_t len)
{
    while (i < len && is_ws(s[i]))
        i++;
    return i;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int read_u16(const char *s, const char *end, unsigned *out)
{
    int i;
    *out = 0;
    if (end - s < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int v = wecom__text_hexval(s[i]);
        if (v < 0)
            return -1;
        *out = (*out << 4) | (unsigned)v;
    }
    return 0;
}

/* The escape after a backslash at *ps (pointing past the backslash):
 * its code point, *ps moved past it; -1 (as an unsigned long) when
 * invalid: an unknown letter, short or non-hex \u digits, a lone or
 * reversed surrogate. */
#define BAD_ESCAPE ((unsigned long)-1)

static unsigned long decode_escape(const char **ps, const char *end)
{
    /* The one-letter escapes, each with the byte it stands for. */
    static const char LETTERS[] = "\"\\/bfnrt", BYTES[] = "\"\\/\b\f\n\r\t";
    const char *s = *ps, *letter;
    unsigned u, lo;
    unsigned long cp;
    if (s >= end)
        return BAD_ESCAPE;
    if (*s != 'u') {
        letter = memchr(LETTERS, *s, sizeof LETTERS - 1);
        if (letter == NULL)
            return BAD_ESCAPE;
        *ps = s + 1;
        return (unsigned char)BYTES[letter - LETTERS];
    }
    s++;
    if (read_u16(s, end, &u) != 0)
        return BAD_ESCAPE;
    s += 4;
    cp = u;
    if (u >= 0xDC00 && u <= 0xDFFF)
        return BAD_ESCAPE;
    if (u >= 0xD800 && u <= 0xDBFF) { /* needs its low half */
        if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
            read_u16(s + 2, end, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
            return BAD_ESCAPE;
        s += 6;
        cp = 0x10000 + (((unsigned long)u - 0xD800) << 10) + (lo - 0xDC00);
    }
    *ps = s;
    return cp;
}

/* A string whose opening quote is at s[i]: the index past its closing
 * quote, or 0. */
static size_t check_string(const char *s, size_t i, size_t len)
{
    const char *end = s + len;
    i++;
    while (i < len) {
        unsigned char ch = (unsigned char)s[i++];
        if (ch == '"')
            return i;
        if (ch < 0x20)
            return 0;
        if (ch == '\\') {
            const char *p = s + i;
            if (decode_escape(&p, end) == BAD_ESCAPE)
                return 0;
            i = (size_t)(p - s);
        }
    }
    return 0;
}

/* One digit or more from s[i]: past them, or 0 when there is none. A
 * value never starts at 0 (the root's '{' comes first), so 0 is free to
 * mean "no". */
static size_t digits(const char *s, size_t i, size_t len)
{
    size_t from = i;
    while (i < len && is_digit(s[i]))
        i++;
    return i > from ? i : 0;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? from s[i]: past it, or 0. */
static size_t check_number(const char *s, size_t i, size_t len)
{
    if (i < len && s[i] == '-')
        i++;
    i = i < len && s[i] == '0' ? i + 1 : digits(s, i, len);
    if (i != 0 && i < len && s[i] == '.')
        i = digits(s, i + 1, len);
    if (i != 0 && i < len && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        i = digits(s, i, len);
    }
    return i;
}

static size_t check_literal(const char *s, size_t i, size_t len)
{
    static const char words[][6] = { "true", "false", "null" };
    size_t k;
    for (k = 0; k < 3; k++) {
        size_t n = strlen(words[k]);
        if (len - i >= n && memcmp(s + i, words[k], n) == 0)
            return i + n;
    }
    return 0;
}

/* The tokens, as jsmn lays them out (json.h keeps its type): offsets into
 * the text, a string's without its quotes; a container's size is its
 * count of elements (an object's, of keys) and a key's size is 1, its
 * value. Counted on past WECOM_JSON_TOKENS (to one more) without being
 * written, so that the whole text is still checked: a malformed answer
 * is malformed before it is too large. A token whose text then fails its
 * check goes with the whole parse (count back to 0). */
static void add_token(wecom_json_t *j, jsmntype_t type, size_t start,
                      size_t end, int parent)
{
    if (parent >= 0 && parent < WECOM_JSON_TOKENS)
        j->tok[parent].size++;
    if (j->count < WECOM_JSON_TOKENS) {
        jsmntok_t *t = &j->tok[j->count];
        t->type = type;
        t->start = (int)start;
        /* -1: a container still open */
        t->end = type == JSMN_OBJECT || type == JSMN_ARRAY ? -1 : (int)end;
        t->size = 0;
    }
    if (j->count <= WECOM_JSON_TOKENS)
        j->count++;
}

/* The innermost container still open, or -1. */
static int open_container(const wecom_json_t *j)
{
    int k = j->count < WECOM_JSON_TOKENS ? j->count : WECOM_JSON_TOKENS;
    while (--k >= 0 && j->tok[k].end >= 0)
        ;
    return k;
}

static void close_container(wecom_json_t *j, size_t i)
{
    int k = open_container(j);
    if (k >= 0) /* -1 only past WECOM_JSON_TOKENS: it went unrecorded */
        j->tok[k].end = (int)i + 1;
}

enum want { VALUE, FIRST_ELEM, FIRST_KEY, KEY, COLON, AFTER_VALUE };

/* One object, then only whitespace; its tokens into j. */
static wecom_err_t scan(wecom_json_t *j, const char *s, size_t len)
{
    uint64_t objects = 0; /* bit d-1 set: the container at depth d is an object */
    unsigned depth = 0;
    enum want want = VALUE;
    size_t i = skip_ws(s, 0, len);

    if (i >= len || s[i] != '{')
        return WECOM_ERR_JSON_PARSE;
    for (;;) {
        char c;
        size_t next = 0;
        int in_object = depth > 0 && ((objects >> (depth - 1)) & 1);
        i = skip_ws(s, i, len);
        if (i >= len)
            return WECOM_ERR_JSON_PARSE;
        c = s[i];
        switch (want) {
        case FIRST_ELEM:
        case VALUE: {
            /* A member's value belongs to its key, the last token. */
            int parent = depth == 0  ? -1
                         : in_object ? j->count - 1
                                     : open_container(j);
            if (c == ']' && want == FIRST_ELEM) {
                depth--;
                close_container(j, i);
                next = i + 1;
            } else if (c == '{' || c == '[') {
                if (depth == DEPTH_MAX)
                    return WECOM_ERR_JSON_PARSE;
                if (c == '{')
                    objects |= (uint64_t)1 << depth;
                else
                    objects &= ~((uint64_t)1 << depth);
                depth++;
                add_token(j, c == '{' ? JSMN_OBJECT : JSMN_ARRAY, i, 0, parent);
                i++;
                want = c == '{' ? FIRST_KEY : FIRST_ELEM;
                continue;
            } else if (c == '"') {
                next = check_string(s, i, len);
                add_token(j, JSMN_STRING, i + 1, next - 1, parent);
            } else {
                next = c == '-' || is_digit(c) ? check_number(s, i, len)
                                               : check_literal(s, i, len);
                add_token(j, JSMN_PRIMITIVE, i, next, parent);
            }
            want = AFTER_VALUE;
            break;
        }
        case FIRST_KEY:
        case KEY:
            if (c == '}' && want == FIRST_KEY) {
                depth--;
                close_container(j, i);
                next = i + 1;
                want = AFTER_VALUE;
            } else if (c == '"') {
                next = check_string(s, i, len);
                add_token(j, JSMN_STRING, i + 1, next - 1, open_container(j));
                want = COLON;
            }
            break;
        case COLON:
            if (c == ':') {
                next = i + 1;
                want = VALUE;
            }
            break;
        case AFTER_VALUE:
            if (c == ',') {
                next = i + 1;
                want = in_object ? KEY : VALUE;
            } else if ((c == '}' && in_object) || (c == ']' && !in_object)) {
                depth--;
                close_container(j, i);
                next = i + 1;
            }
            break;
        }
        if (next == 0)
            return WECOM_ERR_JSON_PARSE;
        i = next;
        if (want == AFTER_VALUE && depth == 0) /* the root object closed */
            return skip_ws(s, i, len) == len ? WECOM_OK : WECOM_ERR_JSON_PARSE;
    }
}

/* --------------------------------------------------------------- keys */

static size_t utf8_encode(unsigned long cp, unsigned char b[4])
{
    /* The first byte's marker by length; each further byte carries six
     * bits under 10xxxxxx. */
    static const unsigned char LEAD[4] = { 0x00, 0xC0, 0xE0, 0xF0 };
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, k;
    for (k = n - 1; k > 0; k--, cp >>= 6)
        b[k] = (unsigned char)(0x80 | (cp & 0x3F));
    b[0] = (unsigned char)(LEAD[n - 1] | cp);
    return n;
}

/* The bytes of a checked string token as they read unescaped, one at a
 * time: "err\u0063ode" and "errcode" are the same key. */
typedef struct {
    const char *s, *end;
    unsigned char pend[4];
    size_t npend, ipend;
} key_iter_t;

static int key_next(key_iter_t *k)
{
    unsigned long cp;
    if (k->ipend < k->npend)
        return k->pend[k->ipend++];
    if (k->s >= k->end)
        return -1;
    if (*k->s != '\\')
        return (unsigned char)*k->s++;
    k->s++;
    cp = decode_escape(&k->s, k->end); /* checked by the grammar */
    k->npend = utf8_encode(cp, k->pend);
    k->ipend = 1;
    return k->pend[0];
}

static void key_iter(key_iter_t *k, const wecom_json_t *j, int t)
{
    k->s = j->js + j->tok[t].start;
    k->end = j->js + j->tok[t].end;
    k->npend = k->ipend = 0;
}

static int same_key(const wecom_json_t *j, int a, int b)
{
    key_iter_t x, y;
    int cx, cy;
    key_iter(&x, j, a);
    key_iter(&y, j, b);
    do {
        cx = key_next(&x);
        cy = key_next(&y);
    } while (cx == cy && cx >= 0);
    return cx == cy;
}

static int key_is(const wecom_json_t *j, int t, const char *key)
{
    key_iter_t x;
    int c;
    key_iter(&x, j, t);
    while ((c = key_next(&x)) >= 0)
        if (*key == '\0' || (unsigned char)*key++ != c)
            return 0;
    return *key == '\0';
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

/* The token index of each top-level key in turn: first 1, then next_key. */
static int next_key(const wecom_json_t *j, int k)
{
    return skip(j, k + 1);
}

int wecom__json_find(const wecom_json_t *j, const char *key)
{
    int i = 1, m;
    if (j->count < 1)
        return -1;
    for (m = 0; m < j->tok[0].size && i + 1 < j->count; m++) {
        if (key_is(j, i, key))
            return i + 1;
        i = next_key(j, i);
    }
    return -1;
}

static int has_duplicate_key(const wecom_json_t *j)
{
    int a = 1, ma, b, mb;
    for (ma = 0; ma < j->tok[0].size; ma++, a = next_key(j, a))
        for (b = next_key(j, a), mb = ma + 1; mb < j->tok[0].size;
             mb++, b = next_key(j, b))
            if (same_key(j, a, b))
                return 1;
    return 0;
}

/* ------------------------------------------------------------ parsing */

wecom_err_t wecom__json_parse(wecom_json_t *j, const char *js, size_t len)
{
    wecom_err_t rc;
    j->js = js;
    j->len = len;
    j->count = 0;
    rc = scan(j, js, len);
    if (rc == WECOM_OK && j->count > WECOM_JSON_TOKENS)
        rc = WECOM_ERR_JSON_TOO_LARGE;
    if (rc == WECOM_OK && has_duplicate_key(j))
        rc = WECOM_ERR_JSON_PARSE;
    if (rc != WECOM_OK)
        j->count = 0;
    return rc;
}

int wecom__json_has(const wecom_json_t *j, const char *key)
{
    return wecom__json_find(j, key) >= 0;
}

/* Unescape a checked string token into out. */
static wecom_err_t unescape(const char *s, const char *end, char *out,
                            size_t cap)
{
    size_t n = 0, len;
    unsigned char b[4];
    while (s < end) {
        unsigned long cp = (unsigned char)*s++;
        if (cp == '\\') {
            cp = decode_escape(&s, end);
            if (cp == BAD_ESCAPE)
                return WECOM_ERR_JSON_PARSE;
        }
        len = utf8_encode(cp, b);
        if (len >= cap - n)
            return WECOM_ERR_BUFFER_TOO_SMALL;
        memcpy(out + n, b, len);
        n += len;
    }
    out[n] = '\0';
    return WECOM_OK;
}

wecom_err_t wecom__json_string(const wecom_json_t *j, const char *key,
                              char *out, size_t cap)
{
    int v;
    if (cap == 0)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    out[0] = '\0';
    v = wecom__json_find(j, key);
    if (v < 0 || j->tok[v].type != JSMN_STRING)
        return WECOM_ERR_JSON_FIELD;
    return unescape(j->js + j->tok[v].start, j->js + j->tok[v].end, out, cap);
}

wecom_err_t wecom__json_int(const wecom_json_t *j, const char *key,
                           int64_t *out)
{
    int v = wecom__json_find(j, key), neg = 0;
    const char *s, *end;
    uint64_t acc = 0, max;
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
    max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; s < end; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (!is_digit(*s) || acc > (max - d) / 10)
            return WECOM_ERR_JSON_FIELD;
        acc = acc * 10 + d;
    }
    if (!neg)
        *out = (int64_t)acc;
    else if (acc == (uint64_t)INT64_MAX + 1)
        *out = INT64_MIN;
    else
        *out = -(int64_t)acc;
    return WECOM_OK;
}

wecom_err_t wecom__json_digits(const wecom_json_t *j, const char *key,
                              char *out, size_t cap)
{
    int v;
    size_t n, i;
    const char *s;
    if (cap == 0)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    out[0] = '\0';
    v = wecom__json_find(j, key);
    if (v < 0 || (j->tok[v].type != JSMN_PRIMITIVE &&
                  j->tok[v].type != JSMN_STRING))
        return WECOM_ERR_JSON_FIELD;
    s = j->js + j->tok[v].start;
    n = (size_t)(j->tok[v].end - j->tok[v].start);
    if (n == 0)
        return WECOM_ERR_JSON_FIELD;
    for (i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return WECOM_ERR_JSON_FIELD;
    if (n >= cap)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    memcpy(out, s, n);
    out[n] = '\0';
    return WECOM_OK;
}

#if WECOM_DOWNLOAD /* the answer rule is for downloads only */

/* --------------------------------------------- media or error answer */

/* The media type of a Content-Type value is JSON: application/json,
 * text/json or a structured +json type, any case, parameters ignored. */
static int is_json_type(const char *ct)
{
    size_t n = strcspn(ct, "; \t");
    return wecom__text_ieq(ct, n, "application/json") ||
           wecom__text_ieq(ct, n, "text/json") ||
           (n >= 5 && wecom__text_ieq(ct + n - 5, 5, "+json"));
}

/* The media type of a Content-Type value is HTML: a web page. */
static int is_html_type(const char *ct)
{
    size_t n = strcspn(ct, "; \t");
    return wecom__text_ieq(ct, n, "text/html") ||
           wecom__text_ieq(ct, n, "application/xhtml+xml");
}

/* The body's first byte that is not whitespace or a UTF-8 BOM: 1 and
 * *c set, or 0 when the held bytes have none yet. */
static int first_byte(const char *b, size_t len, char *c)
{
    static const char BOM[] = "\xEF\xBB\xBF";
    size_t i = 0;
    if (len == 0)
        return 0;
    if (memcmp(b, BOM, len < 3 ? len : 3) == 0) {
        if (len < 3)
            return 0; /* a BOM's first bytes: wait for the rest */
        i = 3;
    }
    i = skip_ws(b, i, len);
    if (i == len)
        return 0;
    *c = b[i];
    return 1;
}

/* A whole held body: the errcode it carries, if it is an object. */
static wecom_answer_t judge(const wecom_answer_in_t *in, wecom_json_t *j,
                            int64_t *errcode)
{
    int64_t code = 0;
    if (in->overflow || wecom__json_parse(j, in->body, in->len) != WECOM_OK)
        return WECOM_ANSWER_MALFORMED;
    if (wecom__json_has(j, "errcode") &&
        wecom__json_int(j, "errcode", &code) != WECOM_OK)
        return WECOM_ANSWER_MALFORMED;
    if (code == 0)
        return WECOM_ANSWER_MEDIA;
    *errcode = code;
    return WECOM_ANSWER_API_ERROR;
}

/* A 200 typed as a web page is never the medium: an API error when its
 * whole body is one, else a page, told as soon as it does not start
 * like an object. */
static wecom_answer_t judge_page(const wecom_answer_in_t *in, wecom_json_t *j,
                                 int64_t *errcode)
{
    char c = 0;
    if (first_byte(in->body, in->len, &c) && c != '{')
        return WECOM_ANSWER_PAGE;
    if (!in->complete && !in->overflow)
        return WECOM_ANSWER_UNDECIDED;
    return judge(in, j, errcode) == WECOM_ANSWER_API_ERROR ? WECOM_ANSWER_API_ERROR
                                                           : WECOM_ANSWER_PAGE;
}

wecom_answer_t wecom__json_answer_classify(const wecom_answer_in_t *in,
                                      wecom_json_t *j, int64_t *errcode)
{
    wecom_answer_t v;
    *errcode = 0;
    j->count = 0;
    if (in->status != 200) {
        /* Never media; the body only tells which error. */
        if (!in->complete && !in->overflow)
            return WECOM_ANSWER_UNDECIDED;
        v = judge(in, j, errcode);
        return v == WECOM_ANSWER_API_ERROR ? v : WECOM_ANSWER_STATUS;
    }
    if (in->content_disposition[0] != '\0')
        return WECOM_ANSWER_MEDIA;
    if (is_html_type(in->content_type))
        return judge_page(in, j, errcode);
    if (!is_json_type(in->content_type)) {
        char c = 0;
        int seen = first_byte(in->body, in->len, &c);
        if (seen && c != '{')
            return WECOM_ANSWER_MEDIA;
        if (!seen && in->complete && !in->overflow)
            return WECOM_ANSWER_MEDIA; /* empty, or whitespace only */
    }
    if (!in->complete && !in->overflow)
        return WECOM_ANSWER_UNDECIDED;
    return judge(in, j, errcode);
}

#endif /* WECOM_DOWNLOAD */
