/* SPDX-License-Identifier: MIT */
/*
 * wecom-media queue add|run|status|results: the outbox (wecom/outbox.h)
 * from the command line. A camera's capture script queues a picture in a
 * few milliseconds whatever the link does; a service (systemd, a busybox
 * init script: packaging/examples/) runs `queue run` and uploads what is
 * queued whenever the link is up.
 */
#define _GNU_SOURCE /* inotify's IN_* flags, O_NOFOLLOW */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/inotify.h>
#endif

#include "cli.h"

#if WECOM_OUTBOX

/* Without inotify, how often `queue run` looks for new items. */
#define POLL_MS 2000u
/* The first backoff after a network failure; it doubles up to
 * WECOM_OUTBOX_BACKOFF_MAX_MS. */
#define BACKOFF_MS 1000u

#define WECOM_QUEUE_STR2(x) #x
#define WECOM_QUEUE_STR(x) WECOM_QUEUE_STR2(x)

typedef struct {
    const char *spool;
    wecom_kind_t kind;
    const char *name;
    uint64_t max_items;
    uint64_t max_bytes;
    int drop_oldest;
    int once;
    int valid;
    char path[4096];
} queue_opts_t;

static wecom_outbox_t g_outbox; /* its buffers: some 8 KB */
static wecom_posix_fs_t g_fs;
static wecom_fs_t g_fs_ops;

/* A command's own options are numbered from 512 (main.c: 256-511 are the
 * global ones; --spool is one of those). */
enum { OPT_MAX_ITEMS = 512, OPT_MAX_BYTES, OPT_DROP_OLDEST, OPT_ONCE, OPT_VALID };

static int on_queue_opt(void *ctx, int c, char *arg)
{
    queue_opts_t *o = ctx;
    switch (c) {
    case 't':
        if (wecom_kind_parse(arg, &o->kind) != WECOM_OK) {
            cli_say("queue", "--type is image, voice, video, file or auto");
            return EXIT_USAGE;
        }
        return EXIT_OK;
    case 'n': o->name = arg; return EXIT_OK;
    case OPT_MAX_ITEMS:
        if (cli_parse_size(arg, 0xFFFFFFFFu, &o->max_items) != 0 || o->max_items == 0) {
            cli_say("queue", "--max-items: a count, 1 or more");
            return EXIT_USAGE;
        }
        return EXIT_OK;
    case OPT_MAX_BYTES:
        if (cli_parse_size(arg, (uint64_t)1 << 50, &o->max_bytes) != 0 || o->max_bytes == 0) {
            cli_say("queue", "--max-bytes: a size such as 100M");
            return EXIT_USAGE;
        }
        return EXIT_OK;
    case OPT_DROP_OLDEST: o->drop_oldest = 1; return EXIT_OK;
    case OPT_ONCE: o->once = 1; return EXIT_OK;
    case OPT_VALID: o->valid = 1; return EXIT_OK;
    default:
        return EXIT_USAGE;
    }
}

/* mkdir -p of path's parents, 0700 (a state directory is private). */
static void make_parents(char *path)
{
    char *p;
    for (p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        (void)mkdir(path, 0700);
        *p = '/';
    }
}

/* --spool, WECOM_SPOOL_DIR, $XDG_STATE_HOME/wecom-media/outbox or
 * ~/.local/state/wecom-media/outbox. */
