/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 over a byte stream, in the caller's fixed buffer.
 *
 * One request at a time: the head and body go out through the buffer, the
 * response comes back through it into llhttp, its known headers into fixed
 * slots and its body to a sink as it arrives. A connection is kept for the
 * next request when the server allows it, and replaced when the server
 * closed it in between. Limits on header bytes, header count and interim
 * (1xx) responses fail with their own errors; nothing grows. Headers that
 * only inform (Content-Type, Content-Disposition, ETag, Last-Modified) are
 * dropped when they do not fit, never an error; Content-Encoding is kept
 * so that a coded body is never taken for the medium. Private to the
 * library.
 */
#ifndef WECOM_HTTP_H
#define WECOM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/media.h" /* WECOM_HTTP_DROPPED_* */

#ifdef __cplusplus
extern "C" {
#endif

/* A connection the HTTP engine can open, use and close: TLS in the client,
 * memory in tests. */
typedef struct wecom_stream {
    /* Connect (again). 0 or error. */
    int (*open)(void *ctx);
    /* Send all len bytes: 0 or error. */
    int (*send)(void *ctx, const unsigned char *buf, size_t len);
    /* Receive: count (> 0), 0 when the peer ended the stream cleanly (TLS
     * close_notify), or error: WECOM_ERR_CLOSED for a close without that
     * end (a TCP FIN or reset), which cuts a body that runs to the close. */
    int (*recv)(void *ctx, unsigned char *buf, size_t len);
    /* 1 when open and fit for another request. */
    int (*usable)(void *ctx);
    void (*close)(void *ctx);
    /* Optional: hold back (1) and flush (0) partial packets around a
     * request written in many pieces. */
    void (*cork)(void *ctx, int on);
    void *ctx;
} wecom_stream_t;

typedef struct wecom_http_response {
    int status;
    int64_t content_length; /* -1 when the response has none */
    int chunked;
    int keep_alive;         /* the connection may carry another request */
    char content_type[WECOM_HTTP_CONTENT_TYPE_MAX];
    char content_range[WECOM_HTTP_CONTENT_RANGE_MAX];
    char content_disposition[WECOM_HTTP_DISPOSITION_MAX];
    char etag[WECOM_HTTP_ETAG_MAX];
    char last_modified[WECOM_HTTP_DATE_MAX];
    /* Content-Encoding: "" when absent; one too long to keep or sent
     * twice reads "?", never "identity". */
    char content_encoding[24];
    /* Headers that only inform and were dropped (their slot left empty)
     * because they did not fit or came twice: WECOM_HTTP_DROPPED_* bits. */
    unsigned dropped;
    uint64_t body_bytes;    /* body bytes handed to the sink */
} wecom_http_response_t;


/* Where the response goes. Either function may be NULL; a non-zero return
 * stops the exchange, which then returns that value. */
typedef struct wecom_http_sink {
    /* The status and headers are complete; the body has not started. */
    int (*on_headers)(void *ctx, const wecom_http_response_t *resp);
    int (*on_body)(void *ctx, const unsigned char *data, size_t len);
    void *ctx;
} wecom_http_sink_t;

typedef struct wecom_http_request {
    const char *method;  /* "GET", "POST" */
    const char *target;  /* origin-form: path and query */
    /* Further header lines, each ending in CRLF, or NULL. */
    const char *headers;
    /* With body_read set, a body of exactly body_len bytes; it is read by
     * offset so that a request resent on a fresh connection is whole. */
    int (*body_read)(void *ctx, uint64_t offset, unsigned char *buf,
                     size_t len);
    void *body_ctx;
    uint64_t body_len;
    /* Called as body bytes go out (sent, total); non-zero cancels. */
    int (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} wecom_http_request_t;

/* llhttp's parser state (96 bytes in llhttp 8 and 9 on 64-bit
 * systems), held as opaque storage so that users of these headers need
 * no llhttp headers; core/wire/http_response.c checks at compile time that it
 * fits. */
typedef union wecom_llhttp_state {
    unsigned char bytes[WECOM_LLHTTP_STATE_SIZE];
    void *align_ptr;
    uint64_t align_u64;
} wecom_llhttp_state_t;

typedef struct wecom_http {
    wecom_llhttp_state_t parser;
    wecom_stream_t stream;
    unsigned char *buf;
    size_t buf_size;
    char host_header[WECOM_HOST_MAX + 8]; /* host[:port] */
    size_t max_header_bytes;
    unsigned max_headers;
    unsigned max_interim;   /* 1xx responses accepted before the final one */
    int is_open;
    unsigned long connects; /* connections opened since init */
    /* 1 once the last request's head and body were all handed to the
     * stream: from then on the server may have acted on it (stored an
     * upload), so a lost answer must not lead to sending it again. */
    int request_sent;
    /* state of the response being read */
    wecom_http_response_t *resp;
    const wecom_http_sink_t *sink;
    int slot;               /* which known header the value is for */
    size_t slot_len;
    char name[24];          /* header name so far, lower case */
    size_t name_len;
    size_t header_bytes;
    unsigned header_count;
    unsigned interim;       /* 1xx responses read for this request */
    uint32_t seen;          /* known headers seen, to catch duplicates */
    int error;              /* first error met inside a callback */
    int complete;
} wecom_http_t;

/* Set up the engine over a stream and the caller's buffer. host and port
 * make the Host header (the port is left out when it is 443). */
wecom_err_t wecom__http_init(wecom_http_t *h, const wecom_stream_t *stream,
                            unsigned char *buf, size_t buf_size,
                            const char *host, uint16_t port);

/* Send one request and read its response into resp, the body to sink.
 * A kept connection that turns out closed before any response byte is
 * replaced and the request sent once more, unless it has a body that
 * already went out whole (h->request_sent): that one is never repeated
 * here, since the server may have acted on it. */
wecom_err_t wecom__http_exchange(wecom_http_t *h,
                                const wecom_http_request_t *req,
                                wecom_http_response_t *resp,
                                const wecom_http_sink_t *sink);

/* Close the connection, if any. */
void wecom__http_close(wecom_http_t *h);

#ifdef __cplusplus
}
#endif

#endif /* WECOM_HTTP_H */
