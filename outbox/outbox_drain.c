/* SPDX-License-Identifier: MIT */
/*
 * The outbox's drainer: one at a time (the lock file), oldest item first.
 *
 * An item's life: a receipt inflight/ID.r reserved (fsync) --> q/ID
 * --rename--> inflight/ID --upload--> the outcome's line written over
 * the receipt's reserved bytes and appended to the journal (fsync) -->
 * unlink (or rename to failed/), receipt unlinked. The journal line comes
 * before the delete, so a crash between them finds the line at the next
 * start and just finishes the delete; a crash before the line finds the
 * item in inflight/ without one and queues it again, marked
 * maybe_duplicate (WeCom may have stored it: at-least-once).
 *
 * The receipt is what a full disk cannot take away: its bytes are
 * written before the upload starts, so the outcome is recorded over them
 * without any new space. When the journal then cannot take the line, the
 * receipt is fsync'd and kept, the item is finished all the same (its
 * outcome is known: it is never sent again) and the drain stops with
 * WECOM_ERR_OUTBOX_JOURNAL; the next start copies the receipt's line into
 * the journal before anything else, and stops the same way while it
 * cannot. A receipt that cannot be reserved stops the drain before the
 * upload, the item still in q/.
 *
 * The journal is bounded: at the drainer's start, once it is past
 * WECOM_OUTBOX_JOURNAL_MAX bytes, it is rewritten with only the lines of
 * items enqueued within WECOM_OUTBOX_JOURNAL_KEEP_S (the media of older
 * ones have expired on WeCom's side), and if those still pass half the
 * bound, only the newest of them. The new journal is written beside the
 * old one and renamed over it, so a crash leaves one or the other whole.
 */
#include <string.h>

#include "client.h"
#include "outbox_internal.h"

#if WECOM_OUTBOX

#define JOURNAL "results.log"
#define JOURNAL_NEW "results.log.new" /* in tmp/: an abandoned one is removed */

/* errcodes that refuse the item itself: sending it again cannot help. */
static int item_refused(wecom_err_t rc, const wecom_api_error_t *api)
{
    if (rc <= WECOM_ERR_MEDIA_TOO_SMALL && rc >= WECOM_ERR_MEDIA_LENGTH)
        return 1; /* the check before sending */
    if (rc == WECOM_ERR_OUTBOX_CORRUPT)
        return 1;
    if (rc != WECOM_ERR_API || api == NULL)
        return 0;
    switch (api->errcode) {
    case 40004: case 40005: case 40006: case 40009: case 40011:
    case 44001: case 45001: case 45007:
        return 1;
    default:
        /* The rest (-1, 45033, tokens, permissions, IP lists, codes not
         * known) are the account's or the server's: the item waits. */
        return 0;
    }
}

static void id_of(const char *name, char *id)
{
    memcpy(id, name, WECOM_OUTBOX_ID_LEN);
    id[WECOM_OUTBOX_ID_LEN] = '\0';
}

/* Append the len bytes of ob->line (one whole line) to the journal and
 * make them durable. A failed write may leave part of a line: the caller
 * then gives up the lock, so that the next drainer's start cuts it before
 * appending. */
static wecom_err_t journal_append(wecom_outbox_t *ob, size_t len)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    wecom_err_t rc = fs->write(fs->ctx, ob->journal_h, (const unsigned char *)ob->line, len);
    if (rc == WECOM_OK)
        rc = fs->sync(fs->ctx, ob->journal_h);
    return rc == WECOM_OK ? WECOM_OK : WECOM_ERR_OUTBOX_JOURNAL;
}

/* ------------------------------------------------------- receipts */

/* inflight/ID.r for the item named name (ID or ID.c). */
static void receipt_name(const char *name, char *out)
{
    id_of(name, out);
    memcpy(out + WECOM_OUTBOX_ID_LEN, ".r", 3);
}

