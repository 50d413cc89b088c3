/* SPDX-License-Identifier: MIT */
/*
 * wecom_client_cancel from outside the calling thread, during each wait a
 * call can be in: the TCP connect (a loopback listener whose backlog is
 * full, so the SYN goes unanswered), the TLS handshake (a listener that
 * never speaks TLS), the wait for the answer (a TLS server that reads the
 * request and stalls) and the backoff sleep (a server that answers
 * errcode -1). Each wait is bounded by 10 s timeouts; a second thread
 * cancels after about 200 ms, and the call must return
 * WECOM_ERR_CANCELLED within BOUND_MS of the cancel. Then the same client,
 * once cleared, must complete a request. Also: a cancel from a signal
 * handler, the flag staying set until cleared, and a port without a
 * cancel hook (the client's own slices).
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"
#include "tls_server.h"
#include "wecom/media.h"
#include "wecom/posix.h"

/* How soon after the cancel the call must have returned. */
#define BOUND_MS 1000u
#define CANCEL_AFTER_MS 200u

static const char OK_BODY[] =
    "{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"TOKEN_AFTER\","
    "\"expires_in\":7200}";
static const char BUSY_BODY[] = "{\"errcode\":-1,\"errmsg\":\"system busy\"}";
static char g_ok[256], g_busy[256];

static test_cert_t g_ca, g_cert;

typedef struct rig {
    wecom_client_t client;
    wecom_port_t port;
    wecom_posix_net_t net;
} rig_t;
static rig_t g_rig;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec d;
    d.tv_sec = (time_t)(ms / 1000u);
    d.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
}

static int make_all(void **state)
{
    (void)state;
    snprintf(g_ok, sizeof g_ok,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(OK_BODY), OK_BODY);
    snprintf(g_busy, sizeof g_busy,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(BUSY_BODY), BUSY_BODY);
    if (certs_make_ca(&g_ca, "wecom-media test CA") != 0 ||
        certs_make_server(&g_cert, &g_ca, "localhost", "20200101000000",
                          "20491231235959") != 0)
        return -1;
    return 0;
}

/* A client of localhost:port whose every bound is 10 s, so that only a
 * cancel ends a wait early. hook = 0 takes the port's cancel hook away. */
static void rig_init(uint16_t port, int hook)
{
    wecom_client_config_t cfg;
    char url[64];
    snprintf(url, sizeof url, "https://localhost:%u", (unsigned)port);
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = url;
    cfg.tls.ca_pem = (const unsigned char *)g_ca.cert_pem;
    cfg.tls.ca_pem_len = strlen(g_ca.cert_pem) + 1;
    cfg.tls.connect_timeout_ms = 10000;
    cfg.tls.handshake_timeout_ms = 10000;
    cfg.tls.io_timeout_ms = 10000;
    cfg.tls.low_speed_bytes = WECOM_TLS_LOW_SPEED_OFF;
    wecom_posix_port_init(&g_rig.port, &g_rig.net);
    if (!hook) {
        g_rig.port.transport.cancel = NULL;
        g_rig.port.transport.cancel_clear = NULL;
    }
    cfg.port = &g_rig.port;
    assert_int_equal(wecom_client_init(&g_rig.client, &cfg), WECOM_OK);
}

static void rig_free(void)
{
    wecom_client_free(&g_rig.client);
    wecom_posix_net_free(&g_rig.net);
}

static wecom_err_t fetch(void)
{
    wecom_api_error_t api;
    int64_t expires = 0;
    memset(&api, 0, sizeof api);
    return wecom_token_fetch(&g_rig.client, "corp", "secret-of-the-test",
                             &expires, &api);
}

/* --------------------------------------------------------- the canceller */

typedef struct canceller {
    pthread_t thread;
    unsigned after_ms;
    const int *requests; /* wait for the server to count this many first */
    int min_requests;
    uint64_t at;         /* when the cancel was made */
} canceller_t;

