/* SPDX-License-Identifier: MIT */
/*
 * How the tool reaches WeCom: an HTTP proxy (--proxy, HTTPS_PROXY,
 * https_proxy; NO_PROXY, no_proxy) as curl picks one, its credentials
 * (--proxy-user, WECOM_PROXY_USER or the URL's user:password@), and the
 * rate limit (--limit-rate). Proxy credentials are secrets: wiped from
 * argv once copied, never printed; -v names the proxy's host and port.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* --limit-rate as curl takes it: bytes per second, with an optional K, M
 * or G (powers of 1024, either case). At least 1; at most 4 GiB - 1. */
int cli_parse_rate(const char *s, uint32_t *out)
{
    char *end;
    unsigned long long v, mul = 1;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    switch (*end) {
    case 'k': case 'K': mul = 1024ull; end++; break;
    case 'm': case 'M': mul = 1024ull * 1024; end++; break;
    case 'g': case 'G': mul = 1024ull * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end != '\0' || v == 0 || v > 0xFFFFFFFFull / mul)
        return -1;
    *out = (uint32_t)(v * mul);
    return 0;
}

/* Overwrite a secret in argv (ps, /proc/PID/cmdline) once copied. */
static void wipe_arg(char *s)
{
    memset(s, 'x', strlen(s));
}

static int copy_to(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

int cli_network_option(cli_t *cli, const char *name, char *arg)
{
    if (strcmp(name, "limit-rate") == 0) {
        if (cli_parse_rate(arg, &cli->limit_rate) != 0) {
            fprintf(stderr, "wecom-media: --limit-rate: bytes per second, 1 or more, "
                            "with an optional K, M or G (e.g. 256K)\n");
            return EXIT_USAGE;
        }
        return EXIT_OK;
    }
    if (strcmp(name, "proxy") == 0) {
        /* Copied whole, then wiped: the URL may hold user:password. */
        if (copy_to(cli->proxy_url, sizeof cli->proxy_url, arg) != 0) {
            fprintf(stderr, "wecom-media: --proxy: too long\n");
            return EXIT_USAGE;
        }
        if (strchr(arg, '@') != NULL)
            wipe_arg(arg);
        cli->proxy_given = 1;
        return EXIT_OK;
    }
    /* proxy-user */
    if (copy_to(cli->proxy_user, sizeof cli->proxy_user, arg) != 0) {
        wipe_arg(arg);
        fprintf(stderr, "wecom-media: --proxy-user: longer than %u bytes\n",
                (unsigned)WECOM_PROXY_CREDENTIALS_MAX);
        return EXIT_USAGE;
    }
    wipe_arg(arg);
    return EXIT_OK;
}

/* ------------------------------------------------------------- NO_PROXY */

/* An IP address in text (IPv4 dotted, or IPv6 without brackets), n
 * bytes at s: its family (AF_INET, AF_INET6) with its bytes in addr (16
 * bytes), else 0. */
static int ip_parse(const char *s, size_t n, unsigned char *addr)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, buf, addr) == 1)
        return AF_INET6;
    return 0;
}

/* The first bits bits of a and b are the same. */
static int prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    unsigned char mask = (unsigned char)(0xFFu << (8 - rest));
    if (memcmp(a, b, full) != 0)
        return 0;
    return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
}

/* The entry [p, p + n) against the address of family fam in a: the same
 * address (however spelt, an IPv6 one with or without brackets), or a
 * CIDR block ADDRESS/BITS that holds it. */
static int ip_entry_match(const char *p, size_t n, int fam, const unsigned char *a)
{
    unsigned char e[16];
    const char *slash = memchr(p, '/', n), *ap = p;
    size_t alen = slash != NULL ? (size_t)(slash - p) : n;
    unsigned width = fam == AF_INET ? 32u : 128u, bits = width;
    if (alen > 2 && ap[0] == '[' && ap[alen - 1] == ']') {
        ap++;
        alen -= 2;
    }
    if (ip_parse(ap, alen, e) != fam)
        return 0;
    if (slash != NULL) {
        const char *d = slash + 1;
        size_t dl = (size_t)(p + n - d), i;
        if (dl == 0 || dl > 3)
            return 0;
        bits = 0;
        for (i = 0; i < dl; i++) {
            if (d[i] < '0' || d[i] > '9')
                return 0;
            bits = bits * 10u + (unsigned)(d[i] - '0');
        }
        if (bits > width)
            return 0;
    }
    return prefix_equal(e, a, bits);
}

/* host is in list (comma or space separated) as curl reads NO_PROXY: "*"
 * alone matches every host; an entry matches the same name (case aside,
 * a leading dot ignored) and every name under it. An IP address matches
 * only itself (an IPv6 one with or without brackets) or a CIDR block
 * that holds it (10.0.0.0/8): never by its tail, so "0.0.1" is not
 * 127.0.0.1. */
