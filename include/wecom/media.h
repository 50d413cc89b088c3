/* SPDX-License-Identifier: MIT */
/*
 * wecom-media: the WeCom temporary-media client. This header, with
 * wecom/port.h (the platform interface), wecom/posix.h (the POSIX port),
 * wecom/error.h (error codes) and wecom/config.h (settings), is the whole
 * public API; it needs no mbedTLS, llhttp or jsmn header.
 *
 * Lifecycle as in mbedTLS: wecom_client_init() ... wecom_client_free() on a
 * caller-owned wecom_client_t, which holds every buffer the client uses (it
 * can live in .bss). No global state but mbedTLS's own (below).
 *
 * Arguments, one rule for every function of the public headers: a NULL
 * where a function needs an object, and a client or outbox that is not
 * set up, are refused, never dereferenced. A function that returns a
 * wecom_err_t returns WECOM_ERR_INVALID_ARG, one that returns a count 0,
 * one that returns a string "", and one that returns nothing does
 * nothing. A NULL to which a function gives a meaning (limits: the
 * defaults; a callback: none) keeps that meaning. A client is set up from
 * a successful wecom_client_init() until wecom_client_free(), which init
 * marks in it: zeroed storage (static, or cleared), a client whose init
 * failed and a freed one are known not to be. Storage never cleared (on
 * the stack) could hold that mark by chance: clear it or init it before
 * any other call. An outbox is set up by wecom_outbox_init(); a zeroed
 * one is not.
 *
 * Threads and reentrancy:
 *  - A client belongs to one thread at a time: calls on the same client
 *    must not overlap. Clients are independent, so N threads may run N
 *    clients. The one exception is wecom_client_cancel(), which any thread
 *    or a signal handler may call while a call on the client runs.
 *  - Callbacks (progress, the token provider and refresh hook, the
 *    request log, the retry hook, a reader or writer) run on the calling
 *    thread, inside the call, which is using the client's buffers and
 *    connection. A call on the same client from one of them is refused:
 *    WECOM_ERR_BUSY, or nothing done by a function that returns nothing
 *    (wecom_client_free() included); the outer call goes on unharmed.
 *    Allowed are wecom_client_cancel(), the functions that only read
 *    (wecom_client_token(), _token_ttl(), _handshakes(), _connections(),
 *    _resumptions(), _proxy_status()) and, from the token provider or
 *    refresh hook, wecom_client_set_token(), _set_token_ttl() and
 *    wecom_token_fetch() (that is their job). Another client may be used
 *    freely. The check is a flag, not a lock: it does not make calls from
 *    two threads safe.
 *  - mbedTLS 3.x with PSA crypto keeps process-wide state: every
 *    wecom_client_init() calls psa_crypto_init(), which is idempotent but,
 *    before mbedTLS 3.6 built with MBEDTLS_THREADING_C, not safe to run
 *    for the first time in two threads at once. A program with clients in
 *    several threads initialises one client (or calls psa_crypto_init())
 *    before starting them. The library never calls
 *    mbedtls_psa_crypto_free(): that is the application's, at exit, after
 *    the last wecom_client_free(). mbedTLS 2.28 has no such state.
 */
#ifndef WECOM_MEDIA_H
#define WECOM_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/abi.h"
#include "wecom/config.h"
#include "wecom/error.h"
#include "wecom/port.h"

/* The library's version (semantic versioning: the major changes with any
 * incompatible change to this API or its ABI, the minor with additions;
 * the shared library's SONAME is libwecom-media.so.MAJOR). CMakeLists.txt
 * reads it from here. */
#define WECOM_VERSION_MAJOR 0
#define WECOM_VERSION_MINOR 1
#define WECOM_VERSION_PATCH 0
#define WECOM_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

#define WECOM_DEFAULT_BASE_URL "https://qyapi.weixin.qq.com"

/* WeCom's answer when a call returned WECOM_ERR_API (errcode != 0). */
typedef struct wecom_api_error {
    int64_t errcode;
    char errmsg[WECOM_ERRMSG_MAX]; /* with WeCom's "hint: [...]" tail */
    int http_status;
} wecom_api_error_t;

