/* SPDX-License-Identifier: MIT */
/*
 * A port of wecom-media to a network stack without POSIX sockets: the
 * skeleton docs/firmware.md walks through. Copy it, then replace each
 * "stack_" / "board_" call with your stack's and board's (lwIP's raw or
 * netconn API, a modem's AT socket commands, an RTOS's TCP). The client
 * needs nothing else from the system: no file, no heap of its own, no
 * thread.
 *
 * Rules each function must keep (include/wecom/port.h has them all):
 * - connect/send/recv wait at most timeout_ms, then WECOM_ERR_TIMEOUT;
 * - recv returns 0 only when the peer closed the connection;
 * - errors are negative wecom_err_t values, never errno;
 * - now_ms is monotonic (never the wall clock, which NTP moves);
 * - entropy is a cryptographic source (a hardware TRNG): TLS keys come
 *   from it.
 *
 * This file compiles as it is, so that it cannot drift from port.h; the
 * test beside it (port_skeleton_test.c) runs a client on it.
 */
#include <stddef.h>
#include <stdint.h>

#include "port_skeleton.h"

/* ---- what the board and the stack provide (declared here, yours to write) */
extern int board_rng_fill(unsigned char *buf, size_t len); /* 0 or -1 */
extern uint64_t board_ticks_ms(void);                      /* monotonic */
extern void board_delay_ms(uint32_t ms);
extern int stack_connect(const char *host, uint16_t port, uint32_t timeout_ms);
extern int stack_send(int sock, const unsigned char *buf, size_t len, uint32_t timeout_ms);
extern int stack_recv(int sock, unsigned char *buf, size_t len, uint32_t timeout_ms);
extern void stack_close(int sock);

/* Each stack call returns >= 0 or one of these. */
#define STACK_TIMEOUT (-2)
#define STACK_CLOSED (-3)

static int map(int rc)
{
    if (rc >= 0)
        return rc;
    if (rc == STACK_TIMEOUT)
        return WECOM_ERR_TIMEOUT;
    if (rc == STACK_CLOSED)
        return WECOM_ERR_CLOSED;
    return WECOM_ERR_IO;
}

static int sk_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    skeleton_net_t *n = ctx;
    int s = stack_connect(host, port, timeout_ms); /* resolve + connect */
    if (s < 0)
        return s == STACK_TIMEOUT ? WECOM_ERR_TIMEOUT : WECOM_ERR_CONNECT;
    n->sock = s;
    n->stale = 0;
    return 0;
}

static int sk_send(void *ctx, const unsigned char *buf, size_t len, uint32_t timeout_ms)
{
    skeleton_net_t *n = ctx;
    int rc = stack_send(n->sock, buf, len, timeout_ms);
    if (rc < 0)
        n->stale = 1;
    return map(rc);
}

static int sk_recv(void *ctx, unsigned char *buf, size_t len, uint32_t timeout_ms)
{
    skeleton_net_t *n = ctx;
    int rc = stack_recv(n->sock, buf, len, timeout_ms);
    if (rc == 0 || rc == STACK_CLOSED) {
        n->stale = 1;
        return 0; /* the peer closed */
    }
    return map(rc);
}

/* Before reusing a kept-alive connection: has the peer closed it? A stack
 * that cannot tell without blocking may answer 0; the client then finds
 * out on its next send or recv and reconnects. */
static int sk_is_stale(void *ctx)
{
    const skeleton_net_t *n = ctx;
    return n->sock < 0 || n->stale;
}

static void sk_close(void *ctx)
{
    skeleton_net_t *n = ctx;
    if (n->sock >= 0)
        stack_close(n->sock);
    n->sock = -1;
}

static uint64_t sk_now_ms(void *ctx)
{
    (void)ctx;
    return board_ticks_ms();
}

static int sk_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return board_rng_fill(buf, len) == 0 ? 0 : WECOM_ERR_ENTROPY;
}

static void sk_sleep_ms(void *ctx, uint32_t ms)
{
    (void)ctx;
    board_delay_ms(ms);
}

void skeleton_port_init(wecom_port_t *port, skeleton_net_t *net)
{
    net->sock = -1;
    net->stale = 1;
    port->transport.connect = sk_connect;
    port->transport.send = sk_send;
    port->transport.recv = sk_recv;
    port->transport.is_stale = sk_is_stale;
    port->transport.close = sk_close;
    port->transport.cork = NULL;         /* optional */
    port->transport.cancel = NULL;       /* optional: see port.h */
    port->transport.cancel_clear = NULL;
    port->transport.ctx = net;
    port->now_ms = sk_now_ms;
    port->entropy = sk_entropy;
    port->sleep_ms = sk_sleep_ms;
    port->sys_ctx = NULL;
}
