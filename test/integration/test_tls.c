/* SPDX-License-Identifier: MIT */
/*
 * The TLS session against a TLS server on a loopback thread, with a CA and
 * certificates made at test time: the good case, each certificate problem
 * refused with its own error, resumption, keep-alive and timeouts.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"
#include "client.h"
#include "tls_server.h"
#include "wecom/media.h"
#include "wecom/posix.h"

#define RESPONSE "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"

static test_cert_t g_ca, g_other_ca, g_good, g_wrong_name, g_expired, g_future,
    g_self_signed;

static int make_all(void **state)
{
    (void)state;
    if (certs_make_ca(&g_ca, "wecom-media test CA") != 0 ||
        certs_make_ca(&g_other_ca, "some other CA") != 0 ||
        certs_make_server(&g_good, &g_ca, "localhost", "20200101000000",
                          "20491231235959") != 0 ||
        certs_make_server(&g_wrong_name, &g_ca, "other.example",
                          "20200101000000", "20491231235959") != 0 ||
        certs_make_server(&g_expired, &g_ca, "localhost", "20200101000000",
                          "20210101000000") != 0 ||
        certs_make_server(&g_future, &g_ca, "localhost", "20450101000000",
                          "20491231235959") != 0 ||
        certs_make_server(&g_self_signed, NULL, "localhost", "20200101000000",
                          "20491231235959") != 0)
        return -1;
    return 0;
}

typedef struct {
    wecom_port_t port;
    wecom_posix_net_t net;
    wecom_tls_t tls;
    unsigned char scratch[4096]; /* what the client lends: its I/O buffer */
} client_t;

static wecom_err_t client_init(client_t *c, const char *ca_pem)
{
    wecom_tls_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.ca_pem = (const unsigned char *)ca_pem;
    cfg.ca_pem_len = strlen(ca_pem) + 1;
    cfg.io_timeout_ms = 3000;
    cfg.handshake_timeout_ms = 5000;
    wecom_posix_port_init(&c->port, &c->net);
    return wecom__tls_init(&c->tls, &c->port, &cfg, c->scratch, sizeof c->scratch);
}

static wecom_err_t connect_to(const test_cert_t *server_cert,
                              const char *trusted_pem, tls_server_t *srv)
{
    client_t c;
    wecom_err_t rc;
    memset(srv, 0, sizeof *srv);
    assert_int_equal(tls_server_start(srv, server_cert->cert_pem,
                                      server_cert->key_pem, RESPONSE), 0);
    assert_int_equal(client_init(&c, trusted_pem), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv->port), 0);
    rc = wecom__tls_connect(&c.tls);
    wecom__tls_free(&c.tls);
    tls_server_stop(srv);
    return rc;
}

