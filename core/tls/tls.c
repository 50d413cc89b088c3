/* SPDX-License-Identifier: MIT */
/*
 * TLS client session on mbedTLS 2.28 and 3.x (see include/wecom/tls.h).
 *
 * The transport is non-blocking under the hood but every wait is bounded in
 * the bio callbacks, so mbedTLS sees a blocking stream and its calls return
 * only with data, a close, or an error that io_err explains.
 */
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include "tls.h"

/* mbedTLS 3 renamed the version setter and added TLS 1.3 ticket events. */
#if MBEDTLS_VERSION_MAJOR >= 3
#define TLS_MIN_1_2(conf) \
    mbedtls_ssl_conf_min_tls_version((conf), MBEDTLS_SSL_VERSION_TLS1_2)
#else
#define TLS_MIN_1_2(conf)                                        \
    mbedtls_ssl_conf_min_version((conf), MBEDTLS_SSL_MAJOR_VERSION_3, \
                                 MBEDTLS_SSL_MINOR_VERSION_3)
#endif
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
#define IS_TICKET_EVENT(ret) ((ret) == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
#else
#define IS_TICKET_EVENT(ret) 0
#endif
/* A TLS 1.3 session resumes by a ticket alone. One without (all that
 * mbedTLS exports before a ticket came) would only make mbedTLS 3 offer
 * TLS 1.3 and nothing older on the next connect. */
#if MBEDTLS_VERSION_NUMBER >= 0x03020000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define IS_TLS13(ssl) \
    (mbedtls_ssl_get_version_number(ssl) == MBEDTLS_SSL_VERSION_TLS1_3)
#else
#define IS_TLS13(ssl) 0
#endif

/*
 * The signature algorithms offered: mbedTLS's default set, with RSA
 * PKCS#1 v1.5 ahead of RSA-PSS. A TLS 1.2 server that follows the
 * client's order (OpenSSL's and GnuTLS's default) then signs its key
 * exchange with PKCS#1 v1.5. mbedTLS 3.6.6's TLS 1.2 client refuses the
 * RSA-PSS signature that OpenSSL picks from mbedTLS's own order (alert 47,
 * an upstream regression, fixed on the 3.6 branch after 3.6.6 by Mbed TLS
 * pull request 10674). TLS 1.3 allows RSA-PSS
 * alone for handshake signatures, so a TLS 1.3 server still uses it.
 * mbedTLS leaves out what its build cannot do.
 *
 * A TLS 1.2 server that prefers its own order may still pick RSA-PSS: the
 * handshake is then tried once more offering TLS 1.2 alone, without
 * RSA-PSS (SIG_ALGS_NO_PSS), and the client stays with that.
 */
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
#define HAVE_SIG_ALGS 1
static const uint16_t SIG_ALGS[] = {
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
    MBEDTLS_TLS1_3_SIG_NONE
};
/* The same without RSA-PSS. */
static const uint16_t SIG_ALGS_NO_PSS[] = {
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
    MBEDTLS_TLS1_3_SIG_NONE
};
#endif

/* mbedTLS's own fields, read (never written) to say why a handshake
 * failed: the alert the server sent is in in_msg. mbedTLS 3 marks them
 * private. */
#if MBEDTLS_VERSION_MAJOR >= 3
#define SSL_FIELD(ssl, f) ((ssl)->MBEDTLS_PRIVATE(f))
#define ERR_VERSION MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION
#else
#define SSL_FIELD(ssl, f) ((ssl)->f)
#define ERR_VERSION MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION
#endif

#ifndef MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED /* TLS 1.3's, not in 2.28 */
#define MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED 116
#endif

/* What the bio callbacks return on a transport failure; the reason itself
 * is kept in io_err, which mbedTLS's codes cannot carry. */
#define BIO_FAILED MBEDTLS_ERR_SSL_INTERNAL_ERROR

static const unsigned char PERSONALIZATION[] = "wecom-media tls";

static uint64_t now_ms(const wecom_tls_t *t)
{
    return t->port->now_ms(t->port->sys_ctx);
}

/* The owner's whole-operation bound, 0 for none. */
static uint64_t deadline(const wecom_tls_t *t)
{
    return t->deadline_ms != NULL ? *t->deadline_ms : 0;
}

