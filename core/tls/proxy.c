/* SPDX-License-Identifier: MIT */
/* The CONNECT tunnel through an HTTP proxy (see proxy.h). */
#include <string.h>

#include "proxy.h"
#include "text.h"

#if WECOM_PROXY

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n-- > 0)
        *v++ = 0;
}

/* A proxy host: what a base URL's host may hold (url.c), so the request
 * line can carry it as it is. */
static int host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
}

/* RFC 7617: neither part of Basic credentials holds a control character,
 * and the user holds no ':'. */
static int credential_ok(const char *s, int is_user)
{
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || (is_user && ch == ':'))
            return 0;
    }
    return 1;
}

/* The four Base64 (RFC 4648) characters of the group acc holds, of which
 * have bytes (1 to 3) are input: the rest is padding. */
static void b64_group(char *out, unsigned long acc, int have)
{
    static const char B64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int k;
    acc <<= 8 * (unsigned)(3 - have);
    for (k = 0; k < 4; k++)
        out[k] = (char)(k <= have ? B64[(acc >> (18 - 6 * k)) & 63] : '=');
}

/* Base64 of user ":" password into out, which holds
 * WECOM__PROXY_AUTH_SIZE bytes: the caller checked the length. Three
 * bytes at a time, so no joined copy of the credentials is made. */
static void encode_credentials(char *out, const char *user, const char *password)
{
    const char *parts[3];
    size_t pi = 0, o = 0;
    unsigned long acc = 0;
    int have = 0;
    parts[0] = user;
    parts[1] = ":";
    parts[2] = password;
    for (;;) {
        while (pi < 3 && *parts[pi] == '\0')
            pi++;
        if (pi < 3) {
            acc = acc << 8 | (unsigned char)*parts[pi]++;
            have++;
        }
        if (have == 3 || (pi == 3 && have > 0)) {
            b64_group(out + o, acc, have);
            o += 4;
            acc = 0;
            have = 0;
        }
        if (pi == 3)
            break;
    }
    out[o] = '\0';
    wipe(&acc, sizeof acc); /* where the password's bytes passed */
}

wecom_err_t wecom__proxy_set(wecom__proxy_t *p, const char *host,
                            uint16_t port, const char *user,
                            const char *password)
{
    size_t i, n = host != NULL ? strlen(host) : 0;
    wecom__proxy_clear(p);
    if (n == 0 || n >= sizeof p->host || port == 0)
        return WECOM_ERR_INVALID_ARG;
    for (i = 0; i < n; i++)
        if (!host_char_ok(host[i]))
            return WECOM_ERR_INVALID_ARG;
    if ((user == NULL) != (password == NULL))
        return WECOM_ERR_INVALID_ARG;
    if (user != NULL) {
        if (user[0] == '\0' || strlen(user) + 1 + strlen(password) >
                                   WECOM_PROXY_CREDENTIALS_MAX ||
            !credential_ok(user, 1) || !credential_ok(password, 0))
            return WECOM_ERR_INVALID_ARG;
        encode_credentials(p->auth, user, password);
    }
    memcpy(p->host, host, n + 1);
    p->port = port;
    return WECOM_OK;
}

void wecom__proxy_clear(wecom__proxy_t *p)
{
    wipe(p->auth, sizeof p->auth);
    memset(p->host, 0, sizeof p->host);
    p->port = 0;
    p->status = 0;
}

/* ------------------------------------------------------------ the answer */

enum {
    ST_PROTO,      /* "HTTP/" DIGIT "." DIGIT, pos counts */
    ST_SP,         /* the space(s) before the status */
    ST_CODE,       /* three digits */
    ST_AFTER_CODE, /* SP before a reason, or the line's end */
    ST_REASON,
    ST_LINE_LF,    /* CR seen: LF must follow */
    ST_LINE_START, /* a header line or the empty line */
    ST_NAME,       /* a header's name up to ':' */
    ST_VALUE,
    ST_END_LF,     /* the empty line's CR seen */
    ST_DONE
};

void wecom__proxy_answer_init(wecom__proxy_answer_t *a)
{
    memset(a, 0, sizeof *a);
    a->state = ST_PROTO;
}

