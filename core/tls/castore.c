/* SPDX-License-Identifier: MIT */
/*
 * The trust store (castore.h): a CA file streamed through fixed buffers,
 * its certificates matched by name to the chain under verification.
 *
 * The file is read as mbedtls_x509_crt_parse_file() reads it: PEM blocks
 * "-----BEGIN CERTIFICATE-----" ... "-----END CERTIFICATE-----" (text
 * around and between them ignored), or, when it holds no such block, one
 * DER certificate. A block that does not decode, a truncated last block
 * and a certificate mbedTLS cannot parse are skipped, as mbedTLS skips
 * them; a file with no certificate at all is refused at init (which
 * reads it up to its first certificate only).
 *
 * On POSIX systems the file is read with open/read, straight into the
 * scratch buffer: stdio would allocate a FILE and its buffer at each
 * handshake, the only heap the library's own code would then touch. A
 * FIFO planted as the CA file fails at once (O_NONBLOCK) instead of
 * hanging the handshake. Other systems get C's stdio, unbuffered.
 *
 * A device that ships its own few roots may build without the stream
 * (WECOM_CA_STREAM=n, 3 KB less code): the CA file is then parsed whole
 * at init into the trust list, as mbedtls_x509_crt_parse_file() does,
 * and the chain verified against it by mbedTLS alone. Each root costs
 * 4-5 KB of heap that way, so the system bundle some 445 KB.
 */
#if defined(__unix__) || defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#define CA_POSIX_IO 1
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#define CA_POSIX_IO 0
#endif
#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>

#include "castore.h"
#include "text.h"

#if WECOM_CA_STREAM /* wecom/config.h */

static const char PEM_BEGIN[] = "-----BEGIN CERTIFICATE-----";
static const char PEM_END[] = "-----END CERTIFICATE-----";

/* A PEM scanner fed one byte at a time, decoding base64 into the DER
 * buffer as it goes, so that no line or block needs to fit anywhere but
 * there. */
typedef struct pem {
    unsigned char *der;
    size_t cap;
    size_t len;
    uint32_t acc;    /* base64 bits not yet stored */
    unsigned bits;   /* how many */
    unsigned pads;   /* '=' seen */
    int in;          /* between BEGIN and END */
    int bad;         /* this block cannot be decoded: skipped at END */
    int skip;        /* not wanted (see scan_file): not decoded further */
    size_t next_look; /* decoded length at which to look at the subject */
    int bol;         /* at the beginning of a line */
    int marking;     /* reading a line that starts with '-' */
    int seen_marker; /* the file has PEM blocks (not DER) */
    size_t mark_len;
    char mark[sizeof PEM_BEGIN + 8];
} pem_t;

static void pem_init(pem_t *p, unsigned char *der, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->der = der;
    p->cap = cap;
    p->bol = 1;
}

