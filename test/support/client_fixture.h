/* SPDX-License-Identifier: MIT */
/* A real wecom_client_t whose HTTP engine talks to an in-memory stream:
 * upload and download logic tested against exact wire bytes. Entropy is
 * a counting pattern (so the multipart boundary is fixed) and sleeps are
 * only counted. */
#ifndef CLIENT_FIXTURE_H
#define CLIENT_FIXTURE_H

#include "client.h"
#include "mem_stream.h"
#include "wecom/media.h"
#include "wecom/posix.h"

#define FIXTURE_TOKEN "tok_FIXTURE-0123456789"
#define FIXTURE_BOUNDARY "wecom-media-000102030405060708090a0b0c0d0e0f"

typedef struct client_fixture {
    wecom_client_t client;
    wecom_port_t port;
    wecom_posix_net_t net;
    mem_stream_t mem;
    unsigned char sent[1 << 20];
    unsigned sleeps;
    uint32_t slept_ms;
} client_fixture_t;

/* Set up f (static storage: it is large) with responses split as given. */
void client_fixture_init(client_fixture_t *f, enum mem_split split);
void client_fixture_free(client_fixture_t *f);

/* A writer into memory. */
typedef struct mem_sink {
    unsigned char data[1 << 20];
    size_t len;
    wecom_writer_t writer;
} mem_sink_t;
void mem_sink_init(mem_sink_t *s);

/* A reader over memory. */
typedef struct mem_source {
    const unsigned char *data;
    size_t len;
    int once;
    wecom_reader_t reader;
} mem_source_t;
void mem_source_init(mem_source_t *s, const void *data, size_t len);

/* The number of times needle occurs in hay. */
int count_occurrences(const unsigned char *hay, size_t hay_len, const char *needle);

#endif
