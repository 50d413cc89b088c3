/* SPDX-License-Identifier: MIT */
/*
 * The outbox (outbox/outbox*.c) on the real POSIX file system in a
 * temporary directory: the item header read back as written and refused
 * when cut; ids in clock order; journal lines with their CRC, a flipped
 * byte caught, a torn last line cut at the drainer's start; recovery of
 * each crash window (journal written but item not deleted; item moved but
 * journal not written); the quota refusing and dropping the oldest; the
 * check refusing before anything is queued; abandoned temporary files
 * removed and a held one kept; planted links refused. Journal files are
 * data (outbox_cases/), each read with several buffer sizes. The drain runs a
 * real client against scripted answers (client_fixture): done, refused
 * for good, paused by 45009.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "client_fixture.h"
#include "outbox_internal.h"
#include "wecom/outbox.h"
#include "wecom/posix.h"

static char g_dir[256];
static char g_spool[300];
static wecom_fs_t g_fs;
static wecom_posix_fs_t g_pfs;
static wecom_outbox_t g_ob;
static uint64_t g_clock_ms;
static client_fixture_t f;
static char g_wire[4][1024];
static const char *g_case_dir;

static const unsigned char JPEG[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1,
    0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xff, 0xd9
};

static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return g_clock_ms;
}

static int setup(void **state)
{
    wecom_outbox_config_t cfg;
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s/wecom-outbox-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(g_dir));
    snprintf(g_spool, sizeof g_spool, "%s/spool", g_dir);
    assert_int_equal(wecom_posix_fs_open(&g_fs, &g_pfs, g_spool), WECOM_OK);
    g_clock_ms = 1700000000000ull;
    g_fs.wall_ms = fake_clock;
    memset(&cfg, 0, sizeof cfg);
    cfg.fs = &g_fs;
    assert_int_equal(wecom_outbox_init(&g_ob, &cfg), WECOM_OK);
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    wecom_outbox_free(&g_ob);
    wecom_posix_fs_close(&g_pfs);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void spool_path(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", g_spool, rel);
}

static int exists(const char *rel)
{
    char p[512];
    struct stat st;
    spool_path(p, sizeof p, rel);
    return lstat(p, &st) == 0;
}

static int count_dir(const char *rel)
{
    char p[512];
    DIR *d;
    struct dirent *e;
    int n = 0;
    spool_path(p, sizeof p, rel);
    d = opendir(p);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void write_rel(const char *rel, const void *data, size_t len, int flags)
{
    char p[512];
    int fd;
    spool_path(p, sizeof p, rel);
    fd = open(p, O_WRONLY | O_CREAT | flags, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static size_t read_rel(const char *rel, char *buf, size_t cap)
{
    char p[512];
    int fd;
    ssize_t n;
    spool_path(p, sizeof p, rel);
    fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, buf, cap - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    return (size_t)n;
}

static wecom_err_t enqueue(const void *data, size_t len, wecom_kind_t kind,
                           const char *name, char *id)
{
    wecom_mem_t m;
    wecom_reader_t r;
    wecom_outbox_add_t add;
    wecom_mem_reader(&r, &m, data, len);
    memset(&add, 0, sizeof add);
    add.reader = &r;
    add.size = len;
    add.kind = kind;
    add.name = name;
    return wecom_outbox_enqueue(&g_ob, &add, id, NULL);
}

/* A journal line as the drainer writes it. */
static size_t line_for(const char *id, wecom_outbox_status_kind_t st, char *buf,
                       size_t cap)
{
    wecom_outbox_result_t r;
    size_t len;
    memset(&r, 0, sizeof r);
    memcpy(r.id, id, WECOM_OUTBOX_ID_LEN + 1);
    r.status = st;
    strcpy(r.media_id, "MEDIA-1");
    strcpy(r.type, "image");
    strcpy(r.name, "gate \"cam\".jpg");
    r.size = 34;
    r.created_at = 1700000000;
    r.expires_at = 1700000000 + 3 * 86400;
    r.err = WECOM_ERR_API;
    r.errcode = 40004;
    strcpy(r.errmsg, "invalid media type");
    assert_int_equal(wecom__journal_format(&r, buf, cap, &len), WECOM_OK);
    return len;
}

/* ------------------------------------------------------------- items */

