/* SPDX-License-Identifier: MIT */
/*
 * multipart/form-data with one part, `media`, whose length is known before
 * a byte is sent (RFC 7578). The head and tail are built once; the file
 * between them is read by offset from the caller's reader, so the body
 * streams through the client's I/O buffer and a retry re-reads it whole.
 * Private to the library.
 */
#ifndef WECOM_MULTIPART_H
#define WECOM_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/config.h"
#include "wecom/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Boundary characters: RFC 2046 allows up to 70. */
#define WECOM_BOUNDARY_MAX 70

typedef struct wecom_multipart {
    /* head: delimiter, part headers; a name of WECOM_FILENAME_MAX bytes
     * may double when every byte is escaped */
    unsigned char head[2 * WECOM_FILENAME_MAX + WECOM_BOUNDARY_MAX + 192];
    size_t head_len;
    unsigned char tail[WECOM_BOUNDARY_MAX + 8];
    size_t tail_len;
    /* the request's Content-Type header line, CRLF included */
    char header[WECOM_BOUNDARY_MAX + 64];
    const wecom_reader_t *reader;
    uint64_t file_len;
} wecom_multipart_t;

/* Frame file_len bytes of r as part `media` named name (already cleaned,
 * see wecom__filename_clean) with the given part Content-Type. boundary is
 * 1 to 70 characters of [0-9A-Za-z'()+_,-./:=?]. */
wecom_err_t wecom__multipart_init(wecom_multipart_t *m, const char *boundary,
                                 const char *name, const char *part_type,
                                 const wecom_reader_t *r, uint64_t file_len);

/* The body's exact length: head, file and tail. */
uint64_t wecom__multipart_length(const wecom_multipart_t *m);

/* Body bytes at offset (a wecom_http_request_t body_read). */
int wecom__multipart_read(void *m, uint64_t offset, unsigned char *buf,
                         size_t len);

#ifdef __cplusplus
}
#endif

#endif /* WECOM_MULTIPART_H */
