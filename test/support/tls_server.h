/* SPDX-License-Identifier: MIT */
/* A TLS server on a loopback thread for tests: answers every request head
 * it reads with one fixed response, keeps connections alive, and counts
 * handshakes, resumptions (by session cache or ticket) and requests. */
#ifndef TLS_SERVER_H
#define TLS_SERVER_H

#include <pthread.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

typedef struct tls_server {
    int listen_fd;
    uint16_t port;
    pthread_t thread;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_cache_context cache;
    mbedtls_ssl_ticket_context ticket;
    const char *response;
    /* settings, before tls_server_start() */
    uint16_t want_port; /* 0: an ephemeral one */
    int tls12_only;
    int tickets;        /* issue session tickets (TLS 1.2 and 1.3) */
    volatile int stop;
    /* statistics, read after tls_server_stop() */
    int connections;
    int handshakes;
    int failed_handshakes;
    int resumed;
    int requests;
} tls_server_t;

/* Start serving cert_pem/key_pem on 127.0.0.1 at want_port or an
 * ephemeral port (then in port). */
int tls_server_start(tls_server_t *s, const char *cert_pem,
                     const char *key_pem, const char *response);

/* Stop the thread and release everything. */
void tls_server_stop(tls_server_t *s);

#endif
