/* Names and descriptions of wecom_err_t codes. */
#include <stddef.h>

#include "wecom/error.h"

typedef struct {
    wecom_err_t code;
    const char *name;
    const char *text;
} entry_t;

#define E(code, text) { code, #code, text }

static const entry_t ENTRIES[] = {
    E(WECOM_OK, "success"),
    E(WECOM_ERR_INVALID_ARG, "invalid argument"),
    E(WECOM_ERR_BUFFER_TOO_SMALL, "buffer too small for the value"),
    E(WECOM_ERR_CANCELLED,
      "cancelled (by the progress callback or wecom_client_cancel)"),
    E(WECOM_ERR_DEADLINE, "overall time limit reached"),
    E(WECOM_ERR_ABI_MISMATCH,
      "the application was compiled with other settings or headers than the "
      "library: rebuild it against the installed wecom/ headers"),
    E(WECOM_ERR_RESOLVE, "host name could not be resolved"),
    E(WECOM_ERR_CONNECT, "connection refused or unreachable"),
    E(WECOM_ERR_TIMEOUT, "network timeout"),
    E(WECOM_ERR_CLOSED, "connection closed by the peer"),
    E(WECOM_ERR_IO, "network I/O error"),
    E(WECOM_ERR_ENTROPY, "no entropy from the system"),
    E(WECOM_ERR_FILE_READ, "reading the input failed"),
    E(WECOM_ERR_FILE_WRITE, "writing the output failed"),
    E(WECOM_ERR_NOT_REWINDABLE,
      "input cannot be read again (a pipe); the retry needs a regular file"),
    E(WECOM_ERR_TOO_SLOW,
      "transfer too slow: fewer bytes than the low-speed limit arrived in its "
      "time window"),
    E(WECOM_ERR_OUTPUT_FULL,
      "the output buffer is full: the medium is larger than the memory given"),
    E(WECOM_ERR_PROXY_AUTH,
      "the proxy wants credentials (407): none were given or it refused "
      "them (check --proxy-user or the proxy URL's user:password)"),
    E(WECOM_ERR_PROXY_REFUSED,
      "the proxy refused to open a tunnel to the server (403, 502 or "
      "another status)"),
    E(WECOM_ERR_PROXY_PROTOCOL,
      "the proxy's answer to CONNECT is malformed or too large"),
    E(WECOM_ERR_TLS_SETUP, "TLS setup failed"),
    E(WECOM_ERR_TLS_CA_LOAD, "no CA certificate could be loaded"),
    E(WECOM_ERR_TLS_HANDSHAKE, "TLS handshake failed"),
    E(WECOM_ERR_TLS_CERT_UNTRUSTED,
      "server certificate not signed by a trusted CA"),
    E(WECOM_ERR_TLS_CERT_HOSTNAME,
      "server certificate does not name the host"),
    E(WECOM_ERR_TLS_CERT_EXPIRED,
      "server certificate expired (or the device clock is set too late)"),
    E(WECOM_ERR_TLS_CERT_NOT_YET_VALID,
      "server certificate not yet valid: check the device clock (a device "
      "without a real-time clock boots in 1970; set the time, e.g. by NTP)"),
    E(WECOM_ERR_TLS_CERT_INVALID, "server certificate refused"),
    E(WECOM_ERR_TLS_IO, "TLS error during transfer"),
    E(WECOM_ERR_TLS_HOST_TOO_LONG, "host name too long"),
    E(WECOM_ERR_TLS_CA_EMPTY,
      "the CA file holds no certificate (expected PEM blocks or one DER "
      "certificate)"),
    E(WECOM_ERR_TLS_SESSION_REFUSED,
      "saved TLS session refused: for another server or CA, or from another "
      "build"),
    E(WECOM_ERR_HTTP_PARSE, "malformed HTTP response"),
    E(WECOM_ERR_HTTP_HEADERS_TOO_LARGE,
      "HTTP response headers exceed the configured byte limit"),
    E(WECOM_ERR_HTTP_TOO_MANY_HEADERS,
      "HTTP response has more header lines than the configured limit"),
    E(WECOM_ERR_HTTP_HEADER_VALUE_TOO_LONG,
      "an HTTP response header value is longer than its slot"),
    E(WECOM_ERR_HTTP_DUPLICATE_HEADER,
      "an HTTP response header the client uses appears twice"),
    E(WECOM_ERR_HTTP_REQUEST_TOO_LARGE,
      "HTTP request head does not fit the I/O buffer"),
    E(WECOM_ERR_HTTP_INCOMPLETE, "HTTP response cut short"),
    E(WECOM_ERR_HTTP_BODY_SHORT,
      "request body source ended before its announced length"),
    E(WECOM_ERR_HTTP_TOO_MANY_INTERIM,
      "the server sent more interim (1xx) responses than the configured limit"),
    E(WECOM_ERR_HTTP_TRUNCATED,
      "the response body ran to the connection's close, but the connection "
      "ended without TLS close_notify: the body may be cut short"),
    E(WECOM_ERR_API, "the WeCom API answered with an error code"),
    E(WECOM_ERR_JSON_PARSE, "the API's answer is not valid JSON"),
    E(WECOM_ERR_JSON_TOO_LARGE,
      "the API's JSON answer exceeds the configured size"),
    E(WECOM_ERR_JSON_FIELD, "the API's answer lacks a field or has it mistyped"),
    E(WECOM_ERR_HTTP_STATUS, "unexpected HTTP status from the server"),
    E(WECOM_ERR_UPLOAD_UNCONFIRMED,
      "the file was sent but no answer came; it may have been stored "
      "(not sent again, to avoid a duplicate)"),
    E(WECOM_ERR_MEDIA_ID,
      "the server's answer holds a malformed media_id (not shown)"),
    E(WECOM_ERR_API_MALFORMED,
      "the server answered with JSON that is not a whole, valid API answer "
      "(no media was saved)"),
    E(WECOM_ERR_MEDIA_TOO_SMALL, "file too small: WeCom needs more than 5 bytes"),
    E(WECOM_ERR_MEDIA_TOO_LARGE, "file larger than the limit for its type"),
    E(WECOM_ERR_MEDIA_FORMAT,
      "file content does not match its type (JPG/PNG image, AMR voice, MP4 video)"),
    E(WECOM_ERR_MEDIA_VOICE_TOO_LONG, "voice longer than the limit"),
    E(WECOM_ERR_MEDIA_AMR_WB,
      "AMR-WB voice: WeCom documents AMR (narrowband) only"),
    E(WECOM_ERR_MEDIA_AMR_CORRUPT, "AMR voice with an invalid frame"),
    E(WECOM_ERR_MEDIA_LENGTH,
      "input shorter or longer than the length given for it"),
    E(WECOM_ERR_RANGE_MISMATCH,
      "the server's Content-Range does not match the range asked for"),
    E(WECOM_ERR_REMOTE_CHANGED,
      "the medium changed on the server since the download began"),
    E(WECOM_ERR_SIZE_MISMATCH,
      "the body's size differs from what the server announced"),
    E(WECOM_ERR_DOWNLOAD_TOO_LARGE,
      "the medium is larger than the download size limit (max_bytes)"),
    E(WECOM_ERR_OUTBOX_FULL,
      "the outbox is full (its item or byte quota): nothing was queued"),
    E(WECOM_ERR_OUTBOX_LOCKED,
      "another drainer holds the outbox's lock (one at a time)"),
    E(WECOM_ERR_OUTBOX_UNSAFE,
      "refused: a spool path is a symbolic link, not a regular file or "
      "directory, not owned by this user, or writable by others"),
    E(WECOM_ERR_OUTBOX_CORRUPT,
      "an outbox item's header is damaged (moved to failed/)"),
    E(WECOM_ERR_OUTBOX_PAUSED,
      "rate limited by WeCom (45009): the drain pauses before the next try"),
    E(WECOM_ERR_OUTBOX_ABSENT, "no such file in the outbox"),
};

static const entry_t *find(wecom_err_t err)
{
    size_t i;
    for (i = 0; i < sizeof ENTRIES / sizeof ENTRIES[0]; i++)
        if (ENTRIES[i].code == err)
            return &ENTRIES[i];
    return NULL;
}

const char *wecom_strerror(wecom_err_t err)
{
    const entry_t *e = find(err);
    return e != NULL ? e->text : "unknown error";
}

const char *wecom_errname(wecom_err_t err)
{
    const entry_t *e = find(err);
    return e != NULL ? e->name : "WECOM_ERR_UNKNOWN";
}
