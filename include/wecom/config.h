/* SPDX-License-Identifier: MIT */
/*
 * Build-time settings and their defaults.
 *
 * The build writes wecom/build_config.h from the Kconfig .config (or leaves
 * it empty); a firmware may also name its own header with
 * -DWECOM_CONFIG_FILE='"my_wecom_config.h"'. Anything not set there takes
 * the default below. Sizes are in bytes unless the name says otherwise.
 */
#ifndef WECOM_CONFIG_H
#define WECOM_CONFIG_H

#include "wecom/build_config.h"

#if defined(WECOM_CONFIG_FILE)
#include WECOM_CONFIG_FILE
#endif

/* Marks the public API: the library is built with -fvisibility=hidden,
 * so only what carries this is exported from the shared library. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define WECOM_API __attribute__((visibility("default")))
#else
#define WECOM_API
#endif

/* The port the library is built with (Kconfig's choice; POSIX is the only
 * one so far): port/posix/. */
#ifndef WECOM_PORT_POSIX
#define WECOM_PORT_POSIX 1
#endif

/* Features a device may leave out to shrink the library (1 on, 0 off):
 * downloads (wecom_media_download and what only it needs: Range,
 * Content-Disposition, the answer rule), the AMR voice check's frame walk
 * (length and corruption; the magic bytes are still checked), the MP4
 * check of a video, and the command-line tool's progress bar. */
#ifndef WECOM_DOWNLOAD
#define WECOM_DOWNLOAD 1
#endif
#ifndef WECOM_CHECK_AMR
#define WECOM_CHECK_AMR 1
#endif
#ifndef WECOM_CHECK_MP4
#define WECOM_CHECK_MP4 1
#endif
#ifndef WECOM_CLI_PROGRESS
#define WECOM_CLI_PROGRESS 1
#endif
/* The outbox (wecom/outbox.h, wecom-media queue): a durable queue of
 * media uploaded when the link returns. */
#ifndef WECOM_OUTBOX
#define WECOM_OUTBOX 1
#endif
/* HTTP proxies: the CONNECT tunnel (core/tls/proxy.c) between the transport
 * and TLS, and the client's proxy settings. Off: a proxy in the
 * configuration is refused with WECOM_ERR_INVALID_ARG. */
#ifndef WECOM_PROXY
#define WECOM_PROXY 1
#endif
/* The CA file streamed through a fixed buffer at each full handshake,
 * its roots matched to the chain by name (the system bundle costs a few
 * KB of heap). Off, it is parsed whole at init into mbedTLS's trust list
 * (4-5 KB of heap per root: fine for a device that ships its own one or
 * two, some 445 KB for the system bundle) and the code is 3 KB smaller. */
#ifndef WECOM_CA_STREAM
#define WECOM_CA_STREAM 1
#endif
/* gettoken (wecom_token_fetch): a token from the corpid and secret. Off,
 * tokens come from the application (wecom_client_set_token_ttl or a
 * token provider), and the corp secret need not be on the device at all:
 * a backend that holds it hands out tokens. */
#ifndef WECOM_TOKEN_FETCH
#define WECOM_TOKEN_FETCH 1
#endif
/* The TLS session across processes (wecom_client_session_save and
 * _load). Off, a new process makes a full handshake; reconnects within a
 * client still resume. */
#ifndef WECOM_SESSION_SAVE
#define WECOM_SESSION_SAVE 1
#endif

/* 1: wecom_strerror describes each code in a sentence (about 3.5 KB of
 * text), wecom_check_describe a refusal. 0: the code's name
 * ("WECOM_ERR_TIMEOUT"), and a refusal's values ("WECOM_ERR_MEDIA_TOO_SMALL
 * 3, limit 5"), for the smallest devices; wecom_errname is the same
 * either way. */
#ifndef WECOM_ERROR_TEXT
#define WECOM_ERROR_TEXT 1
#endif

/* The static arena (bytes) the command-line tool hands mbedTLS at start
 * (wecom_posix_mbedtls_arena), used where mbedTLS was built to take one
 * (packaging/mbedtls/wecom_mbedtls_config.h) and ignored otherwise; 0: the
 * tool never hands one over. The CA file is streamed at each handshake
 * (the system bundle fits: README gives the measured minimum); roots given
 * in memory or as a directory are parsed into the arena. */
#ifndef WECOM_CLI_MBEDTLS_ARENA
#define WECOM_CLI_MBEDTLS_ARENA 49152
#endif