static int is_receipt(const char *name)
{
    size_t i;
    for (i = 0; i < WECOM_OUTBOX_ID_LEN; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    return strcmp(name + i, ".r") == 0;
}

/* Reserve the receipt: WECOM_OUTBOX_LINE_MAX spaces written and fsync'd
 * through a second (append) handle, so that the handle returned, whose
 * writes start at offset 0, later writes the outcome over bytes the file
 * system has already given. A handle, or WECOM_ERR_OUTBOX_JOURNAL. */
static int receipt_reserve(wecom_outbox_t *ob, const char *rname)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    int h = fs->open(fs->ctx, WECOM_FS_INFLIGHT, rname, WECOM_FS_CREATE), a;
    wecom_err_t rc;
    if (h < 0)
        return WECOM_ERR_OUTBOX_JOURNAL;
    a = fs->open(fs->ctx, WECOM_FS_INFLIGHT, rname, WECOM_FS_APPEND);
    rc = a < 0 ? a : WECOM_OK;
    memset(ob->line, ' ', sizeof ob->line);
    if (rc == WECOM_OK)
        rc = fs->write(fs->ctx, a, (const unsigned char *)ob->line, sizeof ob->line);
    if (rc == WECOM_OK)
        rc = fs->sync(fs->ctx, a);
    if (a >= 0)
        fs->close(fs->ctx, a);
    if (rc == WECOM_OK)
        return h;
    fs->close(fs->ctx, h);
    (void)fs->unlink(fs->ctx, WECOM_FS_INFLIGHT, rname);
    return WECOM_ERR_OUTBOX_JOURNAL;
}

/* Record ob->res: over the receipt's reserved bytes, then in the journal.
 * WECOM_OK when the journal has it; else WECOM_ERR_OUTBOX_JOURNAL, with
 * *kept set when the receipt holds it durably. */
static wecom_err_t record(wecom_outbox_t *ob, int receipt, int *kept)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    size_t len;
    wecom_err_t rr, rc = wecom__journal_format(&ob->res, ob->line, sizeof ob->line, &len);
    *kept = 0;
    if (rc != WECOM_OK)
        return rc;
    rr = fs->write(fs->ctx, receipt, (const unsigned char *)ob->line, len);
    if (journal_append(ob, len) == WECOM_OK)
        return WECOM_OK;
    if (rr == WECOM_OK)
        rr = fs->sync(fs->ctx, receipt);
    *kept = rr == WECOM_OK;
    return WECOM_ERR_OUTBOX_JOURNAL;
}

/* Read the receipt rname's line into ob->line (without its '\n'): its
 * length, 0 when it holds none (reserved, never written: no outcome). */
static size_t receipt_read(wecom_outbox_t *ob, const char *rname)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    int h = fs->open(fs->ctx, WECOM_FS_INFLIGHT, rname, WECOM_FS_READ), n;
    size_t got = 0;
    const char *nl;
    if (h < 0)
        return 0;
    while (got < sizeof ob->line &&
           (n = fs->read_at(fs->ctx, h, got, (unsigned char *)ob->line + got,
                            sizeof ob->line - got)) > 0)
        got += (size_t)n;
    fs->close(fs->ctx, h);
    nl = memchr(ob->line, '\n', got);
    return nl != NULL ? (size_t)(nl - ob->line) : 0;
}

/* Move inflight/name to dir/to, durable there once this returns OK. */
static wecom_err_t move_out(const wecom_fs_t *fs, const char *name, int dir,
                            const char *to)
{
    wecom_err_t rc = fs->rename(fs->ctx, WECOM_FS_INFLIGHT, name, dir, to);
    return rc == WECOM_OK ? fs->sync_dir(fs->ctx, dir) : rc;
}

/* Back to q/ under its id, with ".c" when WeCom may have it already. */
static wecom_err_t back_to_queue(const wecom_fs_t *fs, const char *name,
                                 int maybe_dup)
{
    char back[WECOM_OUTBOX_ID_LEN + 3];
    id_of(name, back);
    if (maybe_dup)
        memcpy(back + WECOM_OUTBOX_ID_LEN, ".c", 3);
    return move_out(fs, name, WECOM_FS_QUEUE, back);
}

