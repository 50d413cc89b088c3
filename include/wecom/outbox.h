/* SPDX-License-Identifier: MIT */
/*
 * The outbox: store media now, upload them when the link returns, and
 * survive a power cut at any instant.
 *
 * A spool directory holds each queued item as one file (a small header
 * and the medium's bytes), written to tmp/, fsync'd and renamed into q/,
 * so an item is whole or absent. A drainer (one at a time: a lock file)
 * reserves a receipt for the oldest item, moves the item to inflight/,
 * uploads it with the client's retry policy and token handling, writes
 * the outcome over the receipt's reserved bytes and appends it to
 * results.log (one JSON line with a CRC, fsync'd), and only then deletes
 * the item (or moves it to failed/). A drainer killed at any instant
 * loses nothing: at its
 * next start the item left in inflight/ is finished if its journal line
 * was written, else queued again and marked "maybe_duplicate", as WeCom
 * may have stored it already (at-least-once: at most the one item in
 * flight per crash is uploaded twice, and both media_ids stay usable).
 *
 * Layout of the spool directory (0700 or tighter, each subdirectory too:
 * the POSIX fs refuses any group or other bit; never followed through a
 * link):
 *   lock          flock'd by the drainer
 *   tmp/ID.new    an item being written (flock'd by its writer)
 *   q/ID[.c]      queued items; ".c": an earlier attempt may have stored it
 *   inflight/ID   the item being uploaded
 *   inflight/ID.r its receipt: WECOM_OUTBOX_LINE_MAX bytes written before
 *                 the upload, the outcome's line written over them after
 *   failed/ID     items WeCom refused for good (reason in results.log)
 *   results.log   the journal
 * An ID is 16 hex digits of the wall clock in ms and 8 random hex digits:
 * items upload in the order of the clock that stamped them (a clock set
 * back puts later items first; within one ms the order is arbitrary).
 *
 * Fixed memory: wecom_outbox_t is the caller's (about 8 KB with the
 * defaults) and holds every buffer; nothing is allocated. The file system
 * is reached through wecom_fs_t (the POSIX one: wecom_posix_fs_open() in
 * wecom/posix.h). Enqueue may run in any process or thread while a
 * drainer runs; calls on one wecom_outbox_t must not overlap (a thread
 * of its own gets a wecom_outbox_t of its own over the same fs).
 *
 * Costs, measured (test/bench/outbox_cost.sh): queueing a 200 KB picture
 * is 2 fsyncs and 32 bytes over its size; uploading it from the outbox 4
 * fsyncs, a receipt of WECOM_OUTBOX_LINE_MAX bytes (deleted after) and a
 * journal line of about 280 bytes. The journal is compacted at the
 * drainer's start (outbox_drain.c).
 *
 * A full disk never makes the outbox send an item twice: an outcome the
 * journal cannot take stays in the item's receipt (written over bytes
 * reserved before the upload, so it needs no new space), the item is
 * finished all the same and the drain stops with WECOM_ERR_OUTBOX_JOURNAL;
 * each later start copies the receipt into the journal before anything
 * else and stops the same way while it cannot. With no room for the
 * receipt, nothing is sent (WECOM_ERR_OUTBOX_JOURNAL, the item queued).
 */
#ifndef WECOM_OUTBOX_H
#define WECOM_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/config.h"
#include "wecom/error.h"
#include "wecom/media.h"
#include "wecom/port.h"

#if WECOM_OUTBOX /* wecom/config.h */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------ the file-system port */

/* The spool's directories, as the fs functions name them. */
enum {
    WECOM_FS_SPOOL = 0,
    WECOM_FS_TMP,
    WECOM_FS_QUEUE,
    WECOM_FS_INFLIGHT,
    WECOM_FS_FAILED,
    WECOM_FS_DIRS
};

/* open() flags. */
#define WECOM_FS_READ 0u   /* an existing file, read only */
#define WECOM_FS_CREATE 1u /* a new file (never an existing one), 0600,
                              read-write, held under an exclusive lock
                              until closed; its writes follow one another
                              from offset 0, whatever other handles of
                              the file append (a receipt relies on it) */
#define WECOM_FS_APPEND 2u /* created 0600 if absent; every write goes to
                              the end; readable */

/* Called by list() for each regular file of a directory (links and
 * anything else are left out); a non-zero return stops the listing and
 * becomes list()'s. */
typedef int (*wecom_fs_list_fn)(void *arg, const char *name, uint64_t size);

