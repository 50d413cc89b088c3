/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "certs.h"
#include "client_fixture.h"

static int counting_entropy(void *ctx, unsigned char *buf, size_t len)
{
    size_t i;
    (void)ctx;
    for (i = 0; i < len; i++)
        buf[i] = (unsigned char)i;
    return 0;
}

static client_fixture_t *g_current;

static void counting_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    g_current->sleeps++;
    g_current->slept_ms += ms;
}

void client_fixture_init(client_fixture_t *f, enum mem_split split)
{
    static test_cert_t ca;
    static int have_ca;
    wecom_client_config_t cfg;
    wecom_stream_t s;

    if (!have_ca) {
        assert_int_equal(certs_make_ca(&ca, "fixture CA"), 0);
        have_ca = 1;
    }
    if (wecom__client(&f->client)->port != NULL) { /* set up before and not freed */
        wecom_client_free(&f->client);
        wecom_posix_net_free(&f->net);
    }
    memset(f, 0, sizeof *f);
    g_current = f;
    wecom_posix_port_init(&f->port, &f->net);
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = "https://qyapi.example";
    cfg.port = &f->port;
    cfg.tls.ca_pem = (const unsigned char *)ca.cert_pem;
    cfg.tls.ca_pem_len = strlen(ca.cert_pem) + 1;
    assert_int_equal(wecom_client_init(&f->client, &cfg), WECOM_OK);
    /* After init: the DRBG was seeded from the real source. */
    f->port.entropy = counting_entropy;
    f->port.sleep_ms = counting_sleep;
    assert_int_equal(wecom_client_set_token(&f->client, FIXTURE_TOKEN), WECOM_OK);
    mem_stream_init(&f->mem, split, 1, f->sent, sizeof f->sent);
    mem_stream_bind(&f->mem, &s);
    wecom__client(&f->client)->http.stream = s;
}

void client_fixture_free(client_fixture_t *f)
{
    wecom_client_free(&f->client);
    wecom_posix_net_free(&f->net); /* its wake-up pipe */
}

static int sink_write(void *ctx, const unsigned char *buf, size_t len)
{
    mem_sink_t *s = ctx;
    if (len > sizeof s->data - s->len)
        return WECOM_ERR_FILE_WRITE;
    memcpy(s->data + s->len, buf, len);
    s->len += len;
    return 0;
}

void mem_sink_init(mem_sink_t *s)
{
    s->len = 0;
    s->writer.write = sink_write;
    s->writer.ctx = s;
}

static int source_read(void *ctx, uint64_t off, unsigned char *buf, size_t len)
{
    mem_source_t *s = ctx;
    size_t n;
    if (off >= s->len)
        return 0;
    n = s->len - (size_t)off;
    if (n > len)
        n = len;
    memcpy(buf, s->data + off, n);
    return (int)n;
}

void mem_source_init(mem_source_t *s, const void *data, size_t len)
{
    s->data = data;
    s->len = len;
    s->reader.read_at = source_read;
    s->reader.ctx = s;
    s->reader.once = 0;
}

int count_occurrences(const unsigned char *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle), i;
    int count = 0;
    for (i = 0; n > 0 && i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            count++;
    return count;
}