/*
 * The low-speed window. Each single wait is bounded, but a server that
 * sends a byte just before every bound would hold a transfer for ever: so
 * the plain-text bytes that move are counted per window, and a window that
 * ends with fewer than low_speed_bytes fails the transfer. A window starts
 * with each request (the first send after a receive), so the server's time
 * to answer counts, idle time between requests does not.
 */
static int window_on(const wecom_tls_t *t)
{
    return t->win_armed && t->low_speed_bytes != 0;
}

static void window_start(wecom_tls_t *t)
{
    t->win_start = now_ms(t);
    t->win_bytes = 0;
    t->win_armed = 1;
}

/* At a window's end: fail if too little moved, else open the next. */
static wecom_err_t window_check(wecom_tls_t *t)
{
    uint64_t now;
    if (!window_on(t))
        return WECOM_OK;
    now = now_ms(t);
    if (now - t->win_start < t->low_speed_ms)
        return WECOM_OK;
    if (t->win_bytes < t->low_speed_bytes)
        return WECOM_ERR_TOO_SLOW;
    t->win_start = now;
    t->win_bytes = 0;
    return WECOM_OK;
}

/* The wait allowed until call_end (the per-call bound), cut to what is
 * left of the current phase, of the low-speed window and of the deadline;
 * why says which bound it is. 0 means none left. */
static uint32_t wait_budget(wecom_tls_t *t, uint64_t call_end, int *why)
{
    uint64_t now = now_ms(t);
    uint64_t limit = call_end;
    *why = WECOM_ERR_TIMEOUT;
    if (t->wait_until != 0 && t->wait_until < limit)
        limit = t->wait_until;
    if (window_on(t) && t->win_start + t->low_speed_ms < limit) {
        limit = t->win_start + t->low_speed_ms;
        *why = WECOM_ERR_TOO_SLOW;
    }
    if (deadline(t) != 0 && deadline(t) <= limit) {
        limit = deadline(t);
        *why = WECOM_ERR_DEADLINE;
    }
    return limit > now ? (uint32_t)(limit - now) : 0;
}

/* What a bio callback returns for a transport result n: the count, or
 * BIO_FAILED with the reason kept (a timeout that the deadline cut short
 * is the deadline's). */
static int bio_result(wecom_tls_t *t, int n, int why)
{
    if (n >= 0)
        return n; /* 0 is EOF: mbedTLS reports MBEDTLS_ERR_SSL_CONN_EOF */
    t->io_err = n == WECOM_ERR_TIMEOUT ? why : n;
    return BIO_FAILED;
}

/* Sleep ms through the port, ended early by a cancel; a sleep that would
 * pass the deadline is not begun. */
static wecom_err_t pause_for(wecom_tls_t *t, uint64_t ms)
{
    uint64_t end = now_ms(t) + ms;
    if (deadline(t) != 0 && end >= deadline(t))
        return WECOM_ERR_DEADLINE;
    /* A port whose cancel wakes its sleep sleeps once; any other in
     * slices, looking at the flag between them. */
    while (!t->cancelled) {
        uint64_t now = now_ms(t), left = end > now ? end - now : 0;
        if (left == 0)
            return WECOM_OK;
        if (t->port->transport.cancel == NULL && left > WECOM_CANCEL_SLICE_MS)
            left = WECOM_CANCEL_SLICE_MS;
        t->port->sleep_ms(t->port->sys_ctx, (uint32_t)left);
    }
    return WECOM_ERR_CANCELLED;
}

static uint64_t bucket_cap(const wecom_tls_t *t)
{
    uint64_t cap = (uint64_t)t->rate_bps * WECOM_RATE_BURST_MS;
    return cap < 1000 ? 1000 : cap; /* a byte at least */
}

static void bucket_fill(wecom_tls_t *t, wecom__tls_bucket_t *b)
{
    uint64_t now = now_ms(t), cap = bucket_cap(t);
    if (!b->primed || now - b->at_ms >= cap / t->rate_bps + 1) {
        b->level = cap; /* idle for a burst's time or more: full */
    } else {
        b->level += (now - b->at_ms) * t->rate_bps;
        if (b->level > cap)
            b->level = cap;
    }
    b->primed = 1;
    b->at_ms = now;
}

/* The rate limit: how many of len bytes may move now (*allow), after a
 * sleep until the bucket holds them or a full burst. Only application
 * data is paced: a slow handshake would only run into its own bound. */
