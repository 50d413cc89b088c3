/* SPDX-License-Identifier: MIT */
/*
 * A TLS client session over a wecom_transport_t, on mbedTLS 2.28 or 3.x.
 * Private to the library (its struct holds mbedTLS's contexts).
 *
 * Certificate verification is always required: the peer's chain must lead
 * to a configured CA and name the host. TLS 1.2 is the minimum; 1.3 is used
 * where the mbedTLS build has it. Reconnecting to the same host offers the
 * previous session for resumption (an abbreviated handshake).
 *
 * The struct is caller-owned and may live in static storage. mbedTLS itself
 * allocates its record buffers, and the CA certificates that one chain
 * verification needs (castore.h), through its own calloc; nothing here
 * does.
 */
#ifndef WECOM_CORE_TLS_H
#define WECOM_CORE_TLS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "proxy.h"
#include "castore.h"
#include "wecom/media.h" /* wecom_tls_config_t */

#ifdef __cplusplus
extern "C" {
#endif

/* A token bucket for one direction of a rate limit: its level in
 * byte-milliseconds (bytes * 1000, so that a slow rate still fills it
 * every millisecond) and when it was last filled. */
typedef struct wecom__tls_bucket {
    uint64_t level;
    uint64_t at_ms;
    int primed; /* filled once: a new bucket starts full */
} wecom__tls_bucket_t;

typedef struct wecom_tls {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_session session;
    const wecom_port_t *port;
    uint32_t connect_timeout_ms;
    uint32_t handshake_timeout_ms;
    uint32_t io_timeout_ms;
    uint32_t low_speed_bytes; /* 0: no low-speed limit */
    uint32_t low_speed_ms;
    uint64_t win_start;    /* low-speed window: when it began, ms */
    uint64_t win_bytes;    /* and the bytes moved in it */
    int win_armed;         /* a request is under way */
    int sending;           /* the last call was a send */
    uint64_t wait_until;   /* absolute bound of the current wait, ms */
    /* The whole-operation bound is the client's (core/client.h): read
     * through this pointer before each wait, so the client may move it
     * between calls without telling the TLS layer. NULL or 0: none. */
    const uint64_t *deadline_ms;
    volatile sig_atomic_t cancelled; /* wecom_client_cancel: every wait ends */
    int io_err;            /* the transport's last error, for mapping */
    int lib_err;           /* mbedTLS's error of the last failed handshake
                              or transfer, 0 for none */
    int no_pss;            /* TLS 1.2 alone, without RSA-PSS (core/tls/tls.c) */
    uint32_t verify_flags; /* mbedTLS verify result of the last handshake */
    int connected;
    int have_session;
    uint16_t peer_port;
    char peer_host[WECOM_HOST_MAX];
    char session_host[WECOM_HOST_MAX];
    uint16_t session_port;
    unsigned long handshakes; /* full and abbreviated, since init */
    unsigned long resumed;    /* of which abbreviated (a session resumed) */
    int chain_verified;       /* the handshake under way verified a chain */
    wecom_castore_t store;    /* trust anchors, checked at each full
                                 handshake (castore.h) */
    uint32_t rate_bps;     /* bytes per second each way, 0: no limit */
    wecom__tls_bucket_t bucket[2]; /* [0] received, [1] sent */
#if WECOM_PROXY
    wecom__proxy_t proxy;  /* port 0: straight to the peer */
#endif
} wecom_tls_t;

/* Seed the DRBG from the port's entropy, load the CA and configure the
 * session. On failure everything is released again. scratch (at least
 * 2.5 KiB to hold a CA certificate) is lent to the CA store while it
 * reads the CA file: in this call and in each wecom__tls_connect, so its
 * owner keeps nothing in it across those calls. The client lends its I/O
 * buffer, which the HTTP engine fills only once connected. */
wecom_err_t wecom__tls_init(wecom_tls_t *t, const wecom_port_t *port,
                           const wecom_tls_config_t *cfg,
                           unsigned char *scratch, size_t scratch_len);

/* Set the host (SNI and certificate name) and port of later connects. A
 * new host drops the session kept for resumption. */
wecom_err_t wecom__tls_set_peer(wecom_tls_t *t, const char *host,
                               uint16_t port);

/* Where the whole-operation bound lives (monotonic ms, 0 for none; NULL
 * for no bound): its owner's variable, read before every wait. Waits are
 * cut short and fail with WECOM_ERR_DEADLINE past it. */
void wecom__tls_bind_deadline(wecom_tls_t *t, const uint64_t *deadline_ms);

#if WECOM_PROXY
/* Reach the peer through an HTTP proxy (host NULL: straight again) with
 * Basic credentials (user and password, or both NULL): copied, wiped by
 * wecom__tls_free. A connection open now is closed. */
wecom_err_t wecom__tls_set_proxy(wecom_tls_t *t, const char *host,
                                uint16_t port, const char *user,
                                const char *password);
#endif

/* Cap application data to bytes_per_s each way (0: no cap), by a token
 * bucket per direction: the bio callbacks sleep through the port's
 * sleep_ms between bursts of WECOM_RATE_BURST_MS worth of bytes; a cancel
 * ends the sleep, and a sleep that would pass the deadline fails at once
 * with WECOM_ERR_DEADLINE. The handshake is not paced. WECOM_ERR_INVALID_ARG
 * for a port without sleep_ms. */
wecom_err_t wecom__tls_set_rate(wecom_tls_t *t, uint32_t bytes_per_s);

/* Connect (through the proxy, if one is set, with a CONNECT tunnel: the
 * connect's bound covers its answer too) and handshake. Errors name the
 * reason: WECOM_ERR_TLS_CERT_* for a certificate refused, WECOM_ERR_PROXY_*
 * for a proxy's refusal, WECOM_ERR_TIMEOUT, WECOM_ERR_CONNECT, ... */
wecom_err_t wecom__tls_connect(wecom_tls_t *t);

/* Send all len bytes: 0 or error. */
wecom_err_t wecom__tls_send(wecom_tls_t *t, const unsigned char *buf,
                           size_t len);

/* Receive up to len bytes: count, 0 when the peer ended the connection
 * with close_notify, WECOM_ERR_CLOSED when it closed without one (or
 * reset it), WECOM_ERR_TOO_SLOW past the low-speed limit, or another
 * error. */
int wecom__tls_recv(wecom_tls_t *t, unsigned char *buf, size_t len);

/* Hold back (on = 1) or flush (on = 0) partial packets; see the
 * transport's cork. A no-op where the transport has none. */
void wecom__tls_cork(wecom_tls_t *t, int on);

/* 1 when connected and the connection can carry another request. */
int wecom__tls_usable(wecom_tls_t *t);

/* Send close_notify (best effort) and close the transport. The session is
 * kept for resumption. */
void wecom__tls_close(wecom_tls_t *t);

/* Close and release everything. */
void wecom__tls_free(wecom_tls_t *t);

#if WECOM_SESSION_SAVE /* wecom/config.h */
/* The session kept for resumption, in mbedTLS's serialisation (which
 * carries its version and configuration, so another build refuses it),
 * and the host and port it is for. WECOM_ERR_TLS_SESSION_REFUSED when
 * there is none, WECOM_ERR_BUFFER_TOO_SMALL (*len: the size needed). */
wecom_err_t wecom__tls_session_save(const wecom_tls_t *t, unsigned char *buf,
                                   size_t cap, size_t *len,
                                   const char **host, uint16_t *port);

/* Offer this session at the next connect to host:port (the caller has
 * checked that it belongs there). WECOM_ERR_TLS_SESSION_REFUSED when
 * mbedTLS cannot load it. */
wecom_err_t wecom__tls_session_load(wecom_tls_t *t, const unsigned char *buf,
                                   size_t len, const char *host,
                                   uint16_t port);
#endif /* WECOM_SESSION_SAVE */

#ifdef __cplusplus
}
#endif

#endif /* WECOM_TLS_H */