static void test_good_certificate_and_a_request(void **state)
{
    tls_server_t srv;
    client_t c;
    unsigned char buf[256];
    size_t have = 0;
    int n;
    (void)state;
    memset(&srv, 0, sizeof srv);
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    assert_int_equal(client_init(&c, g_ca.cert_pem), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    assert_true(wecom__tls_usable(&c.tls));
    assert_int_equal(wecom__tls_send(&c.tls, (const unsigned char *)"GET / HTTP/1.1\r\n\r\n", 18), 0);
    while (have < strlen(RESPONSE)) {
        n = wecom__tls_recv(&c.tls, buf + have, sizeof buf - have);
        assert_true(n > 0);
        have += (size_t)n;
    }
    assert_memory_equal(buf, RESPONSE, strlen(RESPONSE));
    wecom__tls_free(&c.tls);
    tls_server_stop(&srv);
    assert_int_equal(srv.handshakes, 1);
    assert_int_equal(srv.requests, 1);
}

static void test_wrong_hostname_refused(void **state)
{
    tls_server_t srv;
    (void)state;
    assert_int_equal(connect_to(&g_wrong_name, g_ca.cert_pem, &srv),
                     WECOM_ERR_TLS_CERT_HOSTNAME);
    assert_int_equal(srv.handshakes, 0);
}

static void test_untrusted_ca_refused(void **state)
{
    tls_server_t srv;
    (void)state;
    assert_int_equal(connect_to(&g_good, g_other_ca.cert_pem, &srv),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(connect_to(&g_self_signed, g_ca.cert_pem, &srv),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
}

static void test_expired_refused(void **state)
{
    tls_server_t srv;
    (void)state;
    assert_int_equal(connect_to(&g_expired, g_ca.cert_pem, &srv),
                     WECOM_ERR_TLS_CERT_EXPIRED);
}

static void test_not_yet_valid_refused(void **state)
{
    tls_server_t srv;
    (void)state;
    assert_int_equal(connect_to(&g_future, g_ca.cert_pem, &srv),
                     WECOM_ERR_TLS_CERT_NOT_YET_VALID);
}

static void test_ca_sources(void **state)
{
    client_t c;
    wecom_tls_config_t cfg;
    char dir[] = "/tmp/wecom-test-ca-XXXXXX", file[64];
    FILE *f;
    tls_server_t srv;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/ca.pem", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fputs(g_ca.cert_pem, f);
    fclose(f);

    memset(&srv, 0, sizeof srv);
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    wecom_posix_port_init(&c.port, &c.net);

    memset(&cfg, 0, sizeof cfg);
    cfg.ca_file = file;
    assert_int_equal(wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    wecom__tls_free(&c.tls);

    memset(&cfg, 0, sizeof cfg);
    cfg.ca_path = dir;
    assert_int_equal(wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    wecom__tls_free(&c.tls);
    tls_server_stop(&srv);

    memset(&cfg, 0, sizeof cfg);
    cfg.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch), WECOM_ERR_TLS_CA_LOAD);
    memset(&cfg, 0, sizeof cfg);
    cfg.ca_pem = (const unsigned char *)"not a certificate";
    cfg.ca_pem_len = 18;
    assert_int_equal(wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch), WECOM_ERR_TLS_CA_LOAD);

    unlink(file);
    rmdir(dir);
}

static void test_reconnect_resumes_session(void **state)
{
    tls_server_t srv;
    client_t c;
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.tls12_only = 1;
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    assert_int_equal(client_init(&c, g_ca.cert_pem), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    wecom__tls_close(&c.tls);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    wecom__tls_close(&c.tls);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    assert_int_equal(c.tls.handshakes, 3);
    assert_int_equal(c.tls.resumed, 2);
    wecom__tls_free(&c.tls);
    tls_server_stop(&srv);
    assert_int_equal(srv.handshakes, 3);
    assert_int_equal(srv.resumed, 2);
}

/* One request and its response over c's connection. */
static void exchange_once(client_t *c)
{
    unsigned char buf[256];
    size_t have = 0;
    assert_int_equal(wecom__tls_send(&c->tls, (const unsigned char *)"GET / HTTP/1.1\r\n\r\n", 18), 0);
    while (have < strlen(RESPONSE)) {
        int n = wecom__tls_recv(&c->tls, buf + have, sizeof buf - have);
        assert_true(n > 0);
        have += (size_t)n;
    }
    assert_memory_equal(buf, RESPONSE, strlen(RESPONSE));
}

/* TLS 1.3 where mbedTLS has it, else 1.2. A TLS 1.3 ticket comes after
 * the handshake, so each connection carries a request before it closes. */
static void test_reconnect_resumes_by_ticket(void **state)
{
    tls_server_t srv;
    client_t c;
    int i;
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.tickets = 1;
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    assert_int_equal(client_init(&c, g_ca.cert_pem), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv.port), 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(wecom__tls_connect(&c.tls), 0);
        exchange_once(&c);
        wecom__tls_close(&c.tls);
    }
    wecom__tls_free(&c.tls);
    tls_server_stop(&srv);
    assert_int_equal(srv.handshakes, 3);
    assert_int_equal(srv.resumed, 2);
}

/* The server at the same address goes back to TLS 1.2. mbedTLS 3 offers
 * a resumed session's version alone: a TLS 1.3 session without a ticket
 * must not be kept, and one with a ticket, refused once, is dropped. */
static void server_back_to_tls12(int tickets)
{
    tls_server_t srv;
    client_t c;
    uint16_t port;
    memset(&srv, 0, sizeof srv);
    srv.tickets = tickets;
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    port = srv.port;
    assert_int_equal(client_init(&c, g_ca.cert_pem), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", port), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    exchange_once(&c);
    wecom__tls_close(&c.tls);
    tls_server_stop(&srv);

    memset(&srv, 0, sizeof srv);
    srv.want_port = port;
    srv.tls12_only = 1;
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    if (tickets && wecom__tls_connect(&c.tls) == WECOM_OK)
        wecom__tls_close(&c.tls);
    assert_int_equal(wecom__tls_connect(&c.tls), 0);
    exchange_once(&c);
    wecom__tls_free(&c.tls);
    tls_server_stop(&srv);
}

static void test_server_back_to_tls12(void **state)
{
    (void)state;
    server_back_to_tls12(0);
    server_back_to_tls12(1);
}

static void test_client_keeps_one_connection(void **state)
{
    static wecom_client_t client;
    wecom_client_config_t cfg;
    wecom_port_t port;
    wecom_posix_net_t net;
    tls_server_t srv;
    wecom_http_response_t resp;
    wecom_http_request_t req;
    char url[64];
    int i;
    (void)state;
    memset(&srv, 0, sizeof srv);
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    wecom_posix_port_init(&port, &net);
    memset(&cfg, 0, sizeof cfg);
    snprintf(url, sizeof url, "https://localhost:%u", (unsigned)srv.port);
    cfg.base_url = url;
    cfg.port = &port;
    cfg.tls.ca_pem = (const unsigned char *)g_ca.cert_pem;
    cfg.tls.ca_pem_len = strlen(g_ca.cert_pem) + 1;
    assert_int_equal(wecom_client_init(&client, &cfg), 0);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/cgi-bin/x";
    for (i = 0; i < 5; i++) {
        assert_int_equal(wecom__http_exchange(&wecom__client(&client)->http, &req, &resp, NULL), 0);
        assert_int_equal(resp.status, 200);
        assert_int_equal(resp.body_bytes, 5);
        assert_string_equal(resp.content_type, "text/plain");
    }
    assert_int_equal(wecom_client_handshakes(&client), 1);
    wecom_client_free(&client);
    tls_server_stop(&srv);
    assert_int_equal(srv.requests, 5);
    assert_int_equal(srv.connections, 1);
}

/* A peer that accepts TCP but never says a word of TLS. */
static int silent_listener(uint16_t *port)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_handshake_timeout(void **state)
{
    client_t c;
    wecom_tls_config_t cfg;
    uint16_t p;
    uint64_t deadline;
    int lfd = silent_listener(&p);
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.ca_pem = (const unsigned char *)g_ca.cert_pem;
    cfg.ca_pem_len = strlen(g_ca.cert_pem) + 1;
    cfg.handshake_timeout_ms = 300;
    cfg.io_timeout_ms = 10000;
    wecom_posix_port_init(&c.port, &c.net);
    assert_int_equal(wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "127.0.0.1", p), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), WECOM_ERR_TIMEOUT);
    /* The whole-operation deadline wins over the longer per-call bound. */
    c.tls.handshake_timeout_ms = 10000;
    deadline = c.port.now_ms(NULL) + 200;
    wecom__tls_bind_deadline(&c.tls, &deadline);
    assert_int_equal(wecom__tls_connect(&c.tls), WECOM_ERR_DEADLINE);
    wecom__tls_free(&c.tls);
    close(lfd);
}

/* ------------------------------------------------------------------
 * The CA store: a big bundle streamed at handshake time must give the
 * same verdicts as one root in memory (core/tls/castore.c).
 */

static test_cert_t g_root2, g_inter, g_inter_leaf, g_stray_root, g_stray_inter,
    g_stray_leaf;
static char g_tmpdir[64];

/* Write text (NULL: nothing) into g_tmpdir/name; returns the path. */
static const char *put_file(const char *name, const char *text, size_t len)
{
    static char paths[8][128];
    static unsigned next;
    char *path = paths[next++ % 8];
    FILE *f;
    snprintf(path, 128, "%s/%s", g_tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    if (len > 0)
        assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* The system bundle's roots (or, without one, forty made here) with
 * extra (a PEM, may be NULL) put first or last. */
static const char *bundle_with(const char *name, const char *extra, int first)
{
    static char buf[1 << 20];
    size_t n = 0;
    FILE *in = fopen(WECOM_DEFAULT_CA_FILE, "rb");
    if (first && extra != NULL) {
        memcpy(buf, extra, strlen(extra));
        n = strlen(extra);
    }
    if (in != NULL) {
        n += fread(buf + n, 1, sizeof buf - n - 8192, in);
        fclose(in);
    } else {
        int i;
        for (i = 0; i < 40; i++) {
            test_cert_t filler;
            char cn[32];
            snprintf(cn, sizeof cn, "filler root %d", i);
            assert_int_equal(certs_make_ca(&filler, cn), 0);
            memcpy(buf + n, filler.cert_pem, strlen(filler.cert_pem));
            n += strlen(filler.cert_pem);
        }
    }
    if (!first && extra != NULL) {
        memcpy(buf + n, extra, strlen(extra));
        n += strlen(extra);
    }
    return put_file(name, buf, n);
}

static wecom_err_t connect_with(const char *server_cert, const char *server_key,
                                const wecom_tls_config_t *cfg_in,
                                tls_server_t *srv)
{
    client_t c;
    wecom_tls_config_t cfg = *cfg_in;
    wecom_err_t rc;
    memset(srv, 0, sizeof *srv);
    assert_int_equal(tls_server_start(srv, server_cert, server_key, RESPONSE), 0);
    cfg.io_timeout_ms = 3000;
    cfg.handshake_timeout_ms = 5000;
    wecom_posix_port_init(&c.port, &c.net);
    rc = wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch);
    if (rc == WECOM_OK) {
        assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv->port), 0);
        rc = wecom__tls_connect(&c.tls);
        if (rc == WECOM_OK)
            exchange_once(&c);
        wecom__tls_free(&c.tls);
    }
    tls_server_stop(srv);
    return rc;
}

