/* SPDX-License-Identifier: MIT */
/*
 * Memory figures: sizeof the client context and its parts, the heap that
 * loading the CA takes (one root, and the system bundle), and the heap
 * peak of one TLS handshake against a local mbedTLS server running in a
 * child process (so that only the client's allocations are counted); then
 * the peak of a whole client life (init, handshake verifying the chain,
 * a request, free) with one root and with the system bundle, the test CA
 * put first or last.
 */
#define _POSIX_C_SOURCE 200809L

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "certs.h"
#include "client.h"
#include "heap_meter.h"
#include "tls_server.h"
#include "wecom/media.h"
#include "wecom/posix.h"

static wecom_client_t client;
static test_cert_t ca, server;

#define RESPONSE "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static pid_t start_server(uint16_t *port)
{
    int p[2];
    pid_t pid;
    if (pipe(p) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        static tls_server_t srv;
        close(p[0]);
        if (tls_server_start(&srv, server.cert_pem, server.key_pem, RESPONSE) != 0)
            _exit(1);
        if (write(p[1], &srv.port, sizeof srv.port) != (ssize_t)sizeof srv.port)
            _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    if (read(p[0], port, sizeof *port) != (ssize_t)sizeof *port)
        return -1;
    close(p[0]);
    return pid;
}

static int measure_bundle(const char *path)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    wecom_client_config_t cfg;
    size_t before = heap_in_use();
    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&port, &net);
    cfg.port = &port;
    cfg.tls.ca_file = path;
    if (wecom_client_init(&client, &cfg) != WECOM_OK) {
        printf("ca_bundle_heap: (no bundle at %s)\n", path);
        return 0;
    }
    printf("ca_bundle_heap=%zu bytes (%s)\n", heap_in_use() - before, path);
    wecom_client_free(&client);
    return 0;
}

/* The heap peak of a client's whole life verifying against ca_file. */
static long life_peak(const char *url, const wecom_tls_config_t *tls)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    wecom_client_config_t cfg;
    wecom_http_request_t req;
    wecom_http_response_t resp;
    size_t base;
    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&port, &net);
    cfg.base_url = url;
    cfg.port = &port;
    cfg.tls = *tls;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/";
    base = heap_in_use();
    heap_reset_peak();
    if (wecom_client_init(&client, &cfg) != WECOM_OK)
        return -1;
    if (wecom__http_exchange(&wecom__client(&client)->http, &req, &resp, NULL) != WECOM_OK) {
        wecom_client_free(&client);
        return -1;
    }
    wecom_client_free(&client);
    return (long)(heap_peak() - base);
}

/* path: the system bundle with the test CA before (first) or after it. */
static int write_bundle(const char *path, const char *system, int first)
{
    FILE *out = fopen(path, "w"), *in = fopen(system, "r");
    char buf[4096];
    size_t n;
    if (out == NULL || in == NULL) {
        if (out != NULL)
            fclose(out);
        if (in != NULL)
            fclose(in);
        return -1;
    }
    if (first)
        fputs(ca.cert_pem, out);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    if (!first)
        fputs(ca.cert_pem, out);
    fclose(in);
    return fclose(out);
}

static void measure_lives(const char *url)
{
    wecom_tls_config_t tls;
    char path[] = "/tmp/wecom-bench-bundle.XXXXXX";
    int fd, first;
    memset(&tls, 0, sizeof tls);
    tls.ca_pem = (const unsigned char *)ca.cert_pem;
    tls.ca_pem_len = strlen(ca.cert_pem) + 1;
    printf("life_heap_peak=%ld bytes (one root in memory: init, full "
           "handshake, a request, free)\n", life_peak(url, &tls));
    fd = mkstemp(path);
    if (fd < 0)
        return;
    close(fd);
    for (first = 1; first >= 0; first--) {
        if (write_bundle(path, WECOM_DEFAULT_CA_FILE, first) != 0) {
            printf("bundle_life_heap_peak: (no bundle at %s)\n", WECOM_DEFAULT_CA_FILE);
            break;
        }
        memset(&tls, 0, sizeof tls);
        tls.ca_file = path;
        printf("bundle_life_heap_peak=%ld bytes (%s with the test CA %s)\n",
               life_peak(url, &tls), WECOM_DEFAULT_CA_FILE,
               first ? "first" : "last");
    }
    unlink(path);
}

