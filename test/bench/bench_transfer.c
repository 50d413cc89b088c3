/* SPDX-License-Identifier: MIT */
/*
 * One upload or download against a real HTTPS server, with the figures
 * a firmware engineer asks for: CPU time (user + system), heap peak,
 * handshakes and requests.
 *
 *   bench_transfer URL CAFILE upload FILE
 *   bench_transfer URL CAFILE download MEDIA_ID CHUNK_BYTES
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "heap_meter.h"
#include "wecom/media.h"
#include "wecom/posix.h"

static wecom_client_t client;

static double sys_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int null_write(void *ctx, const unsigned char *b, size_t n)
{
    (void)ctx;
    (void)b;
    (void)n;
    return 0;
}

int main(int argc, char **argv)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    wecom_client_config_t cfg;
    size_t base;
    double t0, t, s0;
    wecom_err_t rc;

    if (argc < 5) {
        fprintf(stderr, "usage: %s URL CAFILE upload FILE | download MEDIA_ID CHUNK\n", argv[0]);
        return 2;
    }
    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&port, &net);
    cfg.base_url = argv[1];
    cfg.port = &port;
    cfg.tls.ca_file = argv[2];
    if (wecom_client_init(&client, &cfg) != WECOM_OK ||
        wecom_client_set_token(&client, "bench-token") != WECOM_OK)
        return 1;
    /* Open the connection first (a GET nginx answers 404): the figure is
     * for moving the bytes; the handshake is timed on its own. */
    {
        wecom_http_request_t req;
        wecom_http_response_t resp;
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.target = "/warm-up";
        t0 = cpu_s();
        if (wecom__http_exchange(&wecom__client(&client)->http, &req, &resp, NULL) != WECOM_OK)
            return 1;
        printf("connect cpu_ms=%.2f (TCP, TLS handshake, one small request)\n",
               (cpu_s() - t0) * 1e3);
    }
    base = heap_in_use();
    heap_reset_peak();
    t0 = cpu_s();
    s0 = sys_s();
    if (strcmp(argv[3], "upload") == 0) {
        wecom_reader_t r;
        wecom_posix_fd_t f;
        wecom_upload_t up;
        wecom_upload_result_t res;
        struct stat st;
        int fd = open(argv[4], O_RDONLY);
        if (fd < 0 || fstat(fd, &st) != 0)
            return 1;
        wecom_posix_reader(&r, &f, fd);
        memset(&up, 0, sizeof up);
        up.kind = WECOM_KIND_FILE;
        up.reader = &r;
        up.length = (uint64_t)st.st_size;
        up.filename = argv[4];
        rc = wecom_media_upload(&client, &up, &res);
        t = cpu_s() - t0;
        printf("upload bytes=%lld cpu_ms=%.2f sys_ms=%.2f heap_peak=%zu handshakes=%lu rc=%s\n",
               (long long)st.st_size, t * 1e3, (sys_s() - s0) * 1e3, heap_peak() - base,
               wecom_client_handshakes(&client), wecom_errname(rc));
        close(fd);
    } else {
        wecom_writer_t w = { null_write, NULL };
        wecom_download_t dl;
        wecom_download_result_t res;
        memset(&dl, 0, sizeof dl);
        dl.media_id = argv[4];
        dl.writer = &w;
        dl.chunk = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
        rc = wecom_media_download(&client, &dl, &res);
        t = cpu_s() - t0;
        printf("download bytes=%llu cpu_ms=%.2f sys_ms=%.2f heap_peak=%zu handshakes=%lu requests=%u rc=%s\n",
               (unsigned long long)res.total, t * 1e3, (sys_s() - s0) * 1e3, heap_peak() - base,
               wecom_client_handshakes(&client), res.requests, wecom_errname(rc));
    }
    wecom_client_free(&client);
    return rc == WECOM_OK ? 0 : 1;
}