/* Walk the lines of the journal the drainer holds open. */
static int scan_journal(wecom_outbox_t *ob, wecom__line_fn fn, void *arg,
                        uint64_t *complete)
{
    return wecom__journal_scan(ob->cfg.fs, ob->journal_h, ob->buf, sizeof ob->buf,
                               ob->line, sizeof ob->line, fn, arg, complete);
}

/* ------------------------------------------------------- recovery */

typedef struct {
    wecom_outbox_t *ob;
    const char *id;
    wecom_outbox_status_kind_t found;
} find_t;

static int find_line(void *arg, const char *line, size_t len)
{
    find_t *f = arg;
    /* Cheap test first: every line starts {"id":"<id>". */
    if (len == (size_t)-1 || len < 8 + WECOM_OUTBOX_ID_LEN ||
        memcmp(line + 7, f->id, WECOM_OUTBOX_ID_LEN) != 0)
        return 0;
    if (wecom__journal_parse(line, len, &f->ob->res) == WECOM_OK &&
        strcmp(f->ob->res.id, f->id) == 0)
        f->found = f->ob->res.status;
    return 0;
}

static int first_name(void *arg, const char *name, uint64_t size)
{
    char *out = arg;
    (void)size;
    if (!wecom__item_name(name, NULL))
        return 0;
    memcpy(out, name, strlen(name) + 1);
    return 1;
}

static int first_receipt(void *arg, const char *name, uint64_t size)
{
    char *out = arg;
    (void)size;
    if (!is_receipt(name))
        return 0;
    memcpy(out, name, strlen(name) + 1);
    return 1;
}

/* Copy into the journal the outcomes that receipts hold and it lacks (a
 * full disk stopped the last drain), then remove the receipts. While the
 * journal cannot take them, WECOM_ERR_OUTBOX_JOURNAL: nothing is sent. */
static wecom_err_t recover_receipts(wecom_outbox_t *ob)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    for (;;) {
        char rname[WECOM_OUTBOX_ID_LEN + 3], id[WECOM_OUTBOX_ID_LEN + 1];
        find_t f;
        size_t len;
        int rc;
        rname[0] = '\0';
        rc = fs->list(fs->ctx, WECOM_FS_INFLIGHT, first_receipt, rname);
        if (rc < 0)
            return rc;
        if (rname[0] == '\0')
            return WECOM_OK;
        id_of(rname, id);
        len = receipt_read(ob, rname);
        if (len > 0 && wecom__journal_parse(ob->line, len, &ob->res) == WECOM_OK &&
            strcmp(ob->res.id, id) == 0) {
            memset(&f, 0, sizeof f);
            f.ob = ob;
            f.id = id;
            rc = scan_journal(ob, find_line, &f, NULL);
            if (rc < 0)
                return rc;
            if (f.found == 0) {
                len = receipt_read(ob, rname); /* the scan used ob->line */
                ob->line[len] = '\n';
                if ((rc = journal_append(ob, len + 1)) != WECOM_OK)
                    return rc;
            }
        }
        rc = fs->unlink(fs->ctx, WECOM_FS_INFLIGHT, rname);
        if (rc == WECOM_OK)
            rc = fs->sync_dir(fs->ctx, WECOM_FS_INFLIGHT);
        if (rc != WECOM_OK)
            return rc;
    }
}

/* Finish or requeue what a crash left in inflight/, one item at a time
 * (normally there is at most one); first what receipts recorded. */
