/* SPDX-License-Identifier: MIT */
/*
 * TCP transport for POSIX: getaddrinfo() for IPv4 and IPv6, non-blocking
 * sockets with poll() so that every wait has a bound, and no SIGPIPE.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
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

#include "posix_internal.h"
#include "wecom/config.h"
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

/* Let a wait that sees no wake-up pipe look at the cancel flag this often. */
static int slice_of(const wecom_posix_net_t *net, int left)
{
    if (net->wake[0] < 0 && left > (int)WECOM_CANCEL_SLICE_MS)
        return (int)WECOM_CANCEL_SLICE_MS;
    return left;
}

/* Empty the wake-up pipe; it is non-blocking. */
static void drain_wake(wecom_posix_net_t *net)
{
    unsigned char junk[64];
    while (read(net->wake[0], junk, sizeof junk) > 0)
        ;
}

/* Wait for events on fd (or, with fd < 0, for nothing but a cancel) for
 * at most timeout_ms, restarting on EINTR with the time that is left, and
 * watching the wake-up pipe beside it. Returns the revents, 0 on timeout,
 * WECOM_ERR_CANCELLED once cancelled, WECOM_ERR_IO on error. */
static int wait_fd(wecom_posix_net_t *net, int fd, short events,
                   uint32_t timeout_ms)
{
    uint64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        struct pollfd p[2];
        nfds_t n = 0, w = 2;
        uint64_t now = mono_ms(), d = now >= deadline ? 0 : deadline - now;
        int left = d > INT_MAX ? INT_MAX : (int)d, slice = slice_of(net, left);
        int rc;
        if (net->cancelled)
            return WECOM_ERR_CANCELLED;
        if (fd >= 0) {
            p[n].fd = fd;
            p[n].events = events;
            p[n++].revents = 0;
        }
        if (net->wake[0] >= 0) {
            w = n;
            p[n].fd = net->wake[0];
            p[n].events = POLLIN;
            p[n++].revents = 0;
        }
        rc = poll(p, n, slice);
        if (rc < 0) {
            if (errno == EINTR)
                continue; /* the flag is looked at again above */
            return WECOM_ERR_IO;
        }
        if (w < n && p[w].revents != 0) {
            if (net->cancelled)
                return WECOM_ERR_CANCELLED;
            /* A byte left over from a cancel that was cleared since. */
            drain_wake(net);
            continue;
        }
        if (fd >= 0 && p[0].revents != 0)
            return p[0].revents;
        if (rc == 0 && slice == left)
            return 0;
    }
}

/* Non-blocking and close-on-exec: sockets and the wake-up pipe. */
static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* One connect attempt to one address: the socket or a negative error. */
static int connect_one(wecom_posix_net_t *net, const struct addrinfo *ai,
                       uint64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int rc = WECOM_ERR_CONNECT;
    /* inet_ntop, not getnameinfo: the same text for a numeric address,
     * without the resolver's deep stack (it set the library's stack peak). */
    const void *a = ai->ai_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        inet_ntop(ai->ai_family, a, net->addr, sizeof net->addr) == NULL)
        net->addr[0] = '\0';
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
        int ev = wait_fd(net, fd, POLLOUT, left);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (ev == 0 || ev == WECOM_ERR_CANCELLED) {
            rc = ev == 0 ? WECOM_ERR_TIMEOUT : ev;
            goto fail;
        }
        if (ev < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
            soerr != 0)
            goto fail;
    }
    return fd;
fail:
    close(fd);
    return rc;
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
    if (net->cancelled)
        return WECOM_ERR_CANCELLED;
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
        int fd = connect_one(net, ai, deadline);
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
        if (rc == WECOM_ERR_CANCELLED)
            break;
        if (mono_ms() >= deadline) {
            rc = WECOM_ERR_TIMEOUT;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}

/* One send (out) or receive (in) of up to len bytes, waiting at most
 * timeout_ms for the socket to be ready. */