static void test_header_round_trip(void **state)
{
    char id[WECOM_OUTBOX_ID_LEN + 1], name[64];
    wecom__item_t it;
    int h;
    (void)state;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "/dcim/gate.jpg", id),
                     WECOM_OK);
    assert_int_equal(strlen(id), WECOM_OUTBOX_ID_LEN);
    assert_true(exists("q") && count_dir("q") == 1 && count_dir("tmp") == 0);
    snprintf(name, sizeof name, "%s", id);
    h = g_fs.open(g_fs.ctx, WECOM_FS_QUEUE, name, WECOM_FS_READ);
    assert_true(h >= 0);
    assert_int_equal(wecom__item_read(&g_fs, h, g_ob.buf, &it), WECOM_OK);
    assert_int_equal(it.kind, WECOM_KIND_IMAGE);
    assert_int_equal(it.data_len, sizeof JPEG);
    assert_int_equal(it.enqueued_ms, g_clock_ms);
    assert_string_equal(it.name, "gate.jpg"); /* the last component */
    assert_int_equal(it.header_len, WECOM__ITEM_FIXED + strlen("gate.jpg"));
    /* The medium follows the header byte for byte. */
    assert_int_equal(g_fs.read_at(g_fs.ctx, h, it.header_len, g_ob.buf, sizeof g_ob.buf),
                     (int)sizeof JPEG);
    assert_memory_equal(g_ob.buf, JPEG, sizeof JPEG);
    g_fs.close(g_fs.ctx, h);

    /* A file one byte short of what its header says is refused. */
    {
        char p[512];
        spool_path(p, sizeof p, "q/");
        strcat(p, id);
        assert_int_equal(truncate(p, (off_t)(it.header_len + sizeof JPEG - 1)), 0);
    }
    h = g_fs.open(g_fs.ctx, WECOM_FS_QUEUE, name, WECOM_FS_READ);
    assert_int_equal(wecom__item_read(&g_fs, h, g_ob.buf, &it), WECOM_ERR_OUTBOX_CORRUPT);
    g_fs.close(g_fs.ctx, h);
}

static void test_ids_follow_the_clock(void **state)
{
    char a[25], b[25], c[25];
    wecom__census_t q;
    (void)state;
    g_clock_ms = 1700000000500ull;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_AUTO, NULL, b), WECOM_OK);
    g_clock_ms = 1700000009000ull;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_AUTO, NULL, c), WECOM_OK);
    g_clock_ms = 1700000000100ull; /* a clock set back: this one sorts first */
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_AUTO, NULL, a), WECOM_OK);
    assert_true(strcmp(a, b) < 0 && strcmp(b, c) < 0);
    assert_memory_equal(a, "0000018bcfe56864", 16); /* 1700000000100 in hex */
    assert_int_equal(wecom__census(&g_fs, WECOM_FS_QUEUE, &q), WECOM_OK);
    assert_int_equal(q.count, 3);
    assert_string_equal(q.oldest, a);
}

static void test_check_refuses_before_queueing(void **state)
{
    static const unsigned char NOT_JPEG[] = "this is not a picture at all";
    char id[25];
    wecom_check_t chk;
    wecom_mem_t m;
    wecom_reader_t r;
    wecom_outbox_add_t add;
    (void)state;
    wecom_mem_reader(&r, &m, NOT_JPEG, sizeof NOT_JPEG);
    memset(&add, 0, sizeof add);
    add.reader = &r;
    add.size = sizeof NOT_JPEG;
    add.kind = WECOM_KIND_IMAGE;
    assert_int_equal(wecom_outbox_enqueue(&g_ob, &add, id, &chk), WECOM_ERR_MEDIA_FORMAT);
    assert_string_equal(id, "");
    assert_int_equal(count_dir("q"), 0);
    assert_int_equal(count_dir("tmp"), 0);
    /* A source shorter than the size given is not queued either. */
    add.size = sizeof NOT_JPEG + 10;
    add.kind = WECOM_KIND_FILE;
    assert_int_equal(wecom_outbox_enqueue(&g_ob, &add, id, &chk), WECOM_ERR_MEDIA_LENGTH);
    assert_int_equal(count_dir("q") + count_dir("tmp"), 0);
}

/* ----------------------------------------------------------- journal */

static void test_crc_and_line_round_trip(void **state)
{
    char line[WECOM_OUTBOX_LINE_MAX];
    wecom_outbox_result_t r;
    size_t len;
    (void)state;
    assert_int_equal(wecom__crc32("123456789", 9), 0xCBF43926u); /* the check value */
    len = line_for("0000018bcfe56864deadbeef", WECOM_OUTBOX_DONE, line, sizeof line);
    assert_true(line[len - 1] == '\n');
    assert_int_equal(wecom__journal_parse(line, len - 1, &r), WECOM_OK);
    assert_int_equal(r.status, WECOM_OUTBOX_DONE);
    assert_string_equal(r.id, "0000018bcfe56864deadbeef");
    assert_string_equal(r.media_id, "MEDIA-1");
    assert_string_equal(r.name, "gate \"cam\".jpg");
    assert_int_equal(r.expires_at, r.created_at + 3 * 86400);
    assert_int_equal(r.maybe_duplicate, 0);

    len = line_for("0000018bcfe56864deadbeef", WECOM_OUTBOX_FAILED, line, sizeof line);
    assert_int_equal(wecom__journal_parse(line, len - 1, &r), WECOM_OK);
    assert_int_equal(r.status, WECOM_OUTBOX_FAILED);
    assert_int_equal(r.err, WECOM_ERR_API);
    assert_int_equal(r.errcode, 40004);
    assert_string_equal(r.errmsg, "invalid media type");

    /* One flipped bit anywhere is caught. */
    line[20] ^= 0x01;
    assert_int_equal(wecom__journal_parse(line, len - 1, &r), WECOM_ERR_OUTBOX_CORRUPT);
    line[20] ^= 0x01;
    line[len - 3] = line[len - 3] == '0' ? '1' : '0';
    assert_int_equal(wecom__journal_parse(line, len - 1, &r), WECOM_ERR_OUTBOX_CORRUPT);
}