/* The client's one I/O buffer: request head and body chunks on the way out,
 * response bytes on the way in. Larger means fewer TLS records per MB. */
#ifndef WECOM_IO_BUF_SIZE
#define WECOM_IO_BUF_SIZE 16384
#endif

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

/* Room for a media_id (WeCom's are about 64 characters) and errmsg. */
#ifndef WECOM_MEDIA_ID_MAX
#define WECOM_MEDIA_ID_MAX 160
#endif
#ifndef WECOM_ERRMSG_MAX
#define WECOM_ERRMSG_MAX 256
#endif

/* llhttp's parser state (96 bytes in llhttp 8 and 9 on 64-bit systems),
 * held inside the client as opaque bytes; the library checks at
 * compile time that it fits. */
#ifndef WECOM_LLHTTP_STATE_SIZE
#define WECOM_LLHTTP_STATE_SIZE 128
#endif

/* Longest host name accepted in a base URL (RFC 1035 allows 253). */
#ifndef WECOM_HOST_MAX
#define WECOM_HOST_MAX 256
#endif

/* Response header limits: total bytes of status line and headers, and
 * number of header lines. Exceeding either is an error. */
#ifndef WECOM_HTTP_MAX_HEADER_BYTES
#define WECOM_HTTP_MAX_HEADER_BYTES 8192
#endif
#ifndef WECOM_HTTP_MAX_HEADERS
#define WECOM_HTTP_MAX_HEADERS 64
#endif
/* Interim (1xx) responses accepted before the final one; their header
 * bytes and lines count against the limits above too. A server that keeps
 * sending "100 Continue" is refused, never read forever. */
#ifndef WECOM_HTTP_MAX_INTERIM
#define WECOM_HTTP_MAX_INTERIM 8
#endif

/* Slots for the response headers the client keeps (value + NUL). */
#ifndef WECOM_HTTP_CONTENT_TYPE_MAX
#define WECOM_HTTP_CONTENT_TYPE_MAX 128
#endif
#ifndef WECOM_HTTP_CONTENT_RANGE_MAX
#define WECOM_HTTP_CONTENT_RANGE_MAX 80
#endif
/* WeCom's worst case: attachment; filename*=utf-8''<255-byte UTF-8 name,
 * percent-encoded: 765> ; filename="<the same 255 bytes raw>" is 1,062
 * bytes. Headers that only inform (type, disposition, validators) that
 * still do not fit are dropped, never an error; Content-Range is. */
#ifndef WECOM_HTTP_DISPOSITION_MAX
#define WECOM_HTTP_DISPOSITION_MAX 1152
#endif
#ifndef WECOM_HTTP_ETAG_MAX
#define WECOM_HTTP_ETAG_MAX 132
#endif
#ifndef WECOM_HTTP_DATE_MAX
#define WECOM_HTTP_DATE_MAX 40
#endif

/* Network waits, milliseconds: each connect, handshake and read/write. */
#ifndef WECOM_DEFAULT_TIMEOUT_MS
#define WECOM_DEFAULT_TIMEOUT_MS 30000
#endif

/* Low-speed limit: a transfer fails with WECOM_ERR_TOO_SLOW when fewer
 * than WECOM_LOW_SPEED_BYTES (of request or response, as plain text) move
 * within a window of WECOM_LOW_SPEED_MS, so a server that drips bytes
 * cannot hold the tool forever although each single wait is short. 0
 * bytes turns it off. */
#ifndef WECOM_LOW_SPEED_BYTES
#define WECOM_LOW_SPEED_BYTES 1024
#endif
#ifndef WECOM_LOW_SPEED_MS
#define WECOM_LOW_SPEED_MS 30000
#endif

/* A proxy's answer to CONNECT is read byte by byte against this bound
 * (status line and headers, bytes): nothing of it is stored, so the bound
 * only stops a hostile proxy that sends headers without end. */
#ifndef WECOM_PROXY_HEAD_MAX
#define WECOM_PROXY_HEAD_MAX 8192
#endif
/* Longest "user:password" for a proxy's Basic authentication (bytes); the
 * client holds it base64-encoded (4/3 of this) and wipes it on free. */
#ifndef WECOM_PROXY_CREDENTIALS_MAX
#define WECOM_PROXY_CREDENTIALS_MAX 256
#endif

/* A rate limit (wecom_client_set_rate_limit) lets a burst of at most this
 * many milliseconds' worth of bytes through at once; between bursts the
 * client sleeps. Shorter smooths the rate at the cost of more wake-ups. */
