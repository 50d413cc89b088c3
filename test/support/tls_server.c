/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include "tls_server.h"
#include "wecom/posix.h"

/* Session-cache lookups that succeed are resumed handshakes. */
#if MBEDTLS_VERSION_MAJOR >= 3
static int cache_get(void *ctx, unsigned char const *id, size_t id_len,
                     mbedtls_ssl_session *session)
{
    tls_server_t *s = ctx;
    int rc = mbedtls_ssl_cache_get(&s->cache, id, id_len, session);
    if (rc == 0)
        s->resumed++;
    return rc;
}
static int cache_set(void *ctx, unsigned char const *id, size_t id_len,
                     const mbedtls_ssl_session *session)
{
    tls_server_t *s = ctx;
    return mbedtls_ssl_cache_set(&s->cache, id, id_len, session);
}
#else
static int cache_get(void *ctx, mbedtls_ssl_session *session)
{
    tls_server_t *s = ctx;
    int rc = mbedtls_ssl_cache_get(&s->cache, session);
    if (rc == 0)
        s->resumed++;
    return rc;
}
static int cache_set(void *ctx, const mbedtls_ssl_session *session)
{
    tls_server_t *s = ctx;
    return mbedtls_ssl_cache_set(&s->cache, session);
}
#endif

/* ... and so are tickets that parse. */
static int ticket_write(void *ctx, const mbedtls_ssl_session *session,
                        unsigned char *start, const unsigned char *end,
                        size_t *tlen, uint32_t *lifetime)
{
    tls_server_t *s = ctx;
    return mbedtls_ssl_ticket_write(&s->ticket, session, start, end, tlen,
                                    lifetime);
}
static int ticket_parse(void *ctx, mbedtls_ssl_session *session,
                        unsigned char *buf, size_t len)
{
    tls_server_t *s = ctx;
    int rc = mbedtls_ssl_ticket_parse(&s->ticket, session, buf, len);
    if (rc == 0)
        s->resumed++;
    return rc;
}

static int fd_send(void *ctx, const unsigned char *buf, size_t len)
{
    int fd = *(int *)ctx;
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0)
        return MBEDTLS_ERR_NET_SEND_FAILED;
    return (int)n;
}

static int fd_recv(void *ctx, unsigned char *buf, size_t len)
{
    int fd = *(int *)ctx;
    struct pollfd p = { fd, POLLIN, 0 };
    ssize_t n;
    if (poll(&p, 1, 5000) <= 0)
        return MBEDTLS_ERR_NET_RECV_FAILED;
    n = recv(fd, buf, len, 0);
    if (n < 0)
        return MBEDTLS_ERR_NET_RECV_FAILED;
    return (int)n;
}

/* Read request heads and answer each until the client goes away. */
static void serve(tls_server_t *s, mbedtls_ssl_context *ssl)
{
    unsigned char buf[4096];
    size_t have = 0;
    for (;;) {
        int n = mbedtls_ssl_read(ssl, buf + have, sizeof buf - have - 1);
        unsigned char *end;
        if (n <= 0)
            return;
        have += (size_t)n;
        buf[have] = 0;
        while ((end = (unsigned char *)strstr((char *)buf, "\r\n\r\n")) != NULL) {
            size_t used = (size_t)(end + 4 - buf);
            size_t rlen = strlen(s->response);
            const unsigned char *r = (const unsigned char *)s->response;
            s->requests++;
            while (rlen > 0) {
                int w = mbedtls_ssl_write(ssl, r, rlen);
                if (w <= 0)
                    return;
                r += w;
                rlen -= (size_t)w;
            }
            memmove(buf, buf + used, have - used);
            have -= used;
            buf[have] = 0;
        }
        if (have == sizeof buf - 1)
            return;
    }
}

