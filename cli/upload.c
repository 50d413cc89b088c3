/* SPDX-License-Identifier: MIT */
/*
 * wecom-media upload: one media_id per file on stdout, in order (with
 * --json one object per file, failures included).
 *
 * Standard input without --length is spooled first: into a 0600 file,
 * unlinked at once, in the temporary directory, never past the type's
 * limit, a voice clip's AMR frames counted as they arrive. Then it is a
 * regular file like any other: its exact length, the usual checks, and a
 * retry can read it again. A pipe with --length still streams as it is.
 */
#define _GNU_SOURCE /* O_TMPFILE */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    wecom_kind_t kind;
    const char *name;
    int no_check;
    int have_length;
    uint64_t length;
} upload_opts_t;

/* How one file ended, for the exit code and --json. */
typedef struct {
    wecom_err_t err;
    wecom_api_error_t api;
} outcome_t;

/* ------------------------------------------------------------- spool */

/* Bytes after the one-byte header of an AMR-NB frame, by frame type
 * (RFC 4867 section 5.3, as core/amr.c walks them); -1: not AMR-NB. */
static const int AMR_FRAME_BYTES[16] = { 12, 13, 15, 17, 19, 20, 26, 31,
                                         5,  -1, -1, -1, -1, -1, -1, 0 };

/* Counts an AMR clip's frames as its bytes arrive. */
typedef struct {
    unsigned char head[6];
    uint64_t seen;     /* bytes so far */
    uint64_t next;     /* offset of the next frame header */
    uint64_t ms;
    int amr;           /* 1 once the magic matched, -1 not AMR (or broken) */
} amr_walk_t;

static void amr_walk(amr_walk_t *w, const unsigned char *p, size_t n)
{
    uint64_t base = w->seen;
    size_t i;
    for (i = 0; i < n && w->seen + i < sizeof w->head; i++)
        w->head[w->seen + i] = p[i];
    w->seen += n;
    if (w->amr == 0 && w->seen >= sizeof w->head)
        w->amr = memcmp(w->head, "#!AMR\n", 6) == 0 ? 1 : -1;
    if (w->amr != 1)
        return;
    if (w->next == 0)
        w->next = 6;
    while (w->next >= base && w->next < w->seen) {
        int ft = (p[w->next - base] >> 3) & 0x0F;
        if (AMR_FRAME_BYTES[ft] < 0) {
            w->amr = -1; /* the check after spooling names the fault */
            return;
        }
        w->next += 1u + (unsigned)AMR_FRAME_BYTES[ft];
        w->ms += 20;
    }
}

static uint64_t kind_limit(const wecom_limits_t *lim, wecom_kind_t kind)
{
    switch (kind) {
    case WECOM_KIND_IMAGE: return lim->image_bytes;
    case WECOM_KIND_VOICE: return lim->voice_bytes;
    case WECOM_KIND_VIDEO: return lim->video_bytes;
    case WECOM_KIND_FILE: return lim->file_bytes;
    default: /* auto: the largest, the check after spooling does the rest */
        return lim->file_bytes > lim->video_bytes ? lim->file_bytes : lim->video_bytes;
    }
}

/* Where the spool goes: the cache directory (ours, 0700), else $TMPDIR,
 * else /tmp. */
static const char *spool_dir(const cli_t *cli, char *buf, size_t cap)
{
    const char *d;
    if (cli_cache_dir(cli, buf, cap) == 0)
        return buf;
    d = getenv("TMPDIR");
    return d != NULL && d[0] == '/' ? d : "/tmp";
}

/* A new 0600 file no other process can reach: O_TMPFILE where the file
 * system has it, else a fresh name (O_EXCL, never through a link)
 * unlinked at once. -1 with errno. */
