/*
 * TCP transport for POSIX: getaddrinfo() for IPv4 and IPv6, non-blocking
 * sockets with poll() so that every wait has a bound, and no SIGPIPE.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wecom/posix.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* platforms without it set SO_NOSIGPIPE below */
#endif

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait for events on fd for at most timeout_ms, restarting on EINTR with
 * the time that is left. Returns the revents, 0 on timeout, -1 on error. */
static int wait_fd(int fd, short events, uint32_t timeout_ms)
{
    uint64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        struct pollfd p = { fd, events, 0 };
        uint64_t now = mono_ms();
        int left = now >= deadline ? 0 : (int)(deadline - now);
        int n = poll(&p, 1, left);
        if (n > 0)
            return p.revents;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* One connect attempt to one address: the socket or a negative error. */
static int connect_one(const struct addrinfo *ai, uint64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return WECOM_ERR_CONNECT;
    if (set_nonblocking(fd) < 0)
        goto fail;
#ifdef SO_NOSIGPIPE
    {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EINTR)
        goto fail;
    {
        uint64_t now = mono_ms();
        uint32_t left = now >= deadline ? 0 : (uint32_t)(deadline - now);
        int ev = wait_fd(fd, POLLOUT, left);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (ev == 0) {
            close(fd);
            return WECOM_ERR_TIMEOUT;
        }
        if (ev < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
            soerr != 0)
            goto fail;
    }
    return fd;
fail:
    close(fd);
    return WECOM_ERR_CONNECT;
}

static int net_connect(void *ctx, const char *host, uint16_t port,
                       uint32_t timeout_ms)
{
    wecom_posix_net_t *net = ctx;
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    uint64_t deadline = mono_ms() + timeout_ms;
    int rc = WECOM_ERR_CONNECT;

    if (net->fd >= 0) {
        close(net->fd);
        net->fd = -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    /* No AI_ADDRCONFIG: it hides loopback addresses on a host whose only
     * interface is lo, as on a device before its uplink comes up. */
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", (unsigned)port);
    /* getaddrinfo() has no timeout of its own and cannot be cancelled
     * (getaddrinfo_a is glibc-only, a thread is not ours to start): it is
     * the one wait the caller's bound does not cover, documented in
     * wecom/posix.h. The resolver's settings (resolv.conf timeout and
     * attempts) bound it; the time it took is taken off the connect. */
    if (getaddrinfo(host, service, &hints, &res) != 0 || res == NULL)
        return WECOM_ERR_RESOLVE;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = connect_one(ai, deadline);
        if (fd >= 0) {
            int one = 1;
            /* Requests go out in whole buffers; Nagle would only hold the
             * last segment of each back for an ACK. */
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            net->fd = fd;
            rc = 0;
            break;
        }
        rc = fd;
        if (mono_ms() >= deadline) {
            rc = WECOM_ERR_TIMEOUT;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}

static int net_send(void *ctx, const unsigned char *buf, size_t len,
                    uint32_t timeout_ms)
{
    wecom_posix_net_t *net = ctx;
    if (net->fd < 0)
        return WECOM_ERR_CLOSED;
    if (len > INT_MAX)
        len = INT_MAX;
    for (;;) {
        ssize_t n = send(net->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0)
            return (int)n;
        if (errno == EINTR)
            continue;
        if (errno == EPIPE || errno == ECONNRESET)
            return WECOM_ERR_CLOSED;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return WECOM_ERR_IO;
        {
            int ev = wait_fd(net->fd, POLLOUT, timeout_ms);
            if (ev == 0)
                return WECOM_ERR_TIMEOUT;
            if (ev < 0)
                return WECOM_ERR_IO;
        }
    }
}

static int net_recv(void *ctx, unsigned char *buf, size_t len,
                    uint32_t timeout_ms)
{
    wecom_posix_net_t *net = ctx;
    if (net->fd < 0)
        return WECOM_ERR_CLOSED;
    if (len > INT_MAX)
        len = INT_MAX;
    for (;;) {
        ssize_t n = recv(net->fd, buf, len, 0);
        if (n >= 0)
            return (int)n;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET)
            return WECOM_ERR_CLOSED;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return WECOM_ERR_IO;
        {
            int ev = wait_fd(net->fd, POLLIN, timeout_ms);
            if (ev == 0)
                return WECOM_ERR_TIMEOUT;
            if (ev < 0)
                return WECOM_ERR_IO;
        }
    }
}

static int net_is_stale(void *ctx)
{
    wecom_posix_net_t *net = ctx;
    if (net->fd < 0)
        return 1;
    /* An idle kept-alive connection has nothing to read: readable means
     * the server closed it (EOF, a TLS alert) or broke the protocol. */
    return wait_fd(net->fd, POLLIN, 0) != 0;
}

static void net_close(void *ctx)
{
    wecom_posix_net_t *net = ctx;
    if (net->fd >= 0) {
        close(net->fd);
        net->fd = -1;
    }
}

static void net_cork(void *ctx, int on)
{
#if defined(TCP_CORK)
    wecom_posix_net_t *net = ctx;
    if (net->fd >= 0)
        (void)setsockopt(net->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
#else
    (void)ctx;
    (void)on;
#endif
}

void wecom_posix_transport(wecom_transport_t *t, wecom_posix_net_t *net)
{
    net->fd = -1;
    t->connect = net_connect;
    t->send = net_send;
    t->recv = net_recv;
    t->is_stale = net_is_stale;
    t->close = net_close;
    t->cork = net_cork;
    t->ctx = net;
}