static wecom_err_t recover(wecom_outbox_t *ob)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    wecom_err_t first = recover_receipts(ob);
    if (first != WECOM_OK)
        return first;
    for (;;) {
        char name[WECOM_OUTBOX_ID_LEN + 3], id[WECOM_OUTBOX_ID_LEN + 1];
        find_t f;
        int rc;
        name[0] = '\0';
        rc = fs->list(fs->ctx, WECOM_FS_INFLIGHT, first_name, name);
        if (rc < 0)
            return rc;
        if (name[0] == '\0')
            return WECOM_OK;
        id_of(name, id);
        memset(&f, 0, sizeof f);
        f.ob = ob;
        f.id = id;
        rc = scan_journal(ob, find_line, &f, NULL);
        if (rc < 0)
            return rc;
        if (f.found == WECOM_OUTBOX_DONE) {
            rc = fs->unlink(fs->ctx, WECOM_FS_INFLIGHT, name);
        } else if (f.found == WECOM_OUTBOX_FAILED) {
            rc = move_out(fs, name, WECOM_FS_FAILED, id);
        } else {
            rc = back_to_queue(fs, name, 1);
        }
        if (rc == WECOM_OK)
            rc = fs->sync_dir(fs->ctx, WECOM_FS_INFLIGHT);
        if (rc != WECOM_OK)
            return rc;
    }
}

static int count_line(void *arg, const char *line, size_t len)
{
    (void)arg;
    (void)line;
    (void)len;
    return 0;
}

/* Cut a torn last line (a power cut during its write), so that the next
 * line starts on a line of its own. */
static wecom_err_t repair_journal(wecom_outbox_t *ob)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    uint64_t complete, size;
    int rc = scan_journal(ob, count_line, NULL, &complete);
    if (rc < 0)
        return rc;
    if ((rc = fs->size(fs->ctx, ob->journal_h, &size)) != WECOM_OK)
        return rc;
    if (size == complete)
        return WECOM_OK;
    rc = fs->truncate(fs->ctx, ob->journal_h, complete);
    return rc == WECOM_OK ? fs->sync(fs->ctx, ob->journal_h) : rc;
}

/* ----------------------------------------------------- compaction */

typedef struct {
    wecom_outbox_t *ob;
    uint64_t since_ms;  /* keep items enqueued at or after this */
    uint64_t kept;      /* pass 1: bytes of the lines to keep */
    uint64_t skip;      /* pass 2: bytes of kept lines still to drop */
    int h;              /* pass 2: the new journal */
    int failed;
} compact_t;

/* The wall-clock ms an item was enqueued at: its id's 16 hex digits. */
static uint64_t id_ms(const char *id)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 16; i++)
        v = (v << 4) | (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
    return v;
}

/* A line worth keeping: whole, its CRC right, its item recent. */
static int keep_line(compact_t *c, const char *line, size_t len)
{
    return len != (size_t)-1 &&
           wecom__journal_parse(line, len, &c->ob->res) == WECOM_OK &&
           id_ms(c->ob->res.id) >= c->since_ms;
}

static int measure_line(void *arg, const char *line, size_t len)
{
    compact_t *c = arg;
    if (keep_line(c, line, len))
        c->kept += (uint64_t)len + 1;
    return 0;
}