static wecom_err_t pace(wecom_tls_t *t, int sending, size_t len, size_t *allow)
{
    wecom__tls_bucket_t *b = &t->bucket[sending ? 1 : 0];
    uint64_t need;
    *allow = len;
    if (t->rate_bps == 0 || !t->connected || len == 0)
        return WECOM_OK;
    need = len < bucket_cap(t) / 1000 ? (uint64_t)len * 1000 : bucket_cap(t);
    bucket_fill(t, b);
    while (b->level < need) {
        wecom_err_t rc = pause_for(t, (need - b->level + t->rate_bps - 1) /
                                          t->rate_bps);
        if (rc != WECOM_OK)
            return rc;
        bucket_fill(t, b);
    }
    if (b->level / 1000 < len)
        *allow = (size_t)(b->level / 1000);
    return WECOM_OK;
}

static void pace_charge(wecom_tls_t *t, int sending, int n)
{
    wecom__tls_bucket_t *b = &t->bucket[sending ? 1 : 0];
    uint64_t used = (uint64_t)n * 1000;
    if (t->rate_bps != 0 && t->connected && n > 0)
        b->level = b->level > used ? b->level - used : 0;
}

/* One transport call (send or receive) within its bounds. A wait that
 * ends with the low-speed window is taken up again in the next window
 * when enough bytes moved in this one. */
static int bio_io(wecom_tls_t *t, const unsigned char *out,
                  unsigned char *in, size_t len)
{
    uint64_t call_end;
    wecom_err_t paced = pace(t, out != NULL, len, &len);
    if (paced != WECOM_OK)
        return bio_result(t, paced, paced);
    call_end = now_ms(t) + t->io_timeout_ms;
    for (;;) {
        int why, n, sliced;
        uint32_t budget;
        wecom_err_t slow = window_check(t);
        if (t->cancelled)
            return bio_result(t, WECOM_ERR_CANCELLED, WECOM_ERR_CANCELLED);
        if (slow != WECOM_OK)
            return bio_result(t, slow, slow);
        budget = wait_budget(t, call_end, &why);
        if (budget == 0) {
            if (why == WECOM_ERR_TOO_SLOW)
                continue; /* the window ended: checked above */
            return bio_result(t, WECOM_ERR_TIMEOUT, why);
        }
        /* A port that cannot be woken by a cancel gets short waits, so
         * that the flag above is seen within a slice. */
        sliced = t->port->transport.cancel == NULL &&
                 budget > WECOM_CANCEL_SLICE_MS;
        if (sliced)
            budget = WECOM_CANCEL_SLICE_MS;
        n = out != NULL ? t->port->transport.send(t->port->transport.ctx,
                                                  out, len, budget)
                        : t->port->transport.recv(t->port->transport.ctx, in,
                                                  len, budget);
        if (n == WECOM_ERR_TIMEOUT && (why == WECOM_ERR_TOO_SLOW || sliced))
            continue;
        pace_charge(t, out != NULL, n);
        return bio_result(t, n, why);
    }
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    return bio_io(ctx, buf, NULL, len);
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    return bio_io(ctx, NULL, buf, len);
}

#if WECOM_PROXY
/* The tunnel talks through the same bounded waits; its errors are the
 * transport's own, not mbedTLS's stand-in. */
static int tunnel_io(wecom_tls_t *t, const unsigned char *out,
                     unsigned char *in, size_t len)
{
    int n = bio_io(t, out, in, len);
    return n == BIO_FAILED ? t->io_err : n;
}

static int tunnel_send(void *ctx, const unsigned char *buf, size_t len)
{
    return tunnel_io(ctx, buf, NULL, len);
}

static int tunnel_recv(void *ctx, unsigned char *buf, size_t len)
{
    return tunnel_io(ctx, NULL, buf, len);
}

/* Readable before the client spoke: the transport's is_stale says so. */
static int tunnel_pending(void *ctx)
{
    wecom_tls_t *t = ctx;
    return t->port->transport.is_stale(t->port->transport.ctx);
}

/* Over the connection to the proxy: the tunnel to the peer, within what
 * is left of the connect's bound (a proxy that never answers is a
 * connect that never completes). */