static wecom_err_t connect_file(const test_cert_t *server, const char *ca_file)
{
    wecom_tls_config_t cfg;
    tls_server_t srv;
    wecom_err_t rc;
    memset(&cfg, 0, sizeof cfg);
    cfg.ca_file = ca_file;
    rc = connect_with(server->cert_pem, server->key_pem, &cfg, &srv);
    /* Refused within the handshake: the server never completed one. */
    if (rc != WECOM_OK)
        assert_int_equal(srv.handshakes, 0);
    return rc;
}

/* A server sending leaf and intermediate, verified against ca_file. */
static wecom_err_t connect_chain(const test_cert_t *leaf,
                                 const test_cert_t *inter, const char *ca_file)
{
    static char chain[2 * CERT_PEM_MAX];
    wecom_tls_config_t cfg;
    tls_server_t srv;
    snprintf(chain, sizeof chain, "%s%s", leaf->cert_pem,
             inter != NULL ? inter->cert_pem : "");
    memset(&cfg, 0, sizeof cfg);
    cfg.ca_file = ca_file;
    return connect_with(chain, leaf->key_pem, &cfg, &srv);
}

static int make_store_certs(void **state)
{
    (void)state;
    snprintf(g_tmpdir, sizeof g_tmpdir, "/tmp/wecom-test-store-XXXXXX");
    if (mkdtemp(g_tmpdir) == NULL ||
        certs_make_ca(&g_root2, "chain root") != 0 ||
        certs_make_intermediate(&g_inter, &g_root2, "chain intermediate") != 0 ||
        certs_make_server(&g_inter_leaf, &g_inter, "localhost",
                          "20200101000000", "20491231235959") != 0 ||
        certs_make_ca(&g_stray_root, "root nobody trusts") != 0 ||
        certs_make_intermediate(&g_stray_inter, &g_stray_root,
                                "chain intermediate") != 0 ||
        certs_make_server(&g_stray_leaf, &g_stray_inter, "localhost",
                          "20200101000000", "20491231235959") != 0)
        return -1;
    return 0;
}

