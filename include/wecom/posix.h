/* SPDX-License-Identifier: MIT */
/*
 * The POSIX port: TCP over IPv4 and IPv6, poll() timeouts, a monotonic
 * clock, getrandom() entropy, and file-descriptor readers and writers.
 */
#ifndef WECOM_POSIX_H
#define WECOM_POSIX_H

#include <signal.h>
#include <stdint.h>

#include "wecom/port.h"
#include "wecom/outbox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* State of one TCP connection; fd is -1 when closed. wake is a self-pipe
 * that the transport's cancel writes to and every wait polls beside the
 * socket, so that a cancel from another thread or a signal handler ends a
 * wait at once ({-1, -1} when it could not be made: waits then look at
 * cancelled every WECOM_CANCEL_SLICE_MS). */
typedef struct wecom_posix_net {
    int fd;
    int wake[2];
    volatile sig_atomic_t cancelled;
    char addr[48]; /* the address the last connect tried, numeric, for
                      messages ("" before any); an IPv6 one fits */
} wecom_posix_net_t;

/* Fill t with TCP functions over net (closed to begin with), opening its
 * wake-up pipe (see wecom_posix_net_free). Every wait is bounded by the
 * timeout the caller passes, except resolving the host name: getaddrinfo()
 * blocks and cannot be cancelled, so neither a deadline (even
 * wecom_client_set_deadline's) nor wecom_client_cancel can cut it short
 * (the connect after it then fails at once). The system resolver bounds
 * it (resolv.conf "options timeout:N attempts:N"; glibc's default is 5 s
 * a try, 2 tries per name server). A connect that starts after the
 * deadline fails at once without resolving. */
WECOM_API void wecom_posix_transport(wecom_transport_t *t, wecom_posix_net_t *net);

/* Fill port with the POSIX functions, using net for the connection (and
 * as sys_ctx, so that sleep_ms ends early on a cancel). Opens net's
 * wake-up pipe: release it with wecom_posix_net_free() before net is
 * filled again or goes away. */
WECOM_API void wecom_posix_port_init(wecom_port_t *port, wecom_posix_net_t *net);

/* Close net's connection and its wake-up pipe. A net never filled by
 * wecom_posix_transport() or _port_init() (zeroed storage) is left
 * alone; a second call does nothing. */
WECOM_API void wecom_posix_net_free(wecom_posix_net_t *net);

/* getrandom() as an mbedTLS-style entropy callback: 0 or
 * WECOM_ERR_ENTROPY. ctx is unused. */
WECOM_API int wecom_posix_entropy(void *ctx, unsigned char *buf, size_t len);

/* Hand mbedTLS's allocator a static arena of len bytes: from then on
 * every mbedTLS allocation in the process comes from buf, so TLS needs no
 * heap at all. Call it once, before any client exists, and keep buf for
 * the life of the process (mbedTLS's allocator is process-wide and not
 * thread-safe: one thread doing TLS). An arena too small fails whatever
 * runs out with a WECOM_ERR_TLS_* code (mbedTLS reports a certificate
 * check that ran out as untrusted), never corrupts memory. Needs an mbedTLS built
 * with MBEDTLS_MEMORY_BUFFER_ALLOC_C and MBEDTLS_PLATFORM_MEMORY
 * (packaging/mbedtls/wecom_mbedtls_config.h; README gives the size an
 * upload and a download need); with any other mbedTLS it returns
 * WECOM_ERR_TLS_SETUP and mbedTLS keeps using the C heap. A second call,
 * NULL or len under 1 KiB: WECOM_ERR_INVALID_ARG. */
WECOM_API wecom_err_t wecom_posix_mbedtls_arena(void *buf, size_t len);

/* A file descriptor as a reader or writer. Offsets count from the
 * descriptor's position when it was handed over (base); a regular file is
 * read with pread() so any offset can be asked for again, a pipe only
 * forward. pos is the next offset in sequential use. */
typedef struct wecom_posix_fd {
    int fd;
    int seekable;
    uint64_t base;
    uint64_t pos;
} wecom_posix_fd_t;

/* Make r read from fd. The descriptor stays the caller's. */
WECOM_API void wecom_posix_reader(wecom_reader_t *r, wecom_posix_fd_t *f, int fd);

/* Make w write to fd, retrying short writes and EINTR. */
WECOM_API void wecom_posix_writer(wecom_writer_t *w, wecom_posix_fd_t *f, int fd);

#if WECOM_OUTBOX
/* The outbox's file system (wecom/outbox.h) over a spool directory: one
 * descriptor per directory, every name opened relative to it with
 * O_NOFOLLOW, so a link planted in the spool is refused, never followed.
 * fsyncs and bytes_written count what the outbox cost the flash. */
typedef struct wecom_posix_fs {
    int dirs[WECOM_FS_DIRS];
    unsigned long fsyncs;
    unsigned long long bytes_written;
} wecom_posix_fs_t;

/* Open the spool directory at path, creating it (0700) if absent (its
 * parent must exist) and its subdirectories, and fill fs. Refused with
 * WECOM_ERR_OUTBOX_UNSAFE when path or a subdirectory is a symbolic link,
 * not a directory, not owned by this user, or open to group or others in
 * any way (its mode must be 0700 or tighter); WECOM_ERR_FILE_WRITE when
 * it cannot be made. */
WECOM_API wecom_err_t wecom_posix_fs_open(wecom_fs_t *fs, wecom_posix_fs_t *p,
                                          const char *path);

/* Close the directories. */
WECOM_API void wecom_posix_fs_close(wecom_posix_fs_t *p);

/* Queue the regular file at path (wecom_outbox_enqueue): opts gives the
 * kind, the display name (NULL: path's last component) and the dropped
 * callback; its reader and size are taken from the file. A path that is
 * not a regular file is WECOM_ERR_FILE_READ, as is one that cannot be
 * opened. */
WECOM_API wecom_err_t wecom_posix_outbox_add_file(wecom_outbox_t *ob, const char *path,
                                                  const wecom_outbox_add_t *opts,
                                                  char *id, wecom_check_t *chk);
#endif

#ifdef __cplusplus
}
#endif

#endif /* WECOM_POSIX_H */
