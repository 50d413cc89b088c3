/* SPDX-License-Identifier: MIT */
/*
 * wecom-media error codes.
 *
 * Every call returns a wecom_err_t: 0 on success, a negative code on a local
 * failure. Codes come in ranges per layer so that a number alone tells where
 * it came from. WECOM_ERR_API means the server answered with errcode != 0;
 * the errcode and errmsg are then in the call's result.
 */
#ifndef WECOM_ERROR_H
#define WECOM_ERROR_H

#include "wecom/config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int wecom_err_t;

enum {
    WECOM_OK = 0,

    /* general: -0x01 .. -0x0F */
    WECOM_ERR_INVALID_ARG = -0x01,
    WECOM_ERR_BUFFER_TOO_SMALL = -0x02,
    WECOM_ERR_CANCELLED = -0x03,
    WECOM_ERR_DEADLINE = -0x04,
    WECOM_ERR_ABI_MISMATCH = -0x05,
    WECOM_ERR_BUSY = -0x06, /* a call on the client from its own callback */

    /* port: network and files, -0x10 .. -0x1F */
    WECOM_ERR_RESOLVE = -0x10,
    WECOM_ERR_CONNECT = -0x11,
    WECOM_ERR_TIMEOUT = -0x12,
    WECOM_ERR_CLOSED = -0x13,
    WECOM_ERR_IO = -0x14,
    WECOM_ERR_ENTROPY = -0x15,
    WECOM_ERR_FILE_READ = -0x16,
    WECOM_ERR_FILE_WRITE = -0x17,
    WECOM_ERR_NOT_REWINDABLE = -0x18,
    WECOM_ERR_TOO_SLOW = -0x19,
    WECOM_ERR_OUTPUT_FULL = -0x1A,
    WECOM_ERR_PROXY_AUTH = -0x1B,
    WECOM_ERR_PROXY_REFUSED = -0x1C,
    WECOM_ERR_PROXY_PROTOCOL = -0x1D,

    /* tls: -0x20 .. -0x2F */
    WECOM_ERR_TLS_SETUP = -0x20,
    WECOM_ERR_TLS_CA_LOAD = -0x21,
    WECOM_ERR_TLS_HANDSHAKE = -0x22,
    WECOM_ERR_TLS_CERT_UNTRUSTED = -0x23,
    WECOM_ERR_TLS_CERT_HOSTNAME = -0x24,
    WECOM_ERR_TLS_CERT_EXPIRED = -0x25,
    WECOM_ERR_TLS_CERT_NOT_YET_VALID = -0x26,
    WECOM_ERR_TLS_CERT_INVALID = -0x27,
    WECOM_ERR_TLS_IO = -0x28,
    WECOM_ERR_TLS_HOST_TOO_LONG = -0x29,
    WECOM_ERR_TLS_CA_EMPTY = -0x2A,
    WECOM_ERR_TLS_SESSION_REFUSED = -0x2B,
    WECOM_ERR_TLS_VERSION = -0x2C,
    WECOM_ERR_TLS_CLIENT_CERT = -0x2D,
    WECOM_ERR_TLS_TOO_LARGE = -0x2E,
    WECOM_ERR_TLS_NO_SHARED_CIPHER = -0x2F,

    /* http: -0x30 .. -0x3F */
    WECOM_ERR_HTTP_PARSE = -0x30,
    WECOM_ERR_HTTP_HEADERS_TOO_LARGE = -0x31,
    WECOM_ERR_HTTP_TOO_MANY_HEADERS = -0x32,
    WECOM_ERR_HTTP_HEADER_VALUE_TOO_LONG = -0x33,
    WECOM_ERR_HTTP_DUPLICATE_HEADER = -0x34,
    WECOM_ERR_HTTP_REQUEST_TOO_LARGE = -0x35,
    WECOM_ERR_HTTP_INCOMPLETE = -0x36,
    WECOM_ERR_HTTP_BODY_SHORT = -0x37,
    WECOM_ERR_HTTP_TOO_MANY_INTERIM = -0x38,
    WECOM_ERR_HTTP_TRUNCATED = -0x39,

    /* api answers: -0x40 .. -0x4F */
    WECOM_ERR_API = -0x40,
    WECOM_ERR_JSON_PARSE = -0x41,
    WECOM_ERR_JSON_TOO_LARGE = -0x42,
    WECOM_ERR_JSON_FIELD = -0x43,
    WECOM_ERR_HTTP_STATUS = -0x44,
    WECOM_ERR_UPLOAD_UNCONFIRMED = -0x45,
    WECOM_ERR_MEDIA_ID = -0x46,
    WECOM_ERR_API_MALFORMED = -0x47,

    /* media validation before upload: -0x50 .. -0x5F */
    WECOM_ERR_MEDIA_TOO_SMALL = -0x50,
    WECOM_ERR_MEDIA_TOO_LARGE = -0x51,
    WECOM_ERR_MEDIA_FORMAT = -0x52,
    WECOM_ERR_MEDIA_VOICE_TOO_LONG = -0x53,
    WECOM_ERR_MEDIA_AMR_WB = -0x54,
    WECOM_ERR_MEDIA_AMR_CORRUPT = -0x55,
    WECOM_ERR_MEDIA_LENGTH = -0x56,

    /* download: -0x60 .. -0x6F */
    WECOM_ERR_RANGE_MISMATCH = -0x60,
    WECOM_ERR_REMOTE_CHANGED = -0x61,
    WECOM_ERR_SIZE_MISMATCH = -0x62,
    WECOM_ERR_DOWNLOAD_TOO_LARGE = -0x63,
    WECOM_ERR_CONTENT_ENCODING = -0x64,
    WECOM_ERR_HTML_ANSWER = -0x65,

    /* outbox: -0x70 .. -0x7F */
    WECOM_ERR_OUTBOX_FULL = -0x70,
    WECOM_ERR_OUTBOX_LOCKED = -0x71,
    WECOM_ERR_OUTBOX_UNSAFE = -0x72,
    WECOM_ERR_OUTBOX_CORRUPT = -0x73,
    WECOM_ERR_OUTBOX_PAUSED = -0x74,
    WECOM_ERR_OUTBOX_ABSENT = -0x75,
    WECOM_ERR_OUTBOX_JOURNAL = -0x76
};

/* A short, fixed English description of an error code; never NULL. */
WECOM_API const char *wecom_strerror(wecom_err_t err);

/* The symbolic name of an error code ("WECOM_ERR_TIMEOUT"); never NULL. */
WECOM_API const char *wecom_errname(wecom_err_t err);

#ifdef __cplusplus
}
#endif

#endif /* WECOM_ERROR_H */