/* What WeCom calls the upload's `type`. AUTO picks it from the content:
 * JPG/PNG image, AMR voice, MP4 video, anything else a file. */
typedef enum wecom_kind {
    WECOM_KIND_AUTO = 0,
    WECOM_KIND_IMAGE,
    WECOM_KIND_VOICE,
    WECOM_KIND_VIDEO,
    WECOM_KIND_FILE
} wecom_kind_t;

/* The format found by magic bytes. */
typedef enum wecom_format {
    WECOM_FORMAT_OTHER = 0,
    WECOM_FORMAT_JPEG,
    WECOM_FORMAT_PNG,
    WECOM_FORMAT_AMR,
    WECOM_FORMAT_AMR_WB,
    WECOM_FORMAT_MP4
} wecom_format_t;

/* Limits checked before an upload. Sizes are in bytes. */
typedef struct wecom_limits {
    uint64_t min_bytes; /* a file must be larger than this */
    uint64_t image_bytes;
    uint64_t voice_bytes;
    uint64_t video_bytes;
    uint64_t file_bytes;
    uint32_t voice_ms;
} wecom_limits_t;

/* What the check of a file found; on a refusal, actual and limit name the
 * value and the bound it broke (bytes, or ms for a voice's length). */
typedef struct wecom_check {
    wecom_kind_t kind;
    wecom_format_t format;
    uint64_t size;
    uint32_t duration_ms; /* voice only */
    uint64_t actual;
    uint64_t limit;
} wecom_check_t;

/* The build's limits (wecom/config.h, Kconfig). */
WECOM_API void wecom_limits_default(wecom_limits_t *lim);

/* "image", "voice", "video", "file" (what the API's type= takes), or
 * "auto". */
WECOM_API const char *wecom_kind_name(wecom_kind_t kind);

/* Parse one of those names; WECOM_ERR_INVALID_ARG for anything else. */
WECOM_API wecom_err_t wecom_kind_parse(const char *name, wecom_kind_t *kind);

/* Check size bytes of r as an upload of the given kind (AUTO: detect it)
 * against lim (NULL: the defaults): size, magic bytes, AMR frames and
 * duration. A read-once source (r->once) gets the size check only. scratch (at least 64 bytes; the larger the fewer reads) is
 * used to read the content. Fills out whatever the result. */
WECOM_API wecom_err_t wecom_media_check(const wecom_reader_t *r, uint64_t size,
                              wecom_kind_t kind, const wecom_limits_t *lim,
                              unsigned char *scratch, size_t scratch_len,
                              wecom_check_t *out);

/* A one-line English explanation of a check's refusal, naming the limit
 * and the actual value ("image of 3145728 bytes is over the limit of
 * 2097152 bytes"); without chk, the error's description alone. Returns
 * out ("" when out is NULL). */
WECOM_API const char *wecom_check_describe(wecom_err_t err, const wecom_check_t *chk,
                                 char *out, size_t cap);

typedef struct wecom_tls_config {
    /* Trust anchors, any combination; with none set, WECOM_DEFAULT_CA_FILE.
     * ca_pem must include its terminating NUL in ca_pem_len, as mbedTLS
     * requires of PEM in memory. */
    const char *ca_file;
    const char *ca_path;
    const unsigned char *ca_pem;
    size_t ca_pem_len;
    /* Bounds in milliseconds; 0 takes WECOM_DEFAULT_TIMEOUT_MS. The
     * handshake bound covers the whole handshake, io_timeout_ms each wait
     * for the network during a read or a write. */
    uint32_t connect_timeout_ms;
    uint32_t handshake_timeout_ms;
    uint32_t io_timeout_ms;
    /* Low-speed limit: a request and its response fail with
     * WECOM_ERR_TOO_SLOW when fewer than low_speed_bytes (plain text, sent
     * or received) move within any window of low_speed_ms. 0 takes
     * WECOM_LOW_SPEED_BYTES / WECOM_LOW_SPEED_MS; low_speed_bytes =
     * WECOM_TLS_LOW_SPEED_OFF turns it off. */
    uint32_t low_speed_bytes;
    uint32_t low_speed_ms;
} wecom_tls_config_t;

