/* SPDX-License-Identifier: MIT */
/*
 * The client's TLS session saved for a later process (wecom/media.h):
 * mbedTLS's own serialisation behind a small header that keys it to the
 * server and the trust anchors it was verified against.
 *
 *   "WMS" 1          magic and format
 *   32 bytes         SHA-256 of the trust configuration (ca_id below)
 *   2 bytes          port, big-endian
 *   1 byte + bytes   host name
 *   the rest         mbedtls_ssl_session_save()'s output
 *
 * A resumed session skips certificate verification, so it must never be
 * offered to another server or after the trust anchors changed.
 */
#include <string.h>

#include <mbedtls/md.h>

#include "client.h"

#if WECOM_SESSION_SAVE /* config.h: a device may build without */

#define HEADER_FIXED (4 + 32 + 2 + 1)

static const unsigned char MAGIC[4] = {'W', 'M', 'S', 1};

static int hash_part(mbedtls_md_context_t *md, const void *p, size_t n)
{
    return mbedtls_md_update(md, (const unsigned char *)p, n);
}

/* What the session was verified against: the CA file's name, and the
 * bytes of every certificate given in memory or by directory. The CA
 * file's content is not read here (saving that work is the point): a
 * caller whose CA file may change in place keys its copy to the file
 * too, as the tool does by size and time. */
static int ca_id(const wecom_castore_t *s, unsigned char out[32])
{
    const mbedtls_x509_crt *c;
    mbedtls_md_context_t md;
    int ret;
    mbedtls_md_init(&md);
    ret = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 0);
    if (ret == 0)
        ret = mbedtls_md_starts(&md);
    if (ret == 0)
        ret = hash_part(&md, s->file, strlen(s->file) + 1);
    for (c = &s->fixed; ret == 0 && c != NULL && c->raw.p != NULL; c = c->next)
        ret = hash_part(&md, c->raw.p, c->raw.len);
    if (ret == 0)
        ret = mbedtls_md_finish(&md, out);
    mbedtls_md_free(&md);
    return ret;
}

wecom_err_t wecom_client_session_save(const wecom_client_t *client,
                                      unsigned char *buf, size_t cap,
                                      size_t *len)
{
    const wecom__client_t *c = wecom__client_const(client);
    const char *host = NULL;
    uint16_t port = 0;
    unsigned char id[32];
    size_t head, n = 0, hlen;
    wecom_err_t rc = wecom__client_may_call(c, 0);
    if (len != NULL)
        *len = 0;
    if (rc != WECOM_OK)
        return rc;
    if (len == NULL || (buf == NULL && cap != 0))
        return WECOM_ERR_INVALID_ARG;
    /* The session's host is the client's: one client talks to one. */
    hlen = strlen(c->host);
    if (hlen > 255)
        return WECOM_ERR_TLS_HOST_TOO_LONG;
    head = HEADER_FIXED + hlen;
    rc = wecom__tls_session_save(&c->tls, cap > head ? buf + head : NULL,
                                cap > head ? cap - head : 0, &n, &host, &port);
    if (rc == WECOM_ERR_BUFFER_TOO_SMALL || (rc == WECOM_OK && cap < head)) {
        *len = head + n;
        return WECOM_ERR_BUFFER_TOO_SMALL;
    }
    if (rc != WECOM_OK)
        return rc;
    if (strcmp(host, c->host) != 0 || port != c->server_port ||
        ca_id(&c->tls.store, id) != 0)
        return WECOM_ERR_TLS_SESSION_REFUSED;
    memcpy(buf, MAGIC, sizeof MAGIC);
    memcpy(buf + 4, id, sizeof id);
    buf[36] = (unsigned char)(port >> 8);
    buf[37] = (unsigned char)port;
    buf[38] = (unsigned char)hlen;
    memcpy(buf + HEADER_FIXED, c->host, hlen);
    *len = head + n;
    return WECOM_OK;
}

wecom_err_t wecom_client_session_load(wecom_client_t *client,
                                      const unsigned char *buf, size_t len)
{
    wecom__client_t *c = wecom__client(client);
    unsigned char id[32];
    size_t hlen;
    wecom_err_t rc = wecom__client_may_call(c, 0);
    if (rc != WECOM_OK)
        return rc;
    if (buf == NULL)
        return WECOM_ERR_INVALID_ARG;
    hlen = strlen(c->host);
    if (len < HEADER_FIXED || memcmp(buf, MAGIC, sizeof MAGIC) != 0 ||
        buf[38] != hlen || len <= HEADER_FIXED + hlen ||
        memcmp(buf + HEADER_FIXED, c->host, hlen) != 0 ||
        ((unsigned)buf[36] << 8 | buf[37]) != c->server_port)
        return WECOM_ERR_TLS_SESSION_REFUSED;
    if (ca_id(&c->tls.store, id) != 0 || memcmp(buf + 4, id, sizeof id) != 0)
        return WECOM_ERR_TLS_SESSION_REFUSED;
    return wecom__tls_session_load(&c->tls, buf + HEADER_FIXED + hlen,
                                  len - HEADER_FIXED - hlen, c->host,
                                  c->server_port);
}

#endif /* WECOM_SESSION_SAVE */

unsigned long wecom_client_resumptions(const wecom_client_t *client)
{
    const wecom__client_t *c = wecom__client_const(client);
    return wecom__client_ready(c) ? c->tls.resumed : 0;
}