/* RFC 9110's tchar: what a header's name is made of. */
static int tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') ||
           (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Visible text, space, tab and obs-text: what a reason phrase or a
 * header's value may hold. */
static int text_ok(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

/* One byte: the next state, or -1 for a malformed head. Lines end in
 * CRLF or a bare LF (RFC 9112 lets a recipient take LF alone). */
static int step(wecom__proxy_answer_t *a, unsigned char ch)
{
    static const char PROTO[] = "HTTP/#.#"; /* '#': a digit */
    switch (a->state) {
    case ST_PROTO:
        if (PROTO[a->pos] == '#' ? ch < '0' || ch > '9'
                                 : ch != (unsigned char)PROTO[a->pos])
            return -1;
        if (++a->pos == 8) {
            a->pos = 0;
            return ST_SP;
        }
        return ST_PROTO;
    case ST_SP:
        if (ch == ' ')
            return a->pos++ < 8 ? ST_SP : -1;
        if (a->pos == 0 || ch < '0' || ch > '9')
            return -1;
        a->pos = 1;
        a->status = ch - '0';
        return ST_CODE;
    case ST_CODE:
        if (ch < '0' || ch > '9')
            return -1;
        a->status = a->status * 10 + (ch - '0');
        if (++a->pos < 3)
            return ST_CODE;
        return a->status >= 100 ? ST_AFTER_CODE : -1;
    case ST_AFTER_CODE: /* a reason after a space, or none at all */
        if (ch == ' ')
            return ST_REASON;
        if (ch == '\r')
            return ST_LINE_LF;
        return ch == '\n' ? ST_LINE_START : -1;
    case ST_REASON:
    case ST_VALUE:
        if (ch == '\r')
            return ST_LINE_LF;
        if (ch == '\n')
            return ST_LINE_START;
        return text_ok(ch) ? (int)a->state : -1;
    case ST_LINE_LF:
        return ch == '\n' ? ST_LINE_START : -1;
    case ST_LINE_START:
        if (ch == '\r')
            return ST_END_LF;
        if (ch == '\n')
            return ST_DONE;
        /* A line that starts with white space folds the one before
         * (obsolete, and a way to hide a header): refused. */
        return tchar(ch) ? ST_NAME : -1;
    case ST_NAME:
        if (ch == ':')
            return ST_VALUE;
        /* no space before the colon (RFC 9112, 5.1) */
        return tchar(ch) ? ST_NAME : -1;
    case ST_END_LF:
        return ch == '\n' ? ST_DONE : -1;
    default:
        return -1;
    }
}

int wecom__proxy_answer_feed(wecom__proxy_answer_t *a, const unsigned char *buf,
                            size_t len, size_t *used)
{
    size_t i;
    *used = 0;
    if (a->state == ST_DONE)
        return 1;
    for (i = 0; i < len; i++) {
        int next;
        if (++a->bytes > WECOM_PROXY_HEAD_MAX)
            return WECOM_ERR_PROXY_PROTOCOL;
        next = step(a, buf[i]);
        if (next < 0)
            return WECOM_ERR_PROXY_PROTOCOL;
        a->state = (unsigned)next;
        if (next == ST_DONE) {
            *used = i + 1;
            return 1;
        }
    }
    *used = len;
    return 0;
}

/* ------------------------------------------------------------ the tunnel */

/* "CONNECT host:port HTTP/1.1" with Host and, given credentials,
 * Proxy-Authorization. An IPv6 literal goes in brackets. */
static wecom_err_t build_request(const wecom__proxy_t *p, wecom__text_t *t,
                                 const char *host, uint16_t port)
{
    int v6 = strchr(host, ':') != NULL;
    int i;
    for (i = 0; i < 2; i++) {
        wecom__text_put(t, i == 0 ? "CONNECT " : " HTTP/1.1\r\nHost: ");
        wecom__text_put(t, v6 ? "[" : "");
        wecom__text_put(t, host);
        wecom__text_put(t, v6 ? "]:" : ":");
        wecom__text_put_u64(t, port);
    }
    wecom__text_put(t, "\r\n");
    if (p->auth[0] != '\0') {
        wecom__text_put(t, "Proxy-Authorization: Basic ");
        wecom__text_put(t, p->auth);
        wecom__text_put(t, "\r\n");
    }
    wecom__text_put(t, "\r\n");
    return wecom__text_status(t, WECOM_ERR_INVALID_ARG);
}

static wecom_err_t send_all(const wecom__proxy_io_t *io, const char *buf,
                            size_t len)
{
    while (len > 0) {
        int n = io->send(io->ctx, (const unsigned char *)buf, len);
        if (n <= 0)
            return n < 0 ? n : WECOM_ERR_CLOSED;
        buf += n;
        len -= (size_t)n;
    }
    return WECOM_OK;
}

static wecom_err_t read_answer(wecom__proxy_t *p, const wecom__proxy_io_t *io)
{
    wecom__proxy_answer_t a;
    unsigned char buf[256];
    wecom__proxy_answer_init(&a);
    for (;;) {
        size_t used;
        int r, n = io->recv(io->ctx, buf, sizeof buf);
        if (n < 0)
            return n;
        if (n == 0) /* a close before any answer may be passing: retried */
            return a.bytes == 0 ? WECOM_ERR_CLOSED : WECOM_ERR_PROXY_PROTOCOL;
        r = wecom__proxy_answer_feed(&a, buf, (size_t)n, &used);
        if (r < 0)
            return r;
        if (r == 0)
            continue;
        p->status = a.status;
        if (a.status == 407)
            return WECOM_ERR_PROXY_AUTH;
        if (a.status < 200 || a.status > 299)
            return WECOM_ERR_PROXY_REFUSED;
        /* Nothing may follow a 2xx head before the client speaks: such
         * bytes would be fed to TLS as if the server had sent them (TLS
         * would refuse them; this names the culprit). */
        if (used != (size_t)n || (io->pending != NULL && io->pending(io->ctx)))
            return WECOM_ERR_PROXY_PROTOCOL;
        return WECOM_OK;
    }
}

wecom_err_t wecom__proxy_connect(wecom__proxy_t *p, const wecom__proxy_io_t *io,
                                const char *host, uint16_t port)
{
    /* Two host:port, the credentials and the fixed text. */
    char req[2 * (WECOM_HOST_MAX + 8) + WECOM__PROXY_AUTH_SIZE + 80];
    wecom__text_t t;
    wecom_err_t rc;
    p->status = 0;
    wecom__text_init(&t, req, sizeof req, 1);
    rc = build_request(p, &t, host, port);
    if (rc == WECOM_OK)
        rc = send_all(io, req, t.len);
    wipe(req, sizeof req); /* it held the credentials */
    if (rc != WECOM_OK)
        return rc;
    return read_answer(p, io);
}

#else
typedef int wecom__proxy_left_out; /* ISO C: no empty file */
#endif /* WECOM_PROXY */