static wecom_err_t open_tunnel(wecom_tls_t *t, uint64_t until)
{
    wecom__proxy_io_t io;
    wecom_err_t rc;
    io.send = tunnel_send;
    io.recv = tunnel_recv;
    io.pending = tunnel_pending;
    io.ctx = t;
    t->wait_until = until;
    rc = wecom__proxy_connect(&t->proxy, &io, t->peer_host, t->peer_port);
    t->wait_until = 0;
    t->io_err = 0;
    return rc;
}
#endif

/* Which certificate problem to report when several flags are set: the one
 * a user must fix first. */
static wecom_err_t verify_error(uint32_t flags)
{
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        return WECOM_ERR_TLS_CERT_UNTRUSTED;
    if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        return WECOM_ERR_TLS_CERT_HOSTNAME;
    if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        return WECOM_ERR_TLS_CERT_EXPIRED;
    if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        return WECOM_ERR_TLS_CERT_NOT_YET_VALID;
    return WECOM_ERR_TLS_CERT_INVALID;
}

/* The alert the server sent, after MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE. */
static int peer_alert(const wecom_tls_t *t)
{
    return SSL_FIELD(&t->ssl, in_msg)[1];
}

/* After the handshake: a TLS 1.3 server refuses a missing client
 * certificate only then (the client's Finished went first). */
static wecom_err_t io_cause(wecom_tls_t *t, int ret)
{
    if (t->io_err == 0) /* else the transport's error, not mbedTLS's */
        t->lib_err = ret;
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE &&
        peer_alert(t) == MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED)
        return WECOM_ERR_TLS_CLIENT_CERT;
    return WECOM_ERR_TLS_IO;
}

static wecom_err_t map_error(wecom_tls_t *t, int ret, wecom_err_t fallback)
{
    if (t->io_err != 0)
        return t->io_err;
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        t->verify_flags = mbedtls_ssl_get_verify_result(&t->ssl);
        return verify_error(t->verify_flags);
    }
    if (ret == MBEDTLS_ERR_SSL_CONN_EOF)
        return WECOM_ERR_CLOSED;
    return fallback;
}

/*
 * Chain verification against the CA store (castore.h). mbedTLS's
 * handshake verifies the chain against an empty trust list and calls
 * this for each certificate of the chain it built, the top one first and
 * the server's own last (depth 0), with that certificate's flags; the
 * flags all calls leave are ORed into the verdict. So the chain's upper
 * certificates leave none, and depth 0 leaves the verdict of
 * mbedtls_x509_crt_verify_with_profile() on the whole chain against the
 * candidate roots, with the profile and host name of the handshake. Any
 * flag fails the handshake (MBEDTLS_SSL_VERIFY_REQUIRED) as before,
 * within it: nothing is sent to a server that was not verified, and no
 * session of one is kept.
 */
static int verify_chain(void *ctx, mbedtls_x509_crt *crt, int depth,
                        uint32_t *flags)
{
    wecom_tls_t *t = ctx;
    wecom_err_t rc;
    *flags = 0;
    if (depth > 0)
        return 0;
    t->chain_verified = 1;
    rc = wecom__castore_verify(&t->store, crt,
                              &mbedtls_x509_crt_profile_default,
                              t->peer_host, flags);
    if (rc == WECOM_OK)
        return 0;
    *flags = (uint32_t)-1;
    if (rc == WECOM_ERR_TLS_CA_LOAD)
        t->io_err = rc; /* reported as such, not as a failed handshake */
    return MBEDTLS_ERR_X509_FATAL_ERROR;
}