/* The longest fields still give a whole line, at the smallest line size
 * allowed too: name and errmsg are cut, never the line. */
static void test_worst_case_line_fits(void **state)
{
    static const size_t CAPS[] = { 1024, WECOM_OUTBOX_LINE_MAX };
    char line[WECOM_OUTBOX_LINE_MAX];
    wecom_outbox_result_t r, back;
    size_t i, len;
    (void)state;
    for (i = 0; i < sizeof CAPS / sizeof CAPS[0]; i++) {
        int st;
        for (st = WECOM_OUTBOX_DONE; st <= WECOM_OUTBOX_FAILED; st++) {
            memset(&r, 0, sizeof r);
            memcpy(r.id, "0000018bcfe56864aaaaaaaa", 25);
            r.status = (wecom_outbox_status_kind_t)st;
            memset(r.media_id, 'M', sizeof r.media_id - 1);
            strcpy(r.type, "voice");
            memset(r.name, 0x01, sizeof r.name - 1);      /* 6 bytes each escaped */
            memset(r.errmsg, '"', sizeof r.errmsg - 1);   /* 2 bytes each */
            r.size = (uint64_t)INT64_MAX;
            r.created_at = INT64_MIN;
            r.expires_at = INT64_MAX;
            r.at = INT64_MIN;
            r.err = WECOM_ERR_HTTP_HEADER_VALUE_TOO_LONG;  /* a long name */
            r.errcode = INT64_MIN;
            r.maybe_duplicate = 1;
            assert_int_equal(wecom__journal_format(&r, line, CAPS[i], &len), WECOM_OK);
            assert_true(len <= CAPS[i]);
            assert_int_equal(wecom__journal_parse(line, len - 1, &back), WECOM_OK);
            assert_int_equal(back.maybe_duplicate, 1);
            assert_true(strlen(back.name) > 0 && back.name[0] == 0x01);
        }
    }
}

static void test_torn_line_cut_and_corrupt_line_skipped(void **state)
{
    char a[WECOM_OUTBOX_LINE_MAX], b[WECOM_OUTBOX_LINE_MAX], got[3 * WECOM_OUTBOX_LINE_MAX];
    size_t la = line_for("0000018bcfe56864aaaaaaaa", WECOM_OUTBOX_DONE, a, sizeof a);
    size_t lb = line_for("0000018bcfe56864bbbbbbbb", WECOM_OUTBOX_DONE, b, sizeof b);
    wecom_outbox_stats_t st;
    uint32_t corrupt = 9;
    (void)state;
    write_rel("results.log", a, la, O_TRUNC);
    write_rel("results.log", b, lb / 2, O_APPEND); /* a power cut mid-line */
    assert_int_equal(wecom_outbox_stats(&g_ob, &st), WECOM_OK);
    assert_int_equal(st.done_lines, 1);
    assert_int_equal(st.corrupt_lines, 0); /* torn, not corrupt: not shown */

    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_OK);
    assert_int_equal(read_rel("results.log", got, sizeof got), la);
    assert_memory_equal(got, a, la);
    wecom_outbox_free(&g_ob);

    /* A line in the middle with a flipped byte: skipped and counted. */
    b[30] ^= 0x20;
    write_rel("results.log", b, lb, O_APPEND);
    b[30] ^= 0x20;
    write_rel("results.log", b, lb, O_APPEND);
    assert_int_equal(wecom_outbox_results(&g_ob, NULL, NULL, &corrupt), WECOM_OK);
    assert_int_equal(corrupt, 1);
    assert_int_equal(wecom_outbox_stats(&g_ob, &st), WECOM_OK);
    assert_int_equal(st.done_lines, 2);
    assert_int_equal(st.corrupt_lines, 1);
}

/* Journal cases (outbox_cases/NAME.log, with NAME.expect: the lines
 * done, failed and corrupt, and the torn bytes after the last newline),
 * each read through buffers of 1, 3, 64 and 4096 bytes, so that a line
 * split across reads is put together the same way every time. */