int cli_no_proxy_match(const char *list, const char *host)
{
    unsigned char addr[16];
    size_t hl = strlen(host);
    const char *p = list;
    int fam = ip_parse(host, hl, addr);
    if (hl > 0 && host[hl - 1] == '.')
        hl--; /* "example.com." is example.com */
    while (*p != '\0') {
        const char *e;
        size_t n;
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        e = p + strcspn(p, ", \t");
        n = (size_t)(e - p);
        if (n == 1 && *p == '*' && (*e == '\0' || p == list))
            return 1;
        if (fam != 0) {
            if (n > 0 && ip_entry_match(p, n, fam, addr))
                return 1;
            p = e;
            continue;
        }
        if (n > 0 && *p == '.') {
            p++;
            n--;
        }
        if (n > 1 && *p == '[' && p[n - 1] == ']') {
            p++;
            n -= 2;
        }
        if (n > 0 && p[n - 1] == '.')
            n--;
        if (n > 0 && n <= hl && strncasecmp(host + hl - n, p, n) == 0 &&
            (n == hl || host[hl - n - 1] == '.'))
            return 1;
        p = e;
    }
    return 0;
}

/* ------------------------------------------------------------ the proxy */

/* Percent-decode the span [s, s + n) into out (cap bytes, NUL-ended). */
static int pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            unsigned v = 0, k;
            if (i + 2 >= n)
                return -1;
            for (k = 1; k <= 2; k++) {
                char h = s[i + k];
                v <<= 4;
                if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
                else return -1;
            }
            ch = (char)v;
            i += 2;
        }
        if (ch == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = ch;
    }
    out[o] = '\0';
    return 0;
}

#if WECOM_PROXY
/* What Basic credentials (RFC 7617) may hold: no control character, and
 * no ':' in the user. */
static int credential_ok(const char *s, int is_user)
{
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || (is_user && ch == ':'))
            return 0;
    }
    return 1;
}
#endif

/* What a proxy host may hold (as a base URL's host). */
static int host_ok(const char *s)
{
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == ':'))
            return 0;
    return 1;
}

/* "http://[user:password@]host[:port][/]" (the scheme may be left out, as
 * curl allows; the port defaults to curl's 1080). */
static int parse_proxy_url(cli_t *cli, const char *url)
{
    const char *p = url, *at, *h, *hend, *after;
    size_t n;
    unsigned long port = 1080;
    if (strncasecmp(p, "http://", 7) == 0) {
        p += 7;
    } else if (strstr(p, "://") != NULL) {
        fprintf(stderr, "wecom-media: proxy: only http:// proxies are supported "
                        "(the tunnel to WeCom is TLS itself)\n");
        return -1;
    }
    n = strcspn(p, "/?#");
    at = NULL;
    {
        const char *q;
        for (q = p; q < p + n; q++)
            if (*q == '@')
                at = q; /* the last '@': a password may hold one encoded */
    }
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon == NULL ||
            pct_decode(p, (size_t)(colon - p), cli->proxy_cred_user,
                       sizeof cli->proxy_cred_user) != 0 ||
            pct_decode(colon + 1, (size_t)(at - colon - 1), cli->proxy_cred_pass,
                       sizeof cli->proxy_cred_pass) != 0) {
            fprintf(stderr, "wecom-media: proxy: the URL's credentials must be "
                            "user:password (percent-encoded), short enough\n");
            return -1;
        }
        p = at + 1;
        n = strcspn(p, "/?#");
    }
    if (*p == '[') {
        h = p + 1;
        hend = memchr(h, ']', n);
        if (hend == NULL)
            goto bad;
        after = hend + 1;
    } else {
        h = p;
        hend = p + strcspn(p, ":/?#");
        after = hend;
    }
    if (hend == h || (size_t)(hend - h) >= sizeof cli->proxy_host)
        goto bad;
    memcpy(cli->proxy_host, h, (size_t)(hend - h));
    cli->proxy_host[hend - h] = '\0';
    if (!host_ok(cli->proxy_host))
        goto bad;
    if (*after == ':') {
        char *end;
        errno = 0;
        port = strtoul(after + 1, &end, 10);
        if (errno != 0 || end == after + 1 || port == 0 || port > 65535)
            goto bad;
        after = end;
    }
    if (*after != '\0' && strcmp(after, "/") != 0)
        goto bad;
    cli->proxy_port = (uint16_t)port;
    return 0;
bad:
    fprintf(stderr, "wecom-media: proxy: not a proxy URL (http://HOST[:PORT])\n");
    return -1;
}