static void test_bundle_same_verdicts_as_one_root(void **state)
{
    int first;
    (void)state;
    for (first = 1; first >= 0; first--) {
        const char *b = bundle_with(first ? "first.pem" : "last.pem",
                                    g_ca.cert_pem, first);
        assert_int_equal(connect_file(&g_good, b), WECOM_OK);
        assert_int_equal(connect_file(&g_wrong_name, b), WECOM_ERR_TLS_CERT_HOSTNAME);
        assert_int_equal(connect_file(&g_expired, b), WECOM_ERR_TLS_CERT_EXPIRED);
        assert_int_equal(connect_file(&g_future, b), WECOM_ERR_TLS_CERT_NOT_YET_VALID);
        assert_int_equal(connect_file(&g_self_signed, b), WECOM_ERR_TLS_CERT_UNTRUSTED);
    }
    /* The bundle without the test CA trusts none of its certificates. */
    assert_int_equal(connect_file(&g_good, bundle_with("plain.pem", NULL, 0)),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(connect_file(&g_good, bundle_with("other.pem",
                                                       g_other_ca.cert_pem, 1)),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
}

static void test_bundle_chain_with_intermediate(void **state)
{
    const char *with_root = bundle_with("root2.pem", g_root2.cert_pem, 0);
    (void)state;
    assert_int_equal(connect_chain(&g_inter_leaf, &g_inter, with_root), WECOM_OK);
    /* Same intermediate name, another root: not in the bundle. */
    assert_int_equal(connect_chain(&g_stray_leaf, &g_stray_inter, with_root),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
    /* The intermediate left out: no path to the root. */
    assert_int_equal(connect_chain(&g_inter_leaf, NULL, with_root),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
    /* A trusted intermediate anchors the chain, as in mbedTLS's own
     * store; the other root's leaf, signed by a namesake, does not. */
    assert_int_equal(connect_chain(&g_inter_leaf, NULL,
                                   bundle_with("inter.pem", g_inter.cert_pem, 1)),
                     WECOM_OK);
    assert_int_equal(connect_chain(&g_stray_leaf, NULL,
                                   bundle_with("inter2.pem", g_inter.cert_pem, 1)),
                     WECOM_ERR_TLS_CERT_UNTRUSTED);
}

static wecom_err_t init_with_file(const char *path)
{
    client_t c;
    wecom_tls_config_t cfg;
    wecom_err_t rc;
    memset(&cfg, 0, sizeof cfg);
    cfg.ca_file = path;
    wecom_posix_port_init(&c.port, &c.net);
    rc = wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch);
    if (rc == WECOM_OK)
        wecom__tls_free(&c.tls);
    return rc;
}

/* The PEM of ca with its base64 broken (a '*' in the middle). */
static void garble(char *pem)
{
    char *body = strchr(pem, '\n');
    assert_non_null(body);
    body[20] = '*';
}

static void test_ca_file_defects(void **state)
{
    static char text[4 * CERT_PEM_MAX];
    char bad[CERT_PEM_MAX];
    mbedtls_x509_crt crt;
    (void)state;
    memcpy(bad, g_other_ca.cert_pem, sizeof bad);
    garble(bad);

    /* Garbage blocks and text around a good one: the good one counts. */
    snprintf(text, sizeof text, "junk\n%s-----BEGIN CERTIFICATE-----\nAAAA\n"
             "-----END CERTIFICATE-----\n%sprose\n", bad, g_ca.cert_pem);
    assert_int_equal(connect_file(&g_good, put_file("garbage.pem", text, strlen(text))),
                     WECOM_OK);
    /* A truncated last block after a good one. */
    snprintf(text, sizeof text, "%s%.200s", g_ca.cert_pem, g_other_ca.cert_pem);
    assert_int_equal(connect_file(&g_good, put_file("trunc.pem", text, strlen(text))),
                     WECOM_OK);
    /* No END on the last line's newline: still a block. */
    snprintf(text, sizeof text, "%s", g_ca.cert_pem);
    text[strlen(text) - 1] = '\0';
    assert_int_equal(connect_file(&g_good, put_file("nonl.pem", text, strlen(text))),
                     WECOM_OK);
    /* Nothing usable: refused at init, each with its reason. */
    snprintf(text, sizeof text, "%s%.300s", bad, g_ca.cert_pem);
    assert_int_equal(init_with_file(put_file("allbad.pem", text, strlen(text))),
                     WECOM_ERR_TLS_CA_EMPTY);
    assert_int_equal(init_with_file(put_file("one.pem", "-", 1)), WECOM_ERR_TLS_CA_EMPTY);
    assert_int_equal(init_with_file(put_file("empty.pem", NULL, 0)), WECOM_ERR_TLS_CA_EMPTY);
    assert_int_equal(init_with_file(g_tmpdir), WECOM_ERR_TLS_CA_LOAD);
    assert_int_equal(init_with_file("/nonexistent/ca.pem"), WECOM_ERR_TLS_CA_LOAD);
    /* A CA file in DER, as mbedTLS reads one too. */
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)g_ca.cert_pem,
                                            strlen(g_ca.cert_pem) + 1), 0);
    assert_int_equal(connect_file(&g_good, put_file("ca.der", (const char *)crt.raw.p,
                                                    crt.raw.len)),
                     WECOM_OK);
    mbedtls_x509_crt_free(&crt);
}