static void *cancel_later(void *arg)
{
    canceller_t *k = arg;
    if (k->requests != NULL)
        while (*(const volatile int *)k->requests < k->min_requests)
            sleep_ms(5);
    sleep_ms(k->after_ms);
    k->at = now_ms();
    wecom_client_cancel(&g_rig.client);
    return NULL;
}

static void start_canceller(canceller_t *k, const int *requests, int min)
{
    memset(k, 0, sizeof *k);
    k->after_ms = CANCEL_AFTER_MS;
    k->requests = requests;
    k->min_requests = min;
    assert_int_equal(pthread_create(&k->thread, NULL, cancel_later, k), 0);
}

/* Run a fetch that a canceller ends; assert the error and that it came
 * within bound ms of the cancel (the time is printed). */
static void fetch_cancelled(const char *wait, const int *requests, int min,
                            uint64_t bound)
{
    canceller_t k;
    uint64_t t0 = now_ms(), back, latency;
    wecom_err_t rc;
    start_canceller(&k, requests, min);
    rc = fetch();
    back = now_ms();
    pthread_join(k.thread, NULL);
    latency = back >= k.at ? back - k.at : 0;
    print_message("cancel during %s: returned %llu ms after the cancel "
                  "(%llu ms after the call began)\n", wait,
                  (unsigned long long)latency, (unsigned long long)(back - t0));
    assert_int_equal(rc, WECOM_ERR_CANCELLED);
    assert_true(k.at != 0 && back >= k.at); /* it waited for the cancel */
    assert_true(latency < bound);
}

/* ---------------------------------------------------------- the servers */

static int listener(int backlog, uint16_t *port)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(*port);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, backlog), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Connections that fill the listener's accept queue: once one no longer
 * completes, the kernel drops further SYNs. Returns how many were kept. */
static int fill_backlog(uint16_t port, int *fds, int max)
{
    struct sockaddr_in sa;
    int n;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    for (n = 0; n < max; n++) {
        struct pollfd p;
        int fd = socket(AF_INET, SOCK_STREAM, 0), err = 0;
        socklen_t el = sizeof err;
        assert_true(fd >= 0);
        assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
            errno != EINPROGRESS)
            fail_msg("connect: %s", strerror(errno));
        p.fd = fd;
        p.events = POLLOUT;
        p.revents = 0;
        if (poll(&p, 1, 200) <= 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            close(fd);
            return n;
        }
        fds[n] = fd;
    }
    fail_msg("the backlog never filled");
    return n;
}

static void start_server(tls_server_t *srv, uint16_t port, const char *response)
{
    memset(srv, 0, sizeof *srv);
    srv->want_port = port;
    assert_int_equal(tls_server_start(srv, g_cert.cert_pem, g_cert.key_pem,
                                      response), 0);
}

/* After a cancel the cleared client works again. */
static void works_again(void)
{
    wecom_client_cancel_clear(&g_rig.client);
    assert_int_equal(fetch(), WECOM_OK);
}

/* ------------------------------------------------------------ the tests */

static void test_cancel_during_connect(void **state)
{
    tls_server_t srv;
    uint16_t port = 0;
    int fillers[16], n, lfd = listener(0, &port);
    (void)state;
    n = fill_backlog(port, fillers, 16);
    rig_init(port, 1);
    fetch_cancelled("connect", NULL, 0, BOUND_MS);
    while (n-- > 0)
        close(fillers[n]);
    close(lfd);
    start_server(&srv, port, g_ok);
    works_again();
    rig_free();
    tls_server_stop(&srv);
    assert_int_equal(srv.requests, 1);
}

static void test_cancel_during_handshake(void **state)
{
    tls_server_t srv;
    uint16_t port = 0;
    int lfd = listener(4, &port); /* accepts TCP, never says a word of TLS */
    (void)state;
    rig_init(port, 1);
    fetch_cancelled("the TLS handshake", NULL, 0, BOUND_MS);
    assert_int_equal(wecom_client_handshakes(&g_rig.client), 0);
    close(lfd);
    start_server(&srv, port, g_ok);
    works_again();
    assert_int_equal(wecom_client_handshakes(&g_rig.client), 1);
    rig_free();
    tls_server_stop(&srv);
}