wecom_err_t wecom__tls_init(wecom_tls_t *t, const wecom_port_t *port,
                           const wecom_tls_config_t *cfg,
                           unsigned char *scratch, size_t scratch_len)
{
    wecom_err_t rc = WECOM_ERR_TLS_SETUP;
    if (t == NULL || port == NULL || cfg == NULL || port->entropy == NULL ||
        port->now_ms == NULL)
        return WECOM_ERR_INVALID_ARG;
    memset(t, 0, sizeof *t);
    t->port = port;
    t->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms
                                                    : WECOM_DEFAULT_TIMEOUT_MS;
    t->handshake_timeout_ms = cfg->handshake_timeout_ms
                                  ? cfg->handshake_timeout_ms
                                  : WECOM_DEFAULT_TIMEOUT_MS;
    t->io_timeout_ms = cfg->io_timeout_ms ? cfg->io_timeout_ms
                                          : WECOM_DEFAULT_TIMEOUT_MS;
    t->low_speed_bytes = cfg->low_speed_bytes == 0 ? WECOM_LOW_SPEED_BYTES
                         : cfg->low_speed_bytes == WECOM_TLS_LOW_SPEED_OFF
                             ? 0
                             : cfg->low_speed_bytes;
    t->low_speed_ms = cfg->low_speed_ms ? cfg->low_speed_ms : WECOM_LOW_SPEED_MS;
    if (t->low_speed_ms == 0)
        t->low_speed_ms = 1; /* a build set to 0 ms: the smallest window */
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_ssl_session_init(&t->session);

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
    /* TLS 1.3 and PSA-backed ciphers need it; idempotent. */
    if (psa_crypto_init() != PSA_SUCCESS)
        goto fail;
#endif
    if (mbedtls_ctr_drbg_seed(&t->drbg, port->entropy, port->sys_ctx,
                              PERSONALIZATION, sizeof PERSONALIZATION - 1) != 0) {
        rc = WECOM_ERR_ENTROPY;
        goto fail;
    }
    rc = wecom__castore_init(&t->store, cfg, scratch, scratch_len);
    if (rc != WECOM_OK)
        goto fail;
    rc = WECOM_ERR_TLS_SETUP;
    if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                    MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        goto fail;
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    /* The profile verify_chain() passes on, named here so that both are
     * the same; the trust list is empty: verify_chain() decides. */
    mbedtls_ssl_conf_cert_profile(&t->conf, &mbedtls_x509_crt_profile_default);
    mbedtls_ssl_conf_ca_chain(&t->conf, wecom__castore_empty(&t->store), NULL);
    mbedtls_ssl_conf_verify(&t->conf, verify_chain, t);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    TLS_MIN_1_2(&t->conf);
#if defined(HAVE_SIG_ALGS)
    mbedtls_ssl_conf_sig_algs(&t->conf, SIG_ALGS);
#endif
#if defined(MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED) && \
    defined(MBEDTLS_SSL_PROTO_TLS1_3) && defined(MBEDTLS_SSL_SESSION_TICKETS)
    /* From 3.6.1 mbedTLS drops TLS 1.3 tickets unless asked to hand them
     * out (as 3.2 to 3.6.0 did): recv keeps each one as it comes. */
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &t->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
    if (mbedtls_ssl_setup(&t->ssl, &t->conf) != 0)
        goto fail;
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
    return WECOM_OK;
fail:
    wecom__tls_free(t);
    return rc;
}

wecom_err_t wecom__tls_set_peer(wecom_tls_t *t, const char *host,
                               uint16_t port)
{
    size_t n = host != NULL ? strlen(host) : 0;
    if (n == 0)
        return WECOM_ERR_INVALID_ARG;
    if (n >= sizeof t->peer_host)
        return WECOM_ERR_TLS_HOST_TOO_LONG;
    if (t->connected && (strcmp(t->peer_host, host) != 0 || t->peer_port != port))
        wecom__tls_close(t);
    memcpy(t->peer_host, host, n + 1);
    t->peer_port = port;
    return WECOM_OK;
}

void wecom__tls_bind_deadline(wecom_tls_t *t, const uint64_t *deadline_ms)
{
    t->deadline_ms = deadline_ms;
}

#if WECOM_PROXY
wecom_err_t wecom__tls_set_proxy(wecom_tls_t *t, const char *host,
                                uint16_t port, const char *user,
                                const char *password)
{
    wecom__tls_close(t);
    if (host == NULL) {
        wecom__proxy_clear(&t->proxy);
        return WECOM_OK;
    }
    return wecom__proxy_set(&t->proxy, host, port, user, password);
}
#endif

wecom_err_t wecom__tls_set_rate(wecom_tls_t *t, uint32_t bytes_per_s)
{
    if (bytes_per_s != 0 && t->port->sleep_ms == NULL)
        return WECOM_ERR_INVALID_ARG;
    t->rate_bps = bytes_per_s;
    memset(t->bucket, 0, sizeof t->bucket);
    return WECOM_OK;
}

static int same_peer_as_session(const wecom_tls_t *t)
{
    return t->have_session && t->session_port == t->peer_port &&
           strcmp(t->session_host, t->peer_host) == 0;
}

