/* SPDX-License-Identifier: MIT */
/*
 * The argument rule of wecom/media.h, for every public function: a NULL
 * where an object is needed, and a client or outbox that was never set up,
 * are refused (WECOM_ERR_INVALID_ARG, 0, "" or nothing done), never
 * dereferenced. Each function of the public headers has its CASE below
 * (test/check_contract.sh holds the list to the headers), run once for
 * each kind of client that is not set up: NULL, zeroed storage, storage
 * full of garbage, one whose init failed half-way, one already freed.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"
#include "wecom/media.h"
#include "wecom/outbox.h"
#include "wecom/posix.h"

static test_cert_t g_ca;
static wecom_port_t g_port;
static wecom_posix_net_t g_net;
static wecom_client_t g_client; /* the client under test, when not NULL */
static unsigned char g_buf[256];

static const char FILE_DATA[] = "FILE-BODY-MARKER-0123456789";

static wecom_client_config_t config(void)
{
    wecom_client_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = "https://qyapi.example";
    cfg.port = &g_port;
    cfg.tls.ca_pem = (const unsigned char *)g_ca.cert_pem;
    cfg.tls.ca_pem_len = strlen(g_ca.cert_pem) + 1;
    return cfg;
}

static int reader_read(void *ctx, uint64_t off, unsigned char *buf, size_t len)
{
    size_t n;
    (void)ctx;
    if (off >= sizeof FILE_DATA - 1)
        return 0;
    n = sizeof FILE_DATA - 1 - (size_t)off;
    n = n < len ? n : len;
    memcpy(buf, FILE_DATA + off, n);
    return (int)n;
}

static const wecom_reader_t g_reader = {reader_read, NULL, 0};

