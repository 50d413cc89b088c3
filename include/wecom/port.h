/*
 * The platform interface: everything wecom-media needs from the system.
 *
 * core/ reaches the operating system only through these function pointers,
 * so a port is a short list of functions and tests can run without sockets.
 * port/posix/ implements them for Linux and other POSIX systems.
 *
 * Return values: a count of bytes (> 0), 0 where stated, or a negative
 * wecom_err_t. Lengths above INT_MAX are cut to INT_MAX by the callee.
 */
#ifndef WECOM_PORT_H
#define WECOM_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A byte stream to one host: TCP on POSIX. */
typedef struct wecom_transport {
    /* Resolve host (a name, an IPv4 or an IPv6 literal) and connect to the
     * first address that answers within timeout_ms overall. 0 or error. */
    int (*connect)(void *ctx, const char *host, uint16_t port,
                   uint32_t timeout_ms);
    /* Send up to len bytes; waits at most timeout_ms for the socket to
     * accept any. Returns the count sent (> 0) or an error. */
    int (*send)(void *ctx, const unsigned char *buf, size_t len,
                uint32_t timeout_ms);
    /* Receive up to len bytes; waits at most timeout_ms. Returns the count,
     * 0 when the peer closed the connection, or an error. */
    int (*recv)(void *ctx, unsigned char *buf, size_t len,
                uint32_t timeout_ms);
    /* 1 when the connection can no longer be used for a new request (the
     * peer closed it or sent something unasked), else 0. Never blocks. */
    int (*is_stale)(void *ctx);
    /* Close the connection; safe to call when not connected. */
    void (*close)(void *ctx);
    /* Optional (may be NULL): with on = 1, hold back partial segments
     * while a request goes out in many writes; with on = 0, send what is
     * held. Fewer, fuller packets cost less CPU per byte. */
    void (*cork)(void *ctx, int on);
    void *ctx;
} wecom_transport_t;

/* Everything a client needs from the platform. */
typedef struct wecom_port {
    wecom_transport_t transport;
    /* Milliseconds from a monotonic clock (not the wall clock). */
    uint64_t (*now_ms)(void *ctx);
    /* Fill buf with len bytes from a cryptographic source: 0 or error. The
     * signature is mbedTLS's entropy callback's. */
    int (*entropy)(void *ctx, unsigned char *buf, size_t len);
    /* Sleep for about ms milliseconds (backoff between retries). */
    void (*sleep_ms)(void *ctx, uint32_t ms);
    /* Context for now_ms, entropy and sleep_ms. */
    void *sys_ctx;
} wecom_port_t;

/* A source of bytes addressed by offset, so that a retried upload re-reads
 * from the start. A pipe can serve one pass only: reading an offset other
 * than the next one returns WECOM_ERR_NOT_REWINDABLE. */
typedef struct wecom_reader {
    /* Read up to len bytes at offset: count (> 0), 0 at the end, or error. */
    int (*read_at)(void *ctx, uint64_t offset, unsigned char *buf,
                   size_t len);
    void *ctx;
    /* 1 when the source can be read only once, front to back (a pipe):
     * an upload then checks its size only and cannot be retried. */
    int once;
} wecom_reader_t;

/* A sink of bytes. */
typedef struct wecom_writer {
    /* Write all len bytes: 0 or error. */
    int (*write)(void *ctx, const unsigned char *buf, size_t len);
    void *ctx;
} wecom_writer_t;

#ifdef __cplusplus
}
#endif

#endif /* WECOM_PORT_H */