static int copy_line(void *arg, const char *line, size_t len)
{
    compact_t *c = arg;
    const wecom_fs_t *fs = c->ob->cfg.fs;
    if (!keep_line(c, line, len))
        return 0;
    if (c->skip > 0) { /* the oldest of the recent ones, over half the bound */
        c->skip = c->skip > (uint64_t)len + 1 ? c->skip - ((uint64_t)len + 1) : 0;
        return 0;
    }
    if (fs->write(fs->ctx, c->h, (const unsigned char *)line, len) != WECOM_OK ||
        fs->write(fs->ctx, c->h, (const unsigned char *)"\n", 1) != WECOM_OK) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

/* Only a journal that can no longer be appended to is an error: a
 * compaction that fails before its rename leaves the old one in use. */
static wecom_err_t compact_journal(wecom_outbox_t *ob)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    uint64_t size, now = fs->wall_ms(fs->ctx), keep_ms;
    compact_t c;
    int rc, h;
    if (fs->size(fs->ctx, ob->journal_h, &size) != WECOM_OK ||
        size <= WECOM_OUTBOX_JOURNAL_MAX)
        return WECOM_OK;
    memset(&c, 0, sizeof c);
    c.ob = ob;
    keep_ms = (uint64_t)WECOM_OUTBOX_JOURNAL_KEEP_S * 1000u;
    c.since_ms = now > keep_ms ? now - keep_ms : 0;
    rc = scan_journal(ob, measure_line, &c, NULL);
    if (rc < 0)
        return WECOM_OK; /* unreadable now: appends may still work */
    c.skip = c.kept > WECOM_OUTBOX_JOURNAL_MAX / 2 ? c.kept - WECOM_OUTBOX_JOURNAL_MAX / 2 : 0;
    (void)fs->unlink(fs->ctx, WECOM_FS_TMP, JOURNAL_NEW); /* a leftover */
    h = fs->open(fs->ctx, WECOM_FS_TMP, JOURNAL_NEW, WECOM_FS_CREATE);
    if (h < 0)
        return WECOM_OK;
    c.h = h;
    rc = scan_journal(ob, copy_line, &c, NULL);
    if (rc == 0 && c.failed)
        rc = WECOM_ERR_FILE_WRITE;
    if (rc == 0)
        rc = fs->sync(fs->ctx, h);
    if (rc == 0)
        rc = fs->rename(fs->ctx, WECOM_FS_TMP, JOURNAL_NEW, WECOM_FS_SPOOL, JOURNAL);
    if (rc == 0)
        rc = fs->sync_dir(fs->ctx, WECOM_FS_SPOOL);
    fs->close(fs->ctx, h);
    if (rc != 0) {
        /* The old journal stays whole and in use: the drain goes on, and
         * the next start tries again. */
        (void)fs->unlink(fs->ctx, WECOM_FS_TMP, JOURNAL_NEW);
        return WECOM_OK;
    }
    /* appends go to the new file from now on */
    fs->close(fs->ctx, ob->journal_h);
    ob->journal_h = fs->open(fs->ctx, WECOM_FS_SPOOL, JOURNAL, WECOM_FS_APPEND);
    return ob->journal_h < 0 ? ob->journal_h : WECOM_OK;
}

wecom_err_t wecom_outbox_lock(wecom_outbox_t *ob)
{
    const wecom_fs_t *fs;
    wecom_err_t rc;
    if (ob == NULL || ob->cfg.fs == NULL)
        return WECOM_ERR_INVALID_ARG;
    if (ob->lock_h >= 0)
        return WECOM_OK;
    fs = ob->cfg.fs;
    ob->lock_h = fs->open(fs->ctx, WECOM_FS_SPOOL, "lock", WECOM_FS_APPEND);
    if (ob->lock_h < 0) {
        rc = ob->lock_h;
        ob->lock_h = -1;
        return rc;
    }
    rc = fs->trylock(fs->ctx, ob->lock_h);
    if (rc == WECOM_OK) {
        ob->journal_h = fs->open(fs->ctx, WECOM_FS_SPOOL, JOURNAL, WECOM_FS_APPEND);
        rc = ob->journal_h < 0 ? ob->journal_h : WECOM_OK;
    }
    if (rc == WECOM_OK)
        rc = repair_journal(ob);
    if (rc == WECOM_OK) {
        wecom__tmp_cleanup(fs);
        rc = recover(ob);
    }
    if (rc == WECOM_OK) /* after recovery: it may need the old lines */
        rc = compact_journal(ob);
    if (rc != WECOM_OK)
        wecom_outbox_free(ob);
    return rc;
}

/* ---------------------------------------------------------- drain */

static int64_t digits_i64(const char *s)
{
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9' && v < INT64_MAX / 10 - 10; s++)
        v = v * 10 + (*s - '0');
    return v;
}

