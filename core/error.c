/* SPDX-License-Identifier: MIT */
/* Names and descriptions of wecom_err_t codes.
 *
 * One list, expanded twice: into a byte per code and into one packed
 * string of "NAME\0text\0" pairs in the same order. No pointer per entry,
 * so no relocated data in a shared library (67 entries cost 1.6 KB of
 * pointers that way), and a lookup is a walk over the string: errors are
 * rare, the walk is a few microseconds. With WECOM_ERROR_TEXT off only the
 * names are kept, and wecom_strerror gives the name. */
#include <string.h>

#include "wecom/error.h"

#define WECOM_ERRORS(X) \
    X(WECOM_OK, "success") \
    X(WECOM_ERR_INVALID_ARG, "invalid argument") \
    X(WECOM_ERR_BUFFER_TOO_SMALL, "buffer too small for the value") \
    X(WECOM_ERR_CANCELLED, \
      "cancelled (by the progress callback or wecom_client_cancel)") \
    X(WECOM_ERR_DEADLINE, "overall time limit reached") \
    X(WECOM_ERR_ABI_MISMATCH, \
      "the application was compiled with other settings or headers than the " \
      "library: rebuild it against the installed wecom/ headers") \
    X(WECOM_ERR_BUSY, \
      "a call on this client is under way: a callback called into its own " \
      "client") \
    X(WECOM_ERR_RESOLVE, "host name could not be resolved") \
    X(WECOM_ERR_CONNECT, "connection refused or unreachable") \
    X(WECOM_ERR_TIMEOUT, "network timeout") \
    X(WECOM_ERR_CLOSED, "connection closed by the peer") \
    X(WECOM_ERR_IO, "network I/O error") \
    X(WECOM_ERR_ENTROPY, "no entropy from the system") \
    X(WECOM_ERR_FILE_READ, "reading the input failed") \
    X(WECOM_ERR_FILE_WRITE, "writing the output failed") \
    X(WECOM_ERR_NOT_REWINDABLE, \
      "input cannot be read again (a pipe); the retry needs a regular file") \
    X(WECOM_ERR_TOO_SLOW, \
      "transfer too slow: fewer bytes than the low-speed limit arrived in its " \
      "time window") \
    X(WECOM_ERR_OUTPUT_FULL, \
      "the output buffer is full: the medium is larger than the memory given") \
    X(WECOM_ERR_PROXY_AUTH, \
      "the proxy wants credentials (407): none were given or it refused " \
      "them (check --proxy-user or the proxy URL's user:password)") \
    X(WECOM_ERR_PROXY_REFUSED, \
      "the proxy refused to open a tunnel to the server (403, 502 or " \
      "another status)") \
    X(WECOM_ERR_PROXY_PROTOCOL, \
      "the proxy's answer to CONNECT is malformed or too large") \
    X(WECOM_ERR_TLS_SETUP, "TLS setup failed") \
    X(WECOM_ERR_TLS_CA_LOAD, "no CA certificate could be loaded") \
    X(WECOM_ERR_TLS_HANDSHAKE, "TLS handshake failed") \
    X(WECOM_ERR_TLS_CERT_UNTRUSTED, \
      "server certificate not signed by a trusted CA") \
    X(WECOM_ERR_TLS_CERT_HOSTNAME, \
      "server certificate does not name the host") \
    X(WECOM_ERR_TLS_CERT_EXPIRED, \
      "server certificate expired (or the device clock is set too late)") \
    X(WECOM_ERR_TLS_CERT_NOT_YET_VALID, \
      "server certificate not yet valid: check the device clock (a device " \
      "without a real-time clock boots in 1970; set the time, e.g. by NTP)") \
    X(WECOM_ERR_TLS_CERT_INVALID, "server certificate refused") \
    X(WECOM_ERR_TLS_IO, "TLS error during transfer") \
    X(WECOM_ERR_TLS_HOST_TOO_LONG, "host name too long") \
    X(WECOM_ERR_TLS_CA_EMPTY, \
      "the CA file holds no certificate (expected PEM blocks or one DER " \
      "certificate)") \
    X(WECOM_ERR_TLS_SESSION_REFUSED, \
      "saved TLS session refused: for another server or CA, or from another " \
      "build") \
    X(WECOM_ERR_TLS_VERSION, \
      "TLS handshake failed: the server speaks no TLS version this build " \
      "does (a TLS 1.3-only server needs a build with TLS 1.3)") \
    X(WECOM_ERR_TLS_CLIENT_CERT, \
      "TLS handshake failed: the server requires a client certificate, " \
      "which this client does not send") \
    X(WECOM_ERR_TLS_TOO_LARGE, \
      "TLS handshake failed: a handshake message (the server's certificate " \
      "chain) is larger than the TLS input buffer") \
    X(WECOM_ERR_TLS_NO_SHARED_CIPHER, \
      "TLS handshake failed: the server and this client share no cipher " \
      "suite or key exchange (or the server wants a TLS version this build " \
      "lacks)") \
    X(WECOM_ERR_HTTP_PARSE, "malformed HTTP response") \
    X(WECOM_ERR_HTTP_HEADERS_TOO_LARGE, \
      "HTTP response headers exceed the configured byte limit") \
    X(WECOM_ERR_HTTP_TOO_MANY_HEADERS, \
      "HTTP response has more header lines than the configured limit") \
    X(WECOM_ERR_HTTP_HEADER_VALUE_TOO_LONG, \
      "an HTTP response header value is longer than its slot") \
    X(WECOM_ERR_HTTP_DUPLICATE_HEADER, \
      "an HTTP response header the client uses appears twice") \
    X(WECOM_ERR_HTTP_REQUEST_TOO_LARGE, \
      "HTTP request head does not fit the I/O buffer") \
    X(WECOM_ERR_HTTP_INCOMPLETE, "HTTP response cut short") \
    X(WECOM_ERR_HTTP_BODY_SHORT, \
      "request body source ended before its announced length") \
    X(WECOM_ERR_HTTP_TOO_MANY_INTERIM, \
      "the server sent more interim (1xx) responses than the configured limit") \
    X(WECOM_ERR_HTTP_TRUNCATED, \
      "the response body ran to the connection's close, but the connection " \
      "ended without TLS close_notify: the body may be cut short") \
    X(WECOM_ERR_API, "the WeCom API answered with an error code") \
    X(WECOM_ERR_JSON_PARSE, "the API's answer is not valid JSON") \
    X(WECOM_ERR_JSON_TOO_LARGE, \
      "the API's JSON answer exceeds the configured size") \
    X(WECOM_ERR_JSON_FIELD, \
      "the API's answer lacks a field or has it mistyped") \
    X(WECOM_ERR_HTTP_STATUS, "unexpected HTTP status from the server") \
    X(WECOM_ERR_UPLOAD_UNCONFIRMED, \
      "the file was sent but no answer came; it may have been stored " \
      "(not sent again, to avoid a duplicate)") \
    X(WECOM_ERR_MEDIA_ID, \
      "the server's answer holds a malformed media_id (not shown)") \
    X(WECOM_ERR_API_MALFORMED, \
      "the server answered with JSON that is not a whole, valid API answer " \
      "(no media was saved)") \
    X(WECOM_ERR_MEDIA_TOO_SMALL, \
      "file too small: WeCom needs more than 5 bytes") \
    X(WECOM_ERR_MEDIA_TOO_LARGE, "file larger than the limit for its type") \
    X(WECOM_ERR_MEDIA_FORMAT, \
      "file content does not match its type (JPG/PNG image, AMR voice, MP4 video)") \
    X(WECOM_ERR_MEDIA_VOICE_TOO_LONG, "voice longer than the limit") \
    X(WECOM_ERR_MEDIA_AMR_WB, \
      "AMR-WB voice: WeCom documents AMR (narrowband) only") \
    X(WECOM_ERR_MEDIA_AMR_CORRUPT, "AMR voice with an invalid frame") \
    X(WECOM_ERR_MEDIA_LENGTH, \
      "input shorter or longer than the length given for it") \
    X(WECOM_ERR_RANGE_MISMATCH, \
      "the server's Content-Range does not match the range asked for") \
    X(WECOM_ERR_REMOTE_CHANGED, \
      "the medium changed on the server since the download began") \
    X(WECOM_ERR_SIZE_MISMATCH, \
      "the body's size differs from what the server announced") \
    X(WECOM_ERR_DOWNLOAD_TOO_LARGE, \
      "the medium is larger than the download size limit (max_bytes)") \
    X(WECOM_ERR_CONTENT_ENCODING, \
      "the server sent the medium with a Content-Encoding (such as gzip) " \
      "although identity was asked for; nothing was saved") \
    X(WECOM_ERR_HTML_ANSWER, \
      "the server answered with a web page (text/html), not the medium: " \
      "a proxy's or a portal's page? Nothing was saved") \
    X(WECOM_ERR_OUTBOX_FULL, \
      "the outbox is full (its item or byte quota): nothing was queued") \
    X(WECOM_ERR_OUTBOX_LOCKED, \
      "another drainer holds the outbox's lock (one at a time)") \
    X(WECOM_ERR_OUTBOX_UNSAFE, \
      "refused: a spool path is a symbolic link, not a regular file or " \
      "directory, not owned by this user, or writable by others") \
    X(WECOM_ERR_OUTBOX_CORRUPT, \
      "an outbox item's header is damaged (moved to failed/)") \
    X(WECOM_ERR_OUTBOX_PAUSED, \
      "rate limited by WeCom (45009): the drain pauses before the next try") \
    X(WECOM_ERR_OUTBOX_ABSENT, "no such file in the outbox") \
    X(WECOM_ERR_OUTBOX_JOURNAL, \
      "the outbox's results journal cannot be written (a full disk?): " \
      "draining stopped, nothing more is sent until it can")

#define CODE(code, text) -(code),
#if WECOM_ERROR_TEXT
#define PAIR(code, text) #code "\0" text "\0"
#else
#define PAIR(code, text) #code "\0"
#endif

/* Codes are 0 .. -0x7F: negated, each fits a byte. */
static const unsigned char CODES[] = { WECOM_ERRORS(CODE) };
static const char STRINGS[] = WECOM_ERRORS(PAIR);

/* The name of err, or NULL. Its text, when kept, follows the name's NUL. */
static const char *find(wecom_err_t err)
{
    const char *s = STRINGS;
    size_t i;
    for (i = 0; i < sizeof CODES; i++) {
        if (CODES[i] == -err)
            return s;
        s += strlen(s) + 1;
#if WECOM_ERROR_TEXT
        s += strlen(s) + 1;
#endif
    }
    return NULL;
}

const char *wecom_strerror(wecom_err_t err)
{
    const char *name = find(err);
    if (name == NULL)
        return "unknown error";
#if WECOM_ERROR_TEXT
    return name + strlen(name) + 1;
#else
    return name;
#endif
}

const char *wecom_errname(wecom_err_t err)
{
    const char *name = find(err);
    return name != NULL ? name : "WECOM_ERR_UNKNOWN";
}