/* The host of the base URL, for NO_PROXY. */
static void base_host(const cli_t *cli, char *out, size_t cap)
{
    const char *u = cli->base_url != NULL ? cli->base_url : WECOM_DEFAULT_BASE_URL;
    const char *p = strstr(u, "://");
    size_t n;
    p = p != NULL ? p + 3 : u;
    if (*p == '[') {
        p++;
        n = strcspn(p, "]");
    } else {
        n = strcspn(p, ":/?#");
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v == NULL)
        v = getenv(b);
    return v;
}

int cli_network_config(cli_t *cli, wecom_client_config_t *cfg)
{
    const char *url, *no_proxy;
    char host[WECOM_HOST_MAX];

    cfg->rate_limit = cli->limit_rate;
    /* --proxy wins over the environment; --proxy "" means none, as in
     * curl. curl reads the lower-case name first. */
    url = cli->proxy_given ? cli->proxy_url : env_first("https_proxy", "HTTPS_PROXY");
    if (url == NULL || url[0] == '\0')
        return EXIT_OK;
    base_host(cli, host, sizeof host);
    no_proxy = env_first("no_proxy", "NO_PROXY");
    if (no_proxy != NULL && cli_no_proxy_match(no_proxy, host)) {
        if (cli->verbose)
            fprintf(stderr, "wecom-media: no proxy for %s (NO_PROXY)\n", host);
        return EXIT_OK;
    }
    if (parse_proxy_url(cli, url) != 0)
        return EXIT_USAGE;
#if !WECOM_PROXY
    fprintf(stderr, "wecom-media: this build has no proxy support (WECOM_PROXY)\n");
    return EXIT_USAGE;
#else
    /* --proxy-user, else WECOM_PROXY_USER, else the URL's. */
    const char *user = cli->proxy_user[0] != '\0' ? cli->proxy_user
                                                 : getenv("WECOM_PROXY_USER");
    if (user != NULL && user[0] != '\0') {
        const char *colon = strchr(user, ':');
        size_t ul = colon != NULL ? (size_t)(colon - user) : 0;
        if (colon == NULL || ul == 0 || ul >= sizeof cli->proxy_cred_user ||
            copy_to(cli->proxy_cred_pass, sizeof cli->proxy_cred_pass, colon + 1) != 0) {
            fprintf(stderr, "wecom-media: proxy user: USER:PASSWORD expected\n");
            return EXIT_USAGE;
        }
        memcpy(cli->proxy_cred_user, user, ul);
        cli->proxy_cred_user[ul] = '\0';
    }
    /* Said here, naming the proxy: the library refuses them only as an
     * invalid argument. */
    if (!credential_ok(cli->proxy_cred_user, 1) || !credential_ok(cli->proxy_cred_pass, 0)) {
        fprintf(stderr, "wecom-media: proxy %s:%u: its user may not hold ':' (it ends "
                        "the user in Basic credentials), nor either part a control "
                        "character\n", cli->proxy_host, (unsigned)cli->proxy_port);
        return EXIT_USAGE;
    }
    cfg->proxy_host = cli->proxy_host;
    cfg->proxy_port = cli->proxy_port;
    if (cli->proxy_cred_user[0] != '\0') {
        cfg->proxy_user = cli->proxy_cred_user;
        cfg->proxy_password = cli->proxy_cred_pass;
    }
    if (cli->verbose)
        fprintf(stderr, "wecom-media: via proxy %s:%u%s\n", cli->proxy_host,
                (unsigned)cli->proxy_port,
                cfg->proxy_user != NULL ? " (with credentials)" : "");
    return EXIT_OK;
#endif
}

void cli_network_report(const cli_t *cli)
{
    int status;
    if (!cli->client_ready)
        return;
    /* -v: the TLS library's own code under the cause the error named. */
    status = wecom_client_tls_error(cli->client);
    if (cli->verbose && status != 0)
        fprintf(stderr, "wecom-media: TLS library error -0x%04X\n",
                (unsigned)-status);
    if (cli->proxy_host[0] == '\0')
        return;
    /* The library's error says the proxy refused; this says how. */
    status = wecom_client_proxy_status(cli->client);
    if (status != 0 && (status < 200 || status > 299))
        fprintf(stderr, "wecom-media: the proxy %s:%u answered HTTP %d\n",
                cli->proxy_host, (unsigned)cli->proxy_port, status);
}

void cli_network_wipe(cli_t *cli)
{
    cli_wipe(cli->proxy_url, sizeof cli->proxy_url);
    cli_wipe(cli->proxy_user, sizeof cli->proxy_user);
    cli_wipe(cli->proxy_cred_user, sizeof cli->proxy_cred_user);
    cli_wipe(cli->proxy_cred_pass, sizeof cli->proxy_cred_pass);
}