typedef struct {
    unsigned done, failed, corrupt;
} tally_t;

static int tally_line(void *arg, const char *line, size_t len)
{
    tally_t *t = arg;
    wecom_outbox_result_t r;
    if (len == (size_t)-1 || wecom__journal_parse(line, len, &r) != WECOM_OK)
        t->corrupt++;
    else if (r.status == WECOM_OUTBOX_DONE)
        t->done++;
    else
        t->failed++;
    return 0;
}

static void run_journal_case(const char *name)
{
    static char data[16384];
    static unsigned char buf[4096];
    static const size_t SPLITS[] = { 1, 3, 64, sizeof buf };
    char path[1024], expect[128], got[128];
    size_t n, i;
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s.log", g_case_dir, name);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    n = fread(data, 1, sizeof data, fp);
    fclose(fp);
    write_rel("results.log", data, n, O_TRUNC);
    snprintf(path, sizeof path, "%s/%s.expect", g_case_dir, name);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    expect[fread(expect, 1, sizeof expect - 1, fp)] = '\0';
    fclose(fp);
    for (i = 0; i < sizeof SPLITS / sizeof SPLITS[0]; i++) {
        tally_t t;
        uint64_t complete;
        int h = g_fs.open(g_fs.ctx, WECOM_FS_SPOOL, "results.log", WECOM_FS_READ);
        assert_true(h >= 0);
        memset(&t, 0, sizeof t);
        assert_int_equal(wecom__journal_scan(&g_fs, h, buf, SPLITS[i], g_ob.line,
                                             sizeof g_ob.line, tally_line, &t, &complete), 0);
        g_fs.close(g_fs.ctx, h);
        snprintf(got, sizeof got, "done %u\nfailed %u\ncorrupt %u\ntorn %u\n", t.done,
                 t.failed, t.corrupt, (unsigned)(n - complete));
        if (strcmp(got, expect) != 0)
            fail_msg("%s.log read %zu bytes at a time:\n%swanted:\n%s", name, SPLITS[i],
                     got, expect);
    }
}

static void test_journal_cases(void **state)
{
    DIR *d = opendir(g_case_dir);
    struct dirent *e;
    int cases = 0;
    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char name[256];
        size_t len = strlen(e->d_name);
        if (len < 5 || len >= sizeof name || strcmp(e->d_name + len - 4, ".log") != 0)
            continue;
        memcpy(name, e->d_name, len - 4);
        name[len - 4] = '\0';
        run_journal_case(name);
        cases++;
    }
    closedir(d);
    assert_true(cases >= 10);
}

/* ---------------------------------------------------------- recovery */

/* A journal past WECOM_OUTBOX_JOURNAL_MAX is rewritten at the drainer's
 * start: lines of items older than WECOM_OUTBOX_JOURNAL_KEEP_S go, and of
 * the recent ones only the newest half bound stays. A leftover new
 * journal from a crashed compaction is no obstacle. */
static void journal_of(unsigned old_lines, unsigned new_lines, size_t *total)
{
    char id[32], line[WECOM_OUTBOX_LINE_MAX];
    uint64_t old_ms = g_clock_ms - (uint64_t)(WECOM_OUTBOX_JOURNAL_KEEP_S + 3600) * 1000u;
    uint64_t new_ms = g_clock_ms - 3600u * 1000u;
    unsigned i;
    int fd;
    char p[512];
    spool_path(p, sizeof p, "results.log");
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    *total = 0;
    for (i = 0; i < old_lines + new_lines; i++) {
        size_t len;
        uint64_t ms = i < old_lines ? old_ms + i : new_ms + i;
        snprintf(id, sizeof id, "%016llx%08x", (unsigned long long)ms, i);
        len = line_for(id, WECOM_OUTBOX_DONE, line, sizeof line);
        assert_int_equal(write(fd, line, len), (ssize_t)len);
        *total += len;
    }
    close(fd);
}

static int journal_ids(unsigned *first, unsigned *last, unsigned *count)
{
    static char text[2 * WECOM_OUTBOX_JOURNAL_MAX];
    char *l, *save = NULL;
    size_t n = read_rel("results.log", text, sizeof text);
    *count = 0;
    for (l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        wecom_outbox_result_t r;
        unsigned seq;
        assert_int_equal(wecom__journal_parse(l, strlen(l), &r), WECOM_OK);
        seq = (unsigned)strtoul(r.id + 16, NULL, 16);
        if (*count == 0)
            *first = seq;
        else
            assert_true(seq == *last + 1); /* order kept, no gap */
        *last = seq;
        (*count)++;
    }
    return (int)n;
}