static void *run(void *arg)
{
    tls_server_t *s = arg;
    while (!s->stop) {
        struct pollfd p = { s->listen_fd, POLLIN, 0 };
        mbedtls_ssl_context ssl;
        int fd, rc;
        if (poll(&p, 1, 50) <= 0)
            continue;
        fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        s->connections++;
        mbedtls_ssl_init(&ssl);
        if (mbedtls_ssl_setup(&ssl, &s->conf) == 0) {
            mbedtls_ssl_set_bio(&ssl, &fd, fd_send, fd_recv, NULL);
            do {
                rc = mbedtls_ssl_handshake(&ssl);
            } while (rc == MBEDTLS_ERR_SSL_WANT_READ ||
                     rc == MBEDTLS_ERR_SSL_WANT_WRITE);
            if (rc == 0) {
                s->handshakes++;
                serve(s, &ssl);
                (void)mbedtls_ssl_close_notify(&ssl);
            } else {
                s->failed_handshakes++;
            }
        }
        mbedtls_ssl_free(&ssl);
        close(fd);
    }
    return NULL;
}

int tls_server_start(tls_server_t *s, const char *cert_pem,
                     const char *key_pem, const char *response)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int rc, one = 1;

    s->listen_fd = -1;
    s->response = response;
    s->stop = 0;
    s->connections = s->handshakes = s->failed_handshakes = 0;
    s->resumed = s->requests = 0;
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_x509_crt_init(&s->cert);
    mbedtls_pk_init(&s->key);
    mbedtls_ctr_drbg_init(&s->drbg);
    mbedtls_ssl_cache_init(&s->cache);
    mbedtls_ssl_ticket_init(&s->ticket);

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
    /* TLS 1.3 and the ticket keys need PSA; idempotent. */
    if (psa_crypto_init() != PSA_SUCCESS)
        return -1;
#endif
    rc = mbedtls_ctr_drbg_seed(&s->drbg, wecom_posix_entropy, NULL,
                               (const unsigned char *)"server", 6);
    if (rc == 0)
        rc = mbedtls_x509_crt_parse(&s->cert, (const unsigned char *)cert_pem,
                                    strlen(cert_pem) + 1);
#if MBEDTLS_VERSION_MAJOR >= 3
    if (rc == 0)
        rc = mbedtls_pk_parse_key(&s->key, (const unsigned char *)key_pem,
                                  strlen(key_pem) + 1, NULL, 0,
                                  mbedtls_ctr_drbg_random, &s->drbg);
#else
    if (rc == 0)
        rc = mbedtls_pk_parse_key(&s->key, (const unsigned char *)key_pem,
                                  strlen(key_pem) + 1, NULL, 0);
#endif
    if (rc == 0)
        rc = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
                                         MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0)
        return rc;
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
    mbedtls_ssl_conf_session_cache(&s->conf, s, cache_get, cache_set);
#if MBEDTLS_VERSION_MAJOR >= 3
    /* Resumption by session ID is a TLS 1.2 mechanism; the tests that
     * count resumptions pin the version so both mbedTLS lines agree. */
    if (s->tls12_only)
        mbedtls_ssl_conf_max_tls_version(&s->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#endif
    if (s->tickets) {
        rc = mbedtls_ssl_ticket_setup(&s->ticket, mbedtls_ctr_drbg_random,
                                      &s->drbg, MBEDTLS_CIPHER_AES_256_GCM,
                                      3600);
        if (rc != 0)
            return rc;
        mbedtls_ssl_conf_session_tickets_cb(&s->conf, ticket_write, ticket_parse,
                                            s);
    }
    rc = mbedtls_ssl_conf_own_cert(&s->conf, &s->cert, &s->key);
    if (rc != 0)
        return rc;

    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(s->want_port);
    if (s->listen_fd < 0 ||
        setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(s->listen_fd, 8) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&sa, &sl) != 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    return pthread_create(&s->thread, NULL, run, s);
}

void tls_server_stop(tls_server_t *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    mbedtls_ssl_cache_free(&s->cache);
    mbedtls_ssl_ticket_free(&s->ticket);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_x509_crt_free(&s->cert);
    mbedtls_pk_free(&s->key);
    mbedtls_ctr_drbg_free(&s->drbg);
}