static int net_io(wecom_posix_net_t *net, const unsigned char *out,
                  unsigned char *in, size_t len, uint32_t timeout_ms)
{
    if (net->fd < 0)
        return WECOM_ERR_CLOSED;
    if (net->cancelled)
        return WECOM_ERR_CANCELLED;
    if (len > INT_MAX)
        len = INT_MAX;
    for (;;) {
        ssize_t n = out != NULL ? send(net->fd, out, len, MSG_NOSIGNAL)
                                : recv(net->fd, in, len, 0);
        int ev;
        if (n >= 0)
            return (int)n;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET || (out != NULL && errno == EPIPE))
            return WECOM_ERR_CLOSED;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return WECOM_ERR_IO;
        ev = wait_fd(net, net->fd, out != NULL ? POLLOUT : POLLIN, timeout_ms);
        if (ev == 0)
            return WECOM_ERR_TIMEOUT;
        if (ev < 0)
            return ev;
    }
}

static int net_send(void *ctx, const unsigned char *buf, size_t len,
                    uint32_t timeout_ms)
{
    return net_io(ctx, buf, NULL, len, timeout_ms);
}

static int net_recv(void *ctx, unsigned char *buf, size_t len,
                    uint32_t timeout_ms)
{
    return net_io(ctx, NULL, buf, len, timeout_ms);
}

static int net_is_stale(void *ctx)
{
    wecom_posix_net_t *net = ctx;
    if (net->fd < 0)
        return 1;
    /* An idle kept-alive connection has nothing to read: readable means
     * the server closed it (EOF, a TLS alert) or broke the protocol. */
    {
        struct pollfd p = { net->fd, POLLIN, 0 };
        return poll(&p, 1, 0) != 0;
    }
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

/* Async-signal-safe: a store to a sig_atomic_t and a write() to a
 * non-blocking pipe (a full pipe already wakes every poll), with errno
 * kept for the code the signal interrupted. */
static void net_cancel(void *ctx)
{
    wecom_posix_net_t *net = ctx;
    int saved = errno;
    net->cancelled = 1;
    if (net->wake[1] >= 0) {
        static const unsigned char one = 1;
        (void)!write(net->wake[1], &one, 1);
    }
    errno = saved;
}

static void net_cancel_clear(void *ctx)
{
    wecom_posix_net_t *net = ctx;
    net->cancelled = 0;
    if (net->wake[0] >= 0)
        drain_wake(net);
}

void wecom__posix_sleep(wecom_posix_net_t *net, uint32_t ms)
{
    (void)wait_fd(net, -1, 0, ms);
}

/* The self-pipe that wakes a wait on cancel. Without one (out of
 * descriptors) waits fall back to WECOM_CANCEL_SLICE_MS slices. */
static void open_wake(wecom_posix_net_t *net)
{
    net->wake[0] = net->wake[1] = -1;
    if (pipe(net->wake) != 0) {
        net->wake[0] = net->wake[1] = -1;
        return;
    }
    if (set_nonblocking(net->wake[0]) != 0 || set_nonblocking(net->wake[1]) != 0) {
        close(net->wake[0]);
        close(net->wake[1]);
        net->wake[0] = net->wake[1] = -1;
    }
}

void wecom_posix_net_free(wecom_posix_net_t *net)
{
    /* Zeroed storage that was never set up holds wake[0] == wake[1] == 0:
     * a real pipe has two descriptors, a failed one -1 and -1. Closing
     * "its" descriptors would close the process's fd 0. */
    if (net == NULL || (net->wake[0] == net->wake[1] && net->wake[0] >= 0))
        return;
    net_close(net);
    if (net->wake[0] >= 0)
        close(net->wake[0]);
    if (net->wake[1] >= 0)
        close(net->wake[1]);
    net->wake[0] = net->wake[1] = -1;
}

void wecom_posix_transport(wecom_transport_t *t, wecom_posix_net_t *net)
{
    if (t == NULL || net == NULL)
        return;
    net->fd = -1;
    net->cancelled = 0;
    net->addr[0] = '\0';
    open_wake(net);
    t->connect = net_connect;
    t->send = net_send;
    t->recv = net_recv;
    t->is_stale = net_is_stale;
    t->close = net_close;
    t->cork = net_cork;
    t->cancel = net_cancel;
    t->cancel_clear = net_cancel_clear;
    t->ctx = net;
}