static void test_journal_compaction(void **state)
{
    size_t total, line_len;
    unsigned first, last, count;
    char line[WECOM_OUTBOX_LINE_MAX];
    int size;
    (void)state;
    line_len = line_for("0000000000000000aaaaaaaa", WECOM_OUTBOX_DONE, line, sizeof line);

    /* Mostly old lines: exactly the 100 recent ones stay. */
    journal_of((unsigned)(WECOM_OUTBOX_JOURNAL_MAX / line_len) + 10, 100, &total);
    assert_true(total > WECOM_OUTBOX_JOURNAL_MAX);
    write_rel("tmp/results.log.new", "leftover", 8, O_TRUNC);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_OK);
    size = journal_ids(&first, &last, &count);
    assert_int_equal(count, 100);
    assert_int_equal(last, (unsigned)(WECOM_OUTBOX_JOURNAL_MAX / line_len) + 10 + 99);
    assert_int_equal((size_t)size, 100 * line_len);
    assert_false(exists("tmp/results.log.new"));
    wecom_outbox_free(&g_ob);

    /* Only recent lines, past the bound: the newest half bound stays. */
    journal_of(0, (unsigned)(WECOM_OUTBOX_JOURNAL_MAX / line_len) + 10, &total);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_OK);
    size = journal_ids(&first, &last, &count);
    assert_true((size_t)size <= WECOM_OUTBOX_JOURNAL_MAX / 2);
    assert_true((size_t)size > WECOM_OUTBOX_JOURNAL_MAX / 2 - line_len);
    assert_int_equal(last, (unsigned)(WECOM_OUTBOX_JOURNAL_MAX / line_len) + 9);
    wecom_outbox_free(&g_ob);

    /* Under the bound: left as it is, old lines included. */
    journal_of(50, 50, &total);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_OK);
    size = journal_ids(&first, &last, &count);
    assert_int_equal(count, 100);
    assert_int_equal((size_t)size, total);
}

static void move_to_inflight(const char *id)
{
    assert_int_equal(g_fs.rename(g_fs.ctx, WECOM_FS_QUEUE, id, WECOM_FS_INFLIGHT, id),
                     WECOM_OK);
}

static void test_recovery_journal_written_item_not_deleted(void **state)
{
    char id[25], line[WECOM_OUTBOX_LINE_MAX], got[4 * WECOM_OUTBOX_LINE_MAX];
    size_t len;
    (void)state;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", id), WECOM_OK);
    move_to_inflight(id);
    len = line_for(id, WECOM_OUTBOX_DONE, line, sizeof line);
    write_rel("results.log", line, len, O_TRUNC);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_OK);
    /* Finished, not sent again: nothing queued, the one line kept. */
    assert_int_equal(count_dir("inflight") + count_dir("q") + count_dir("failed"), 0);
    assert_int_equal(read_rel("results.log", got, sizeof got), len);
}

static void test_recovery_failed_line_moves_to_failed(void **state)
{
    char id[25], line[WECOM_OUTBOX_LINE_MAX];
    size_t len;
    (void)state;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", id), WECOM_OK);
    move_to_inflight(id);
    len = line_for(id, WECOM_OUTBOX_FAILED, line, sizeof line);
    write_rel("results.log", line, len, O_TRUNC);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_OK);
    assert_int_equal(count_dir("inflight") + count_dir("q"), 0);
    assert_int_equal(count_dir("failed"), 1);
}

static void test_recovery_item_moved_journal_not_written(void **state)
{
    char id[25], back[32], other[WECOM_OUTBOX_LINE_MAX];
    size_t len;
    (void)state;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", id), WECOM_OK);
    move_to_inflight(id);
    /* A line for another id must not be taken for this one. */
    len = line_for("0000018bcfe56864cccccccc", WECOM_OUTBOX_DONE, other, sizeof other);
    write_rel("results.log", other, len, O_TRUNC);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_OK);
    assert_int_equal(count_dir("inflight"), 0);
    snprintf(back, sizeof back, "q/%s.c", id); /* queued again, maybe a duplicate */
    assert_true(exists(back));
    /* A second drainer meanwhile is refused. */
    {
        wecom_outbox_t second;
        wecom_outbox_config_t cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.fs = &g_fs;
        assert_int_equal(wecom_outbox_init(&second, &cfg), WECOM_OK);
        assert_int_equal(wecom_outbox_lock(&second), WECOM_ERR_OUTBOX_LOCKED);
        wecom_outbox_free(&second);
    }
}

static void test_abandoned_tmp_removed_held_one_kept(void **state)
{
    char id[25], p[512];
    int held;
    (void)state;
    write_rel("tmp/0000018bcfe56864aaaaaaaa.new", "half", 4, O_TRUNC);
    write_rel("tmp/0000018bcfe56864bbbbbbbb.new", "writing", 7, O_TRUNC);
    spool_path(p, sizeof p, "tmp/0000018bcfe56864bbbbbbbb.new");
    held = open(p, O_RDONLY);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX), 0); /* a live writer */
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", id), WECOM_OK);
    assert_false(exists("tmp/0000018bcfe56864aaaaaaaa.new"));
    assert_true(exists("tmp/0000018bcfe56864bbbbbbbb.new"));
    close(held);
}

