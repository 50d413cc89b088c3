/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "mem_stream.h"

void mem_stream_init(mem_stream_t *m, enum mem_split split, uint32_t seed,
                     unsigned char *sent, size_t sent_cap)
{
    memset(m, 0, sizeof *m);
    m->split = split;
    m->seed = seed ? seed : 1;
    m->sent = sent;
    m->sent_cap = sent_cap;
}

void mem_stream_add(mem_stream_t *m, const void *data, size_t len,
                    int close_after)
{
    if (m->count < MEM_MAX_RESPONSES) {
        m->responses[m->count].data = data;
        m->responses[m->count].len = len;
        m->responses[m->count].close_after = close_after;
        m->count++;
    }
}

static uint32_t next_rand(mem_stream_t *m)
{
    m->seed = m->seed * 1103515245u + 12345u;
    return (m->seed >> 16) & 0x7fff;
}

/* Move to the next scripted response once the current one was served. */
static void advance(mem_stream_t *m)
{
    if (m->served) {
        m->cur++;
        m->pos = 0;
        m->served = 0;
    }
}

static int s_open(void *ctx)
{
    mem_stream_t *m = ctx;
    if (m->fail_open)
        return m->fail_open;
    m->open = 1;
    m->opens++;
    advance(m);
    return 0;
}

static int s_send(void *ctx, const unsigned char *buf, size_t len)
{
    mem_stream_t *m = ctx;
    if (!m->open)
        return WECOM_ERR_CLOSED;
    advance(m);
    if (m->sent != NULL) {
        size_t room = m->sent_cap - m->sent_len;
        size_t n = len < room ? len : room;
        memcpy(m->sent + m->sent_len, buf, n);
        m->sent_len += n;
    }
    return 0;
}

static int s_recv(void *ctx, unsigned char *buf, size_t len)
{
    mem_stream_t *m = ctx;
    const mem_response_t *r;
    size_t left, n;
    if (!m->open)
        return WECOM_ERR_CLOSED;
    if (m->cur >= m->count)
        return 0;
    r = &m->responses[m->cur];
    if (r->data == NULL) {
        m->served = 1;
        return 0;
    }
    left = r->len - m->pos;
    if (left == 0) {
        m->served = 1;
        return 0;
    }
    switch (m->split) {
    case MEM_BYTES:
        n = 1;
        break;
    case MEM_RANDOM:
        n = 1 + next_rand(m) % 97;
        break;
    default:
        n = left;
        break;
    }
    if (n > left)
        n = left;
    if (n > len)
        n = len;
    memcpy(buf, r->data + m->pos, n);
    m->pos += n;
    if (m->pos == r->len)
        m->served = 1;
    return (int)n;
}

static int s_usable(void *ctx)
{
    mem_stream_t *m = ctx;
    if (!m->open)
        return 0;
    /* the server announced a close after the response just read */
    if (m->served && m->cur < m->count && m->responses[m->cur].close_after)
        return 0;
    return 1;
}

static void s_close(void *ctx)
{
    mem_stream_t *m = ctx;
    if (m->open) {
        m->open = 0;
        m->closes++;
    }
}

void mem_stream_bind(mem_stream_t *m, wecom_stream_t *s)
{
    s->open = s_open;
    s->send = s_send;
    s->recv = s_recv;
    s->usable = s_usable;
    s->close = s_close;
    s->cork = NULL;
    s->ctx = m;
}
