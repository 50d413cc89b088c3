/* SPDX-License-Identifier: MIT */
/* Multipart framing round trip: what core/wire/multipart.c writes, a strict
 * RFC 7578 / RFC 2046 reader written here reads back, byte for byte.
 *
 * Input: flags, a boundary, a part type choice, a name and the content.
 * The body is read through wecom__multipart_read in fuzzer-chosen chunks
 * over a reader that returns short counts, then parsed: one part named
 * "media", its filename the cleaned name, filelength and content the
 * input's, the body exactly wecom__multipart_length() bytes, the boundary
 * nowhere but at the two delimiters. Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_source.h"

#include "filename.h"
#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* flags */
#define F_RAW_BOUNDARY 0x01 /* boundary bytes as given, not mapped */
#define F_RAW_NAME 0x02     /* the name as given, not cleaned first */
#define F_SHRUNK 0x04       /* file_len larger than the bytes there */

static const char BCHARS[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";
static const char *const TYPES[] = { "image/jpeg", "image/png", "audio/amr",
                                     "video/mp4", "application/octet-stream" };

typedef struct {
    const uint8_t *p;
    size_t n;
} cursor_t;

static uint8_t take_byte(cursor_t *c)
{
    uint8_t b = 0;
    if (c->n > 0) {
        b = c->p[0];
        c->p++;
        c->n--;
    }
    return b;
}

static size_t take(cursor_t *c, size_t want, const uint8_t **out)
{
    size_t n = want < c->n ? want : c->n;
    *out = c->p;
    c->p += n;
    c->n -= n;
    return n;
}

/* --------------------------------------------------- strict reader (RFC) */

static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int ieq(const unsigned char *a, size_t n, const char *lit)
{
    size_t i;
    if (strlen(lit) != n)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

static void skip_ows(const unsigned char **p, const unsigned char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
}

/* token or quoted-string (RFC 7230 3.2.6) into out; length or -1. */
static long param_value(const unsigned char **pp, const unsigned char *end,
                        unsigned char *out, size_t cap)
{
    const unsigned char *p = *pp;
    size_t n = 0;
    if (p < end && *p == '"') {
        p++;
        for (;;) {
            unsigned char c;
            if (p >= end)
                return -1;
            c = *p++;
            if (c == '"')
                break;
            if (c == '\\') {
                if (p >= end)
                    return -1;
                c = *p++;
                if (c != '\t' && (c < 0x20 || c == 0x7f))
                    return -1;
            } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
                return -1;
            }
            if (n == cap)
                return -1;
            out[n++] = c;
        }
    } else {
        while (p < end && is_tchar(*p)) {
            if (n == cap)
                return -1;
            out[n++] = *p++;
        }
        if (n == 0)
            return -1;
    }
    *pp = p;
    return (long)n;
}

/* "Content-Type: multipart/form-data; boundary=B\r\n", nothing else. */
static long header_boundary(const char *h, unsigned char *b, size_t cap)
{
    static const char PRE[] = "Content-Type: multipart/form-data; boundary=";
    const unsigned char *p = (const unsigned char *)h + strlen(PRE);
    const unsigned char *end = (const unsigned char *)h + strlen(h);
    long n;
    if (strncmp(h, PRE, strlen(PRE)) != 0)
        return -1;
    n = param_value(&p, end, b, cap);
    if (n < 1 || n > 70 || end - p != 2 || p[0] != '\r' || p[1] != '\n')
        return -1;
    return n;
}

typedef struct {
    unsigned char filename[2 * WECOM_FILENAME_MAX + 2];
    long filename_len;
    unsigned char type[128];
    size_t type_len;
    uint64_t filelength;
    size_t content_off, content_len;
} part_t;

/* Content-Disposition: form-data; name="media"; filename=...; filelength=N
 * Parameters in any order, each once; nothing unknown. */
static int disposition(const unsigned char *p, const unsigned char *end,
                       part_t *part)
{
    int have_name = 0, have_file = 0, have_len = 0;
    const unsigned char *t = p;
    while (p < end && is_tchar(*p))
        p++;
    if (!ieq(t, (size_t)(p - t), "form-data"))
        return -1;
    while (p < end) {
        unsigned char val[2 * WECOM_FILENAME_MAX + 2];
        const unsigned char *k;
        size_t klen;
        long vlen;
        skip_ows(&p, end);
        if (p >= end || *p++ != ';')
            return -1;
        skip_ows(&p, end);
        k = p;
        while (p < end && is_tchar(*p))
            p++;
        klen = (size_t)(p - k);
        if (klen == 0 || p >= end || *p++ != '=')
            return -1;
        vlen = param_value(&p, end, val, sizeof val);
        if (vlen < 0)
            return -1;
        if (ieq(k, klen, "name")) {
            if (have_name++ || vlen != 5 || memcmp(val, "media", 5) != 0)
                return -1;
        } else if (ieq(k, klen, "filename")) {
            if (have_file++)
                return -1;
            memcpy(part->filename, val, (size_t)vlen);
            part->filename_len = vlen;
        } else if (ieq(k, klen, "filelength")) {
            long i;
            if (have_len++ || vlen > 20 || (val[0] == '0' && vlen > 1))
                return -1;
            part->filelength = 0;
            for (i = 0; i < vlen; i++) {
                if (val[i] < '0' || val[i] > '9')
                    return -1;
                part->filelength = part->filelength * 10 + (uint64_t)(val[i] - '0');
            }
        } else {
            return -1;
        }
    }
    return have_name && have_file && have_len ? 0 : -1;
}

static const unsigned char *find(const unsigned char *h, size_t hn,
                                 const unsigned char *needle, size_t nn)
{
    size_t i;
    if (nn > hn)
        return NULL;
    for (i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, needle, nn) == 0)
            return h + i;
    return NULL;
}