/* ------------------------------------------------------------- quota */

typedef struct {
    char ids[4][25];
    int n;
} dropped_t;

static void on_dropped(void *ctx, const char *id)
{
    dropped_t *d = ctx;
    snprintf(d->ids[d->n++ & 3], 25, "%s", id);
}

static void test_quota_refuse_and_drop_oldest(void **state)
{
    char a[25], b[25], c[25];
    wecom_outbox_config_t cfg;
    wecom_outbox_add_t add;
    wecom_mem_t m;
    wecom_reader_t r;
    dropped_t d;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.fs = &g_fs;
    cfg.max_items = 2;
    assert_int_equal(wecom_outbox_init(&g_ob, &cfg), WECOM_OK);
    g_clock_ms++;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", a), WECOM_OK);
    g_clock_ms++;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "b.jpg", b), WECOM_OK);
    g_clock_ms++;
    {
        unsigned long long before = g_pfs.bytes_written;
        assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "c.jpg", c),
                         WECOM_ERR_OUTBOX_FULL);
        /* Refused before a byte reached the flash. */
        assert_true(g_pfs.bytes_written == before);
    }
    assert_int_equal(count_dir("q"), 2);
    assert_int_equal(count_dir("tmp"), 0);

    cfg.when_full = WECOM_OUTBOX_DROP_OLDEST;
    assert_int_equal(wecom_outbox_init(&g_ob, &cfg), WECOM_OK);
    memset(&d, 0, sizeof d);
    wecom_mem_reader(&r, &m, JPEG, sizeof JPEG);
    memset(&add, 0, sizeof add);
    add.reader = &r;
    add.size = sizeof JPEG;
    add.kind = WECOM_KIND_IMAGE;
    add.dropped = on_dropped;
    add.dropped_ctx = &d;
    assert_int_equal(wecom_outbox_enqueue(&g_ob, &add, c, NULL), WECOM_OK);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.ids[0], a);
    assert_int_equal(count_dir("q"), 2);

    /* An item larger than the whole byte quota is refused at once. */
    cfg.max_bytes = 40;
    assert_int_equal(wecom_outbox_init(&g_ob, &cfg), WECOM_OK);
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "d.jpg", c),
                     WECOM_ERR_OUTBOX_FULL);
    assert_int_equal(count_dir("q"), 2);
}

/* ------------------------------------------------------------- links */

static void test_planted_links_refused(void **state)
{
    char p[512], link[512], id[25];
    wecom_fs_t fs2;
    wecom_posix_fs_t p2;
    wecom__census_t q;
    (void)state;
    /* A q/ entry that is a link to a secret is no item: never opened. */
    snprintf(p, sizeof p, "%s/secret", g_dir);
    write_rel("../secret", "secret!", 7, O_TRUNC);
    spool_path(link, sizeof link, "q/0000018bcfe56864dddddddd");
    assert_int_equal(symlink(p, link), 0);
    assert_int_equal(wecom__census(&g_fs, WECOM_FS_QUEUE, &q), WECOM_OK);
    assert_int_equal(q.count, 0);
    assert_int_equal(g_fs.open(g_fs.ctx, WECOM_FS_QUEUE, "0000018bcfe56864dddddddd",
                               WECOM_FS_READ), WECOM_ERR_OUTBOX_UNSAFE);
    /* A results.log that is a link is not appended through. */
    spool_path(link, sizeof link, "results.log");
    assert_int_equal(symlink(p, link), 0);
    assert_int_equal(wecom_outbox_lock(&g_ob), WECOM_ERR_OUTBOX_UNSAFE);
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", id), WECOM_OK);
    {
        char got[64];
        snprintf(p, sizeof p, "../secret");
        assert_int_equal(read_rel(p, got, sizeof got), 7);
    }
    /* A new file's name planted as a dangling link: not created through. */
    spool_path(link, sizeof link, "tmp/planted.new");
    snprintf(p, sizeof p, "%s/made-through-link", g_dir);
    assert_int_equal(symlink(p, link), 0);
    assert_true(g_fs.open(g_fs.ctx, WECOM_FS_TMP, "planted.new", WECOM_FS_CREATE) < 0);
    assert_int_equal(access(p, F_OK), -1);
    /* The spool itself as a link, or open to others: refused. */
    snprintf(link, sizeof link, "%s/spool-link", g_dir);
    assert_int_equal(symlink(g_spool, link), 0);
    assert_int_equal(wecom_posix_fs_open(&fs2, &p2, link), WECOM_ERR_OUTBOX_UNSAFE);
    assert_int_equal(chmod(g_spool, 0777), 0);
    assert_int_equal(wecom_posix_fs_open(&fs2, &p2, g_spool), WECOM_ERR_OUTBOX_UNSAFE);
    /* 0700 as documented: readable or searchable by others is refused too. */
    assert_int_equal(chmod(g_spool, 0755), 0);
    assert_int_equal(wecom_posix_fs_open(&fs2, &p2, g_spool), WECOM_ERR_OUTBOX_UNSAFE);
    assert_int_equal(chmod(g_spool, 0701), 0);
    assert_int_equal(wecom_posix_fs_open(&fs2, &p2, g_spool), WECOM_ERR_OUTBOX_UNSAFE);
    assert_int_equal(chmod(g_spool, 0700), 0);
    spool_path(p, sizeof p, "q");
    assert_int_equal(chmod(p, 0750), 0);
    assert_int_equal(wecom_posix_fs_open(&fs2, &p2, g_spool), WECOM_ERR_OUTBOX_UNSAFE);
    assert_int_equal(chmod(p, 0700), 0);
    assert_int_equal(wecom_posix_fs_open(&fs2, &p2, g_spool), WECOM_OK);
    wecom_posix_fs_close(&p2);
}

