/* SPDX-License-Identifier: MIT */
/*
 * An HTTP CONNECT tunnel (RFC 9110, 9.3.6) between the transport and TLS:
 * after the TCP connect to the proxy, ask it for a tunnel to the server,
 * read its answer, and hand the connection to TLS, which then verifies
 * the server's certificate for the server's name, never the proxy's.
 *
 * The proxy is treated as hostile: its answer is parsed a byte at a time
 * against WECOM_PROXY_HEAD_MAX and nothing of it is stored but the status;
 * each wait has the caller's bounds. Private to the library.
 */
#ifndef WECOM_CORE_PROXY_H
#define WECOM_CORE_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/config.h"
#include "wecom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Base64 of WECOM_PROXY_CREDENTIALS_MAX bytes, and its NUL. */
#define WECOM__PROXY_AUTH_SIZE (4 * ((WECOM_PROXY_CREDENTIALS_MAX + 2) / 3) + 1)

/* Where the tunnel goes through. port 0: no proxy. */
typedef struct wecom__proxy {
    char host[WECOM_HOST_MAX];
    uint16_t port;
    int status;                        /* the last answer's, 0: none yet */
    char auth[WECOM__PROXY_AUTH_SIZE]; /* base64 of user:password, or "" */
} wecom__proxy_t;

/* The answer's reader: a state machine fed any split of the bytes. */
typedef struct wecom__proxy_answer {
    unsigned state;
    unsigned pos;      /* within the status line's fixed parts */
    int status;
    size_t bytes;      /* of the head so far */
} wecom__proxy_answer_t;

/* The byte streams the tunnel talks over (bounded by their owner):
 * send returns the count sent (> 0) or an error, recv the count, 0 at the
 * peer's close, or an error; pending (may be NULL) 1 when bytes are
 * waiting to be read, without waiting. */
typedef struct wecom__proxy_io {
    int (*send)(void *ctx, const unsigned char *buf, size_t len);
    int (*recv)(void *ctx, unsigned char *buf, size_t len);
    int (*pending)(void *ctx);
    void *ctx;
} wecom__proxy_io_t;

/* Set the proxy (host: a name or an IP literal without brackets, port
 * 1..65535) and its credentials (user and password both, or neither;
 * user without ':'). WECOM_ERR_INVALID_ARG for anything out of bounds;
 * p is then left without a proxy. */
wecom_err_t wecom__proxy_set(wecom__proxy_t *p, const char *host,
                            uint16_t port, const char *user,
                            const char *password);

/* Forget the proxy, the credentials wiped. */
void wecom__proxy_clear(wecom__proxy_t *p);

void wecom__proxy_answer_init(wecom__proxy_answer_t *a);

/* Feed up to len bytes of the answer. *used is how many belong to its
 * head. Returns 1 once the head ended (status in a->status), 0 when more
 * is needed, WECOM_ERR_PROXY_PROTOCOL for a malformed head or one longer
 * than WECOM_PROXY_HEAD_MAX. */
int wecom__proxy_answer_feed(wecom__proxy_answer_t *a, const unsigned char *buf,
                            size_t len, size_t *used);

/* Ask for a tunnel to host:port over io and read the answer: WECOM_OK for
 * a 2xx, WECOM_ERR_PROXY_AUTH for 407, WECOM_ERR_PROXY_REFUSED for any
 * other status (p->status holds it), WECOM_ERR_PROXY_PROTOCOL for a
 * malformed answer or bytes after a 2xx's head, read with it or waiting
 * (they would be taken for the server's), WECOM_ERR_CLOSED when the proxy closed before answering,
 * or io's error. */
wecom_err_t wecom__proxy_connect(wecom__proxy_t *p, const wecom__proxy_io_t *io,
                                const char *host, uint16_t port);

#ifdef __cplusplus
}
#endif

#endif
