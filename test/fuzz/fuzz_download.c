/* SPDX-License-Identifier: MIT */
/* The download engine against a hostile server: the input is up to eight
 * responses separated by a marker, answered in turn. Whatever they say,
 * the writer never gets more than the medium's announced size, and a
 * success means every byte arrived. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "client.h"
#include "mem_stream.h"
#include "wecom/media.h"
#include "wecom/posix.h"

static wecom_client_t client;
static wecom_port_t port;
static wecom_posix_net_t net;
static uint64_t written;

static int count_write(void *ctx, const unsigned char *b, size_t n)
{
    (void)ctx;
    (void)b;
    written += n;
    return 0;
}

static void no_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    (void)ms;
}

static void setup(void)
{
    static test_cert_t ca;
    wecom_client_config_t cfg;
    if (certs_make_ca(&ca, "fuzz CA") != 0)
        abort();
    wecom_posix_port_init(&port, &net);
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = "https://qyapi.example";
    cfg.port = &port;
    cfg.tls.ca_pem = (const unsigned char *)ca.cert_pem;
    cfg.tls.ca_pem_len = strlen(ca.cert_pem) + 1;
    if (wecom_client_init(&client, &cfg) != WECOM_OK ||
        wecom_client_set_token(&client, "fuzz-token") != WECOM_OK)
        abort();
    port.sleep_ms = no_sleep;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char MARK[] = "\n--8<--\n";
    static mem_stream_t m;
    static int ready;
    wecom_writer_t w = { count_write, NULL };
    wecom_download_t dl;
    wecom_download_result_t res;
    wecom_stream_t s;
    const uint8_t *p, *end;
    wecom_err_t rc;

    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 2)
        return 0;
    mem_stream_init(&m, (enum mem_split)(data[0] % 3), data[1], NULL, 0);
    p = data + 2;
    end = data + size;
    while (p < end && m.count < 8) {
        const uint8_t *hit = p;
        while (hit + sizeof MARK - 1 <= end && memcmp(hit, MARK, sizeof MARK - 1) != 0)
            hit++;
        if (hit + sizeof MARK - 1 > end)
            hit = end;
        mem_stream_add(&m, p, (size_t)(hit - p), data[0] & 0x40);
        p = hit == end ? end : hit + sizeof MARK - 1;
    }
    wecom__http_close(&wecom__client(&client)->http);
    mem_stream_bind(&m, &s);
    wecom__client(&client)->http.stream = s;

    memset(&dl, 0, sizeof dl);
    dl.media_id = "FUZZ";
    dl.writer = &w;
    dl.chunk = (data[0] & 0x20) ? 1 + data[1] * 7u : 0;
    written = 0;
    rc = wecom_media_download(&client, &dl, &res);
    if (res.written != written)
        abort();
    if (rc == WECOM_OK && written != res.total)
        abort();
    if (res.total != 0 && written > res.total)
        abort();
    if (strcmp(wecom_errname(rc), "WECOM_ERR_UNKNOWN") == 0)
        abort();
    return 0;
}