/* Upload inflight/name; fills ob->res and ob->api. */
static wecom_err_t upload_one(wecom_outbox_t *ob, wecom_client_t *client,
                              const char *name, wecom_upload_result_t *res)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    wecom__item_t it;
    wecom__fs_reader_t fr;
    wecom_reader_t reader;
    wecom_upload_t up;
    wecom_err_t rc;
    int h = fs->open(fs->ctx, WECOM_FS_INFLIGHT, name, WECOM_FS_READ);

    memset(res, 0, sizeof *res);
    if (h < 0)
        return h == WECOM_ERR_OUTBOX_UNSAFE ? WECOM_ERR_OUTBOX_CORRUPT : h;
    rc = wecom__item_read(fs, h, ob->buf, &it);
    if (rc == WECOM_OK) {
        const char *type;
        memcpy(ob->res.name, it.name, sizeof ob->res.name);
        ob->res.size = it.data_len;
        wecom__fs_reader(&reader, &fr, fs, h, it.header_len);
        memset(&up, 0, sizeof up);
        up.kind = it.kind;
        up.reader = &reader;
        up.length = it.data_len;
        up.filename = it.name[0] != '\0' ? it.name : NULL;
        up.limits = &ob->limits;
        rc = wecom_media_upload(client, &up, res);
        /* what the check found the medium to be, else the kind stored */
        type = wecom_kind_name(res->check.kind != WECOM_KIND_AUTO
                                   ? res->check.kind : it.kind);
        memcpy(ob->res.type, type, strlen(type) + 1);
    }
    fs->close(fs->ctx, h);
    return rc;
}

/* The item is done: record, then delete. */
static wecom_err_t finish_done(wecom_outbox_t *ob, const char *name, int receipt,
                               const wecom_upload_result_t *res)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    wecom_err_t rc, rec;
    int kept;
    ob->res.status = WECOM_OUTBOX_DONE;
    memcpy(ob->res.media_id, res->media_id, sizeof ob->res.media_id);
    if (res->type[0] != '\0')
        memcpy(ob->res.type, res->type, sizeof res->type);
    ob->res.created_at = digits_i64(res->created_at);
    ob->res.expires_at = ob->res.created_at + WECOM__MEDIA_TTL_S;
    rec = record(ob, receipt, &kept);
    if (rec != WECOM_OK && !kept)
        return rec;
    /* When only the receipt holds the outcome, it must stay: the next
     * start finishes what is left by it. */
    rc = fs->unlink(fs->ctx, WECOM_FS_INFLIGHT, name);
    return rec != WECOM_OK ? rec : rc;
}

/* Refused for good: record with the reason, then to failed/. */
static wecom_err_t finish_failed(wecom_outbox_t *ob, const char *name, int receipt,
                                 wecom_err_t why)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    const char *msg = why == WECOM_ERR_API ? ob->api.errmsg : wecom_strerror(why);
    char id[WECOM_OUTBOX_ID_LEN + 1];
    wecom_err_t rc, rec;
    int kept;
    ob->res.status = WECOM_OUTBOX_FAILED;
    ob->res.err = why;
    ob->res.errcode = why == WECOM_ERR_API ? ob->api.errcode : 0;
    memcpy(ob->res.errmsg, msg, strlen(msg) + 1);
    rec = record(ob, receipt, &kept);
    if (rec != WECOM_OK && !kept)
        return rec;
    id_of(name, id);
    rc = move_out(fs, name, WECOM_FS_FAILED, id);
    return rec != WECOM_OK ? rec : rc;
}

/* Not the item's fault: back to q/ for a later pass. An answer lost
 * after the whole body went out (or a cancel then) may mean WeCom has it:
 * the name says so,
 * and the eventual journal line will too. */
static wecom_err_t requeue(wecom_outbox_t *ob, const char *name, wecom_err_t why)
{
    ob->res.status = WECOM_OUTBOX_REQUEUED;
    ob->res.err = why;
    return back_to_queue(ob->cfg.fs, name,
                         ob->res.maybe_duplicate ||
                             why == WECOM_ERR_UPLOAD_UNCONFIRMED ||
                             why == WECOM_ERR_CANCELLED ||
                             why == WECOM_ERR_DEADLINE);
}

/* Upload inflight/name (its receipt reserved, open as receipt), record
 * the outcome and finish the item; the receipt goes unless it alone holds
 * the outcome. */