static void test_add_file(void **state)
{
    char p[512], id[25];
    wecom_outbox_add_t opts;
    wecom__census_t q;
    (void)state;
    memset(&opts, 0, sizeof opts);
    snprintf(p, sizeof p, "%s/fifo.jpg", g_dir);
    assert_int_equal(mkfifo(p, 0600), 0); /* refused at once, never waited on */
    assert_int_equal(wecom_posix_outbox_add_file(&g_ob, p, &opts, id, NULL),
                     WECOM_ERR_FILE_READ);
    snprintf(p, sizeof p, "%s/shot.jpg", g_dir);
    write_rel("../shot.jpg", JPEG, sizeof JPEG, O_TRUNC);
    assert_int_equal(wecom_posix_outbox_add_file(&g_ob, p, &opts, id, NULL), WECOM_OK);
    assert_int_equal(wecom__census(&g_fs, WECOM_FS_QUEUE, &q), WECOM_OK);
    assert_int_equal(q.count, 1);
    assert_int_equal(q.bytes, WECOM__ITEM_FIXED + strlen("shot.jpg") + sizeof JPEG);
}

/* ------------------------------------------------------------- drain */

static const char SUCCESS[] =
    "{\"errcode\":0,\"errmsg\":\"\",\"type\":\"image\",\"media_id\":"
    "\"MEDIA-OK\",\"created_at\":\"1700000000\"}";
static const char BAD_TYPE[] = "{\"errcode\":40004,\"errmsg\":\"invalid media type\"}";
static const char RATE[] = "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}";

static void answer(int slot, const char *json)
{
    int n = snprintf(g_wire[slot], sizeof g_wire[slot],
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(json), json);
    mem_stream_add(&f.mem, g_wire[slot], (size_t)n, 0);
}

typedef struct {
    int done, failed, requeued;
} outcomes_t;

static void on_outcome(void *ctx, const wecom_outbox_result_t *r, wecom_err_t rc,
                       const wecom_api_error_t *api)
{
    outcomes_t *o = ctx;
    (void)rc;
    (void)api;
    o->done += r->status == WECOM_OUTBOX_DONE;
    o->failed += r->status == WECOM_OUTBOX_FAILED;
    o->requeued += r->status == WECOM_OUTBOX_REQUEUED;
}

static void test_drain_done_failed_paused(void **state)
{
    char a[25], b[25], c[25], log[4 * WECOM_OUTBOX_LINE_MAX];
    outcomes_t o;
    (void)state;
    g_clock_ms++;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", a), WECOM_OK);
    g_clock_ms++;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "b.jpg", b), WECOM_OK);
    g_clock_ms++;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "c.jpg", c), WECOM_OK);
    client_fixture_init(&f, MEM_WHOLE);
    answer(0, SUCCESS);
    answer(1, BAD_TYPE);
    answer(2, RATE);
    memset(&o, 0, sizeof o);
    assert_int_equal(wecom_outbox_drain_once(&g_ob, &f.client, on_outcome, &o),
                     WECOM_ERR_OUTBOX_PAUSED);
    client_fixture_free(&f);
    assert_int_equal(o.done, 1);
    assert_int_equal(o.failed, 1);
    assert_int_equal(o.requeued, 1);
    /* a done (journal line, file gone), b failed (line, failed/b), c back in q/. */
    read_rel("results.log", log, sizeof log);
    assert_non_null(strstr(log, a));
    assert_non_null(strstr(log, "\"media_id\":\"MEDIA-OK\""));
    assert_non_null(strstr(log, "\"errcode\":40004"));
    assert_null(strstr(log, c));
    assert_int_equal(count_dir("inflight"), 0);
    assert_int_equal(count_dir("failed"), 1);
    assert_int_equal(count_dir("q"), 1);
    {
        char p[64];
        snprintf(p, sizeof p, "q/%s", c);
        assert_true(exists(p));
    }
}