#define WECOM_TLS_LOW_SPEED_OFF 0xFFFFFFFFu

typedef struct wecom_client_config {
    /* "https://host[:port][/prefix]"; NULL for WECOM_DEFAULT_BASE_URL.
     * Only https is accepted. */
    const char *base_url;
    /* Trust anchors and timeouts. */
    wecom_tls_config_t tls;
    /* The platform; wecom_posix_port_init() fills one for POSIX. */
    const wecom_port_t *port;
    /* An HTTP proxy (RFC 9110 CONNECT) to reach the server through, as
     * host name or IP literal (no brackets) and port; NULL: straight to
     * the server. The tunnel carries TLS end to end: SNI and the
     * certificate check are for the server's name, never the proxy's.
     * proxy_user and proxy_password (both, or neither) go as Basic
     * authentication; the client keeps them encoded, at most
     * WECOM_PROXY_CREDENTIALS_MAX bytes as "user:password", and
     * wecom_client_free() wipes them. WECOM_ERR_INVALID_ARG for a bad
     * value, or any proxy where the library was built without
     * WECOM_PROXY. */
    const char *proxy_host;
    uint16_t proxy_port;
    const char *proxy_user;
    const char *proxy_password;
    /* Transfer rate cap, bytes per second each way; 0: none. See
     * wecom_client_set_rate_limit(). */
    uint32_t rate_limit;
} wecom_client_config_t;

/* The client: opaque storage of the size the library was built with
 * (WECOM_CLIENT_SIZE and WECOM_CLIENT_ALIGN in the generated wecom/abi.h),
 * so that `static wecom_client_t c;` works without knowing what is inside
 * (mbedTLS's contexts, the HTTP engine, the I/O buffer). Only the
 * functions below look into it. */
typedef union wecom_client {
    unsigned char bytes[WECOM_CLIENT_SIZE];
    uint64_t align_u64;
    double align_double;
    void *align_ptr;
    void (*align_fn)(void);
} wecom_client_t;

/* Called when WeCom says the token is invalid or expired (40014, 42001):
 * set a fresh one with wecom_client_set_token() or wecom_token_fetch()
 * and return 0, and the call is made once more. */
typedef int (*wecom_token_refresh_fn)(void *ctx, wecom_client_t *c);

/* Parse the base URL, set up TLS (loading the CA) and HTTP. A macro, so
 * that the library can check that the application was compiled with its
 * settings: WECOM_ERR_ABI_MISMATCH when sizeof(wecom_client_t) or
 * WECOM_ABI_STAMP (wecom/config.h) differ from the library's (headers
 * of another build, or settings changed after it). */
#define wecom_client_init(c, cfg) \
    wecom_client_init_checked((c), (cfg), sizeof(wecom_client_t), \
                              WECOM_ABI_STAMP)
WECOM_API wecom_err_t wecom_client_init_checked(
    wecom_client_t *c, const wecom_client_config_t *cfg, size_t client_size,
    unsigned long long abi_stamp);

/* Close the connection and release what mbedTLS holds. */
WECOM_API void wecom_client_free(wecom_client_t *c);

/* Set the access token sent with each call (copied; at most
 * WECOM_TOKEN_MAX bytes of URL-safe characters), its life unknown (see
 * wecom_client_set_token_ttl). */
WECOM_API wecom_err_t wecom_client_set_token(wecom_client_t *c, const char *token);

/* Install (or with NULL remove) the token refresh hook. */
WECOM_API void wecom_client_on_token_expiry(wecom_client_t *c, wecom_token_refresh_fn fn,
                                  void *ctx);

/* Called before each retry the client makes: retry is its number in the
 * call (1, 2, ...), rc and api (NULL unless rc is WECOM_ERR_API) why the
 * request failed, delay_ms the backoff about to be slept (0 after a token
 * refresh). For a log; a call into the client from it is refused
 * (WECOM_ERR_BUSY, see the top of this header). */