static int spool_path(queue_opts_t *o)
{
    const char *env = getenv("WECOM_SPOOL_DIR"), *base;
    int n;
    if (o->spool != NULL)
        n = snprintf(o->path, sizeof o->path, "%s", o->spool);
    else if (env != NULL && env[0] != '\0')
        n = snprintf(o->path, sizeof o->path, "%s", env);
    else if ((base = getenv("XDG_STATE_HOME")) != NULL && base[0] == '/')
        n = snprintf(o->path, sizeof o->path, "%s/wecom-media/outbox", base);
    else if ((base = getenv("HOME")) != NULL && base[0] == '/')
        n = snprintf(o->path, sizeof o->path, "%s/.local/state/wecom-media/outbox", base);
    else {
        cli_say("queue", "no spool directory: give --spool DIR or set WECOM_SPOOL_DIR");
        return EXIT_USAGE;
    }
    if (n < 0 || (size_t)n >= sizeof o->path) {
        cli_say("queue", "the spool directory's path is too long");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Exit codes of the outbox's own errors; the rest as for upload. */
static int queue_exit(wecom_err_t rc, const wecom_api_error_t *api)
{
    switch (rc) {
    case WECOM_ERR_OUTBOX_FULL:
    case WECOM_ERR_OUTBOX_LOCKED:
    case WECOM_ERR_OUTBOX_UNSAFE:
    case WECOM_ERR_OUTBOX_CORRUPT:
    case WECOM_ERR_OUTBOX_ABSENT:
        return EXIT_LOCAL;
    case WECOM_ERR_OUTBOX_PAUSED:
        return EXIT_RATE_LIMITED;
    case WECOM_ERR_OUTBOX_JOURNAL:
        return EXIT_JOURNAL;
    default:
        return cli_exit_code_api(rc, api);
    }
}

static int open_outbox(queue_opts_t *o)
{
    wecom_outbox_config_t cfg;
    wecom_err_t rc;
    int ex = spool_path(o);
    if (ex != EXIT_OK)
        return ex;
    make_parents(o->path);
    rc = wecom_posix_fs_open(&g_fs_ops, &g_fs, o->path);
    if (rc != WECOM_OK) {
        cli_say(o->path, "%s", rc == WECOM_ERR_OUTBOX_UNSAFE
                ? "refused as spool directory: a symbolic link, not a directory, "
                  "another user's, or open to group or others (it must be 0700)"
                : wecom_strerror(rc));
        return queue_exit(rc, NULL);
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.fs = &g_fs_ops;
    cfg.max_items = (uint32_t)o->max_items;
    cfg.max_bytes = o->max_bytes;
    cfg.when_full = o->drop_oldest ? WECOM_OUTBOX_DROP_OLDEST : WECOM_OUTBOX_REFUSE;
    rc = wecom_outbox_init(&g_outbox, &cfg);
    return rc == WECOM_OK ? EXIT_OK : queue_exit(rc, NULL);
}

static void close_outbox(void)
{
    wecom_outbox_free(&g_outbox);
    wecom_posix_fs_close(&g_fs);
}

/* ------------------------------------------------------------- add */

typedef struct {
    int count;
    int json;
} dropped_t;

static void on_dropped(void *ctx, const char *id)
{
    dropped_t *d = ctx;
    fprintf(stderr, "wecom-media: queue full: dropped the oldest item %s\n", id);
    if (d->json) {
        fputs(d->count++ == 0 ? "[" : ",", stdout);
        cli_json_string(id);
    }
}

static int add_one(cli_t *cli, const queue_opts_t *o, const char *path)
{
    wecom_outbox_add_t add;
    wecom_check_t chk;
    dropped_t dropped;
    char id[WECOM_OUTBOX_ID_LEN + 1], why[160];
    wecom_err_t rc;

    memset(&add, 0, sizeof add);
    add.kind = o->kind;
    add.name = o->name;
    add.dropped = on_dropped;
    add.dropped_ctx = &dropped;
    dropped.count = 0;
    dropped.json = cli->json;
    if (cli->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(path);
        fputs(",\"dropped\":", stdout);
    }
    errno = 0;
    rc = wecom_posix_outbox_add_file(&g_outbox, path, &add, id, &chk);
    if (cli->json) {
        fputs(dropped.count > 0 ? "]" : "[]", stdout);
        if (rc == WECOM_OK) {
            fputs(",\"id\":", stdout);
            cli_json_string(id);
        } else {
            fputs(",\"error\":", stdout);
            cli_json_string(wecom_errname(rc));
        }
        fputs("}\n", stdout);
    } else if (rc == WECOM_OK) {
        printf("%s\n", id);
    }
    if (rc >= WECOM_ERR_MEDIA_LENGTH && rc <= WECOM_ERR_MEDIA_TOO_SMALL) {
        cli_say(path, "not queued: %s", wecom_check_describe(rc, &chk, why, sizeof why));
        return queue_exit(rc, NULL);
    }
    if (rc == WECOM_ERR_FILE_READ) {
        cli_say(path, "not queued: %s", errno != 0 ? strerror(errno)
                                                   : "not a regular file");
        return EXIT_LOCAL;
    }
    if (rc != WECOM_OK) {
        cli_say(path, "not queued: %s", wecom_strerror(rc));
        return queue_exit(rc, NULL);
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_LOCAL;
}

static int queue_add(cli_t *cli, const queue_opts_t *o, int nargs, char **args)
{
    int i, ex, first = EXIT_OK;
    if (nargs == 0) {
        cli_say("queue add", "no FILE given");
        return EXIT_USAGE;
    }
    if (nargs > 1 && o->name != NULL) {
        cli_say("queue add", "--name applies to one FILE");
        return EXIT_USAGE;
    }
    for (i = 0; i < nargs; i++) {
        ex = add_one(cli, o, args[i]);
        if (ex != EXIT_OK && first == EXIT_OK)
            first = ex;
    }
    return first;
}

/* ------------------------------------------------------------- run */

static void print_result(const cli_t *cli, const wecom_outbox_result_t *r)
{
    if (cli->json) {
        fputs("{\"id\":", stdout);
        cli_json_string(r->id);
        fputs(",\"status\":", stdout);
        cli_json_string(r->status == WECOM_OUTBOX_DONE ? "done" : "failed");
        if (r->status == WECOM_OUTBOX_DONE) {
            fputs(",\"media_id\":", stdout);
            cli_json_string(r->media_id);
            printf(",\"created_at\":%lld,\"expires_at\":%lld",
                   (long long)r->created_at, (long long)r->expires_at);
        } else {
            fputs(",\"err\":", stdout);
            cli_json_string(wecom_errname(r->err));
            printf(",\"errcode\":%lld,\"errmsg\":", (long long)r->errcode);
            cli_json_string(r->errmsg);
        }
        fputs(",\"type\":", stdout);
        cli_json_string(r->type);
        printf(",\"size\":%llu,\"name\":", (unsigned long long)r->size);
        cli_json_string(r->name);
        printf(",\"maybe_duplicate\":%s}\n", r->maybe_duplicate ? "true" : "false");
        return;
    }
    /* The server's text (media_id, type) and the item's name are printed
     * escaped, as an errmsg is: a journal line may hold control bytes. */
    if (r->status == WECOM_OUTBOX_DONE) {
        printf("%s done ", r->id);
        cli_put_escaped(stdout, r->media_id);
        putchar(' ');
        cli_put_escaped(stdout, r->type);
        printf(" %llu expires=%lld%s ", (unsigned long long)r->size,
               (long long)r->expires_at, r->maybe_duplicate ? " maybe_duplicate" : "");
    } else {
        printf("%s failed %s errcode=%lld ", r->id, wecom_errname(r->err),
               (long long)r->errcode);
    }
    cli_put_escaped(stdout, r->name);
    putchar('\n');
}

static void on_outcome(void *ctx, const wecom_outbox_result_t *r, wecom_err_t rc,
                       const wecom_api_error_t *api)
{
    cli_t *cli = ctx;
    if (r->status != WECOM_OUTBOX_REQUEUED) {
        print_result(cli, r);
        (void)fflush(stdout); /* a log line each, as it happens */
        return;
    }
    if (rc == WECOM_ERR_API && api != NULL)
        fprintf(stderr, "wecom-media: %s: stays queued: errcode %lld\n", r->id,
                (long long)api->errcode);
    else
        fprintf(stderr, "wecom-media: %s: stays queued: %s\n", r->id, wecom_strerror(rc));
}

/* Wait up to ms for something new in q/ (inotify where there is one,
 * else a plain sleep), or a signal. Events already pending are the
 * drainer's own (an item put back in q/): they are dropped first, or a
 * requeue would wake the wait at once. */
static void wait_for_items(int ino, uint32_t ms)
{
    uint64_t waited = 0;
    char junk[4096];
    ssize_t n;
    do {
        n = ino >= 0 ? read(ino, junk, sizeof junk) : 0;
    } while (n > 0);
    while (waited < ms && cli_signal() == 0) {
        uint32_t slice = ms - waited < 200u ? (uint32_t)(ms - waited) : 200u;
        if (ino >= 0) {
            struct pollfd p;
            char buf[4096];
            p.fd = ino;
            p.events = POLLIN;
            if (poll(&p, 1, (int)slice) > 0) {
                (void)read(ino, buf, sizeof buf);
                return;
            }
        } else {
            struct timespec ts;
            ts.tv_sec = (time_t)(slice / 1000u);
            ts.tv_nsec = (long)(slice % 1000u) * 1000000L;
            nanosleep(&ts, NULL);
        }
        waited += slice;
    }
}

static int watch_queue(const char *spool)
{
#if defined(__linux__)
    char q[4200];
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return -1;
    snprintf(q, sizeof q, "%s/q", spool);
    if (inotify_add_watch(fd, q, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
        close(fd);
        return -1;
    }
    return fd;
#else
    (void)spool;
    return -1;
#endif
}

static int queue_run(cli_t *cli, const queue_opts_t *o)
{
    uint32_t backoff = BACKOFF_MS;
    int ex, ino = -1;
    wecom_err_t rc = wecom_outbox_lock(&g_outbox);

    if (rc == WECOM_ERR_OUTBOX_LOCKED) {
        cli_say(o->path, "another 'queue run' is draining this outbox (its lock "
                         "file is held); one drainer at a time");
        return EXIT_LOCAL;
    }
    if (rc != WECOM_OK) {
        cli_say(o->path, "%s", wecom_strerror(rc));
        return queue_exit(rc, NULL);
    }
    if ((ex = cli_connect(cli)) != EXIT_OK)
        return ex;
    cli_catch_signals(cli);
    if (!o->once)
        ino = watch_queue(o->path);
    for (;;) {
        uint32_t wait;
        rc = wecom_outbox_drain_once(&g_outbox, cli->client, on_outcome, cli);
        if (cli_signal() != 0) {
            ex = 128 + cli_signal();
            break;
        }
        if (rc != WECOM_OK && rc != WECOM_ERR_OUTBOX_PAUSED && !o->once)
            cli_report("queue run", rc, rc == WECOM_ERR_API ? &g_outbox.api : NULL);
        if (o->once) {
            if (rc != WECOM_OK)
                cli_report("queue run", rc, rc == WECOM_ERR_API ? &g_outbox.api : NULL);
            ex = queue_exit(rc, rc == WECOM_ERR_API ? &g_outbox.api : NULL);
            break;
        }
        if (rc == WECOM_OK) {
            backoff = BACKOFF_MS;
            wait = ino >= 0 ? 60000u : POLL_MS;
        } else if (rc == WECOM_ERR_OUTBOX_PAUSED) {
            fprintf(stderr, "wecom-media: rate limited (45009): pausing %u s\n",
                    (unsigned)(WECOM_OUTBOX_PAUSE_MS / 1000));
            wait = WECOM_OUTBOX_PAUSE_MS;
        } else if (rc == WECOM_ERR_OUTBOX_LOCKED || rc == WECOM_ERR_OUTBOX_UNSAFE ||
                   rc == WECOM_ERR_OUTBOX_JOURNAL ||
                   rc == WECOM_ERR_FILE_WRITE || rc == WECOM_ERR_FILE_READ) {
            ex = queue_exit(rc, NULL);
            break;
        } else {
            wait = backoff;
            backoff = backoff * 2 > WECOM_OUTBOX_BACKOFF_MAX_MS
                      ? WECOM_OUTBOX_BACKOFF_MAX_MS : backoff * 2;
        }
        /* A transfer the client gave up on closed its connection; the
         * next pass connects again. */
        wecom_client_cancel_clear(cli->client);
        /* New items end the wait only when the queue was empty: a
         * backoff or a pause runs its whole length. */
        wait_for_items(rc == WECOM_OK ? ino : -1, wait);
        if (cli_signal() != 0) {
            ex = 128 + cli_signal();
            break;
        }
    }
    if (ino >= 0)
        close(ino);
    /* A service stopped by SIGTERM between items ends as asked. */
    return ex == 128 + 15 ? EXIT_OK : ex;
}

/* ------------------------------------------------- status, results */

static int queue_status(cli_t *cli)
{
    wecom_outbox_stats_t st;
    wecom_err_t rc = wecom_outbox_stats(&g_outbox, &st);
    if (rc != WECOM_OK) {
        cli_say("queue status", "%s", wecom_strerror(rc));
        return queue_exit(rc, NULL);
    }
    if (cli->json)
        printf("{\"queued\":%u,\"inflight\":%u,\"failed\":%u,\"bytes\":%llu,"
               "\"done\":%u,\"failed_lines\":%u,\"corrupt_lines\":%u}\n",
               st.queued, st.inflight, st.failed, (unsigned long long)st.bytes,
               st.done_lines, st.failed_lines, st.corrupt_lines);
    else
        printf("queued %u\ninflight %u\nfailed %u\nbytes %llu\ndone %u\n"
               "corrupt_lines %u\n", st.queued, st.inflight, st.failed,
               (unsigned long long)st.bytes, st.done_lines, st.corrupt_lines);
    return EXIT_OK;
}

typedef struct {
    cli_t *cli;
    int valid;
    int64_t now;
} results_t;

static int on_result(void *ctx, const wecom_outbox_result_t *r)
{
    results_t *rs = ctx;
    if (rs->valid && (r->status != WECOM_OUTBOX_DONE || r->expires_at <= rs->now))
        return 0;
    print_result(rs->cli, r);
    return 0;
}

static int queue_results(cli_t *cli, const queue_opts_t *o)
{
    results_t rs;
    uint32_t corrupt = 0;
    wecom_err_t rc;
    rs.cli = cli;
    rs.valid = o->valid;
    rs.now = (int64_t)time(NULL);
    rc = wecom_outbox_results(&g_outbox, on_result, &rs, &corrupt);
    if (corrupt > 0)
        fprintf(stderr, "wecom-media: results.log: %u corrupt line(s) skipped\n",
                (unsigned)corrupt);
    if (rc != WECOM_OK) {
        cli_say("queue results", "%s", wecom_strerror(rc));
        return queue_exit(rc, NULL);
    }
    return EXIT_OK;
}

void cli_queue_help(FILE *f)
{
    fputs("Usage: wecom-media queue add [--type T] [--name N] FILE...\n"
          "       wecom-media queue run [--once]\n"
          "       wecom-media queue status\n"
          "       wecom-media queue results [--valid]\n"
          "The outbox: media stored now (copied, checked, fsync'd), uploaded\n"
          "oldest first when the link is up; a power cut loses none.\n"
          "  add      queue files; prints one id per line (--json: an object\n"
          "           per file, with the ids of items dropped to make room)\n"
          "  run      upload, then wait for new items; --once: one pass, exit 0\n"
          "           when empty, 4 (network) or 8 (45009) when items remain,\n"
          "           10 when results.log cannot be written (a full disk)\n"
          "  status   queued, in flight, failed, bytes, done, corrupt journal lines\n"
          "  results  one line per finished item; --valid: media_ids not expired\n"
          "Options:\n"
          "  --spool DIR        the outbox (else $WECOM_SPOOL_DIR, else\n"
          "                     $XDG_STATE_HOME/wecom-media/outbox or\n"
          "                     ~/.local/state/wecom-media/outbox)\n"
          "  --max-items N      quota of items queued (default "
          WECOM_QUEUE_STR(WECOM_OUTBOX_MAX_ITEMS) ")\n"
          "  --max-bytes SIZE   quota of bytes queued (default "
          WECOM_QUEUE_STR(WECOM_OUTBOX_MAX_BYTES) ")\n"
          "  --drop-oldest      when full, delete the oldest queued items (and\n"
          "                     name them) instead of refusing the new one\n", f);
}

int cmd_queue(cli_t *cli, int argc, char **argv)
{
    static const struct option OPTS[] = {
        { "type", required_argument, NULL, 't' },
        { "name", required_argument, NULL, 'n' },
        { "max-items", required_argument, NULL, OPT_MAX_ITEMS },
        { "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
        { "drop-oldest", no_argument, NULL, OPT_DROP_OLDEST },
        { "once", no_argument, NULL, OPT_ONCE },
        { "valid", no_argument, NULL, OPT_VALID },
        { NULL, 0, NULL, 0 },
    };
    static queue_opts_t o;
    const char *sub;
    int ex, nargs = 0;

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        cli_queue_help(stdout);
        return CLI_DONE;
    }
    /* Options anywhere: "queue --spool D add F" as "queue add F --spool D". */
    ex = cli_parse_options(cli, argc, argv, "", OPTS, on_queue_opt, &o, &nargs);
    if (ex != EXIT_OK)
        return ex;
    if (nargs < 1) {
        cli_say("queue", "add, run, status or results? (wecom-media help queue)");
        return EXIT_USAGE;
    }
    sub = argv[1];
    nargs--;
    o.spool = cli->spool;
    if (strcmp(sub, "add") != 0 && nargs > 0) {
        cli_say("queue", "%s takes no operands", sub);
        return EXIT_USAGE;
    }
    if (strcmp(sub, "add") != 0 && strcmp(sub, "run") != 0 &&
        strcmp(sub, "status") != 0 && strcmp(sub, "results") != 0) {
        cli_say("queue", "unknown subcommand (add, run, status, results)");
        return EXIT_USAGE;
    }
    if ((ex = open_outbox(&o)) != EXIT_OK)
        return ex;
    if (strcmp(sub, "add") == 0)
        ex = queue_add(cli, &o, nargs, argv + 2);
    else if (strcmp(sub, "run") == 0)
        ex = queue_run(cli, &o);
    else if (strcmp(sub, "status") == 0)
        ex = queue_status(cli);
    else
        ex = queue_results(cli, &o);
    close_outbox();
    return ex;
}

#endif /* WECOM_OUTBOX */