/* Keep what mbedTLS hands out for resuming with this peer. mbedTLS 3
 * hands a session out once: TLS 1.2's as the handshake ends (so that it
 * can be saved while the connection stays open), TLS 1.3's as each ticket
 * arrives (after the handshake, so a ticket is not there before). */
static void keep_session(wecom_tls_t *t)
{
    mbedtls_ssl_session_free(&t->session);
    mbedtls_ssl_session_init(&t->session);
    t->have_session = mbedtls_ssl_get_session(&t->ssl, &t->session) == 0;
    if (t->have_session) {
        memcpy(t->session_host, t->peer_host, sizeof t->session_host);
        t->session_port = t->peer_port;
    }
}

/* The handshake message the handshake stopped at announces more than
 * the input buffer holds (mbedTLS 2.28 says FEATURE_UNAVAILABLE, 3.6
 * BAD_INPUT_DATA): a certificate chain too long for this build. 2.28
 * leaves the message's header in in_msg, 3.6 its length in in_hslen. */
static int too_large(const wecom_tls_t *t)
{
    const unsigned char *m = SSL_FIELD(&t->ssl, in_msg);
    size_t n = SSL_FIELD(&t->ssl, in_hslen);
    if (SSL_FIELD(&t->ssl, in_msgtype) != MBEDTLS_SSL_MSG_HANDSHAKE)
        return 0;
    if (m != NULL && SSL_FIELD(&t->ssl, in_msglen) >= 4 &&
        ((size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3]) + 4 > n)
        n = ((size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3]) + 4;
    return n > MBEDTLS_SSL_IN_CONTENT_LEN;
}

/* Why a handshake failed, from mbedTLS's error and the alert the server
 * sent (in_msg after MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE). An alert that
 * ends the handshake after the server's chain was verified, in TLS 1.2
 * (where the client waits for the server's Finished), is the server
 * refusing what the client sent after it: with no client certificate to
 * send, that is a certificate the server asked for. */