typedef void (*wecom_retry_fn)(void *ctx, unsigned retry, wecom_err_t rc,
                               const wecom_api_error_t *api, uint32_t delay_ms);

/* Install (or with NULL remove) the retry hook (after wecom_client_init,
 * which clears it). */
WECOM_API void wecom_client_on_retry(wecom_client_t *c, wecom_retry_fn fn, void *ctx);

/* How often a call sends a failed request again: `retries` more times at
 * most (0: never; default WECOM_RETRY_MAX - 1), and for at most max_ms
 * from the first failure of a run, backoff included (0: no bound but the
 * deadline; default WECOM_RETRY_MAX_MS). A token refresh on 40014/42001
 * happens once per call whatever these say, and is not counted. After
 * wecom_client_init, which sets the defaults. */
WECOM_API void wecom_client_set_retry(wecom_client_t *c, unsigned retries,
                                      uint32_t max_ms);

/* A bound on everything the client does until it is changed: an absolute
 * time on the port's monotonic clock in ms, or 0 for none. */
WECOM_API void wecom_client_set_deadline(wecom_client_t *c, uint64_t deadline_ms);

/* Cap what the client sends and receives to bytes_per_s each way (0: no
 * cap), as curl's --limit-rate does, so that a push does not starve a
 * camera's live stream on a shared uplink. A token bucket per direction
 * lets bursts of WECOM_RATE_BURST_MS worth of bytes through and sleeps
 * between them through the port's sleep_ms: a cancel ends the sleep, and
 * one that would pass the deadline fails with WECOM_ERR_DEADLINE. A rate
 * below the low-speed limit (wecom_tls_config_t) trips it.
 * WECOM_ERR_INVALID_ARG for a port without sleep_ms. */
WECOM_API wecom_err_t wecom_client_set_rate_limit(wecom_client_t *c,
                                                  uint32_t bytes_per_s);

/* The HTTP status of the proxy's last answer to CONNECT (0: none, or no
 * proxy): after WECOM_ERR_PROXY_REFUSED it says why (403, 502, ...). */
WECOM_API int wecom_client_proxy_status(const wecom_client_t *c);

/* The TLS library's own error code (mbedTLS's, negative) behind the last
 * failed handshake or TLS transfer, 0 for none: for a log line next to
 * the wecom_err_t (WECOM_ERR_TLS_VERSION, WECOM_ERR_TLS_CLIENT_CERT, ...),
 * which says the cause. */
WECOM_API int wecom_client_tls_error(const wecom_client_t *c);

/* Cancel from outside, for a firmware that shuts down: the call in
 * progress on c ends with WECOM_ERR_CANCELLED within one poll slice
 * (connect, TLS handshake, sending, the wait for the answer, a backoff
 * sleep; not a host name lookup, which nothing can cut short, see
 * wecom/posix.h), and so does every later call, until
 * wecom_client_cancel_clear(). Async-signal-safe and callable from any
 * thread: it stores to a volatile sig_atomic_t and calls the port's
 * transport cancel (the POSIX port writes one byte to a pipe that every
 * wait polls). The flag stays set rather than being cleared as the next
 * call starts, so that a cancel that lands between a firmware's own
 * "stopping?" check and its next call is not lost. The connection is
 * closed; the client is otherwise intact. An upload cancelled after its
 * whole body went out may have been stored, as with
 * WECOM_ERR_UPLOAD_UNCONFIRMED. It must not race wecom_client_free() (or
 * wecom_posix_net_free()): stop whatever may cancel before freeing. */
WECOM_API void wecom_client_cancel(wecom_client_t *c);

/* Undo wecom_client_cancel() so that calls work again; from the thread
 * that owns c, not while a call on c is running (from one of its
 * callbacks it does nothing). */
WECOM_API void wecom_client_cancel_clear(wecom_client_t *c);

/* TLS handshakes done since init (full and resumed). */
WECOM_API unsigned long wecom_client_handshakes(const wecom_client_t *c);