/* The server reads the request and says nothing ("" as its answer). The
 * flag then stays set: a call without clearing fails at once, without a
 * connection. */
static void test_cancel_during_answer_wait(void **state)
{
    tls_server_t srv;
    uint64_t t0;
    (void)state;
    start_server(&srv, 0, "");
    rig_init(srv.port, 1);
    fetch_cancelled("the wait for the answer", &srv.requests, 1, BOUND_MS);
    t0 = now_ms();
    assert_int_equal(fetch(), WECOM_ERR_CANCELLED);
    assert_true(now_ms() - t0 < 200); /* no 10 s wait began */
    assert_int_equal(*(volatile int *)&srv.connections, 1);
    srv.response = g_ok; /* read by the server at the next request */
    works_again();
    rig_free();
    tls_server_stop(&srv);
    assert_int_equal(srv.connections, 2);
    assert_int_equal(srv.requests, 2);
}

/* errcode -1 (busy) is retried after WECOM_RETRY_BACKOFF_MS: the cancel
 * comes 200 ms into that sleep, which must end well before its time (not
 * merely be followed by a look at the flag), and no second attempt is
 * made. */
static void test_cancel_during_backoff(void **state)
{
    tls_server_t srv;
    (void)state;
    assert_true(WECOM_RETRY_BACKOFF_MS > CANCEL_AFTER_MS + 100);
    start_server(&srv, 0, g_busy);
    rig_init(srv.port, 1);
    fetch_cancelled("the backoff sleep", &srv.requests, 1,
                    WECOM_RETRY_BACKOFF_MS - CANCEL_AFTER_MS - 100);
    assert_int_equal(*(volatile int *)&srv.requests, 1);
    srv.response = g_ok;
    works_again();
    rig_free();
    tls_server_stop(&srv);
    assert_int_equal(srv.requests, 2);
}

/* From a signal handler (SIGALRM after 200 ms), as a firmware's SIGTERM
 * handler would. */
static void on_alarm(int sig)
{
    (void)sig;
    wecom_client_cancel(&g_rig.client);
}

static void test_cancel_from_signal_handler(void **state)
{
    tls_server_t srv;
    struct sigaction sa, old;
    struct itimerval it;
    uint64_t t0;
    wecom_err_t rc;
    (void)state;
    start_server(&srv, 0, "");
    rig_init(srv.port, 1);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = (suseconds_t)CANCEL_AFTER_MS * 1000;
    t0 = now_ms();
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
    rc = fetch();
    t0 = now_ms() - t0;
    sigaction(SIGALRM, &old, NULL);
    print_message("cancel from a signal handler: the call returned after %llu ms "
                  "(the signal at %u ms)\n", (unsigned long long)t0, CANCEL_AFTER_MS);
    assert_int_equal(rc, WECOM_ERR_CANCELLED);
    assert_true(t0 >= CANCEL_AFTER_MS - 10 && t0 < CANCEL_AFTER_MS + BOUND_MS);
    srv.response = g_ok;
    works_again();
    rig_free();
    tls_server_stop(&srv);
}

/* A port without a cancel hook: the client cuts its waits into
 * WECOM_CANCEL_SLICE_MS slices and sees the flag between them. */
static void test_cancel_without_port_hook(void **state)
{
    tls_server_t srv;
    (void)state;
    start_server(&srv, 0, "");
    rig_init(srv.port, 0);
    fetch_cancelled("the wait for the answer, port without a hook",
                    &srv.requests, 1, BOUND_MS);
    srv.response = g_ok;
    works_again();
    rig_free();
    tls_server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_during_connect),
        cmocka_unit_test(test_cancel_during_handshake),
        cmocka_unit_test(test_cancel_during_answer_wait),
        cmocka_unit_test(test_cancel_during_backoff),
        cmocka_unit_test(test_cancel_from_signal_handler),
        cmocka_unit_test(test_cancel_without_port_hook),
    };
    return cmocka_run_group_tests(tests, make_all, NULL);
}
