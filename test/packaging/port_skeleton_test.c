/* SPDX-License-Identifier: MIT */
/*
 * Runs a client on the skeleton port with a scripted "stack": the upload
 * must reach the stack's connect with WeCom's host and port 443, and a
 * stack that cannot connect must give WECOM_ERR_CONNECT from the upload,
 * after the build's retries, each spaced by the board's delay.
 *   port_skeleton_test CA_FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <wecom/media.h>
#include <wecom/posix.h>

#include "port_skeleton.h"

static unsigned connects, delays;
static char seen_host[128];
static unsigned seen_port;
static uint64_t fake_ms;

/* The board: a real random source here (the host's), a fake clock. */
int board_rng_fill(unsigned char *buf, size_t len)
{
    return wecom_posix_entropy(NULL, buf, len) == 0 ? 0 : -1;
}
uint64_t board_ticks_ms(void) { return fake_ms; }
void board_delay_ms(uint32_t ms) { fake_ms += ms; delays++; }

/* The stack: refuses every connection. */
int stack_connect(const char *host, uint16_t port, uint32_t timeout_ms)
{
    (void)timeout_ms;
    connects++;
    snprintf(seen_host, sizeof seen_host, "%s", host);
    seen_port = port;
    return -1;
}
int stack_send(int sock, const unsigned char *buf, size_t len, uint32_t timeout_ms)
{
    (void)sock; (void)buf; (void)len; (void)timeout_ms;
    return -1;
}
int stack_recv(int sock, unsigned char *buf, size_t len, uint32_t timeout_ms)
{
    (void)sock; (void)buf; (void)len; (void)timeout_ms;
    return -1;
}
void stack_close(int sock) { (void)sock; }

static wecom_client_t client;

int main(int argc, char **argv)
{
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F',
                                         0, 1, 0xff, 0xd9};
    wecom_client_config_t cfg;
    wecom_port_t port;
    skeleton_net_t net;
    wecom_reader_t reader;
    wecom_mem_t mem;
    wecom_upload_t up;
    wecom_upload_result_t res;
    wecom_err_t rc;

    if (argc != 2) {
        fprintf(stderr, "usage: port_skeleton_test CA_FILE\n");
        return 2;
    }
    skeleton_port_init(&port, &net);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &port;
    cfg.tls.ca_file = argv[1];
    rc = wecom_client_init(&client, &cfg);
    if (rc != WECOM_OK) {
        fprintf(stderr, "init: %s\n", wecom_strerror(rc));
        return 1;
    }
    wecom_client_set_token(&client, "skeleton-token");
    wecom_mem_reader(&reader, &mem, jpeg, sizeof jpeg);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_IMAGE;
    up.reader = &reader;
    up.length = sizeof jpeg;
    up.filename = "photo.jpg";
    rc = wecom_media_upload(&client, &up, &res);
    wecom_client_free(&client);
    printf("upload: %s; stack connect called %u times (host %s, port %u), %u delays\n",
           wecom_strerror(rc), connects, seen_host, seen_port, delays);
    if (rc != WECOM_ERR_CONNECT || connects < 1 || seen_port != 443 ||
        strcmp(seen_host, "qyapi.weixin.qq.com") != 0 || delays + 1 < connects)
        return 1;
    return 0;
}