/* TCP connections opened since init (a kept connection counts once). */
WECOM_API unsigned long wecom_client_connections(const wecom_client_t *c);

/* Of wecom_client_handshakes(), those that resumed a TLS session (an
 * abbreviated handshake: no certificate chain sent or verified). */
WECOM_API unsigned long wecom_client_resumptions(const wecom_client_t *c);

#if WECOM_SESSION_SAVE /* wecom/config.h */
/* The TLS session across processes: a device that uploads every minute
 * resumes the last run's session instead of a full handshake and chain
 * verification, the largest CPU cost of a small upload on ARM.
 *
 * wecom_client_session_save() writes the session kept for resumption (the
 * last connection's) into buf: mbedTLS's serialisation, keyed to the base
 * URL's host and port and to the trust anchors (the CA file's name, the
 * bytes of ca_pem's and ca_path's certificates).
 * WECOM_ERR_TLS_SESSION_REFUSED when there is none (no handshake yet, or
 * the last one failed), WECOM_ERR_BUFFER_TOO_SMALL with *len the size
 * needed (WECOM_SESSION_MAX is enough for mbedTLS's defaults). The bytes
 * hold the session's master secret: store them as a credential (the tool:
 * a 0600 file in a 0700 directory).
 *
 * wecom_client_session_load() offers such a session at the next connect.
 * It refuses (WECOM_ERR_TLS_SESSION_REFUSED) one for another host, port
 * or trust configuration, from another mbedTLS version or configuration,
 * or damaged. A session is resumed only by a server that still knows it;
 * otherwise the handshake is a full one, verified as always. A resumed
 * handshake that fails (a session damaged in a way mbedTLS's load does
 * not see, such as its master secret) drops the session, and the connect
 * makes one full handshake at once. The library
 * does not read the CA file to key it: a caller whose CA file may change
 * in place drops its saved session when the file does. */
WECOM_API wecom_err_t wecom_client_session_save(const wecom_client_t *c,
                                                unsigned char *buf, size_t cap,
                                                size_t *len);
WECOM_API wecom_err_t wecom_client_session_load(wecom_client_t *c,
                                                const unsigned char *buf,
                                                size_t len);
#endif /* WECOM_SESSION_SAVE */

/* The access token the client sends (set, fetched or refreshed), "" when
 * none. It is a credential: never log it. */
WECOM_API const char *wecom_client_token(const wecom_client_t *c);

/* Called as bytes go out or come in (done of total; total 0 when not yet
 * known). A non-zero return cancels the call with WECOM_ERR_CANCELLED
 * (for this call only; wecom_client_cancel also reaches the waits). */
