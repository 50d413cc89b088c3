/* SPDX-License-Identifier: MIT */
/* An in-memory wecom_stream_t that plays scripted responses, handing them
 * out whole, byte by byte or in random splits, and records what was sent. */
#ifndef MEM_STREAM_H
#define MEM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

enum mem_split { MEM_WHOLE, MEM_BYTES, MEM_RANDOM };

#define MEM_MAX_RESPONSES 32

typedef struct mem_response {
    /* NULL: the connection turns out closed when the response is awaited */
    const unsigned char *data;
    size_t len;
    /* the server closes the connection after this response */
    int close_after;
} mem_response_t;

typedef struct mem_stream {
    mem_response_t responses[MEM_MAX_RESPONSES];
    int count;
    int cur;     /* response being read */
    size_t pos;  /* within it */
    int served;  /* the current one was read to its end */
    enum mem_split split;
    uint32_t seed;
    int open;
    int opens;
    int closes;
    int fail_open; /* open() returns this when non-zero */
    unsigned char *sent;
    size_t sent_cap;
    size_t sent_len;
} mem_stream_t;

void mem_stream_init(mem_stream_t *m, enum mem_split split, uint32_t seed,
                     unsigned char *sent, size_t sent_cap);
void mem_stream_add(mem_stream_t *m, const void *data, size_t len,
                    int close_after);
void mem_stream_bind(mem_stream_t *m, wecom_stream_t *s);

#endif
