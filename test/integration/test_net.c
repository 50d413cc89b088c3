/* SPDX-License-Identifier: MIT */
/* The POSIX TCP transport on loopback: connect, timeouts, closes. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "wecom/posix.h"

static int listen_on(int family, int backlog, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd = socket(family, SOCK_STREAM, 0);
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof *a;
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
        listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static uint64_t ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_ipv4_round_trip(void **state)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    uint16_t p;
    int lfd = listen_on(AF_INET, 4, &p), cfd;
    unsigned char buf[8];
    (void)state;
    assert_true(lfd >= 0);
    wecom_posix_port_init(&port, &net);
    assert_int_equal(port.transport.connect(&net, "127.0.0.1", p, 2000), 0);
    cfd = accept(lfd, NULL, NULL);
    assert_true(cfd >= 0);
    assert_false(port.transport.is_stale(&net));
    assert_int_equal(port.transport.send(&net, (const unsigned char *)"ping", 4, 1000), 4);
    assert_int_equal(read(cfd, buf, 4), 4);
    assert_int_equal(write(cfd, "pong", 4), 4);
    assert_int_equal(port.transport.recv(&net, buf, sizeof buf, 1000), 4);
    assert_memory_equal(buf, "pong", 4);
    /* The peer closes: the idle connection is stale, a read sees EOF. */
    close(cfd);
    {
        struct timespec d = { 0, 20000000 };
        nanosleep(&d, NULL);
    }
    assert_true(port.transport.is_stale(&net));
    assert_int_equal(port.transport.recv(&net, buf, sizeof buf, 1000), 0);
    port.transport.close(&net);
    assert_int_equal(net.fd, -1);
    assert_int_equal(port.transport.recv(&net, buf, sizeof buf, 1000), WECOM_ERR_CLOSED);
    close(lfd);
}

static void test_ipv6_when_available(void **state)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    uint16_t p;
    int lfd = listen_on(AF_INET6, 4, &p);
    (void)state;
    if (lfd < 0)
        skip(); /* no IPv6 loopback on this host */
    wecom_posix_port_init(&port, &net);
    assert_int_equal(port.transport.connect(&net, "::1", p, 2000), 0);
    port.transport.close(&net);
    close(lfd);
}

static void test_name_resolves_to_loopback(void **state)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    uint16_t p;
    int lfd = listen_on(AF_INET, 4, &p);
    (void)state;
    wecom_posix_port_init(&port, &net);
    /* "localhost" may give ::1 first, where nothing listens: the next
     * address must be tried. */
    assert_int_equal(port.transport.connect(&net, "localhost", p, 2000), 0);
    port.transport.close(&net);
    close(lfd);
}

static void test_refused(void **state)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    uint16_t p;
    int lfd = listen_on(AF_INET, 1, &p);
    (void)state;
    close(lfd); /* nothing listens there now */
    wecom_posix_port_init(&port, &net);
    assert_int_equal(port.transport.connect(&net, "127.0.0.1", p, 2000),
                     WECOM_ERR_CONNECT);
}

static void test_recv_timeout(void **state)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    uint16_t p;
    int lfd = listen_on(AF_INET, 4, &p);
    unsigned char buf[4];
    uint64_t t0;
    (void)state;
    wecom_posix_port_init(&port, &net);
    assert_int_equal(port.transport.connect(&net, "127.0.0.1", p, 2000), 0);
    t0 = ms();
    assert_int_equal(port.transport.recv(&net, buf, sizeof buf, 150), WECOM_ERR_TIMEOUT);
    assert_true(ms() - t0 >= 140);
    assert_true(ms() - t0 < 5000);
    port.transport.close(&net);
    close(lfd);
}

static void test_connect_timeout(void **state)
{
    wecom_port_t port;
    wecom_posix_net_t net[8];
    uint16_t p;
    int lfd = listen_on(AF_INET, 0, &p), i, rc = 0;
    uint64_t t0;
    (void)state;
    /* Nobody accepts and the backlog is full after a connection or two:
     * the kernel drops further SYNs and connect must give up in time. */
    for (i = 0; i < 8; i++) {
        wecom_posix_port_init(&port, &net[i]);
        t0 = ms();
        rc = port.transport.connect(&net[i], "127.0.0.1", p, 200);
        if (rc != 0)
            break;
    }
    assert_int_equal(rc, WECOM_ERR_TIMEOUT);
    assert_true(ms() - t0 < 3000);
    while (i-- > 0)
        port.transport.close(&net[i]);
    close(lfd);
}

static void test_send_to_closed_peer_no_sigpipe(void **state)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    static unsigned char junk[65536];
    uint16_t p;
    int lfd = listen_on(AF_INET, 4, &p), cfd, i, rc = 0;
    (void)state;
    wecom_posix_port_init(&port, &net);
    assert_int_equal(port.transport.connect(&net, "127.0.0.1", p, 2000), 0);
    cfd = accept(lfd, NULL, NULL);
    close(cfd);
    /* The process must survive (no SIGPIPE) and see an error. */
    for (i = 0; i < 100 && rc >= 0; i++)
        rc = port.transport.send(&net, junk, sizeof junk, 1000);
    assert_int_equal(rc, WECOM_ERR_CLOSED);
    port.transport.close(&net);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_round_trip),
        cmocka_unit_test(test_ipv6_when_available),
        cmocka_unit_test(test_name_resolves_to_loopback),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_recv_timeout),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_send_to_closed_peer_no_sigpipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