static int spool_open(const char *dir)
{
    char path[4096];
    unsigned char rnd[8];
    unsigned i;
    int fd, n;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
#endif
    for (i = 0; i < 8; i++) {
        if (wecom_posix_entropy(NULL, rnd, sizeof rnd) != 0)
            return -1;
        n = snprintf(path, sizeof path, "%s/.wecom-media-stdin-%02x%02x%02x%02x%02x%02x%02x%02x",
                     dir, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
        if (n < 0 || (size_t)n >= sizeof path) {
            errno = ENAMETOOLONG;
            return -1;
        }
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            (void)unlink(path);
            return fd;
        }
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Standard input into a spool: the descriptor (at offset 0) and its
 * length, or an exit code with the message said. Refused beyond the
 * type's limit or, for voice, once the clip passes its length limit:
 * nothing is sent then. */
static int spool_stdin(const cli_t *cli, const upload_opts_t *o, int *fd_out,
                       uint64_t *length, outcome_t *out)
{
    static unsigned char buf[65536];
    static char dirbuf[4096];
    wecom_limits_t lim;
    amr_walk_t walk;
    uint64_t cap, total = 0;
    const char *dir = spool_dir(cli, dirbuf, sizeof dirbuf);
    int fd;

    wecom_limits_default(&lim);
    cap = kind_limit(&lim, o->kind);
    memset(&walk, 0, sizeof walk);
    fd = spool_open(dir);
    if (fd < 0) {
        cli_say(dir, "cannot keep standard input in a temporary file: %s", strerror(errno));
        return EXIT_LOCAL;
    }
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR && cli_signal() == 0)
            continue;
        if (n < 0) {
            close(fd);
            if (cli_signal() != 0)
                return 128 + cli_signal();
            cli_say("-", "%s", strerror(errno));
            out->err = WECOM_ERR_FILE_READ;
            return EXIT_LOCAL;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        if (total > cap && !o->no_check) {
            close(fd);
            out->err = WECOM_ERR_MEDIA_TOO_LARGE;
            cli_say("-", "not sent: standard input is over the limit of %llu bytes for %s",
                    (unsigned long long)cap,
                    o->kind == WECOM_KIND_AUTO ? "any type" : wecom_kind_name(o->kind));
            return EXIT_REFUSED;
        }
        if (!o->no_check && (o->kind == WECOM_KIND_VOICE || o->kind == WECOM_KIND_AUTO)) {
            amr_walk(&walk, buf, (size_t)n);
            if (walk.amr == 1 && walk.ms > lim.voice_ms) {
                close(fd);
                out->err = WECOM_ERR_MEDIA_VOICE_TOO_LONG;
                cli_say("-", "not sent: voice passed the limit of %lu ms after %llu bytes "
                             "of standard input",
                        (unsigned long)lim.voice_ms, (unsigned long long)total);
                return EXIT_REFUSED;
            }
        }
        if (write_all(fd, buf, (size_t)n) != 0) {
            cli_say(dir, "cannot keep standard input in a temporary file: %s",
                    strerror(errno));
            close(fd);
            out->err = WECOM_ERR_FILE_WRITE;
            return EXIT_LOCAL;
        }
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        out->err = WECOM_ERR_FILE_READ;
        return EXIT_LOCAL;
    }
    if (cli->verbose)
        fprintf(stderr, "wecom-media: -: %llu bytes of standard input kept in %s\n",
                (unsigned long long)total, dir);
    *fd_out = fd;
    *length = total;
    return EXIT_OK;
}

/* ------------------------------------------------------------ upload */

/* Open FILE (or standard input for "-") and find the length to send.
 * A --length must be a regular file's size: a shorter one would send a
 * cut file, a longer one could not be sent at all. */
static int open_input(const cli_t *cli, const char *path, const upload_opts_t *o,
                      int *fd, uint64_t *length, outcome_t *out)
{
    struct stat st;
    *fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 || fstat(*fd, &st) != 0) {
        cli_say(path, "%s", strerror(errno));
        out->err = WECOM_ERR_FILE_READ;
        return EXIT_LOCAL;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_say(path, "is a directory");
        out->err = WECOM_ERR_FILE_READ;
        return EXIT_LOCAL;
    }
    if (S_ISREG(st.st_mode)) {
        if (o->have_length && o->length != (uint64_t)st.st_size) {
            cli_say(path, "not sent: --length %llu differs from its size of %lld bytes",
                    (unsigned long long)o->length, (long long)st.st_size);
            return EXIT_USAGE;
        }
        *length = (uint64_t)st.st_size;
        return EXIT_OK;
    }
    if (o->have_length) {
        *length = o->length;
        return EXIT_OK;
    }
    if (*fd == STDIN_FILENO)
        return spool_stdin(cli, o, fd, length, out);
    cli_say(path, "not a regular file: give its size with --length SIZE");
    return EXIT_USAGE;
}

/* A refusal by the checks, with what would pass instead. */
static void say_refused(const char *path, wecom_err_t rc, const wecom_check_t *chk)
{
    char why[160];
    wecom_limits_t lim;
    wecom_limits_default(&lim);
    (void)wecom_check_describe(rc, chk, why, sizeof why);
    if (rc == WECOM_ERR_MEDIA_TOO_LARGE && chk->kind != WECOM_KIND_FILE &&
        chk->size <= lim.file_bytes)
        cli_say(path, "not sent: %s (--type file takes up to %llu bytes)", why,
                (unsigned long long)lim.file_bytes);
    else
        cli_say(path, "not sent: %s", why);
}

static void print_success(const cli_t *cli, const char *path,
                          const wecom_upload_result_t *res)
{
    if (cli->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(path);
        fputs(",\"type\":", stdout);
        cli_json_string(res->type[0] ? res->type : wecom_kind_name(res->check.kind));
        fputs(",\"media_id\":", stdout);
        cli_json_string(res->media_id);
        fputs(",\"created_at\":", stdout);
        cli_json_string(res->created_at);
        printf(",\"size\":%llu}\n", (unsigned long long)res->check.size);
    } else {
        printf("%s\n", res->media_id); /* checked: URL-safe characters only */
    }
}