static wecom_err_t handshake_cause(const wecom_tls_t *t, int ret)
{
    int alert;
    if (ret == ERR_VERSION)
        return WECOM_ERR_TLS_VERSION;
    if (too_large(t))
        return WECOM_ERR_TLS_TOO_LARGE;
    if (ret != MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        return WECOM_ERR_TLS_HANDSHAKE;
    alert = peer_alert(t);
    if (alert == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION)
        return WECOM_ERR_TLS_VERSION;
    if (alert == MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED)
        return WECOM_ERR_TLS_CLIENT_CERT;
    if (alert == MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE ||
        alert == MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY)
        return t->chain_verified ? WECOM_ERR_TLS_CLIENT_CERT
                                 : WECOM_ERR_TLS_NO_SHARED_CIPHER;
    if (alert == MBEDTLS_SSL_ALERT_MSG_NO_CERT ||
        alert == MBEDTLS_SSL_ALERT_MSG_BAD_CERT)
        return WECOM_ERR_TLS_CLIENT_CERT;
    return WECOM_ERR_TLS_HANDSHAKE;
}

/* One connect and handshake; *offered: a kept session was offered. */
static wecom_err_t connect_once(wecom_tls_t *t, int *offered)
{
    int ret, why;
    uint32_t budget;
    uint64_t connect_end;
    wecom_err_t rc;
    const char *to_host = t->peer_host;
    uint16_t to_port = t->peer_port;

    if (t->peer_host[0] == '\0')
        return WECOM_ERR_INVALID_ARG;
    if (t->connected)
        wecom__tls_close(t);
    t->io_err = 0;
    t->lib_err = 0;
    t->verify_flags = 0;
    t->win_armed = 0; /* the handshake has its own bound */
    t->sending = 0;
    if (mbedtls_ssl_session_reset(&t->ssl) != 0)
        return WECOM_ERR_TLS_SETUP;
    if (t->cancelled)
        return WECOM_ERR_CANCELLED;
    connect_end = now_ms(t) + t->connect_timeout_ms;
    budget = wait_budget(t, connect_end, &why);
    if (budget == 0)
        return why;
#if WECOM_PROXY
    if (t->proxy.port != 0) { /* the proxy resolves the peer's name */
        to_host = t->proxy.host;
        to_port = t->proxy.port;
    }
#endif
    rc = t->port->transport.connect(t->port->transport.ctx, to_host, to_port,
                                    budget);
    if (rc != 0)
        return rc == WECOM_ERR_TIMEOUT ? why : rc;
#if WECOM_PROXY
    if (t->proxy.port != 0 && (rc = open_tunnel(t, connect_end)) != WECOM_OK)
        goto fail;
#endif
    /* SNI and the name the certificate must carry. */
    if (mbedtls_ssl_set_hostname(&t->ssl, t->peer_host) != 0) {
        rc = WECOM_ERR_TLS_SETUP;
        goto fail;
    }
    /* A session is offered once; the connection hands out the next one.
     * After a failed handshake none is kept, so the next starts afresh. */
    if (same_peer_as_session(t)) {
        *offered = mbedtls_ssl_set_session(&t->ssl, &t->session) == 0;
        t->have_session = 0;
    }
    t->chain_verified = 0;

    t->wait_until = now_ms(t) + t->handshake_timeout_ms;
    do {
        ret = mbedtls_ssl_handshake(&t->ssl);
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ ||
             ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    t->wait_until = 0;
    if (ret != 0) {
        if (t->io_err == 0)
            t->lib_err = ret;
        rc = map_error(t, ret, handshake_cause(t, ret));
        goto fail;
    }
    t->connected = 1;
    t->handshakes++;
    /* Only a full handshake has a chain to verify: one that completed
     * without resumed a session. */
    if (!t->chain_verified)
        t->resumed++;
    if (!IS_TLS13(&t->ssl))
        keep_session(t);
    return WECOM_OK;
fail:
    t->port->transport.close(t->port->transport.ctx);
    return rc;
}

/* A handshake worth one more try at once: the server ended it (an alert,
 * a close, an odd message), not a bound, a cancel, the network or a
 * certificate. */
static int tls_refusal(wecom_err_t rc)
{
    return rc == WECOM_ERR_TLS_HANDSHAKE || rc == WECOM_ERR_TLS_VERSION ||
           rc == WECOM_ERR_TLS_CLIENT_CERT || rc == WECOM_ERR_TLS_TOO_LARGE ||
           rc == WECOM_ERR_TLS_NO_SHARED_CIPHER || rc == WECOM_ERR_CLOSED;
}

#if defined(HAVE_SIG_ALGS) && defined(MBEDTLS_SSL_PROTO_TLS1_3)
/* mbedTLS 3.6.6 refused the RSA-PSS signature of a TLS 1.2 key exchange
 * (see SIG_ALGS): offer TLS 1.2 alone, without RSA-PSS, from now on. 0
 * when that was not the failure or is already so. */
static int fall_back_from_pss(wecom_tls_t *t)
{
    if (t->no_pss || t->lib_err != MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER ||
        !t->chain_verified ||
        mbedtls_ssl_get_version_number(&t->ssl) != MBEDTLS_SSL_VERSION_TLS1_2)
        return 0;
    t->no_pss = 1;
    mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_sig_algs(&t->conf, SIG_ALGS_NO_PSS);
    return 1;
}
#else
#define fall_back_from_pss(t) 0
#endif

/* A session offered for resumption that the handshake then failed on (a
 * damaged saved session, a server that lost its keys) is dropped, and a
 * full handshake tried once at once. */
wecom_err_t wecom__tls_connect(wecom_tls_t *t)
{
    int offered = 0;
    wecom_err_t rc = connect_once(t, &offered);
    if (rc == WECOM_OK || !tls_refusal(rc) || t->cancelled)
        return rc;
    if (offered || fall_back_from_pss(t)) {
        offered = 0;
        rc = connect_once(t, &offered);
    }
    return rc;
}

#if WECOM_SESSION_SAVE /* config.h: only session.c asks for these */
wecom_err_t wecom__tls_session_save(const wecom_tls_t *t, unsigned char *buf,
                                   size_t cap, size_t *len,
                                   const char **host, uint16_t *port)
{
    int ret;
    *len = 0;
    if (!t->have_session)
        return WECOM_ERR_TLS_SESSION_REFUSED;
    ret = mbedtls_ssl_session_save(&t->session, buf, cap, len);
    if (ret == MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    if (ret != 0)
        return WECOM_ERR_TLS_SESSION_REFUSED;
    *host = t->session_host;
    *port = t->session_port;
    return WECOM_OK;
}

wecom_err_t wecom__tls_session_load(wecom_tls_t *t, const unsigned char *buf,
                                   size_t len, const char *host,
                                   uint16_t port)
{
    size_t n = strlen(host);
    if (n >= sizeof t->session_host)
        return WECOM_ERR_TLS_HOST_TOO_LONG;
    mbedtls_ssl_session_free(&t->session);
    mbedtls_ssl_session_init(&t->session);
    t->have_session = 0;
    /* mbedTLS checks the version and configuration it was saved with. */
    if (mbedtls_ssl_session_load(&t->session, buf, len) != 0) {
        mbedtls_ssl_session_free(&t->session);
        mbedtls_ssl_session_init(&t->session);
        return WECOM_ERR_TLS_SESSION_REFUSED;
    }
    memcpy(t->session_host, host, n + 1);
    t->session_port = port;
    t->have_session = 1;
    return WECOM_OK;
}
#endif /* WECOM_SESSION_SAVE */

wecom_err_t wecom__tls_send(wecom_tls_t *t, const unsigned char *buf,
                           size_t len)
{
    if (!t->connected)
        return WECOM_ERR_CLOSED;
    t->io_err = 0;
    if (!t->sending) /* a new request */
        window_start(t);
    t->sending = 1;
    while (len > 0) {
        int ret = mbedtls_ssl_write(&t->ssl, buf, len);
        if (ret > 0) {
            buf += ret;
            len -= (size_t)ret;
            t->win_bytes += (uint64_t)ret;
        } else if (IS_TICKET_EVENT(ret)) {
            keep_session(t);
        } else if (ret != MBEDTLS_ERR_SSL_WANT_WRITE &&
                   ret != MBEDTLS_ERR_SSL_WANT_READ) {
            return map_error(t, ret, io_cause(t, ret));
        }
    }
    return WECOM_OK;
}

int wecom__tls_recv(wecom_tls_t *t, unsigned char *buf, size_t len)
{
    if (!t->connected)
        return WECOM_ERR_CLOSED;
    t->io_err = 0;
    t->sending = 0;
    for (;;) {
        int ret = mbedtls_ssl_read(&t->ssl, buf, len);
        if (ret > 0) {
            t->win_bytes += (uint64_t)ret;
            return ret;
        }
        /* Only close_notify ends the stream cleanly. mbedTLS reads a TCP
         * close without it as 0 (or CONN_EOF): the peer, or anyone on the
         * path, cut the connection, and a body that runs to the close may
         * be short (HTTP decides). */
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
            return 0;
        if (ret == 0 || (ret == MBEDTLS_ERR_SSL_CONN_EOF && t->io_err == 0))
            return WECOM_ERR_CLOSED;
        if (IS_TICKET_EVENT(ret))
            keep_session(t);
        else if (ret != MBEDTLS_ERR_SSL_WANT_READ &&
                 ret != MBEDTLS_ERR_SSL_WANT_WRITE)
            return map_error(t, ret, io_cause(t, ret));
    }
}

void wecom__tls_cork(wecom_tls_t *t, int on)
{
    if (t->connected && t->port->transport.cork != NULL)
        t->port->transport.cork(t->port->transport.ctx, on);
}

int wecom__tls_usable(wecom_tls_t *t)
{
    if (!t->connected)
        return 0;
    return !t->port->transport.is_stale(t->port->transport.ctx);
}

void wecom__tls_close(wecom_tls_t *t)
{
    if (!t->connected)
        return;
    t->io_err = 0;
    t->win_armed = 0;
    /* Best effort within one short wait: the server may be gone. */
    t->wait_until = now_ms(t) + 1000;
    (void)mbedtls_ssl_close_notify(&t->ssl);
    t->wait_until = 0;
    t->port->transport.close(t->port->transport.ctx);
    t->connected = 0;
}

void wecom__tls_free(wecom_tls_t *t)
{
    if (t == NULL || t->port == NULL)
        return;
    wecom__tls_close(t);
    mbedtls_ssl_session_free(&t->session);
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    wecom__castore_free(&t->store);
    mbedtls_ctr_drbg_free(&t->drbg);
#if WECOM_PROXY
    wecom__proxy_clear(&t->proxy); /* its credentials */
#endif
    t->port = NULL;
}