/* The CA file is read again at each full handshake: gone, it is named. */
static void test_ca_file_gone_at_handshake(void **state)
{
    tls_server_t srv;
    client_t c;
    wecom_tls_config_t cfg;
    const char *path = put_file("gone.pem", g_ca.cert_pem, strlen(g_ca.cert_pem));
    (void)state;
    memset(&srv, 0, sizeof srv);
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.ca_file = path;
    wecom_posix_port_init(&c.port, &c.net);
    assert_int_equal(wecom__tls_init(&c.tls, &c.port, &cfg, c.scratch, sizeof c.scratch), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), WECOM_ERR_TLS_CA_LOAD);
    wecom__tls_free(&c.tls);
    tls_server_stop(&srv);
    assert_int_equal(srv.handshakes, 0);
}

/* A handshake refused for its certificate leaves no session to save:
 * a resumed session only ever comes from a verified one. */
static void test_refused_handshake_keeps_no_session(void **state)
{
    tls_server_t srv;
    client_t c;
    unsigned char blob[WECOM_SESSION_MAX];
    const char *host;
    uint16_t port;
    size_t len;
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.tls12_only = 1;
    assert_int_equal(tls_server_start(&srv, g_wrong_name.cert_pem, g_wrong_name.key_pem,
                                      RESPONSE), 0);
    assert_int_equal(client_init(&c, g_ca.cert_pem), 0);
    assert_int_equal(wecom__tls_set_peer(&c.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&c.tls), WECOM_ERR_TLS_CERT_HOSTNAME);
    assert_int_equal(wecom__tls_session_save(&c.tls, blob, sizeof blob, &len, &host, &port),
                     WECOM_ERR_TLS_SESSION_REFUSED);
    assert_int_equal(c.tls.handshakes, 0);
    wecom__tls_free(&c.tls);
    tls_server_stop(&srv);
    assert_int_equal(srv.handshakes, 0);
}