/* What the outbox needs from the file system: files addressed by one
 * name in one of the spool's directories. Every function returns 0 (or
 * a count, or a handle >= 0) or a negative wecom_err_t:
 * WECOM_ERR_OUTBOX_ABSENT when the name does not exist,
 * WECOM_ERR_OUTBOX_UNSAFE when it is a link or not a regular file (never
 * followed), WECOM_ERR_OUTBOX_LOCKED from trylock, WECOM_ERR_FILE_READ or
 * WECOM_ERR_FILE_WRITE for anything else. */
typedef struct wecom_fs {
    int (*open)(void *ctx, int dir, const char *name, unsigned flags);
    /* Up to len bytes at off: count, 0 at the end, or error. */
    int (*read_at)(void *ctx, int h, uint64_t off, unsigned char *buf,
                   size_t len);
    /* All len bytes (one write where the system allows: a journal line
     * must not interleave with another). 0 or error. */
    int (*write)(void *ctx, int h, const unsigned char *buf, size_t len);
    /* Make the file's data durable (fsync). */
    int (*sync)(void *ctx, int h);
    int (*size)(void *ctx, int h, uint64_t *size);
    int (*truncate)(void *ctx, int h, uint64_t size);
    /* An exclusive lock without waiting, released by close. */
    int (*trylock)(void *ctx, int h);
    void (*close)(void *ctx, int h);
    /* Move a file; the target name is replaced if it exists. */
    int (*rename)(void *ctx, int from_dir, const char *from, int to_dir,
                  const char *to);
    int (*unlink)(void *ctx, int dir, const char *name);
    /* Make the directory's entries durable (fsync of the directory). */
    int (*sync_dir)(void *ctx, int dir);
    int (*list)(void *ctx, int dir, wecom_fs_list_fn fn, void *arg);
    /* Wall-clock milliseconds since 1970 (ids, expiry). */
    uint64_t (*wall_ms)(void *ctx);
    /* len random bytes (ids): 0 or error. */
    int (*entropy)(void *ctx, unsigned char *buf, size_t len);
    void *ctx;
} wecom_fs_t;

/* ---------------------------------------------------------- the outbox */

#define WECOM_OUTBOX_ID_LEN 24

/* What to do when an item would pass the quota. */
typedef enum wecom_outbox_full {
    WECOM_OUTBOX_REFUSE = 0,  /* WECOM_ERR_OUTBOX_FULL */
    WECOM_OUTBOX_DROP_OLDEST  /* delete the oldest queued items (never the
                                 one in flight) until the new one fits */
} wecom_outbox_full_t;

typedef struct wecom_outbox_config {
    const wecom_fs_t *fs;
    uint32_t max_items;  /* 0: WECOM_OUTBOX_MAX_ITEMS */
    uint64_t max_bytes;  /* item files' bytes, headers included;
                            0: WECOM_OUTBOX_MAX_BYTES */
    wecom_outbox_full_t when_full;
    const wecom_limits_t *limits; /* checks at enqueue; NULL: defaults */
} wecom_outbox_config_t;

/* An outcome, as the journal records it and the drain reports it. */
typedef enum wecom_outbox_status_kind {
    WECOM_OUTBOX_DONE = 1,     /* uploaded: media_id, created_at */
    WECOM_OUTBOX_FAILED = 2,   /* refused for good: moved to failed/ */
    WECOM_OUTBOX_REQUEUED = 3  /* drain only: back in q/ for a later pass */
} wecom_outbox_status_kind_t;

typedef struct wecom_outbox_result {
    char id[WECOM_OUTBOX_ID_LEN + 1];
    wecom_outbox_status_kind_t status;
    char media_id[WECOM_MEDIA_ID_MAX];
    char type[8];
    char name[WECOM_FILENAME_MAX + 1];
    uint64_t size;          /* the medium's bytes */
    int64_t created_at;     /* WeCom's, Unix seconds (done) */
    int64_t expires_at;     /* created_at + 3 days (done) */
    int64_t at;             /* when the line was written, Unix seconds */
    wecom_err_t err;        /* failed/requeued: why */
    int64_t errcode;        /* ... and WeCom's errcode when err is
                               WECOM_ERR_API, else 0 */
    char errmsg[WECOM_ERRMSG_MAX];
    int maybe_duplicate;    /* an earlier attempt may have stored it too
                               (a crash in flight, or a lost answer) */
} wecom_outbox_result_t;

typedef struct wecom_outbox {
    wecom_outbox_config_t cfg;
    wecom_limits_t limits;
    int lock_h;     /* the drainer's lock, -1 when not held */
    int journal_h;  /* results.log while the lock is held */
    wecom_outbox_result_t res;
    wecom_api_error_t api;
    char line[WECOM_OUTBOX_LINE_MAX];
    unsigned char buf[WECOM_OUTBOX_BUF_SIZE];
} wecom_outbox_t;