#ifndef WECOM_RATE_BURST_MS
#define WECOM_RATE_BURST_MS 100
#endif

/* Media limits from WeCom's documentation (MB = 1,048,576 bytes, the
 * lenient reading, so the client never refuses what the server takes).
 * WeCom has raised some since: these are defaults, and each call can pass
 * its own. Files must be larger than WECOM_LIMIT_MIN_BYTES. */
#ifndef WECOM_LIMIT_MIN_BYTES
#define WECOM_LIMIT_MIN_BYTES 5
#endif
#ifndef WECOM_LIMIT_IMAGE_BYTES
#define WECOM_LIMIT_IMAGE_BYTES 2097152
#endif
#ifndef WECOM_LIMIT_VOICE_BYTES
#define WECOM_LIMIT_VOICE_BYTES 2097152
#endif
#ifndef WECOM_LIMIT_VIDEO_BYTES
#define WECOM_LIMIT_VIDEO_BYTES 10485760
#endif
#ifndef WECOM_LIMIT_FILE_BYTES
#define WECOM_LIMIT_FILE_BYTES 20971520
#endif
#ifndef WECOM_LIMIT_VOICE_MS
#define WECOM_LIMIT_VOICE_MS 60000
#endif

/* Longest file name sent or kept, in bytes of UTF-8. */
#ifndef WECOM_FILENAME_MAX
#define WECOM_FILENAME_MAX 255
#endif

/* Largest JSON answer read from the API (errmsg carries a hint tail). */
#ifndef WECOM_JSON_MAX
#define WECOM_JSON_MAX 2048
#endif
/* Tokens for one JSON answer; WeCom's have at most a dozen fields. An
 * answer that needs more is malformed, never media. */
#ifndef WECOM_JSON_TOKENS
#define WECOM_JSON_TOKENS 48
#endif

/* Most bytes accepted for one downloaded medium (wecom_download_t's
 * max_bytes overrides it per call). WeCom's largest media are 200 MB
 * (video and file by upload_by_url; 20 MB by upload): this bounds a server
 * that sends a body without end, and a Content-Length or Content-Range
 * total above it is refused before a byte is written. */
#ifndef WECOM_MEDIA_MAX_BYTES
#define WECOM_MEDIA_MAX_BYTES 536870912
#endif

/* Attempts for one call when the network drops or WeCom answers -1
 * (busy) or 45033 (too many concurrent calls), and the first backoff. */
#ifndef WECOM_RETRY_MAX
#define WECOM_RETRY_MAX 4
#endif
#ifndef WECOM_RETRY_BACKOFF_MS
#define WECOM_RETRY_BACKOFF_MS 500
#endif
/* The longest a call keeps retrying one failure (ms, backoff included;
 * 0: only the attempts and the deadline bound it). Per client:
 * wecom_client_set_retry(). */
#ifndef WECOM_RETRY_MAX_MS
#define WECOM_RETRY_MAX_MS 120000
#endif

/* How long a wait may run before it looks at the cancel flag
 * (wecom_client_cancel) where nothing wakes it: a port without a cancel
 * hook, or the POSIX port when its wake-up pipe could not be made. Shorter
 * answers a cancel sooner at the cost of more wake-ups while idle. */
#ifndef WECOM_CANCEL_SLICE_MS
#define WECOM_CANCEL_SLICE_MS 100
#endif

/* Largest range asked for in one request; WeCom refuses more than 20 MB
 * (errcode 830002). */
#ifndef WECOM_RANGE_MAX_BYTES
#define WECOM_RANGE_MAX_BYTES 20971520
#endif
/* Smallest range the client falls back to when a server keeps answering
 * 830002 (range too large) to smaller ones. */
#ifndef WECOM_RANGE_MIN_BYTES
#define WECOM_RANGE_MIN_BYTES 65536
#endif
/* The tool's download makes its .part durable (fsync, then a note in
 * the .part.info) every this many bytes: after a power cut --continue
 * fetches at most this much again, never bytes the storage lost. */
#ifndef WECOM_CLI_DOWNLOAD_SYNC_BYTES
#define WECOM_CLI_DOWNLOAD_SYNC_BYTES 2097152
#endif

/* The outbox's quota: queued and in-flight items, and their bytes
 * (headers included); each outbox may set its own, below these or above. */