static void block_start(pem_t *p)
{
    p->in = 1;
    p->bad = 0;
    p->skip = 0;
    p->next_look = 0;
    p->len = 0;
    p->acc = 0;
    p->bits = 0;
    p->pads = 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static void b64_byte(pem_t *p, unsigned char c)
{
    int v;
    if (c == ' ' || c == '\t' || c == '\r')
        return;
    if (c == '=') {
        p->pads++;
        return;
    }
    v = b64_value(c);
    if (v < 0 || p->pads != 0) { /* another header (Proc-Type) or junk */
        p->bad = 1;
        return;
    }
    p->acc = (p->acc << 6) | (uint32_t)v;
    p->bits += 6;
    if (p->bits >= 8) {
        p->bits -= 8;
        if (p->len == p->cap) {
            p->bad = 1; /* larger than WECOM_CA_DER_MAX */
            return;
        }
        p->der[p->len++] = (unsigned char)(p->acc >> p->bits);
        p->acc &= (1u << p->bits) - 1u;
    }
}

/* A marker line ended: 1 when a decodable block is complete in der. */
static int marker_end(pem_t *p)
{
    size_t n = p->mark_len;
    while (n > 0 && (p->mark[n - 1] == ' ' || p->mark[n - 1] == '\t' ||
                     p->mark[n - 1] == '\r'))
        n--;
    p->marking = 0;
    p->mark_len = 0;
    if (n == sizeof PEM_BEGIN - 1 && memcmp(p->mark, PEM_BEGIN, n) == 0) {
        p->seen_marker = 1;
        block_start(p); /* a BEGIN inside a block drops the unfinished one */
        return 0;
    }
    if (p->in && n == sizeof PEM_END - 1 && memcmp(p->mark, PEM_END, n) == 0) {
        p->in = 0;
        return !p->bad && !p->skip && p->len > 0 && p->bits < 8 && p->pads <= 2;
    }
    if (p->in)
        p->bad = 1; /* some other line of dashes inside a block */
    return 0;
}

/* Feed one byte: 1 when it completed a block (der[0..len) holds it). */
static int pem_byte(pem_t *p, unsigned char c)
{
    int done = 0;
    if (p->bol && c == '-')
        p->marking = 1;
    if (c == '\n') {
        if (p->marking)
            done = marker_end(p);
        p->bol = 1;
        return done;
    }
    p->bol = 0;
    if (p->marking) {
        if (p->mark_len < sizeof p->mark)
            p->mark[p->mark_len++] = (char)c;
        return 0;
    }
    if (p->in && !p->bad && !p->skip)
        b64_byte(p, c);
    return 0;
}

/* Inside a line with nothing to decode: the rest of it can be skipped. */
static int pem_idle(const pem_t *p)
{
    return !p->bol && !p->marking && (!p->in || p->bad || p->skip);
}

/* One DER header (tag, definite length) at der[*off], of the have bytes
 * decoded so far: 1 with *len and *off past the header, 0 when more bytes
 * are needed, -1 when it is not the tag or not a length. */
static int der_head(const unsigned char *der, size_t have, size_t *off,
                    unsigned char tag, size_t *len)
{
    size_t o = *off, n, k, i;
    if (o + 2 > have)
        return 0;
    if (der[o] != tag)
        return -1;
    n = der[o + 1];
    o += 2;
    if (n & 0x80) {
        k = n & 0x7f;
        if (k == 0 || k > 3) /* indefinite, or over 16 MB */
            return -1;
        if (o + k > have)
            return 0;
        for (n = 0, i = 0; i < k; i++)
            n = n << 8 | der[o++];
    }
    *len = n;
    *off = o;
    return 1;
}

/* The subject (as der_subject finds it) from the first have bytes of a
 * certificate being decoded: 1 with it, 0 when more bytes are needed, -1
 * when it is no certificate. Reads headers only, so that a certificate
 * can be judged by its first few hundred bytes. */
static int der_subject_prefix(const unsigned char *der, size_t have,
                              const unsigned char **subject,
                              size_t *subject_len)
{
    const unsigned char seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    const unsigned char v0 = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED;
    size_t off = 0, n, start;
    int i, r;
    for (i = 0; i < 2; i++) /* Certificate, then tbsCertificate */
        if ((r = der_head(der, have, &off, seq, &n)) <= 0)
            return r;
    if (off >= have)
        return 0;
    if (der[off] == v0) {
        if ((r = der_head(der, have, &off, v0, &n)) <= 0)
            return r;
        off += n;
    }
    for (i = 0; i < 4; i++) { /* serial, signature, issuer, validity */
        unsigned char tag = i == 0 ? MBEDTLS_ASN1_INTEGER : seq;
        if ((r = der_head(der, have, &off, tag, &n)) <= 0)
            return r;
        off += n;
        if (off > have + (1u << 24))
            return -1;
    }
    start = off;
    if ((r = der_head(der, have, &off, seq, &n)) <= 0)
        return r;
    if (off + n > have)
        return 0;
    *subject = der + start;
    *subject_len = off + n - start;
    return 1;
}

/* The subject of a DER certificate, as mbedTLS's subject_raw: the Name
 * with its tag and length. 0, or -1 when it is no certificate. */
static int der_subject(const unsigned char *der, size_t len,
                       const unsigned char **subject, size_t *subject_len)
{
    /* mbedTLS's ASN.1 readers take a non-const cursor; nothing is written. */
    unsigned char *p = (unsigned char *)der;
    const unsigned char *end = der + len;
    const unsigned char *start;
    size_t n;
    int i;
    const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    if (mbedtls_asn1_get_tag(&p, end, &n, seq) != 0 || p + n != end)
        return -1;
    if (mbedtls_asn1_get_tag(&p, end, &n, seq) != 0) /* tbsCertificate */
        return -1;
    end = p + n;
    /* [0] version (optional), serial, signature algorithm, issuer,
     * validity: skipped, the subject comes next. */
    if (p < end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED)) {
        if (mbedtls_asn1_get_tag(&p, end, &n, *p) != 0)
            return -1;
        p += n;
    }
    for (i = 0; i < 4; i++) {
        int tag = i == 0 ? MBEDTLS_ASN1_INTEGER : seq;
        if (mbedtls_asn1_get_tag(&p, end, &n, tag) != 0)
            return -1;
        p += n;
    }
    start = p;
    if (mbedtls_asn1_get_tag(&p, end, &n, seq) != 0)
        return -1;
    *subject = start;
    *subject_len = (size_t)(p + n - start);
    return 0;
}