/* One part, no preamble, no epilogue, no transport padding: exactly what
 * a careful writer sends. 0 on success. */
static int parse_body(const unsigned char *body, size_t len,
                      const unsigned char *b, size_t blen, part_t *part)
{
    const unsigned char *p = body, *end = body + len, *content, *close;
    unsigned char delim[4 + 70];
    int have_cd = 0, have_ct = 0;

    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, b, blen);
    /* dash-boundary CRLF */
    if (len < 2 + blen + 2 || memcmp(p, "--", 2) != 0 ||
        memcmp(p + 2, b, blen) != 0 || memcmp(p + 2 + blen, "\r\n", 2) != 0)
        return -1;
    p += 2 + blen + 2;
    /* header fields up to the empty line */
    for (;;) {
        const unsigned char *name = p, *colon, *eol, *v, *ve;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            p += 2;
            break;
        }
        while (p < end && is_tchar(*p))
            p++;
        if (p == name || p >= end || *p != ':')
            return -1;
        colon = p++;
        eol = find(p, (size_t)(end - p), (const unsigned char *)"\r\n", 2);
        if (eol == NULL)
            return -1;
        skip_ows(&p, eol);
        v = p;
        ve = eol;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (; p < ve; p++)
            if (*p != '\t' && (*p < 0x20 || *p == 0x7f))
                return -1;
        if (ieq(name, (size_t)(colon - name), "content-disposition")) {
            if (have_cd++ || disposition(v, ve, part) != 0)
                return -1;
        } else if (ieq(name, (size_t)(colon - name), "content-type")) {
            if (have_ct++ || ve == v || (size_t)(ve - v) > sizeof part->type)
                return -1;
            part->type_len = (size_t)(ve - v);
            memcpy(part->type, v, part->type_len);
        } else {
            return -1; /* RFC 7578 4.8: no other header belongs here */
        }
        p = eol + 2;
    }
    if (!have_cd || !have_ct)
        return -1;
    /* the content runs to the first delimiter */
    content = p;
    close = find(content, (size_t)(end - content), delim, 4 + blen);
    if (close == NULL)
        return -1;
    part->content_off = (size_t)(content - body);
    part->content_len = (size_t)(close - content);
    p = close + 4 + blen;
    /* close-delimiter: "--" then CRLF, and the body ends there */
    if (end - p != 4 || memcmp(p, "--\r\n", 4) != 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------- the target */

static int boundary_valid(const char *b, size_t n)
{
    size_t i;
    if (n == 0 || n > 70)
        return 0;
    for (i = 0; i < n; i++)
        if (strchr(BCHARS, b[i]) == NULL)
            return 0;
    return 1;
}

static int name_valid(const char *s)
{
    if (strlen(s) > WECOM_FILENAME_MAX)
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* Read the whole body in chunks of `chunk` into out (total + 1 bytes: the
 * read past the end must answer 0); bytes read, or the error. */
static long read_body(wecom_multipart_t *m, unsigned char *out, size_t total,
                      size_t chunk)
{
    size_t have = 0;
    for (;;) {
        size_t room = total + 1 - have;
        size_t want = chunk < room ? chunk : room;
        int n = wecom__multipart_read(m, have, out + have, want);
        if (n < 0)
            return n;
        if (n == 0)
            return (long)have;
        CHECK((size_t)n <= want);
        have += (size_t)n;
        CHECK(have <= total); /* never a byte past the announced length */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static wecom_multipart_t m;
    char boundary[80], rawname[1024], name[WECOM_FILENAME_MAX + 1];
    unsigned char hb[80], *body;
    const char *type;
    const uint8_t *bp, *np, *content;
    cursor_t cur = { data, size };
    size_t blen, nlen, clen, chunk, i;
    uint8_t flags;
    uint64_t file_len, total;
    wecom_reader_t r;
    src_t src;
    part_t part;
    wecom_err_t rc;
    long got, hblen;

    flags = take_byte(&cur);
    blen = take(&cur, take_byte(&cur) % 73u, &bp);
    for (i = 0; i < blen; i++)
        boundary[i] = (flags & F_RAW_BOUNDARY) ? (char)bp[i]
                                               : BCHARS[bp[i] % (sizeof BCHARS - 1)];
    boundary[blen] = '\0';
    blen = strlen(boundary); /* a raw NUL ends it, for the library too */
    type = TYPES[take_byte(&cur) % (sizeof TYPES / sizeof TYPES[0])];
    nlen = take_byte(&cur);
    nlen = take(&cur, nlen * 4u, &np); /* up to 1020: past the bound too */
    memcpy(rawname, np, nlen);
    rawname[nlen] = '\0';
    chunk = 1u + take_byte(&cur) * 37u;
    src.max_chunk = 1u + take_byte(&cur) * 61u;
    clen = take(&cur, cur.n, &content);
    src.p = content;
    src.n = clen;
    r.read_at = src_read;
    r.ctx = &src;
    r.once = 0;
    file_len = clen + ((flags & F_SHRUNK) ? 1u + (flags >> 4) : 0u);

    if (flags & F_RAW_NAME) {
        /* a caller that skipped the cleaning: control bytes and
         * overlong names are refused, anything else goes as is */
        rc = wecom__multipart_init(&m, boundary, rawname, type, &r, file_len);
        if (!boundary_valid(boundary, blen) || !name_valid(rawname)) {
            CHECK(rc == WECOM_ERR_INVALID_ARG);
            return 0;
        }
        memcpy(name, rawname, strlen(rawname) + 1);
    } else {
        wecom__filename_clean(rawname, name, sizeof name);
        rc = wecom__multipart_init(&m, boundary, name, type, &r, file_len);
        if (!boundary_valid(boundary, blen)) {
            CHECK(rc == WECOM_ERR_INVALID_ARG);
            return 0;
        }
    }
    CHECK(rc == WECOM_OK);

    /* the request header names the same boundary */
    hblen = header_boundary(m.header, hb, sizeof hb);
    CHECK(hblen == (long)blen && memcmp(hb, boundary, blen) == 0);

    total = wecom__multipart_length(&m);
    CHECK(total == m.head_len + file_len + m.tail_len);
    body = malloc((size_t)total + 1);
    CHECK(body != NULL);
    got = read_body(&m, body, (size_t)total, chunk);
    if (flags & F_SHRUNK) {
        /* the file holds fewer bytes than announced: an error where they
         * run out, never the tail slid into the file's place */
        CHECK(got == WECOM_ERR_MEDIA_LENGTH);
        free(body);
        return 0;
    }
    CHECK(got >= 0 && (uint64_t)got == total);

    /* a read anywhere gives the same bytes as the sequential pass */
    if (total > 0) {
        unsigned char again[512];
        size_t off = (size_t)(chunk * 7919u % total);
        int n = wecom__multipart_read(&m, off, again, sizeof again);
        CHECK(n > 0 && (size_t)n <= sizeof again && off + (size_t)n <= total);
        CHECK(memcmp(again, body + off, (size_t)n) == 0);
    }

    /* RFC 2046 5.1.1: a body part must not contain its delimiter; the
     * writer relies on a random boundary for that, so such content is out
     * of scope here (the library's boundaries carry 128 random bits).
     * Content that starts with --boundary counts: with the CRLF that ends
     * the part's headers it makes a delimiter. */
    {
        unsigned char delim[74];
        memcpy(delim, "\r\n--", 4);
        memcpy(delim + 4, boundary, blen);
        if (find(content, clen, delim, 4 + blen) != NULL ||
            (clen >= 2 + blen && memcmp(content, delim + 2, 2 + blen) == 0)) {
            free(body);
            return 0;
        }
        /* ...and the head adds none either: the first delimiter after the
         * opening one is where the content ends */
        CHECK(find(body, m.head_len + clen, delim, 4 + blen) == NULL);
    }

    memset(&part, 0, sizeof part);
    part.filename_len = -1;
    CHECK(parse_body(body, (size_t)total, hb, blen, &part) == 0);
    CHECK(part.content_off == m.head_len);
    CHECK(part.content_len == clen && memcmp(body + part.content_off, content, clen) == 0);
    CHECK(part.filelength == clen);
    CHECK(part.filename_len == (long)strlen(name) &&
          memcmp(part.filename, name, strlen(name)) == 0);
    CHECK(part.type_len == strlen(type) && memcmp(part.type, type, part.type_len) == 0);
    free(body);
    return 0;
}