#ifndef WECOM_OUTBOX_MAX_ITEMS
#define WECOM_OUTBOX_MAX_ITEMS 1000
#endif
#ifndef WECOM_OUTBOX_MAX_BYTES
#define WECOM_OUTBOX_MAX_BYTES 104857600
#endif
/* The outbox's copy buffer (enqueue, journal scans) and its longest
 * journal line (a JSON object: ids, media_id, name, errmsg escaped). */
#ifndef WECOM_OUTBOX_BUF_SIZE
#define WECOM_OUTBOX_BUF_SIZE 4096
#endif
#ifndef WECOM_OUTBOX_LINE_MAX
#define WECOM_OUTBOX_LINE_MAX 2048
#endif
/* The outbox's results journal: rewritten at a drainer's start once it
 * passes JOURNAL_MAX bytes, keeping the lines of items enqueued within
 * JOURNAL_KEEP_S (temporary media live 3 days), and of those at most
 * JOURNAL_MAX / 2 bytes, the newest. */
#ifndef WECOM_OUTBOX_JOURNAL_MAX
#define WECOM_OUTBOX_JOURNAL_MAX 1048576
#endif
#ifndef WECOM_OUTBOX_JOURNAL_KEEP_S
#define WECOM_OUTBOX_JOURNAL_KEEP_S 345600
#endif
/* wecom-media queue run: the longest backoff after network failures, and
 * the pause after WeCom's 45009 (rate limited), in ms. */
#ifndef WECOM_OUTBOX_BACKOFF_MAX_MS
#define WECOM_OUTBOX_BACKOFF_MAX_MS 300000
#endif
#ifndef WECOM_OUTBOX_PAUSE_MS
#define WECOM_OUTBOX_PAUSE_MS 60000
#endif

/* The CA bundle used when the caller names none (Debian, Buildroot and
 * Yocto's ca-certificates all install it here). */
#ifndef WECOM_DEFAULT_CA_FILE
#define WECOM_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#endif

/* The CA store (core/tls/castore.c): the CA file is not parsed up front but
 * streamed at each full handshake through the client's I/O buffer, its
 * certificates matched by name to the server's chain. The longest CA
 * file path (kept in the client) and the bytes read at a time (the rest
 * of the I/O buffer holds the certificate being decoded: one larger is
 * skipped; the system bundle's largest is 2007 bytes). At most
 * WECOM_CA_MATCH_MAX certificates are parsed for one verification (each
 * costs mbedTLS a few KB of heap). */
#ifndef WECOM_CA_PATH_MAX
#define WECOM_CA_PATH_MAX 256
#endif
#ifndef WECOM_CA_READ_CHUNK
#define WECOM_CA_READ_CHUNK 512
#endif
#ifndef WECOM_CA_MATCH_MAX
#define WECOM_CA_MATCH_MAX 8
#endif

/* The tool keeps the last TLS session in its cache directory so that
 * the next run resumes it (1 on, 0 off; needs WECOM_SESSION_SAVE), for
 * at most this long
 * (seconds; a server that no longer knows it makes a full handshake).
 * WECOM_SESSION_MAX: room for one saved session (mbedTLS's serialisation
 * with the server's certificate, plus the host and CA it is keyed to). */
#ifndef WECOM_CLI_SESSION_CACHE
#define WECOM_CLI_SESSION_CACHE 1
#endif
#ifndef WECOM_SESSION_LIFETIME_S
#define WECOM_SESSION_LIFETIME_S 86400
#endif
#ifndef WECOM_SESSION_MAX
#define WECOM_SESSION_MAX 4096
#endif

/* Tokens: the client asks its token provider for a new one this long
 * before the current one lapses (seconds; at most half the token's life
 * is used, so a short-lived token is still used for a while). */
#ifndef WECOM_TOKEN_REFRESH_MARGIN_S
#define WECOM_TOKEN_REFRESH_MARGIN_S 300
#endif
/* The tool's --token-command: longest it may run (ms), less when the
 * client's deadline (--max-time) comes sooner. */
#ifndef WECOM_TOKEN_COMMAND_TIMEOUT_MS
#define WECOM_TOKEN_COMMAND_TIMEOUT_MS 30000
#endif
/* The tool's cache directory (token cache) for devices whose home is
 * read-only, as --cache-dir; "" follows $XDG_CACHE_HOME/wecom-media,
 * else ~/.cache/wecom-media. */
#ifndef WECOM_CLI_CACHE_DIR
#define WECOM_CLI_CACHE_DIR ""
#endif

#endif /* WECOM_CONFIG_H */