#if WECOM_DOWNLOAD
static int writer_write(void *ctx, const unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

static const wecom_writer_t g_writer = {writer_write, NULL};
#endif

static wecom_err_t provider(void *ctx, wecom_client_t *c, wecom_token_reason_t why)
{
    (void)ctx;
    (void)why;
    return wecom_client_set_token(c, "tok_PROVIDED-0123456789");
}

static int refresh(void *ctx, wecom_client_t *c)
{
    (void)ctx;
    (void)c;
    return 0;
}

static void log_request(void *ctx, const char *host, uint16_t port, const char *target)
{
    (void)ctx;
    (void)host;
    (void)port;
    (void)target;
}

static void on_retry(void *ctx, unsigned n, wecom_err_t rc, const wecom_api_error_t *api,
                     uint32_t delay)
{
    (void)ctx;
    (void)n;
    (void)rc;
    (void)api;
    (void)delay;
}

/* ------------------------------------------- the cases, one a function */

/* c: a client that is not set up (NULL or one of the kinds above). */
typedef void (*case_fn)(wecom_client_t *c);

static void case_wecom_client_init_checked(wecom_client_t *c)
{
    wecom_client_config_t cfg = config();
    assert_int_equal(wecom_client_init(NULL, &cfg), WECOM_ERR_INVALID_ARG);
    if (c == NULL)
        return;
    assert_int_equal(wecom_client_init(c, NULL), WECOM_ERR_INVALID_ARG);
    cfg.port = NULL;
    assert_int_equal(wecom_client_init(c, &cfg), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_client_free(wecom_client_t *c)
{
    wecom_client_free(c);
    wecom_client_free(c);
}

static void case_wecom_client_set_token(wecom_client_t *c)
{
    assert_int_equal(wecom_client_set_token(c, "tok_SET-0123456789"),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_client_set_token(c, NULL), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_client_set_token_ttl(wecom_client_t *c)
{
    assert_int_equal(wecom_client_set_token_ttl(c, "tok_SET-0123456789", 0),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_client_set_token_ttl(c, "tok_SET-0123456789", 7200),
                     WECOM_ERR_INVALID_ARG);
}

static void case_wecom_client_on_token_expiry(wecom_client_t *c)
{
    wecom_client_on_token_expiry(c, refresh, NULL);
    wecom_client_on_token_expiry(c, NULL, NULL);
}

static void case_wecom_client_on_retry(wecom_client_t *c)
{
    wecom_client_on_retry(c, on_retry, NULL);
}

static void case_wecom_client_set_retry(wecom_client_t *c)
{
    wecom_client_set_retry(c, 3, 1000);
}

static void case_wecom_client_set_deadline(wecom_client_t *c)
{
    wecom_client_set_deadline(c, 1000);
}

static void case_wecom_client_set_rate_limit(wecom_client_t *c)
{
    assert_int_equal(wecom_client_set_rate_limit(c, 1000), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_client_proxy_status(wecom_client_t *c)
{
    assert_int_equal(wecom_client_proxy_status(c), 0);
}

static void case_wecom_client_cancel(wecom_client_t *c)
{
    wecom_client_cancel(c);
}

static void case_wecom_client_cancel_clear(wecom_client_t *c)
{
    wecom_client_cancel_clear(c);
}

static void case_wecom_client_tls_error(wecom_client_t *c)
{
    assert_int_equal(wecom_client_tls_error(c), 0);
}

static void case_wecom_client_handshakes(wecom_client_t *c)
{
    assert_int_equal(wecom_client_handshakes(c), 0);
}

static void case_wecom_client_connections(wecom_client_t *c)
{
    assert_int_equal(wecom_client_connections(c), 0);
}

static void case_wecom_client_resumptions(wecom_client_t *c)
{
    assert_int_equal(wecom_client_resumptions(c), 0);
}

#if WECOM_SESSION_SAVE
static void case_wecom_client_session_save(wecom_client_t *c)
{
    size_t len = 99;
    assert_int_equal(wecom_client_session_save(c, g_buf, sizeof g_buf, &len),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(len, 0);
    assert_int_equal(wecom_client_session_save(c, g_buf, sizeof g_buf, NULL),
                     WECOM_ERR_INVALID_ARG);
}

static void case_wecom_client_session_load(wecom_client_t *c)
{
    memset(g_buf, 0, sizeof g_buf);
    memcpy(g_buf, "WMS\1", 4);
    assert_int_equal(wecom_client_session_load(c, g_buf, sizeof g_buf),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_client_session_load(c, NULL, 0), WECOM_ERR_INVALID_ARG);
}
#endif

static void case_wecom_client_token(wecom_client_t *c)
{
    const char *t = wecom_client_token(c);
    assert_non_null(t);
    assert_string_equal(t, "");
}

static void case_wecom_media_upload(wecom_client_t *c)
{
    wecom_upload_t up;
    wecom_upload_result_t res;
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_FILE;
    up.reader = &g_reader;
    up.length = sizeof FILE_DATA - 1;
    up.no_check = 1;
    assert_int_equal(wecom_media_upload(c, &up, &res), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_media_upload(c, NULL, NULL), WECOM_ERR_INVALID_ARG);
}

#if WECOM_TOKEN_FETCH
static void case_wecom_token_fetch(wecom_client_t *c)
{
    wecom_api_error_t api;
    int64_t life = 5;
    assert_int_equal(wecom_token_fetch(c, "corp", "secret-0123456789", &life, &api),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_token_fetch(c, NULL, NULL, NULL, NULL), WECOM_ERR_INVALID_ARG);
}
#endif

static void case_wecom_client_token_ttl(wecom_client_t *c)
{
    assert_int_equal(wecom_client_token_ttl(c), 0);
}

static void case_wecom_client_set_token_provider(wecom_client_t *c)
{
    wecom_client_set_token_provider(c, provider, NULL);
}

static void case_wecom_client_on_request(wecom_client_t *c)
{
    wecom_client_on_request(c, log_request, NULL);
}

static void case_wecom_client_token_ensure(wecom_client_t *c)
{
    assert_int_equal(wecom_client_token_ensure(c), WECOM_ERR_INVALID_ARG);
}

#if WECOM_DOWNLOAD
static void case_wecom_media_download(wecom_client_t *c)
{
    wecom_download_t dl;
    wecom_download_result_t res;
    memset(&dl, 0, sizeof dl);
    dl.media_id = "MEDIA_ID";
    dl.writer = &g_writer;
    assert_int_equal(wecom_media_download(c, &dl, &res), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_media_download(c, NULL, NULL), WECOM_ERR_INVALID_ARG);
}
#endif

/* ------------------------------------ functions without a client */

static void case_wecom_strerror(wecom_client_t *c)
{
    (void)c;
    assert_non_null(wecom_strerror(-0x7FFF));
    assert_non_null(wecom_strerror(WECOM_ERR_BUSY));
}

static void case_wecom_errname(wecom_client_t *c)
{
    (void)c;
    assert_string_equal(wecom_errname(-0x7FFF), "WECOM_ERR_UNKNOWN");
}

static void case_wecom_limits_default(wecom_client_t *c)
{
    (void)c;
    wecom_limits_default(NULL);
}

static void case_wecom_kind_name(wecom_client_t *c)
{
    (void)c;
    assert_string_equal(wecom_kind_name((wecom_kind_t)99), "unknown");
}

static void case_wecom_kind_parse(wecom_client_t *c)
{
    wecom_kind_t k;
    (void)c;
    assert_int_equal(wecom_kind_parse(NULL, &k), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_kind_parse("image", NULL), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_media_check(wecom_client_t *c)
{
    wecom_reader_t zeroed;
    wecom_check_t chk;
    (void)c;
    memset(&zeroed, 0, sizeof zeroed);
    assert_int_equal(wecom_media_check(NULL, 10, WECOM_KIND_AUTO, NULL, g_buf,
                                       sizeof g_buf, &chk), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_media_check(&zeroed, 10, WECOM_KIND_AUTO, NULL, g_buf,
                                       sizeof g_buf, &chk), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_media_check(&g_reader, 10, WECOM_KIND_AUTO, NULL, NULL,
                                       0, &chk), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_media_check(&g_reader, 10, WECOM_KIND_AUTO, NULL, g_buf,
                                       sizeof g_buf, NULL), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_check_describe(wecom_client_t *c)
{
    char out[160];
    const char *s;
    (void)c;
    s = wecom_check_describe(WECOM_ERR_MEDIA_TOO_LARGE, NULL, NULL, 0);
    assert_non_null(s);
    assert_string_equal(s, "");
    s = wecom_check_describe(WECOM_ERR_MEDIA_TOO_LARGE, NULL, out, sizeof out);
    assert_ptr_equal(s, out);
    assert_string_equal(out, wecom_strerror(WECOM_ERR_MEDIA_TOO_LARGE));
}

static void case_wecom_mem_reader(wecom_client_t *c)
{
    wecom_reader_t r;
    wecom_mem_t m;
    (void)c;
    wecom_mem_reader(NULL, &m, FILE_DATA, 4);
    wecom_mem_reader(&r, NULL, FILE_DATA, 4);
}

static void case_wecom_mem_writer(wecom_client_t *c)
{
    wecom_writer_t w;
    wecom_mem_t m;
    (void)c;
    wecom_mem_writer(NULL, &m, g_buf, sizeof g_buf);
    wecom_mem_writer(&w, NULL, g_buf, sizeof g_buf);
}

static void case_wecom_posix_transport(wecom_client_t *c)
{
    wecom_transport_t t;
    wecom_posix_net_t net;
    (void)c;
    wecom_posix_transport(NULL, &net);
    wecom_posix_transport(&t, NULL);
}

static void case_wecom_posix_port_init(wecom_client_t *c)
{
    wecom_port_t p;
    wecom_posix_net_t net;
    (void)c;
    wecom_posix_port_init(NULL, &net);
    wecom_posix_port_init(&p, NULL);
}

static void case_wecom_posix_net_free(wecom_client_t *c)
{
    wecom_posix_net_t net;
    int fd0 = open("/dev/null", O_RDONLY);
    (void)c;
    wecom_posix_net_free(NULL);
    /* A zeroed net was never set up: the process's fd 0 stays open. */
    assert_true(fd0 >= 0);
    assert_int_equal(dup2(fd0, 0), 0);
    memset(&net, 0, sizeof net);
    wecom_posix_net_free(&net);
    assert_int_not_equal(fcntl(0, F_GETFD), -1);
    close(fd0);
}

static void case_wecom_posix_entropy(wecom_client_t *c)
{
    (void)c;
    assert_int_equal(wecom_posix_entropy(NULL, NULL, 16), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_posix_entropy(NULL, NULL, 0), 0);
}

static void case_wecom_posix_mbedtls_arena(wecom_client_t *c)
{
    (void)c;
    assert_int_equal(wecom_posix_mbedtls_arena(NULL, 1 << 20), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_posix_reader(wecom_client_t *c)
{
    wecom_reader_t r;
    wecom_posix_fd_t f;
    (void)c;
    wecom_posix_reader(NULL, &f, 0);
    wecom_posix_reader(&r, NULL, 0);
}

static void case_wecom_posix_writer(wecom_client_t *c)
{
    wecom_writer_t w;
    wecom_posix_fd_t f;
    (void)c;
    wecom_posix_writer(NULL, &f, 1);
    wecom_posix_writer(&w, NULL, 1);
}

/* ------------------------------------------------------- the outbox */

#if WECOM_OUTBOX
static char g_spool[64];
static wecom_fs_t g_fs;
static wecom_posix_fs_t g_pfs;

/* A set-up outbox over a real spool, for the cases where only the client
 * is not set up. */
static void spool_open(wecom_outbox_t *ob)
{
    wecom_outbox_config_t cfg;
    snprintf(g_spool, sizeof g_spool, "%s", "/tmp/wecom-contract.XXXXXX");
    assert_non_null(mkdtemp(g_spool));
    assert_int_equal(wecom_posix_fs_open(&g_fs, &g_pfs, g_spool), WECOM_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.fs = &g_fs;
    assert_int_equal(wecom_outbox_init(ob, &cfg), WECOM_OK);
}

static void spool_close(wecom_outbox_t *ob)
{
    char cmd[128];
    wecom_outbox_free(ob);
    wecom_posix_fs_close(&g_pfs);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_spool);
    assert_int_equal(system(cmd), 0);
}

static wecom_outbox_add_t an_item(void)
{
    wecom_outbox_add_t add;
    memset(&add, 0, sizeof add);
    add.reader = &g_reader;
    add.size = sizeof FILE_DATA - 1;
    add.kind = WECOM_KIND_FILE;
    return add;
}

static wecom_outbox_t g_ob;

static void case_wecom_outbox_init(wecom_client_t *c)
{
    wecom_outbox_config_t cfg;
    (void)c;
    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(wecom_outbox_init(NULL, &cfg), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_init(&g_ob, NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_init(&g_ob, &cfg), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_outbox_free(wecom_client_t *c)
{
    (void)c;
    memset(&g_ob, 0, sizeof g_ob);
    wecom_outbox_free(NULL);
    wecom_outbox_free(&g_ob);
}

static void case_wecom_outbox_enqueue(wecom_client_t *c)
{
    wecom_outbox_add_t add = an_item();
    char id[WECOM_OUTBOX_ID_LEN + 1];
    (void)c;
    memset(&g_ob, 0, sizeof g_ob);
    assert_int_equal(wecom_outbox_enqueue(NULL, &add, id, NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_enqueue(&g_ob, &add, id, NULL), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_outbox_lock(wecom_client_t *c)
{
    (void)c;
    memset(&g_ob, 0, sizeof g_ob);
    assert_int_equal(wecom_outbox_lock(NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_outbox_drain_once(wecom_client_t *c)
{
    wecom_outbox_add_t add = an_item();
    wecom_outbox_stats_t st;
    char id[WECOM_OUTBOX_ID_LEN + 1];
    memset(&g_ob, 0, sizeof g_ob);
    assert_int_equal(wecom_outbox_drain_once(NULL, c, NULL, NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_drain_once(&g_ob, c, NULL, NULL), WECOM_ERR_INVALID_ARG);
    /* A set-up outbox with an item, and this client: refused before the
     * item is touched. */
    spool_open(&g_ob);
    assert_int_equal(wecom_outbox_enqueue(&g_ob, &add, id, NULL), WECOM_OK);
    assert_int_equal(wecom_outbox_drain_once(&g_ob, c, NULL, NULL), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_stats(&g_ob, &st), WECOM_OK);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.inflight, 0);
    spool_close(&g_ob);
}

static void case_wecom_outbox_stats(wecom_client_t *c)
{
    wecom_outbox_stats_t st;
    (void)c;
    memset(&g_ob, 0, sizeof g_ob);
    assert_int_equal(wecom_outbox_stats(NULL, &st), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_stats(&g_ob, &st), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_outbox_results(wecom_client_t *c)
{
    uint32_t corrupt = 7;
    (void)c;
    memset(&g_ob, 0, sizeof g_ob);
    assert_int_equal(wecom_outbox_results(NULL, NULL, NULL, &corrupt), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_outbox_results(&g_ob, NULL, NULL, &corrupt),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(corrupt, 0);
}

static void case_wecom_posix_fs_open(wecom_client_t *c)
{
    wecom_fs_t fs;
    wecom_posix_fs_t p;
    (void)c;
    assert_int_equal(wecom_posix_fs_open(NULL, &p, "/tmp"), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_posix_fs_open(&fs, NULL, "/tmp"), WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_posix_fs_open(&fs, &p, NULL), WECOM_ERR_INVALID_ARG);
}

static void case_wecom_posix_fs_close(wecom_client_t *c)
{
    (void)c;
    wecom_posix_fs_close(NULL);
}

static void case_wecom_posix_outbox_add_file(wecom_client_t *c)
{
    wecom_outbox_add_t opts = an_item();
    char id[WECOM_OUTBOX_ID_LEN + 1];
    char path[] = "/tmp/wecom-contract-file.XXXXXX";
    int fd = mkstemp(path);
    (void)c;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, FILE_DATA, sizeof FILE_DATA - 1), sizeof FILE_DATA - 1);
    close(fd);
    memset(&g_ob, 0, sizeof g_ob);
    assert_int_equal(wecom_posix_outbox_add_file(NULL, path, &opts, id, NULL),
                     WECOM_ERR_INVALID_ARG);
    assert_int_equal(wecom_posix_outbox_add_file(&g_ob, path, &opts, id, NULL),
                     WECOM_ERR_INVALID_ARG);
    unlink(path);
}
#endif /* WECOM_OUTBOX */

/* ---------------------------------------------------------- the table */

#define CASE(fn) {#fn, case_##fn}
static const struct {
    const char *name;
    case_fn run;
} CASES[] = {
    /* wecom/media.h */
    CASE(wecom_limits_default),
    CASE(wecom_kind_name),
    CASE(wecom_kind_parse),
    CASE(wecom_media_check),
    CASE(wecom_check_describe),
    CASE(wecom_client_init_checked),
    CASE(wecom_client_free),
    CASE(wecom_client_set_token),
    CASE(wecom_client_on_token_expiry),
    CASE(wecom_client_on_retry),
    CASE(wecom_client_set_retry),
    CASE(wecom_client_set_deadline),
    CASE(wecom_client_set_rate_limit),
    CASE(wecom_client_proxy_status),
    CASE(wecom_client_cancel),
    CASE(wecom_client_cancel_clear),
    CASE(wecom_client_tls_error),
    CASE(wecom_client_handshakes),
    CASE(wecom_client_connections),
    CASE(wecom_client_resumptions),
#if WECOM_SESSION_SAVE
    CASE(wecom_client_session_save),
    CASE(wecom_client_session_load),
#endif
    CASE(wecom_client_token),
    CASE(wecom_media_upload),
#if WECOM_TOKEN_FETCH
    CASE(wecom_token_fetch),
#endif
    CASE(wecom_client_set_token_ttl),
    CASE(wecom_client_token_ttl),
    CASE(wecom_client_set_token_provider),
    CASE(wecom_client_on_request),
    CASE(wecom_client_token_ensure),
#if WECOM_DOWNLOAD
    CASE(wecom_media_download),
#endif
    /* wecom/error.h */
    CASE(wecom_strerror),
    CASE(wecom_errname),
    /* wecom/port.h */
    CASE(wecom_mem_reader),
    CASE(wecom_mem_writer),
    /* wecom/posix.h */
    CASE(wecom_posix_transport),
    CASE(wecom_posix_port_init),
    CASE(wecom_posix_net_free),
    CASE(wecom_posix_entropy),
    CASE(wecom_posix_mbedtls_arena),
    CASE(wecom_posix_reader),
    CASE(wecom_posix_writer),
#if WECOM_OUTBOX
    CASE(wecom_posix_fs_open),
    CASE(wecom_posix_fs_close),
    CASE(wecom_posix_outbox_add_file),
    /* wecom/outbox.h */
    CASE(wecom_outbox_init),
    CASE(wecom_outbox_free),
    CASE(wecom_outbox_enqueue),
    CASE(wecom_outbox_lock),
    CASE(wecom_outbox_drain_once),
    CASE(wecom_outbox_stats),
    CASE(wecom_outbox_results),
#endif
};

/* ---------------------------------------- the clients not set up */

static void init_ok(void)
{
    wecom_client_config_t cfg = config();
    assert_int_equal(wecom_client_init(&g_client, &cfg), WECOM_OK);
}

static wecom_client_t *zeroed(void)
{
    memset(&g_client, 0, sizeof g_client);
    return &g_client;
}

static wecom_client_t *garbage(void)
{
    memset(&g_client, 0xA5, sizeof g_client);
    return &g_client;
}

/* init got past the TLS set-up and failed after it (a proxy user without
 * a proxy). */
static wecom_client_t *failed_init(void)
{
    wecom_client_config_t cfg = config();
    cfg.proxy_user = "user";
    memset(&g_client, 0, sizeof g_client);
    assert_int_equal(wecom_client_init(&g_client, &cfg), WECOM_ERR_INVALID_ARG);
    return &g_client;
}

/* set up (and used) then freed */
static wecom_client_t *freed(void)
{
    init_ok();
    assert_int_equal(wecom_client_set_token(&g_client, "tok_BEFORE-0123456789"), WECOM_OK);
    wecom_client_free(&g_client);
    return &g_client;
}

static wecom_client_t *none(void)
{
    return NULL;
}

/* The kinds of client that are not set up. */
static wecom_client_t *(*const NOT_SET_UP[])(void) = {none, zeroed, garbage,
                                                     failed_init, freed};
static const char *const NOT_SET_UP_NAMES[] = {"NULL", "zeroed", "garbage",
                                               "failed init", "freed"};

/* One function's case, with each kind of client. */
static void run_case(void **state)
{
    case_fn run = *(case_fn *)*state;
    size_t i;
    for (i = 0; i < sizeof NOT_SET_UP / sizeof NOT_SET_UP[0]; i++) {
        wecom_client_t *c = NOT_SET_UP[i]();
        print_message("  client: %s\n", NOT_SET_UP_NAMES[i]);
        run(c);
    }
}

/* The same storage set up again works: the refusals left nothing behind. */
static void test_set_up_after_all(void **state)
{
    (void)state;
    failed_init();
    init_ok();
    assert_int_equal(wecom_client_set_token(&g_client, "tok_LAST-0123456789"), WECOM_OK);
    assert_string_equal(wecom_client_token(&g_client), "tok_LAST-0123456789");
    wecom_client_free(&g_client);
    assert_string_equal(wecom_client_token(&g_client), "");
}

static int setup_all(void **state)
{
    (void)state;
    if (certs_make_ca(&g_ca, "contract CA") != 0)
        return -1;
    wecom_posix_port_init(&g_port, &g_net);
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    wecom_posix_net_free(&g_net);
    return 0;
}

int main(void)
{
    /* A test per function, named after it, and the one after them all. */
    struct CMUnitTest tests[sizeof CASES / sizeof CASES[0] + 1];
    size_t i, n = sizeof CASES / sizeof CASES[0];
    memset(tests, 0, sizeof tests);
    for (i = 0; i < n; i++) {
        tests[i].name = CASES[i].name;
        tests[i].test_func = run_case;
        tests[i].initial_state = (void *)&CASES[i].run;
    }
    tests[n].name = "set_up_after_all";
    tests[n].test_func = test_set_up_after_all;
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