int main(void)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    wecom_client_config_t cfg;
    wecom_http_request_t req;
    wecom_http_response_t resp;
    size_t base, after_init, after_free;
    char url[64];
    uint16_t srv_port;
    pid_t pid;
    int i;

    printf("sizeof(wecom_client_t)=%zu bytes\n", sizeof(wecom_client_t));
    printf("  of which tls=%zu (mbedTLS contexts), io buffer=%zu, json=%zu, "
           "multipart=%zu, token=%zu, target=%zu\n",
           sizeof wecom__client(&client)->tls, sizeof wecom__client(&client)->io,
           sizeof wecom__client(&client)->json,
           sizeof wecom__client(&client)->multipart,
           sizeof wecom__client(&client)->token,
           sizeof wecom__client(&client)->target);

    if (certs_make_ca(&ca, "bench CA") != 0 ||
        certs_make_server(&server, &ca, "localhost", "20200101000000", "20491231235959") != 0)
        return 1;
    pid = start_server(&srv_port);
    if (pid < 0)
        return 1;

    snprintf(url, sizeof url, "https://localhost:%u", (unsigned)srv_port);
    /* glibc keeps its resolver and NSS state after the first lookup;
     * make that lookup before the baseline so it is not counted. */
    {
        struct addrinfo *ai = NULL;
        if (getaddrinfo("localhost", NULL, NULL, &ai) == 0)
            freeaddrinfo(ai);
    }
    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&port, &net);
    cfg.base_url = url;
    cfg.port = &port;
    cfg.tls.ca_pem = (const unsigned char *)ca.cert_pem;
    cfg.tls.ca_pem_len = strlen(ca.cert_pem) + 1;

    base = heap_in_use();
    heap_reset_peak();
    if (wecom_client_init(&client, &cfg) != WECOM_OK)
        return 1;
    after_init = heap_in_use();
    printf("init_heap=%zu bytes (one CA certificate, DRBG, config)\n", after_init - base);

    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/";
    heap_reset_peak();
    if (wecom__http_exchange(&wecom__client(&client)->http, &req, &resp, NULL) != WECOM_OK)
        return 1;
    printf("handshake_heap_peak=%zu bytes above init (ECDHE-ECDSA P-256, "
           "first request included)\n", heap_peak() - after_init);
    printf("connection_heap=%zd bytes held while connected, against init\n",
           (ssize_t)heap_in_use() - (ssize_t)after_init);

    /* Later requests on the kept connection must not grow the heap. */
    heap_reset_peak();
    for (i = 0; i < 20; i++)
        if (wecom__http_exchange(&wecom__client(&client)->http, &req, &resp, NULL) != WECOM_OK)
            return 1;
    printf("steady_heap_growth=%zu bytes over 20 more requests\n",
           heap_peak() - heap_in_use());

    /* A reconnect (session resumption) costs no more than the first. */
    wecom__http_close(&wecom__client(&client)->http);
    heap_reset_peak();
    if (wecom__http_exchange(&wecom__client(&client)->http, &req, &resp, NULL) != WECOM_OK)
        return 1;
    printf("reconnect_heap_peak=%zu bytes above init\n", heap_peak() - after_init);

    wecom_client_free(&client);
    printf("after_first_free=%zd bytes still in use (libc's one-time state)\n",
           (ssize_t)heap_in_use() - (ssize_t)base);

    /* A second whole life of a client must leave nothing behind. */
    base = heap_in_use();
    if (wecom_client_init(&client, &cfg) != WECOM_OK ||
        wecom__http_exchange(&wecom__client(&client)->http, &req, &resp, NULL) != WECOM_OK)
        return 1;
    wecom_client_free(&client);
    after_free = heap_in_use();
    printf("second_life_leak=%zd bytes (must be 0)\n",
           (ssize_t)after_free - (ssize_t)base);
    measure_lives(url);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    measure_bundle(WECOM_DEFAULT_CA_FILE);
    return after_free == base ? 0 : 2;
}