/* A full disk: writes that need new space fail. The journal's, from the
 * start (g_full_journal), or every one (g_full_all). */
static int g_full_journal, g_full_all;
static int (*g_real_write)(void *, int, const unsigned char *, size_t);

static int full_write(void *ctx, int h, const unsigned char *buf, size_t len)
{
    if (g_full_all || (g_full_journal && h == g_ob.journal_h))
        return WECOM_ERR_FILE_WRITE;
    return g_real_write(ctx, h, buf, len);
}

static int count_posts(void)
{
    return count_occurrences(f.mem.sent, f.mem.sent_len, "POST ");
}

/* The journal cannot take the outcome of an upload that worked: the
 * receipt reserved before the upload keeps it, the drain stops with
 * WECOM_ERR_OUTBOX_JOURNAL, and no later drain sends the item again. */
static void test_full_disk_never_uploads_twice(void **state)
{
    char a[25], rel[64], log[4 * WECOM_OUTBOX_LINE_MAX];
    outcomes_t o;
    int run;
    (void)state;
    g_real_write = g_fs.write;
    g_fs.write = full_write;
    g_clock_ms++;
    assert_int_equal(enqueue(JPEG, sizeof JPEG, WECOM_KIND_IMAGE, "a.jpg", a), WECOM_OK);

    /* No room even for the receipt: nothing is sent, the item waits. */
    g_full_all = 1;
    client_fixture_init(&f, MEM_WHOLE);
    answer(0, SUCCESS);
    memset(&o, 0, sizeof o);
    assert_int_equal(wecom_outbox_drain_once(&g_ob, &f.client, on_outcome, &o),
                     WECOM_ERR_OUTBOX_JOURNAL);
    assert_int_equal(count_posts(), 0);
    client_fixture_free(&f);
    assert_int_equal(count_dir("q"), 1);
    assert_int_equal(count_dir("inflight"), 0);
    g_full_all = 0;

    /* Room for the receipt, none for the journal line. */
    g_full_journal = 1;
    client_fixture_init(&f, MEM_WHOLE);
    answer(0, SUCCESS);
    memset(&o, 0, sizeof o);
    assert_int_equal(wecom_outbox_drain_once(&g_ob, &f.client, on_outcome, &o),
                     WECOM_ERR_OUTBOX_JOURNAL);
    assert_int_equal(count_posts(), 1);
    client_fixture_free(&f);
    assert_int_equal(o.done, 1);
    assert_int_equal(count_dir("q"), 0);
    snprintf(rel, sizeof rel, "inflight/%s.r", a);
    assert_true(exists(rel));
    assert_int_equal(count_dir("inflight"), 1); /* the item itself is gone */

    /* Later runs, the disk still full: nothing sent, the receipt kept. */
    for (run = 0; run < 3; run++) {
        client_fixture_init(&f, MEM_WHOLE);
        answer(0, SUCCESS);
        assert_int_equal(wecom_outbox_drain_once(&g_ob, &f.client, NULL, NULL),
                         WECOM_ERR_OUTBOX_JOURNAL);
        assert_int_equal(count_posts(), 0);
        client_fixture_free(&f);
        assert_true(exists(rel));
    }

    /* Room again: the receipt's line goes into the journal, once. */
    g_full_journal = 0;
    client_fixture_init(&f, MEM_WHOLE);
    assert_int_equal(wecom_outbox_drain_once(&g_ob, &f.client, NULL, NULL), WECOM_OK);
    assert_int_equal(count_posts(), 0);
    client_fixture_free(&f);
    assert_false(exists(rel));
    assert_int_equal(count_dir("inflight"), 0);
    read_rel("results.log", log, sizeof log);
    assert_non_null(strstr(log, a));
    assert_non_null(strstr(log, "\"media_id\":\"MEDIA-OK\""));
    assert_null(strstr(strstr(log, a) + 1, a)); /* one line */
    g_fs.write = g_real_write;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_follow_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_refuses_before_queueing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crc_and_line_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_line_cut_and_corrupt_line_skipped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worst_case_line_fits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_journal_written_item_not_deleted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_failed_line_moves_to_failed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recovery_item_moved_journal_not_written,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandoned_tmp_removed_held_one_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quota_refuse_and_drop_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planted_links_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_done_failed_paused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_never_uploads_twice, setup, teardown),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUTBOX_CASES_DIR\n", argv[0]);
        return 2;
    }
    g_case_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
