/* SPDX-License-Identifier: MIT */
/*
 * The outbox's spool: item files, ids, enqueue and its quota, counts.
 * The drainer is in outbox_drain.c, the journal in outbox_journal.c.
 */
#include <string.h>

#include "filename.h"
#include "outbox_internal.h"
#include "text.h"

#if WECOM_OUTBOX

/* ------------------------------------------------------------ items */

static void put_le(unsigned char *p, uint64_t v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

size_t wecom__item_encode(const wecom__item_t *it, unsigned char *out)
{
    size_t name_len = strlen(it->name);
    out[0] = 'W';
    out[1] = 'M';
    out[2] = 'Q';
    out[3] = '1';
    out[4] = WECOM__ITEM_VERSION;
    out[5] = (unsigned char)it->kind;
    put_le(out + 6, name_len, 2);
    put_le(out + 8, it->data_len, 8);
    put_le(out + 16, it->enqueued_ms, 8);
    memcpy(out + WECOM__ITEM_FIXED, it->name, name_len);
    return WECOM__ITEM_FIXED + name_len;
}

/* Read exactly len bytes at off, or fail. */
static wecom_err_t read_full(const wecom_fs_t *fs, int h, uint64_t off,
                             unsigned char *buf, size_t len)
{
    while (len > 0) {
        int n = fs->read_at(fs->ctx, h, off, buf, len);
        if (n < 0)
            return n;
        if (n == 0)
            return WECOM_ERR_OUTBOX_CORRUPT;
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return WECOM_OK;
}

wecom_err_t wecom__item_read(const wecom_fs_t *fs, int h, unsigned char *buf,
                             wecom__item_t *it)
{
    uint64_t size;
    size_t name_len;
    wecom_err_t rc = fs->size(fs->ctx, h, &size);
    if (rc != WECOM_OK)
        return rc;
    if (size < WECOM__ITEM_FIXED)
        return WECOM_ERR_OUTBOX_CORRUPT;
    rc = read_full(fs, h, 0, buf, WECOM__ITEM_FIXED);
    if (rc != WECOM_OK)
        return rc;
    if (memcmp(buf, WECOM__ITEM_MAGIC, 4) != 0 || buf[4] != WECOM__ITEM_VERSION ||
        buf[5] > WECOM_KIND_FILE)
        return WECOM_ERR_OUTBOX_CORRUPT;
    name_len = (size_t)get_le(buf + 6, 2);
    it->kind = (wecom_kind_t)buf[5];
    it->data_len = get_le(buf + 8, 8);
    it->enqueued_ms = get_le(buf + 16, 8);
    it->header_len = (uint32_t)(WECOM__ITEM_FIXED + name_len);
    /* The file must be exactly header and medium: a short one was cut,
     * which the rename into q/ after fsync rules out, unless the flash
     * lied. */
    if (name_len > WECOM_FILENAME_MAX || size < it->header_len ||
        size - it->header_len != it->data_len)
        return WECOM_ERR_OUTBOX_CORRUPT;
    rc = read_full(fs, h, WECOM__ITEM_FIXED, (unsigned char *)it->name, name_len);
    it->name[name_len] = '\0';
    if (rc == WECOM_OK && strlen(it->name) != name_len)
        rc = WECOM_ERR_OUTBOX_CORRUPT;
    return rc;
}

int wecom__item_name(const char *name, int *maybe_dup)
{
    size_t i;
    for (i = 0; i < WECOM_OUTBOX_ID_LEN; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    if (maybe_dup != NULL)
        *maybe_dup = name[i] == '.';
    return name[i] == '\0' || strcmp(name + i, ".c") == 0;
}

static int census_one(void *arg, const char *name, uint64_t size)
{
    wecom__census_t *c = arg;
    if (!wecom__item_name(name, NULL))
        return 0; /* not ours: left alone, not counted */
    c->count++;
    c->bytes += size;
    if (c->oldest[0] == '\0' || strncmp(name, c->oldest, WECOM_OUTBOX_ID_LEN) < 0)
        memcpy(c->oldest, name, strlen(name) + 1);
    return 0;
}

wecom_err_t wecom__census(const wecom_fs_t *fs, int dir, wecom__census_t *c)
{
    memset(c, 0, sizeof *c);
    return fs->list(fs->ctx, dir, census_one, c);
}

typedef struct {
    const wecom_fs_t *fs;
} tmp_ctx_t;

static int tmp_one(void *arg, const char *name, uint64_t size)
{
    const wecom_fs_t *fs = ((const tmp_ctx_t *)arg)->fs;
    size_t n = strlen(name);
    int h;
    (void)size;
    if (n < 4 || strcmp(name + n - 4, ".new") != 0)
        return 0;
    h = fs->open(fs->ctx, WECOM_FS_TMP, name, WECOM_FS_READ);
    if (h < 0)
        return 0;
    /* A writer holds its file locked until it is renamed into q/. */
    if (fs->trylock(fs->ctx, h) == WECOM_OK)
        (void)fs->unlink(fs->ctx, WECOM_FS_TMP, name);
    fs->close(fs->ctx, h);
    return 0;
}

void wecom__tmp_cleanup(const wecom_fs_t *fs)
{
    tmp_ctx_t c;
    c.fs = fs;
    (void)fs->list(fs->ctx, WECOM_FS_TMP, tmp_one, &c);
}

static int fs_read_at(void *ctx, uint64_t offset, unsigned char *buf, size_t len)
{
    const wecom__fs_reader_t *f = ctx;
    return f->fs->read_at(f->fs->ctx, f->h, f->base + offset, buf, len);
}

void wecom__fs_reader(wecom_reader_t *r, wecom__fs_reader_t *f,
                      const wecom_fs_t *fs, int h, uint64_t base)
{
    f->fs = fs;
    f->h = h;
    f->base = base;
    r->read_at = fs_read_at;
    r->ctx = f;
    r->once = 0;
}

/* ----------------------------------------------------------- outbox */

wecom_err_t wecom_outbox_init(wecom_outbox_t *ob, const wecom_outbox_config_t *cfg)
{
    if (ob == NULL || cfg == NULL || cfg->fs == NULL)
        return WECOM_ERR_INVALID_ARG;
    memset(ob, 0, sizeof *ob);
    ob->cfg = *cfg;
    if (ob->cfg.max_items == 0)
        ob->cfg.max_items = WECOM_OUTBOX_MAX_ITEMS;
    if (ob->cfg.max_bytes == 0)
        ob->cfg.max_bytes = WECOM_OUTBOX_MAX_BYTES;
    if (cfg->limits != NULL)
        ob->limits = *cfg->limits;
    else
        wecom_limits_default(&ob->limits);
    ob->cfg.limits = &ob->limits;
    ob->lock_h = -1;
    ob->journal_h = -1;
    return WECOM_OK;
}

void wecom_outbox_free(wecom_outbox_t *ob)
{
    const wecom_fs_t *fs;
    if (ob == NULL || ob->cfg.fs == NULL)
        return;
    fs = ob->cfg.fs;
    if (ob->journal_h >= 0)
        fs->close(fs->ctx, ob->journal_h);
    if (ob->lock_h >= 0)
        fs->close(fs->ctx, ob->lock_h);
    ob->journal_h = -1;
    ob->lock_h = -1;
}

/* 16 hex digits of wall-clock ms, then 8 random: names sort oldest
 * first, and two writers in the same ms do not meet. */
static wecom_err_t make_id(const wecom_fs_t *fs, char *id)
{
    unsigned char rnd[4];
    uint64_t ms = fs->wall_ms(fs->ctx);
    if (fs->entropy(fs->ctx, rnd, sizeof rnd) != 0)
        return WECOM_ERR_ENTROPY;
    wecom__text_hex(id, ms, 16);
    wecom__text_hex(id + 16, (uint32_t)rnd[0] << 24 | (uint32_t)rnd[1] << 16 |
                                 (uint32_t)rnd[2] << 8 | rnd[3], 8);
    id[WECOM_OUTBOX_ID_LEN] = '\0';
    return WECOM_OK;
}

/* Copy the reader's size bytes after the header. */
static wecom_err_t copy_in(wecom_outbox_t *ob, int h, const wecom_outbox_add_t *add)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    uint64_t off = 0;
    while (off < add->size) {
        uint64_t left = add->size - off;
        size_t want = left < sizeof ob->buf ? (size_t)left : sizeof ob->buf;
        int n = add->reader->read_at(add->reader->ctx, off, ob->buf, want);
        wecom_err_t rc;
        if (n < 0)
            return n;
        if (n == 0)
            return WECOM_ERR_MEDIA_LENGTH; /* the source was shorter */
        rc = fs->write(fs->ctx, h, ob->buf, (size_t)n);
        if (rc != WECOM_OK)
            return rc;
        off += (uint64_t)n;
    }
    return WECOM_OK;
}

/* Room for one more item of file_bytes: drop the oldest queued items
 * when so configured, else WECOM_ERR_OUTBOX_FULL (so, in the other
 * modes, a look at the quota that changes nothing). The quota is read
 * from the directories each time, so it holds across processes (two
 * enqueuers at the same instant may pass it by one item). */
static wecom_err_t make_room(wecom_outbox_t *ob, uint64_t file_bytes,
                             const wecom_outbox_add_t *add)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    wecom__census_t q, fl;
    wecom_err_t rc;
    int dropped = 0;

    if (file_bytes > ob->cfg.max_bytes)
        return WECOM_ERR_OUTBOX_FULL;
    for (;;) {
        char id[WECOM_OUTBOX_ID_LEN + 1];
        if ((rc = wecom__census(fs, WECOM_FS_QUEUE, &q)) != WECOM_OK ||
            (rc = wecom__census(fs, WECOM_FS_INFLIGHT, &fl)) != WECOM_OK)
            return rc;
        if (q.count + fl.count < ob->cfg.max_items &&
            q.bytes + fl.bytes + file_bytes <= ob->cfg.max_bytes)
            break;
        if (ob->cfg.when_full != WECOM_OUTBOX_DROP_OLDEST || q.count == 0)
            return WECOM_ERR_OUTBOX_FULL;
        rc = fs->unlink(fs->ctx, WECOM_FS_QUEUE, q.oldest);
        if (rc == WECOM_ERR_OUTBOX_ABSENT)
            continue; /* the drainer took it meanwhile */
        if (rc != WECOM_OK)
            return rc;
        memcpy(id, q.oldest, WECOM_OUTBOX_ID_LEN);
        id[WECOM_OUTBOX_ID_LEN] = '\0';
        dropped = 1;
        if (add->dropped != NULL)
            add->dropped(add->dropped_ctx, id);
    }
    return dropped ? fs->sync_dir(fs->ctx, WECOM_FS_QUEUE) : WECOM_OK;
}

wecom_err_t wecom_outbox_enqueue(wecom_outbox_t *ob, const wecom_outbox_add_t *add,
                                 char *id, wecom_check_t *chk)
{
    const wecom_fs_t *fs;
    wecom__item_t it;
    wecom__fs_reader_t fr;
    wecom_reader_t copy;
    wecom_check_t local;
    char tmp[WECOM_OUTBOX_ID_LEN + 5];
    size_t head;
    int h;
    wecom_err_t rc;

    if (ob == NULL || ob->cfg.fs == NULL || add == NULL || add->reader == NULL ||
        add->reader->read_at == NULL || id == NULL ||
        (unsigned)add->kind > WECOM_KIND_FILE)
        return WECOM_ERR_INVALID_ARG;
    fs = ob->cfg.fs;
    if (chk == NULL)
        chk = &local;
    memset(chk, 0, sizeof *chk);
    id[0] = '\0';
    wecom__tmp_cleanup(fs);

    memset(&it, 0, sizeof it);
    it.kind = add->kind;
    it.data_len = add->size;
    it.enqueued_ms = fs->wall_ms(fs->ctx);
    wecom__filename_clean(add->name != NULL ? add->name : "", it.name, sizeof it.name);
    if ((rc = make_id(fs, id)) != WECOM_OK)
        return rc;
    memcpy(tmp, id, WECOM_OUTBOX_ID_LEN);
    memcpy(tmp + WECOM_OUTBOX_ID_LEN, ".new", 5);
    /* Refused when the outbox is full already, before a byte goes to the
     * flash: a camera that keeps shooting into a full outbox must not
     * wear it out writing copies that are then deleted. */
    if (ob->cfg.when_full == WECOM_OUTBOX_REFUSE &&
        (rc = make_room(ob, WECOM__ITEM_FIXED + strlen(it.name) + add->size, add)) != WECOM_OK) {
        id[0] = '\0';
        return rc;
    }
    h = fs->open(fs->ctx, WECOM_FS_TMP, tmp, WECOM_FS_CREATE);
    if (h < 0) {
        id[0] = '\0';
        return h;
    }
    head = wecom__item_encode(&it, ob->buf);
    rc = fs->write(fs->ctx, h, ob->buf, head);
    if (rc == WECOM_OK)
        rc = copy_in(ob, h, add);
    if (rc == WECOM_OK)
        rc = fs->sync(fs->ctx, h);
    /* What is checked is the copy, so what is queued is what passed. */
    if (rc == WECOM_OK) {
        wecom__fs_reader(&copy, &fr, fs, h, head);
        rc = wecom_media_check(&copy, add->size, add->kind, &ob->limits, ob->buf,
                               sizeof ob->buf, chk);
    }
    if (rc == WECOM_OK)
        rc = make_room(ob, head + add->size, add);
    /* The rename is the commit: before it the item is not queued, after
     * it (and the directory's fsync) it survives a power cut. */
    if (rc == WECOM_OK)
        rc = fs->rename(fs->ctx, WECOM_FS_TMP, tmp, WECOM_FS_QUEUE, id);
    if (rc == WECOM_OK)
        rc = fs->sync_dir(fs->ctx, WECOM_FS_QUEUE);
    else
        (void)fs->unlink(fs->ctx, WECOM_FS_TMP, tmp);
    fs->close(fs->ctx, h);
    if (rc != WECOM_OK)
        id[0] = '\0';
    return rc;
}

/* ------------------------------------------------------------ counts */

typedef struct {
    wecom_outbox_t *ob;
    wecom_outbox_stats_t *st;
    wecom_outbox_result_fn fn;
    void *ctx;
    uint32_t corrupt;
} scan_t;

static int scan_line(void *arg, const char *line, size_t len)
{
    scan_t *s = arg;
    if (len == (size_t)-1 ||
        wecom__journal_parse(line, len, &s->ob->res) != WECOM_OK) {
        s->corrupt++;
        return 0;
    }
    if (s->st != NULL) {
        if (s->ob->res.status == WECOM_OUTBOX_DONE)
            s->st->done_lines++;
        else
            s->st->failed_lines++;
    }
    return s->fn != NULL ? s->fn(s->ctx, &s->ob->res) : 0;
}

static wecom_err_t scan_journal(wecom_outbox_t *ob, scan_t *s)
{
    const wecom_fs_t *fs = ob->cfg.fs;
    int h = fs->open(fs->ctx, WECOM_FS_SPOOL, "results.log", WECOM_FS_READ);
    int rc;
    if (h == WECOM_ERR_OUTBOX_ABSENT)
        return WECOM_OK;
    if (h < 0)
        return h;
    rc = wecom__journal_scan(fs, h, ob->buf, sizeof ob->buf, ob->line,
                             sizeof ob->line, scan_line, s, NULL);
    fs->close(fs->ctx, h);
    return rc;
}

wecom_err_t wecom_outbox_stats(wecom_outbox_t *ob, wecom_outbox_stats_t *st)
{
    wecom__census_t c;
    scan_t s;
    wecom_err_t rc;
    if (ob == NULL || ob->cfg.fs == NULL || st == NULL)
        return WECOM_ERR_INVALID_ARG;
    memset(st, 0, sizeof *st);
    if ((rc = wecom__census(ob->cfg.fs, WECOM_FS_QUEUE, &c)) != WECOM_OK)
        return rc;
    st->queued = c.count;
    st->bytes = c.bytes;
    if ((rc = wecom__census(ob->cfg.fs, WECOM_FS_INFLIGHT, &c)) != WECOM_OK)
        return rc;
    st->inflight = c.count;
    st->bytes += c.bytes;
    if ((rc = wecom__census(ob->cfg.fs, WECOM_FS_FAILED, &c)) != WECOM_OK)
        return rc;
    st->failed = c.count;
    memset(&s, 0, sizeof s);
    s.ob = ob;
    s.st = st;
    rc = scan_journal(ob, &s);
    st->corrupt_lines = s.corrupt;
    return rc;
}

wecom_err_t wecom_outbox_results(wecom_outbox_t *ob, wecom_outbox_result_fn fn,
                                 void *ctx, uint32_t *corrupt)
{
    scan_t s;
    wecom_err_t rc;
    if (corrupt != NULL)
        *corrupt = 0;
    if (ob == NULL || ob->cfg.fs == NULL)
        return WECOM_ERR_INVALID_ARG;
    memset(&s, 0, sizeof s);
    s.ob = ob;
    s.fn = fn;
    s.ctx = ctx;
    rc = scan_journal(ob, &s);
    if (corrupt != NULL)
        *corrupt = s.corrupt;
    return rc;
}

#endif /* WECOM_OUTBOX */