typedef int (*wecom_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* ---------------------------------------------------------------- upload */

typedef struct wecom_upload {
    wecom_kind_t kind;            /* AUTO: from the content */
    const wecom_reader_t *reader; /* wecom_posix_reader(), or your own */
    uint64_t length;              /* bytes to send, from offset 0 */
    const char *filename;         /* name to show; a path is cut to its
                                     last component; NULL: by kind */
    const wecom_limits_t *limits; /* NULL: the build's defaults */
    int no_check;                 /* 1: skip the checks (kind must be given
                                     or it goes as a file) */
    wecom_progress_fn progress;
    void *progress_ctx;
} wecom_upload_t;

typedef struct wecom_upload_result {
    wecom_check_t check;                 /* what the check found */
    char media_id[WECOM_MEDIA_ID_MAX];
    char type[8];                        /* as WeCom names it */
    char created_at[24];                 /* Unix seconds, as digits */
    wecom_api_error_t api;               /* when WECOM_ERR_API */
    unsigned attempts;                   /* requests sent */
} wecom_upload_result_t;

/* Check, then upload one file as temporary media (valid 3 days). The
 * body streams from the reader through the client's I/O buffer with an
 * exact Content-Length. A connection that fails before the body's last
 * byte is written, errcode -1 (busy) or 45033 is retried with backoff
 * (as wecom_client_set_retry() allows), re-reading the file from offset 0;
 * 45009 and other errcodes never are. Once the whole body is written it is
 * never sent again: a lost answer (timeout, drop, cut) then gives
 * WECOM_ERR_UPLOAD_UNCONFIRMED, as WeCom may have stored the file. A
 * media_id outside WeCom's URL-safe characters is WECOM_ERR_MEDIA_ID. */
WECOM_API wecom_err_t wecom_media_upload(wecom_client_t *c, const wecom_upload_t *up,
                               wecom_upload_result_t *res);

/* ----------------------------------------------------------------- token */

#if WECOM_TOKEN_FETCH /* wecom/config.h */
/* Fetch an access token with gettoken for corpid and secret, and make it
 * the client's token, with its life (as wecom_client_set_token_ttl).
 * expires_in (seconds) is set when not NULL. The secret travels in the
 * request's query, as the API wants; it is never kept, logged or put in
 * an error. A failed connect or TLS setup, -1 and 45033 are retried as
 * for upload; nothing else is (WeCom blocks callers that ask too often).
 * Caching across processes is the caller's (a token provider's). */
WECOM_API wecom_err_t wecom_token_fetch(wecom_client_t *c, const char *corpid,
                              const char *secret, int64_t *expires_in,
                              wecom_api_error_t *api);
#endif /* WECOM_TOKEN_FETCH */

/* Set the token with its life: it lapses ttl_s seconds from now on the
 * port's monotonic clock (0: unknown, used until WeCom refuses it). */
WECOM_API wecom_err_t wecom_client_set_token_ttl(wecom_client_t *c, const char *token,
                                       uint32_t ttl_s);

/* Seconds the client's token has left: -1 when its life is unknown (a
 * token set without one), 0 when there is none or it has lapsed. */
WECOM_API int64_t wecom_client_token_ttl(const wecom_client_t *c);

/* Why the client asks its token provider for a token. */
typedef enum wecom_token_reason {
    WECOM_TOKEN_NEEDED = 0, /* the client has none */
    WECOM_TOKEN_EXPIRING,   /* it lapses within WECOM_TOKEN_REFRESH_MARGIN_S
                               (at most half its life) */
    WECOM_TOKEN_REJECTED    /* WeCom answered 40014 or 42001 */
} wecom_token_reason_t;

/* Where tokens come from: a fixed token, a command, gettoken with a
 * cache. The provider sets one with wecom_client_set_token_ttl(),
 * wecom_client_set_token() or wecom_token_fetch() on c and returns
 * WECOM_OK; any other return is the error of the call that needed the
 * token. The client asks it before a request when it has no token or
 * its token lapses within the margin (a failure then is no error while
 * the old token still lives), and once per call after 40014/42001, when
 * the request is then sent again (an upload whole, from the start of its
 * source). A provider that hands back the token just refused is taken
 * as failing. It runs inside the call, under the call's deadline. */
typedef wecom_err_t (*wecom_token_provider_fn)(void *ctx, wecom_client_t *c,
                                               wecom_token_reason_t reason);

/* Install (or with NULL remove) the token provider; after
 * wecom_client_init, which clears it. It takes the place of the refresh
 * hook (wecom_client_on_token_expiry), which is used only without one. */
WECOM_API void wecom_client_set_token_provider(wecom_client_t *c,
                                               wecom_token_provider_fn fn, void *ctx);

/* Called before each API request with where it goes, as a log may show
 * it: host, port and the target with the access token (gettoken's
 * corpsecret) replaced by ***. For -v; a call into the client from it is
 * refused (WECOM_ERR_BUSY).
 * Install (or with NULL remove) after wecom_client_init, which clears it. */
typedef void (*wecom_request_log_fn)(void *ctx, const char *host, uint16_t port,
                                     const char *target);
WECOM_API void wecom_client_on_request(wecom_client_t *c, wecom_request_log_fn fn,
                                       void *ctx);

/* Make sure the client holds a usable token now: ask the provider as a
 * request would (no token, or one within the margin). WECOM_ERR_INVALID_ARG
 * when there is none and no provider to ask. */
WECOM_API wecom_err_t wecom_client_token_ensure(wecom_client_t *c);

/* Informative response headers left out because they did not fit or came
 * twice (wecom_download_result_t's dropped). */
#define WECOM_HTTP_DROPPED_CONTENT_TYPE 0x1u
#define WECOM_HTTP_DROPPED_DISPOSITION 0x2u
#define WECOM_HTTP_DROPPED_ETAG 0x4u
#define WECOM_HTTP_DROPPED_LAST_MODIFIED 0x8u

#if WECOM_DOWNLOAD /* wecom/config.h */

/* -------------------------------------------------------------- download */

typedef struct wecom_download {
    const char *media_id;
    const wecom_writer_t *writer;
    uint64_t offset;       /* bytes already held (resume): start here.
                              Count only bytes known to be on storage
                              (fsynced): after a power cut a file may
                              keep its length without its data */
    uint64_t chunk;        /* bytes per ranged request; 0: one request */
    uint64_t known_total;  /* resume: the total seen before, 0 unknown */
    const char *if_range;  /* resume: the strong ETag or, without one, the
                              Last-Modified date seen before, or NULL; sent
                              as If-Range (a weak W/ tag never is). A 206
                              that does not show it again (no ETag, or only
                              a Last-Modified, to an ETag) is not joined to
                              the bytes held: WECOM_ERR_REMOTE_CHANGED,
                              nothing written; start again from 0 */
    uint64_t max_bytes;    /* refuse a medium larger than this (its total,
                              or the bytes of a body without length);
                              0: WECOM_MEDIA_MAX_BYTES */
    wecom_progress_fn progress;
    void *progress_ctx;
} wecom_download_t;

typedef struct wecom_download_result {
    uint64_t total;        /* the medium's size */
    uint64_t written;      /* bytes handed to the writer by this call */
    char content_type[WECOM_HTTP_CONTENT_TYPE_MAX];
    char filename[WECOM_FILENAME_MAX + 1]; /* server's name, made safe;
                                              may be empty */
    char etag[WECOM_HTTP_ETAG_MAX];
    char last_modified[WECOM_HTTP_DATE_MAX];
    wecom_api_error_t api; /* when WECOM_ERR_API */
    unsigned requests;     /* HTTP requests sent */
    unsigned dropped;      /* informative headers left out because they
                              did not fit or came twice: WECOM_HTTP_DROPPED_*
                              bits; the download went on without them */
} wecom_download_result_t;

/* Download a medium to the writer from offset on, in ranges of chunk
 * bytes on one kept connection. Every 206's Content-Range is checked
 * against what was asked; a server that ignores Range is followed
 * without duplicating bytes; a medium that changes size or validator
 * between requests is an error, never a mixed file: once a validator is
 * known (if_range, or the first answer's), every later 206 must carry
 * it, else WECOM_ERR_REMOTE_CHANGED (a cache that ignores If-Range would
 * otherwise join two versions). An error answer is
 * never written: WECOM_ERR_API for a JSON answer with errcode != 0,
 * WECOM_ERR_API_MALFORMED for one that does not parse completely (the
 * rule: a 200 with Content-Disposition is the medium;
 * otherwise a JSON body, held whole and parsed strictly, never is, and
 * neither is a web page: WECOM_ERR_HTML_ANSWER for a 200 typed text/html
 * or application/xhtml+xml, a proxy's or a portal's page). A 200
 * or 206 with a Content-Encoding other than identity (gzip from a proxy,
 * say; the request asks for identity) is WECOM_ERR_CONTENT_ENCODING,
 * nothing written. A medium over max_bytes is
 * WECOM_ERR_DOWNLOAD_TOO_LARGE. A dropped or truncated connection resumes
 * from the last byte written, with bounded retries. */
WECOM_API wecom_err_t wecom_media_download(wecom_client_t *c, const wecom_download_t *dl,
                                 wecom_download_result_t *res);

#endif /* WECOM_DOWNLOAD */

#ifdef __cplusplus
}
#endif

#endif /* WECOM_MEDIA_H */
