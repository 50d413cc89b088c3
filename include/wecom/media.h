/*
 * wecom-media: the WeCom temporary-media client.
 *
 * Lifecycle as in mbedTLS: wecom_client_init() ... wecom_client_free() on a
 * caller-owned wecom_client_t, which holds every buffer the client uses (it
 * can live in .bss). One client per thread; no global state.
 */
#ifndef WECOM_MEDIA_H
#define WECOM_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/config.h"
#include "wecom/error.h"
#include "wecom/http.h"
#include "wecom/port.h"
#include "wecom/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WECOM_DEFAULT_BASE_URL "https://qyapi.weixin.qq.com"

/* Longest access token WeCom issues (its documentation: 512 bytes). */
#ifndef WECOM_TOKEN_MAX
#define WECOM_TOKEN_MAX 512
#endif

/* Room for a request target: path, token, media_id and parameters. */
#ifndef WECOM_TARGET_MAX
#define WECOM_TARGET_MAX 1024
#endif

/* Longest path prefix a base URL may carry ("https://host/prefix"). */
#ifndef WECOM_BASE_PATH_MAX
#define WECOM_BASE_PATH_MAX 128
#endif

typedef struct wecom_client_config {
    /* "https://host[:port][/prefix]"; NULL for WECOM_DEFAULT_BASE_URL.
     * Only https is accepted. */
    const char *base_url;
    /* Trust anchors and timeouts. */
    wecom_tls_config_t tls;
    /* The platform; wecom_posix_port_init() fills one for POSIX. */
    const wecom_port_t *port;
} wecom_client_config_t;

typedef struct wecom_client {
    const wecom_port_t *port;
    wecom_tls_t tls;
    wecom_http_t http;
    uint16_t server_port;
    char host[WECOM_HOST_MAX];
    char base_path[WECOM_BASE_PATH_MAX];
    char token[WECOM_TOKEN_MAX + 1];
    char target[WECOM_TARGET_MAX];
    unsigned char io[WECOM_IO_BUF_SIZE];
} wecom_client_t;

/* Parse the base URL, set up TLS (loading the CA) and HTTP. */
wecom_err_t wecom_client_init(wecom_client_t *c,
                              const wecom_client_config_t *cfg);

/* Close the connection and release what mbedTLS holds. */
void wecom_client_free(wecom_client_t *c);

/* Set the access token sent with each call (copied; at most
 * WECOM_TOKEN_MAX bytes of URL-safe characters). */
wecom_err_t wecom_client_set_token(wecom_client_t *c, const char *token);

/* A bound on everything the client does until it is changed: an absolute
 * time on the port's monotonic clock in ms, or 0 for none. */
void wecom_client_set_deadline(wecom_client_t *c, uint64_t deadline_ms);

/* TLS handshakes done since init (full and resumed). */
unsigned long wecom_client_handshakes(const wecom_client_t *c);

#ifdef __cplusplus
}
#endif

#endif /* WECOM_MEDIA_H */
