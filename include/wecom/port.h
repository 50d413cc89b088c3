/* SPDX-License-Identifier: MIT */
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
    /* Optional (may be NULL): cancellation from outside. cancel makes the
     * wait in progress (connect, send, recv, and the port's sleep_ms) end
     * at once with WECOM_ERR_CANCELLED, and every later one too, until
     * cancel_clear. cancel must be async-signal-safe and callable from any
     * thread (POSIX: a flag and a byte written to a self-pipe that every
     * poll() watches); cancel_clear is called by the thread that owns the
     * client. Without them the client still checks its own flag between
     * waits and cuts each send and recv wait to WECOM_CANCEL_SLICE_MS. */
    void (*cancel)(void *ctx);
    void (*cancel_clear)(void *ctx);
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
    /* Sleep for about ms milliseconds (backoff between retries). Where
     * the transport has cancel, a cancel ends the sleep early. */
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

/* Memory as a reader or a writer, for a frame already in RAM or a medium
 * fetched into a caller's buffer: no file, no copy beyond the one into
 * the client's I/O buffer. Caller-owned, like the memory it points at. */
typedef struct wecom_mem {
    const unsigned char *in; /* reader: the bytes */
    unsigned char *out;      /* writer: the buffer */
    size_t len;              /* reader: bytes at in; writer: bytes filled */
    size_t cap;              /* writer: room at out */
} wecom_mem_t;

/* Make r read len bytes at buf, from any offset (so a retried upload
 * re-reads it). buf stays the caller's and must outlive the upload. */
WECOM_API void wecom_mem_reader(wecom_reader_t *r, wecom_mem_t *m, const void *buf,
                      size_t len);

/* Make w write into buf, which holds cap bytes; m->len counts the bytes
 * filled (0 to begin with; to resume a download, set it to the bytes
 * already held, the same as the download's offset). A write that does not
 * fit whole writes nothing and fails with WECOM_ERR_OUTPUT_FULL, so no
 * byte ever lands past buf + cap; the download then stops with that
 * error. To refuse a too-large medium before any byte moves, set the
 * download's max_bytes to cap as well. */
WECOM_API void wecom_mem_writer(wecom_writer_t *w, wecom_mem_t *m, void *buf,
                      size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* WECOM_PORT_H */