static int upload_one(cli_t *cli, const upload_opts_t *o, const char *path, outcome_t *out)
{
    wecom_reader_t reader;
    wecom_posix_fd_t fdctx;
    wecom_upload_t up;
    wecom_upload_result_t res;
    cli_progress_t prog;
    wecom_err_t rc;
    uint64_t length = 0;
    int fd = -1, ex;
    char why[160];

    ex = open_input(cli, path, o, &fd, &length, out);
    if (ex != EXIT_OK) {
        if (fd > STDIN_FILENO)
            close(fd);
        return ex;
    }
    wecom_posix_reader(&reader, &fdctx, fd);
    memset(&up, 0, sizeof up);
    up.kind = o->kind;
    up.reader = &reader;
    up.length = length;
    up.filename = o->name != NULL ? o->name : (strcmp(path, "-") == 0 ? NULL : path);
    up.no_check = o->no_check;
    cli_progress_start(&prog, cli, path);
    up.progress = cli_progress_update;
    up.progress_ctx = &prog;
    rc = wecom_media_upload(cli->client, &up, &res);
    cli_progress_end(&prog);
    if (fd > STDIN_FILENO)
        close(fd);
    out->err = rc;
    out->api = res.api;

    if (rc >= WECOM_ERR_MEDIA_LENGTH && rc <= WECOM_ERR_MEDIA_TOO_SMALL) {
        say_refused(path, rc, &res.check);
        return cli_exit_code(rc);
    }
    if (rc == WECOM_ERR_CANCELLED && cli_signal() != 0) {
        cli_say(path, "interrupted");
        return 128 + cli_signal();
    }
    if (rc != WECOM_OK) {
        cli_report_net(cli, path, rc, &res.api);
        return cli_exit_code_api(rc, &res.api);
    }
    if (cli->verbose) {
        snprintf(why, sizeof why, "%s, %llu bytes, %u attempt(s)",
                 wecom_kind_name(res.check.kind),
                 (unsigned long long)res.check.size, res.attempts);
        fputs("wecom-media: ", stderr);
        cli_put_escaped(stderr, path);
        fprintf(stderr, ": %s\n", why);
    }
    print_success(cli, path, &res);
    if (fflush(stdout) != 0) { /* stored, but its id is lost: say so */
        cli_say(path, "uploaded, but writing its media_id to standard output failed");
        return EXIT_LOCAL;
    }
    return EXIT_OK;
}

static int on_upload_opt(void *ctx, int c, char *arg)
{
    upload_opts_t *o = ctx;
    switch (c) {
    case 't':
        if (wecom_kind_parse(arg, &o->kind) != WECOM_OK) {
            cli_say("upload", "--type is image, voice, video, file or auto");
            return EXIT_USAGE;
        }
        break;
    case 'n': o->name = arg; break;
    case 'l':
        if (cli_parse_size(arg, UINT64_MAX >> 1, &o->length) != 0) {
            cli_say("upload", "--length: a size in bytes (12345, 4M, 4MiB)");
            return EXIT_USAGE;
        }
        o->have_length = 1;
        break;
    case 'N': o->no_check = 1; break;
    default:
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int cmd_upload(cli_t *cli, int argc, char **argv)
{
    static const struct option OPTS[] = {
        { "type", required_argument, NULL, 't' },
        { "name", required_argument, NULL, 'n' },
        { "length", required_argument, NULL, 'l' },
        { "no-check", no_argument, NULL, 'N' },
        { NULL, 0, NULL, 0 },
    };
    upload_opts_t o;
    outcome_t out;
    int i, ex, nfiles = 0, first_failure = EXIT_OK, stdin_used = 0;

    memset(&o, 0, sizeof o);
    ex = cli_parse_options(cli, argc, argv, "", OPTS, on_upload_opt, &o, &nfiles);
    if (ex != EXIT_OK)
        return ex;
    if (nfiles == 0) {
        cli_say("upload", "no FILE given");
        return EXIT_USAGE;
    }
    if (nfiles > 1 && (o.name != NULL || o.have_length)) {
        cli_say("upload", "--name and --length apply to one FILE");
        return EXIT_USAGE;
    }
    for (i = 1; i <= nfiles; i++)
        stdin_used += strcmp(argv[i], "-") == 0;
    if (stdin_used > 1) {
        cli_say("upload", "standard input (-) can be read once");
        return EXIT_USAGE;
    }
    ex = cli_connect(cli);
    if (ex != EXIT_OK) {
        /* Nothing was tried: each file gets the same answer. */
        for (i = 1; cli->json && i <= nfiles; i++)
            cli_json_failure(argv[i], NULL, ex, WECOM_OK, NULL);
        return ex;
    }
    cli_catch_signals(cli);
    /* Every file is tried; the exit code is the first failure's. A signal
     * ends the upload under way and the rest are not tried: the shell's
     * 128 + its number. */
    for (i = 1; i <= nfiles && cli_signal() == 0; i++) {
        memset(&out, 0, sizeof out);
        cli_message_clear();
        cli->connects = 0; /* a failure names this file's attempts */
        ex = upload_one(cli, &o, argv[i], &out);
        if (ex != EXIT_OK && cli->json)
            cli_json_failure(argv[i], NULL, ex, out.err, &out.api);
        if (ex != EXIT_OK && first_failure == EXIT_OK)
            first_failure = ex;
    }
    return cli_signal() != 0 ? 128 + cli_signal() : first_failure;
}