/* Bind ob to cfg (cfg->fs must stay valid). Opens nothing. */
WECOM_API wecom_err_t wecom_outbox_init(wecom_outbox_t *ob,
                                        const wecom_outbox_config_t *cfg);

/* Release the drainer's lock and the journal, if held. */
WECOM_API void wecom_outbox_free(wecom_outbox_t *ob);

/* Called for each queued item deleted to make room (drop-oldest). */
typedef void (*wecom_outbox_dropped_fn)(void *ctx, const char *id);

typedef struct wecom_outbox_add {
    const wecom_reader_t *reader; /* wecom_mem_reader(), a file, ... */
    uint64_t size;                /* bytes to take from offset 0 */
    wecom_kind_t kind;            /* AUTO: from the content, at upload */
    const char *name;             /* display name (a path is cut to its
                                     last component); NULL: by kind */
    wecom_outbox_dropped_fn dropped;
    void *dropped_ctx;
} wecom_outbox_add_t;

/* Copy size bytes of the reader into the outbox, check the copy as an
 * upload would be checked (a refusal is the check's WECOM_ERR_MEDIA_*
 * error, with chk filled, and nothing is queued), and queue it durably:
 * when this returns WECOM_OK the item survives a power cut (two fsyncs:
 * the file's and q/'s). id gets the item's id (WECOM_OUTBOX_ID_LEN + 1
 * bytes). WECOM_ERR_OUTBOX_FULL when the quota refuses it. */
WECOM_API wecom_err_t wecom_outbox_enqueue(wecom_outbox_t *ob,
                                           const wecom_outbox_add_t *add,
                                           char *id, wecom_check_t *chk);

/* Become the one drainer: take the lock (WECOM_ERR_OUTBOX_LOCKED when
 * another process holds it), cut a torn last journal line, remove
 * abandoned temporary files and recover the item a crash left in
 * flight. Held until wecom_outbox_free(). drain_once calls it. */
WECOM_API wecom_err_t wecom_outbox_lock(wecom_outbox_t *ob);

/* Called once per item the drain handled; r->status says how. rc is the
 * upload's result (WECOM_OK when done); api is WeCom's answer when rc is
 * WECOM_ERR_API. For a log; it must not call into ob or the client. */
typedef void (*wecom_outbox_outcome_fn)(void *ctx,
                                        const wecom_outbox_result_t *r,
                                        wecom_err_t rc,
                                        const wecom_api_error_t *api);

/* Upload queued items, oldest first, until the queue is empty
 * (WECOM_OK) or a failure that is not the item's stops the pass: the
 * network, TLS, the server (-1, 45033 after the client's retries), the
 * credentials; the item goes back to q/ and that error is returned
 * (WECOM_ERR_API with ob->api for an errcode). 45009 (rate limited)
 * returns WECOM_ERR_OUTBOX_PAUSED: wait minutes, not seconds. An item
 * WeCom refuses for good (40004, 40005, 40006, 40009, 40011, 44001,
 * 45001, 45007, or the check before sending) is journaled as failed
 * and moved to failed/. WECOM_ERR_OUTBOX_JOURNAL: the outcome could not
 * be recorded in the journal (see above); the lock is given up. */
WECOM_API wecom_err_t wecom_outbox_drain_once(wecom_outbox_t *ob,
                                              wecom_client_t *client,
                                              wecom_outbox_outcome_fn fn,
                                              void *ctx);

typedef struct wecom_outbox_stats {
    uint32_t queued;
    uint32_t inflight;
    uint32_t failed;      /* files in failed/ */
    uint64_t bytes;       /* queued and in flight, headers included */
    uint32_t done_lines;  /* journal lines, by status */
    uint32_t failed_lines;
    uint32_t corrupt_lines; /* lines whose CRC or syntax is wrong */
} wecom_outbox_stats_t;

WECOM_API wecom_err_t wecom_outbox_stats(wecom_outbox_t *ob,
                                         wecom_outbox_stats_t *st);

/* Call fn for each valid journal line, oldest first (a non-zero return
 * stops and is returned); corrupt (may be NULL) counts the lines skipped
 * because their CRC or syntax is wrong. Reads only; no lock needed. */
typedef int (*wecom_outbox_result_fn)(void *ctx,
                                      const wecom_outbox_result_t *r);
WECOM_API wecom_err_t wecom_outbox_results(wecom_outbox_t *ob,
                                           wecom_outbox_result_fn fn,
                                           void *ctx, uint32_t *corrupt);

#ifdef __cplusplus
}
#endif

#endif /* WECOM_OUTBOX */

#endif /* WECOM_OUTBOX_H */