static wecom_err_t drain_item(wecom_outbox_t *ob, wecom_client_t *client,
                              const char *name, int receipt,
                              wecom_outbox_outcome_fn fn, void *ctx,
                              wecom_err_t *up)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    wecom_upload_result_t res;
    char rname[WECOM_OUTBOX_ID_LEN + 3];
    wecom_err_t done, rc;
    *up = upload_one(ob, client, name, &res);
    ob->api = res.api;
    if (*up == WECOM_OK)
        done = finish_done(ob, name, receipt, &res);
    else if (item_refused(*up, &res.api))
        done = finish_failed(ob, name, receipt, *up);
    else
        done = requeue(ob, name, *up);
    fs->close(fs->ctx, receipt);
    if (fn != NULL)
        fn(ctx, &ob->res, *up, *up == WECOM_ERR_API ? &ob->api : NULL);
    receipt_name(name, rname);
    if (done != WECOM_ERR_OUTBOX_JOURNAL) {
        rc = fs->unlink(fs->ctx, WECOM_FS_INFLIGHT, rname);
        if (done == WECOM_OK && rc != WECOM_OK && rc != WECOM_ERR_OUTBOX_ABSENT)
            done = rc;
    }
    rc = fs->sync_dir(fs->ctx, WECOM_FS_INFLIGHT);
    return done != WECOM_OK ? done : rc;
}

wecom_err_t wecom_outbox_drain_once(wecom_outbox_t *ob, wecom_client_t *client,
                                    wecom_outbox_outcome_fn fn, void *ctx)
{
    const wecom_fs_t *fs;
    wecom_err_t rc;

    if (ob == NULL || ob->cfg.fs == NULL)
        return WECOM_ERR_INVALID_ARG;
    /* A client that is not set up, or busy: before any item is moved. */
    if ((rc = wecom__client_may_call(wecom__client(client), 0)) != WECOM_OK)
        return rc;
    if ((rc = wecom_outbox_lock(ob)) != WECOM_OK)
        return rc;
    fs = ob->cfg.fs;
    for (;;) {
        wecom__census_t q;
        char name[WECOM_OUTBOX_ID_LEN + 3], rname[WECOM_OUTBOX_ID_LEN + 3];
        wecom_err_t up;
        int dup = 0, receipt;
        if ((rc = wecom__census(fs, WECOM_FS_QUEUE, &q)) != WECOM_OK)
            return rc;
        if (q.count == 0)
            return WECOM_OK;
        memcpy(name, q.oldest, sizeof name);
        (void)wecom__item_name(name, &dup);
        /* No room to record the outcome: nothing is sent. */
        receipt_name(name, rname);
        if ((receipt = receipt_reserve(ob, rname)) < 0) {
            wecom_outbox_free(ob);
            return receipt;
        }
        rc = fs->rename(fs->ctx, WECOM_FS_QUEUE, name, WECOM_FS_INFLIGHT, name);
        if (rc == WECOM_OK)
            rc = fs->sync_dir(fs->ctx, WECOM_FS_INFLIGHT);
        if (rc != WECOM_OK) {
            fs->close(fs->ctx, receipt);
            (void)fs->unlink(fs->ctx, WECOM_FS_INFLIGHT, rname);
            if (rc == WECOM_ERR_OUTBOX_ABSENT)
                continue; /* an enqueuer dropped it to make room */
            return rc;
        }

        memset(&ob->res, 0, sizeof ob->res);
        memset(&ob->api, 0, sizeof ob->api);
        id_of(name, ob->res.id);
        ob->res.maybe_duplicate = dup;
        ob->res.at = (int64_t)(fs->wall_ms(fs->ctx) / 1000u);
        rc = drain_item(ob, client, name, receipt, fn, ctx, &up);
        if (rc == WECOM_ERR_OUTBOX_JOURNAL)
            wecom_outbox_free(ob); /* the next start cuts a torn line */
        if (rc != WECOM_OK)
            return rc;
        if (ob->res.status == WECOM_OUTBOX_REQUEUED)
            return up == WECOM_ERR_API && ob->api.errcode == 45009
                   ? WECOM_ERR_OUTBOX_PAUSED : up;
    }
}

#endif /* WECOM_OUTBOX */