/* A session saved from one client resumes in another (a later run); a
 * failed handshake keeps none to save. */
static void test_session_saved_and_loaded(void **state)
{
    tls_server_t srv;
    client_t a, b;
    unsigned char blob[WECOM_SESSION_MAX];
    const char *host;
    uint16_t port;
    size_t len;
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.tls12_only = 1;
    assert_int_equal(tls_server_start(&srv, g_good.cert_pem, g_good.key_pem, RESPONSE), 0);
    assert_int_equal(client_init(&a, g_ca.cert_pem), 0);
    assert_int_equal(wecom__tls_session_save(&a.tls, blob, sizeof blob, &len, &host, &port),
                     WECOM_ERR_TLS_SESSION_REFUSED);
    assert_int_equal(wecom__tls_set_peer(&a.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&a.tls), 0);
    assert_int_equal(a.tls.resumed, 0);
    /* Saved while the connection is still open. */
    assert_int_equal(wecom__tls_session_save(&a.tls, blob, 8, &len, &host, &port),
                     WECOM_ERR_BUFFER_TOO_SMALL);
    assert_true(len > 8 && len <= sizeof blob);
    assert_int_equal(wecom__tls_session_save(&a.tls, blob, sizeof blob, &len, &host, &port), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, srv.port);
    wecom__tls_free(&a.tls);

    assert_int_equal(client_init(&b, g_ca.cert_pem), 0);
    assert_int_equal(wecom__tls_session_load(&b.tls, blob, 10, "localhost", srv.port),
                     WECOM_ERR_TLS_SESSION_REFUSED);
    assert_int_equal(wecom__tls_session_load(&b.tls, blob, len, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_set_peer(&b.tls, "localhost", srv.port), 0);
    assert_int_equal(wecom__tls_connect(&b.tls), 0);
    assert_int_equal(b.tls.resumed, 1);
    wecom__tls_free(&b.tls);
    tls_server_stop(&srv);
    assert_int_equal(srv.handshakes, 2);
    assert_int_equal(srv.resumed, 1);
}

static int remove_store_files(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_certificate_and_a_request),
        cmocka_unit_test(test_wrong_hostname_refused),
        cmocka_unit_test(test_untrusted_ca_refused),
        cmocka_unit_test(test_expired_refused),
        cmocka_unit_test(test_not_yet_valid_refused),
        cmocka_unit_test(test_ca_sources),
        cmocka_unit_test(test_reconnect_resumes_session),
        cmocka_unit_test(test_reconnect_resumes_by_ticket),
        cmocka_unit_test(test_server_back_to_tls12),
        cmocka_unit_test(test_client_keeps_one_connection),
        cmocka_unit_test(test_handshake_timeout),
    };
    const struct CMUnitTest store_tests[] = {
        cmocka_unit_test(test_bundle_same_verdicts_as_one_root),
        cmocka_unit_test(test_bundle_chain_with_intermediate),
        cmocka_unit_test(test_ca_file_defects),
        cmocka_unit_test(test_ca_file_gone_at_handshake),
        cmocka_unit_test(test_session_saved_and_loaded),
        cmocka_unit_test(test_refused_handshake_keeps_no_session),
    };
    int failed = cmocka_run_group_tests(tests, make_all, NULL);
    failed += cmocka_run_group_tests_name("ca_store", store_tests,
                                          make_store_certs, remove_store_files);
    return failed;
}