static int string_tag(unsigned char tag)
{
    return tag == MBEDTLS_ASN1_UTF8_STRING ||
           tag == MBEDTLS_ASN1_PRINTABLE_STRING;
}

static int ascii_caseeq(const unsigned char *a, const unsigned char *b,
                        size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* One AttributeTypeAndValue: its OID's bytes, its value's tag and bytes. */
typedef struct atv {
    const unsigned char *oid, *val;
    size_t oid_len, val_len;
    unsigned char tag;
} atv_t;

/* Read the AttributeTypeAndValue at *p (before end) into v and advance
 * *p past it; 0 when it does not parse. */
static int atv_read(unsigned char **p, const unsigned char *end, atv_t *v)
{
    const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    unsigned char *q;
    size_t len;
    if (mbedtls_asn1_get_tag(p, end, &len, seq) != 0)
        return 0;
    q = *p;
    *p += len;
    if (mbedtls_asn1_get_tag(&q, *p, &v->oid_len, MBEDTLS_ASN1_OID) != 0)
        return 0;
    v->oid = q;
    q += v->oid_len;
    if (q >= *p)
        return 0;
    v->tag = *q++;
    if (mbedtls_asn1_get_len(&q, *p, &v->val_len) != 0)
        return 0;
    v->val = q;
    return 1;
}

/* One AttributeTypeAndValue of each name: equal as mbedTLS's
 * x509_name_cmp() judges (same OID; values byte-equal with the same tag,
 * or both UTF8String/PrintableString and equal ignoring ASCII case).
 * Advances both past it; 0 when they differ or do not parse. */
static int atv_eq(unsigned char **pa, const unsigned char *ea,
                  unsigned char **pb, const unsigned char *eb)
{
    atv_t a, b;
    if (!atv_read(pa, ea, &a) || !atv_read(pb, eb, &b) ||
        a.oid_len != b.oid_len || memcmp(a.oid, b.oid, a.oid_len) != 0 ||
        a.val_len != b.val_len)
        return 0;
    if (a.tag == b.tag && memcmp(a.val, b.val, a.val_len) == 0)
        return 1;
    return string_tag(a.tag) && string_tag(b.tag) &&
           ascii_caseeq(a.val, b.val, a.val_len);
}

/* Could a certificate with subject a have issued one with issuer b? The
 * same test as mbedTLS's (see atv_eq), on the DER, RDN by RDN. */
static int name_eq(const unsigned char *a, size_t alen,
                   const unsigned char *b, size_t blen)
{
    const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    const int set = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET;
    unsigned char *pa = (unsigned char *)a; /* read only, as in der_subject */
    unsigned char *pb = (unsigned char *)b;
    const unsigned char *ea = a + alen, *eb = b + blen;
    size_t n;
    if (alen == blen && memcmp(a, b, alen) == 0)
        return 1;
    if (mbedtls_asn1_get_tag(&pa, ea, &n, seq) != 0)
        return 0;
    ea = pa + n;
    if (mbedtls_asn1_get_tag(&pb, eb, &n, seq) != 0)
        return 0;
    eb = pb + n;
    while (pa < ea && pb < eb) {
        const unsigned char *sa, *sb;
        size_t na, nb;
        if (mbedtls_asn1_get_tag(&pa, ea, &na, set) != 0 ||
            mbedtls_asn1_get_tag(&pb, eb, &nb, set) != 0)
            return 0;
        sa = pa + na;
        sb = pb + nb;
        while (pa < sa && pb < sb)
            if (!atv_eq(&pa, sa, &pb, sb))
                return 0;
        if (pa != sa || pb != sb)
            return 0;
    }
    return pa == ea && pb == eb;
}

/* Does the subject name an issuer of any certificate of chain? */
static int issues_chain(const mbedtls_x509_crt *chain,
                        const unsigned char *subject, size_t subject_len)
{
    const mbedtls_x509_crt *c;
    for (c = chain; c != NULL && c->raw.p != NULL; c = c->next)
        if (name_eq(subject, subject_len, c->issuer_raw.p, c->issuer_raw.len))
            return 1;
    return 0;
}

/* Keep a candidate root. Past WECOM_CA_MATCH_MAX candidates the rest are
 * left out: the chain can then only fail to verify, never pass wrongly.
 * One mbedTLS cannot parse is skipped, as its parse_file skips it. */
static void add_candidate(wecom_castore_t *s, const unsigned char *der,
                          size_t len, unsigned *count)
{
    if (*count >= WECOM_CA_MATCH_MAX)
        return;
    if (mbedtls_x509_crt_parse_der(&s->found, der, len) == 0)
        (*count)++;
}

/* What scan_file does with each certificate: count it (chain NULL) or
 * keep it when it names an issuer of chain. */
typedef struct scan {
    const mbedtls_x509_crt *chain;
    unsigned long certs;
    unsigned found;
} scan_t;

/* While a block decodes: once its subject is known, a certificate that
 * names no issuer of the chain is not decoded further (most of a bundle's
 * bytes). Looked at every 64 bytes. */
static void look_at_subject(pem_t *p, const scan_t *sc)
{
    const unsigned char *subject;
    size_t subject_len;
    int r;
    if (sc->chain == NULL || !p->in || p->bad || p->skip || p->len < p->next_look)
        return;
    p->next_look = p->len + 64;
    r = der_subject_prefix(p->der, p->len, &subject, &subject_len);
    if (r < 0 || (r > 0 && !issues_chain(sc->chain, subject, subject_len)))
        p->skip = 1;
    else if (r > 0)
        p->next_look = (size_t)-1; /* wanted: decoded to its end */
}

static void on_cert(wecom_castore_t *s, scan_t *sc, const unsigned char *der,
                    size_t len)
{
    const unsigned char *subject;
    size_t subject_len;
    if (der_subject(der, len, &subject, &subject_len) != 0)
        return;
    sc->certs++;
    if (sc->chain != NULL && issues_chain(sc->chain, subject, subject_len))
        add_candidate(s, der, len, &sc->found);
}

/* Stream the CA file through the scratch buffer: a chunk of the file
 * read at a time, the rest for the certificate being decoded. */
static wecom_err_t scan_file(wecom_castore_t *s, scan_t *sc)
{
    pem_t p;
    size_t n, i, total = 0, chunk_len, der_cap;
    unsigned char *chunk, *der;
    int failed = 0;
#if CA_POSIX_IO
    int fd;
#else
    FILE *f;
#endif
    if (s->scratch == NULL || s->scratch_len < 16)
        return WECOM_ERR_TLS_CA_LOAD;
    chunk_len = s->scratch_len / 4 < WECOM_CA_READ_CHUNK ? s->scratch_len / 4
                                                         : WECOM_CA_READ_CHUNK;
    chunk = s->scratch;
    der = s->scratch + chunk_len;
    der_cap = s->scratch_len - chunk_len;
#if CA_POSIX_IO
    do
        fd = open(s->file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return WECOM_ERR_TLS_CA_LOAD;
#else
    f = fopen(s->file, "rb");
    if (f == NULL)
        return WECOM_ERR_TLS_CA_LOAD;
    (void)setvbuf(f, NULL, _IONBF, 0);
#endif
    pem_init(&p, der, der_cap);
    do {
#if CA_POSIX_IO
        /* a whole chunk unless the file ends, as fread gives it */
        n = 0;
        while (n < chunk_len) {
            ssize_t k = read(fd, chunk + n, chunk_len - n);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                failed = 1; /* a directory reads as EISDIR */
            if (k <= 0)
                break;
            n += (size_t)k;
        }
#else
        n = fread(chunk, 1, chunk_len, f);
#endif
        for (i = 0; i < n; i++) {
            /* Until a PEM marker shows up the file may be one DER
             * certificate: keep its bytes too while they fit. */
            if (!p.seen_marker && total + i < der_cap)
                der[total + i] = chunk[i];
            else if (pem_idle(&p)) {
                const unsigned char *nl = memchr(chunk + i, '\n', n - i);
                if (nl == NULL)
                    break;
                i = (size_t)(nl - chunk);
            }
            if (pem_byte(&p, chunk[i]))
                on_cert(s, sc, der, p.len);
            look_at_subject(&p, sc);
        }
        total += n;
        /* At init one certificate is enough to know the file holds some. */
        if (sc->chain == NULL && sc->certs > 0)
            break;
    } while (n == chunk_len);
#if CA_POSIX_IO
    (void)close(fd);
#else
    failed = ferror(f); /* a directory reads as EISDIR */
    (void)fclose(f);
#endif
    if (failed)
        return WECOM_ERR_TLS_CA_LOAD;
    if (pem_byte(&p, '\n')) /* an END on the last line, without newline */
        on_cert(s, sc, der, p.len);
    if (!p.seen_marker && total > 0 && total <= der_cap)
        on_cert(s, sc, der, total);
    return WECOM_OK;
}

/* At init: the CA file holds a certificate (it is read up to its first
 * one only). */
static wecom_err_t load_file(wecom_castore_t *s)
{
    scan_t sc;
    wecom_err_t rc;
    memset(&sc, 0, sizeof sc);
    rc = scan_file(s, &sc);
    if (rc != WECOM_OK)
        return rc;
    return sc.certs > 0 ? WECOM_OK : WECOM_ERR_TLS_CA_EMPTY;
}

#else /* !WECOM_CA_STREAM */

/* At init: the CA file parsed whole into the trust list. Only a regular
 * file: fopen would block on a FIFO planted there. A file that reads but
 * holds no certificate mbedTLS can parse is empty, as with the stream. */
static wecom_err_t load_file(wecom_castore_t *s)
{
    int ret;
#if CA_POSIX_IO
    struct stat st;
    if (stat(s->file, &st) != 0 || !S_ISREG(st.st_mode))
        return WECOM_ERR_TLS_CA_LOAD;
#endif
    ret = mbedtls_x509_crt_parse_file(&s->fixed, s->file);
    if (ret == MBEDTLS_ERR_X509_FILE_IO_ERROR)
        return WECOM_ERR_TLS_CA_LOAD;
    return ret < 0 ? WECOM_ERR_TLS_CA_EMPTY : WECOM_OK;
}

#endif /* WECOM_CA_STREAM */

wecom_err_t wecom__castore_init(wecom_castore_t *s,
                               const wecom_tls_config_t *cfg,
                               unsigned char *scratch, size_t scratch_len)
{
    const char *file = cfg->ca_file;
    mbedtls_x509_crt_init(&s->fixed);
    mbedtls_x509_crt_init(&s->found);
    s->scratch = scratch;
    s->scratch_len = scratch != NULL ? scratch_len : 0;
    s->file[0] = '\0';
    if (cfg->ca_pem != NULL &&
        mbedtls_x509_crt_parse(&s->fixed, cfg->ca_pem, cfg->ca_pem_len) < 0)
        return WECOM_ERR_TLS_CA_LOAD;
    /* A directory with a few certificates mbedTLS cannot parse still
     * loads the rest (a positive count of failures). */
    if (cfg->ca_path != NULL &&
        mbedtls_x509_crt_parse_path(&s->fixed, cfg->ca_path) < 0)
        return WECOM_ERR_TLS_CA_LOAD;
    if (file == NULL && cfg->ca_pem == NULL && cfg->ca_path == NULL)
        file = WECOM_DEFAULT_CA_FILE;
    if (file == NULL)
        return s->fixed.version != 0 ? WECOM_OK : WECOM_ERR_TLS_CA_LOAD;
    if (strlen(file) >= sizeof s->file)
        return WECOM_ERR_TLS_CA_LOAD;
    memcpy(s->file, file, strlen(file) + 1);
    return load_file(s);
}

mbedtls_x509_crt *wecom__castore_empty(wecom_castore_t *s)
{
    return &s->found;
}

/* host as an IPv4 address (dotted quad, 4 bytes) or IPv6 (16 bytes, "::"
 * allowed, no dotted tail): its length in out, 0 when it is none. */
static size_t ipv4_parse(const char *h, unsigned char out[4])
{
    size_t n = 0;
    while (n < 4) {
        unsigned v = 0, digits = 0;
        if (h[0] == '0' && h[1] >= '0' && h[1] <= '9')
            return 0; /* a resolver may read it as octal */
        while (*h >= '0' && *h <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*h++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return 0;
        out[n++] = (unsigned char)v;
        if (n < 4 && *h++ != '.')
            return 0;
    }
    return *h == '\0' ? 4 : 0;
}

static size_t ipv6_parse(const char *h, unsigned char out[16])
{
    unsigned char g[16];
    size_t n = 0, gap = 16; /* bytes before "::"; 16: no "::" */
    if (h[0] == ':' && h[1] == ':') {
        gap = 0;
        h += 2;
    }
    while (*h != '\0') {
        unsigned v = 0, digits = 0;
        while (wecom__text_hexval(*h) >= 0 && digits < 5) {
            v = v * 16 + (unsigned)wecom__text_hexval(*h++);
            digits++;
        }
        if (digits == 0 || digits > 4 || n == 16)
            return 0;
        g[n++] = (unsigned char)(v >> 8);
        g[n++] = (unsigned char)v;
        if (*h == '\0')
            break;
        if (*h++ != ':')
            return 0;
        if (*h == ':') {
            if (gap != 16)
                return 0;
            gap = n;
            h++;
        } else if (*h == '\0') {
            return 0;
        }
    }
    if (gap == 16 ? n != 16 : n > 14)
        return 0;
    memset(out, 0, 16);
    memcpy(out, g, gap == 16 ? n : gap);
    if (gap != 16)
        memcpy(out + 16 - (n - gap), g + gap, n - gap);
    return 16;
}

/* Whether the certificate names host, an IP address, in an iPAddress
 * entry of its subjectAltName (RFC 5280). mbedTLS before 3.5 matches a
 * host only against dNSName entries, so an IP address in the base URL
 * would need a "DNS:127.0.0.1" entry, which public CAs do not issue. */
static int names_address(const mbedtls_x509_crt *crt, const char *host)
{
    unsigned char addr[16];
    size_t len = ipv4_parse(host, addr);
    const mbedtls_x509_sequence *san;
    if (len == 0)
        len = ipv6_parse(host, addr);
    if (len == 0)
        return 0;
    for (san = &crt->subject_alt_names; san != NULL; san = san->next) {
        if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) &&
            san->buf.len == len && memcmp(san->buf.p, addr, len) == 0)
            return 1;
    }
    return 0;
}

wecom_err_t wecom__castore_verify(wecom_castore_t *s, mbedtls_x509_crt *chain,
                                 const mbedtls_x509_crt_profile *profile,
                                 const char *host, uint32_t *flags)
{
    wecom_err_t rc = WECOM_OK;
    int ret;
#if WECOM_CA_STREAM
    mbedtls_x509_crt *trust = &s->found;
    const mbedtls_x509_crt *c;
    scan_t sc;
    memset(&sc, 0, sizeof sc);
    sc.chain = chain;
    for (c = &s->fixed; c->raw.p != NULL; c = c->next) {
        if (issues_chain(chain, c->subject_raw.p, c->subject_raw.len))
            add_candidate(s, c->raw.p, c->raw.len, &sc.found);
        if (c->next == NULL)
            break;
    }
    if (s->file[0] != '\0')
        rc = scan_file(s, &sc);
#else
    mbedtls_x509_crt *trust = &s->fixed; /* everything, parsed at init */
#endif
    if (rc == WECOM_OK) {
        ret = mbedtls_x509_crt_verify_with_profile(chain, trust, NULL,
                                                   profile, host, flags,
                                                   NULL, NULL);
        /* Anything but a verdict in the flags (a chain too long, memory):
         * mbedTLS would fail the handshake, and so does the caller. */
        if (ret != 0 && ret != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
            rc = WECOM_ERR_TLS_HANDSHAKE;
        /* The name check alone failed on an address the certificate
         * names: mbedTLS's other verdicts stand. */
        if (rc == WECOM_OK && host != NULL &&
            (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0 &&
            names_address(chain, host))
            *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
    mbedtls_x509_crt_free(&s->found);
    mbedtls_x509_crt_init(&s->found);
    return rc;
}

void wecom__castore_free(wecom_castore_t *s)
{
    mbedtls_x509_crt_free(&s->fixed);
    mbedtls_x509_crt_free(&s->found);
}
