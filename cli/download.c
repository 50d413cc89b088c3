/* SPDX-License-Identifier: MIT */
/*
 * wecom-media download: to FILE.part, fsync, then rename to FILE only when
 * complete and of the announced size, then fsync the directory.
 *
 * The tool may run as root in a directory others can write to, so the
 * part and state files are opened as outfile.c describes (never through
 * a link, new ones 0600 with O_EXCL, reused ones checked to be ours).
 * FILE.part.info (media_id, total size, strong ETag, Last-Modified) is
 * written as soon as the first bytes arrive, so an interrupted run can be
 * continued with --continue, and continued only onto the same version.
 *
 * -o naming a device or FIFO is written straight into (a rename would
 * replace the node); -O never replaces an existing file under the name the
 * server chose, unless --clobber.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli.h"

#if WECOM_DOWNLOAD /* wecom/config.h: a device may build without */

/* The three names of a download: 12 KB that would otherwise sit on the
 * stack, the final one under the library's own frames (the write
 * callback checks it). The tool downloads one medium at a time. */
static struct {
    char part[PATH_MAX], info[PATH_MAX], final[PATH_MAX];
} g_names;

#define PART_SUFFIX ".part"
#define INFO_SUFFIX ".info"
/* The longest suffix added to FILE: FILE.part.info.new, the temporary
 * name of the info file (outfile.c). */
#define LONGEST_SUFFIX ".part.info.new"
#define INFO_MAGIC "wecom-media part 1"
/* Room for an info file: its fixed lines, the media_id and validators. */
#define INFO_MAX (WECOM_MEDIA_ID_MAX + WECOM_HTTP_ETAG_MAX + WECOM_HTTP_DATE_MAX + 128)

typedef struct {
    const char *out;   /* -o FILE, "-" for stdout */
    int remote_name;   /* -O */
    int clobber;       /* --clobber: -O may replace an existing file */
    int resume;        /* --continue */
    uint64_t chunk;
} download_opts_t;

/* What FILE.part.info records about the bytes in FILE.part. durable:
 * how many of them were on storage (fsync) when it was written; only
 * those are continued from. After a power cut a file system may keep a
 * file's new length without its data (vfat and exFAT on SD cards do):
 * the bytes past that point could be anything. */
typedef struct {
    uint64_t total;
    uint64_t durable;
    char etag[WECOM_HTTP_ETAG_MAX];           /* strong only */
    char last_modified[WECOM_HTTP_DATE_MAX];
} part_info_t;

/* Watches a transfer: the progress bar, the info file at the first
 * bytes, -O's name check, and a signal. */
typedef struct {
    cli_progress_t bar;
    const char *media_id;
    const download_opts_t *o;
    const wecom_download_result_t *res;
    const char *info_path; /* NULL: nothing to record (a device, stdout) */
    const char *idn;       /* the media_id as a file name */
    int fd;                /* the .part, for the checkpoints */
    uint64_t durable;      /* bytes of the .part the info vouches for */
    int started;
    int refused;           /* -O: the server's name is taken */
    int info_failed;
} watch_t;

/* How the download ended, for --json's failure object. */
static wecom_err_t g_err;
static wecom_api_error_t g_api;

/* Why writing the output failed (the library only says that it did):
 * errno and the file, so that a full SD card says "No space left on
 * device" and names the file. */
static struct {
    int err;
    const char *path;
} g_write;

/* A write, fsync or close of path failed with errno: kept for failed(). */
static wecom_err_t write_failed(const char *path)
{
    if (g_write.err == 0) {
        g_write.err = errno != 0 ? errno : EIO;
        g_write.path = path;
    }
    return WECOM_ERR_FILE_WRITE;
}

/* The POSIX writer (ctx), keeping why a write failed. */
static int out_write(void *ctx, const unsigned char *buf, size_t len)
{
    const wecom_writer_t *inner = ctx;
    int rc;
    errno = 0;
    rc = inner->write(inner->ctx, buf, len);
    if (rc != 0)
        (void)write_failed(g_write.path);
    return rc;
}

/* ------------------------------------------------------------ signals */

/* The exit code after a signal: the shell's 128 + its number. */
static int interrupted(const char *what)
{
    fprintf(stderr, "wecom-media: interrupted%s%s\n", what != NULL ? "; " : "",
            what != NULL ? what : "");
    return 128 + cli_signal();
}

/* --------------------------------------------------------- .part.info */

static void info_put(char *buf, size_t cap, const char *media_id,
                     const wecom_download_result_t *res, uint64_t durable)
{
    size_t n = (size_t)snprintf(buf, cap,
                                INFO_MAGIC "\nmedia_id=%s\ntotal=%llu\ndurable=%llu\n",
                                media_id, (unsigned long long)res->total,
                                (unsigned long long)durable);
    /* Only a strong validator may vouch for bytes joined across runs;
     * Last-Modified is the next best (If-Range with a date). */
    if (n < cap && res->etag[0] == '"')
        n += (size_t)snprintf(buf + n, cap - n, "etag=%s\n", res->etag);
    if (n < cap && res->last_modified[0] != '\0')
        (void)snprintf(buf + n, cap - n, "last_modified=%s\n", res->last_modified);
}

static int save_info(const char *path, const char *media_id,
                     const wecom_download_result_t *res, uint64_t durable)
{
    char buf[INFO_MAX];
    info_put(buf, sizeof buf, media_id, res, durable);
    return cli_file_write_atomic(path, buf, strlen(buf));
}

/* A value copied whole into out, or -1 (too long, or a control byte). */
static int info_value(const char *v, char *out, size_t cap)
{
    size_t n = strlen(v), i;
    if (n >= cap)
        return -1;
    for (i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return -1;
    memcpy(out, v, n + 1);
    return 0;
}

/* A byte count: digits only (strtoull takes "-5" as 2^64 - 5), and no
 * more than a medium the download would take. */
static int info_count(const char *v, uint64_t *out)
{
    char *end;
    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    *out = strtoull(v, &end, 10);
    return errno != 0 || *end != '\0' || *out > WECOM_MEDIA_MAX_BYTES ? -1 : 0;
}

/* 0 when buf is an info file of this tool for media_id. */
static int parse_info(char *buf, const char *media_id, part_info_t *info)
{
    char *line, *save = NULL;
    int first = 1, have_id = 0, have_total = 0, have_durable = 0;
    memset(info, 0, sizeof *info);
    for (line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), first = 0) {
        if (first) {
            if (strcmp(line, INFO_MAGIC) != 0)
                return -1;
        } else if (strncmp(line, "media_id=", 9) == 0) {
            if (strcmp(line + 9, media_id) != 0)
                return -1; /* another medium's part under this name */
            have_id = 1;
        } else if (strncmp(line, "total=", 6) == 0) {
            if (info_count(line + 6, &info->total) != 0)
                return -1;
            have_total = 1;
        } else if (strncmp(line, "durable=", 8) == 0) {
            if (info_count(line + 8, &info->durable) != 0)
                return -1;
            have_durable = 1;
        } else if (strncmp(line, "etag=", 5) == 0) {
            if (line[5] != '"' || info_value(line + 5, info->etag, sizeof info->etag) != 0)
                return -1;
        } else if (strncmp(line, "last_modified=", 14) == 0) {
            if (info_value(line + 14, info->last_modified, sizeof info->last_modified) != 0)
                return -1;
        }
    }
    if (have_total && info->total != 0 && info->durable > info->total)
        return -1;
    return have_id && have_total && have_durable ? 0 : -1;
}

/* ---------------------------------------------------- completion record */

/* A finished download leaves a record on its file, an extended attribute:
 * the media_id, the size and modification time the file had when it was
 * complete, and the strong ETag. --continue takes a file as complete only
 * while it still matches (a write since changes its modification time).
 * A file system without user attributes (vfat) keeps none: such a file is
 * downloaded again. */
#define DONE_XATTR "user.wecom-media"
#define DONE_MAGIC "wecom-media complete 1"

static void done_record(char *buf, size_t cap, const char *media_id, const struct stat *st,
                        const char *etag)
{
    (void)snprintf(buf, cap, DONE_MAGIC "\nmedia_id=%s\nsize=%llu\nmtime=%lld.%09ld\n"
                             "etag=%s\n",
                   media_id, (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
                   (long)st->st_mtim.tv_nsec, etag);
}

/* Record that the file open as fd is the whole medium. */
static void mark_complete(int fd, const char *media_id, const wecom_download_result_t *res)
{
    char buf[INFO_MAX];
    struct stat st;
    if (fstat(fd, &st) != 0)
        return;
    done_record(buf, sizeof buf, media_id, &st, res->etag[0] == '"' ? res->etag : "");
    (void)fsetxattr(fd, DONE_XATTR, buf, strlen(buf), 0);
}

/* 1 when the file open as fd (st) carries this tool's record that it is
 * the whole medium media_id, as it is now; etag gets the ETag recorded
 * ("" if none). */
static int marked_complete(int fd, const struct stat *st, const char *media_id, char *etag,
                           size_t cap)
{
    char got[INFO_MAX], want[INFO_MAX];
    char *e, *end;
    int ok;
    ssize_t n = fgetxattr(fd, DONE_XATTR, got, sizeof got - 1);
    if (n <= 0)
        return 0;
    got[n] = '\0';
    e = strstr(got, "\netag=");
    end = e != NULL ? strchr(e + 6, '\n') : NULL;
    if (end == NULL)
        return 0;
    *end = '\0';
    ok = info_value(e + 6, etag, cap) == 0 && (etag[0] == '\0' || etag[0] == '"');
    *end = '\n';
    if (!ok)
        return 0;
    done_record(want, sizeof want, media_id, st, etag);
    return strcmp(got, want) == 0;
}

/* ------------------------------------------------------------- names */

/* A media_id as a file name: its safe characters, at most 64. */
static void id_name(const char *id, char *out, size_t cap)
{
    size_t n = 0;
    for (; *id != '\0' && n + 1 < cap && n < 64; id++)
        if ((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
            (*id >= '0' && *id <= '9') || *id == '-' || *id == '_')
            out[n++] = *id;
    out[n] = '\0';
}

/* The longest file name the directory of path allows. */
static size_t name_max_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    long v;
    if (slash == NULL) {
        memcpy(dir, ".", 2);
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir)
            return NAME_MAX;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    v = pathconf(dir, _PC_NAME_MAX);
    return v > 0 && v < PATH_MAX ? (size_t)v : NAME_MAX;
}

/* FILE.part beside FILE; when FILE's name is so long that a suffix would
 * not fit, .wecom-media-ID.part in its directory instead. -O uses that
 * name in the current directory: the server's name is not known yet. */
static int part_name(const download_opts_t *o, const char *idn, char *part, size_t cap)
{
    const char *base, *slash;
    size_t n;
    if (o->remote_name) {
        n = (size_t)snprintf(part, cap, ".wecom-media-%s" PART_SUFFIX, idn);
        return n < cap ? 0 : -1;
    }
    slash = strrchr(o->out, '/');
    base = slash != NULL ? slash + 1 : o->out;
    if (strlen(base) + strlen(LONGEST_SUFFIX) <= name_max_of(o->out))
        n = (size_t)snprintf(part, cap, "%s" PART_SUFFIX, o->out);
    else
        n = (size_t)snprintf(part, cap, "%.*s.wecom-media-%s" PART_SUFFIX,
                             (int)(base - o->out), o->out, idn);
    return n < cap ? 0 : -1;
}

/* The extension a Content-Type implies, for a name that has none (WeCom
 * names a voice clip "voice"); NULL when the type says nothing we know. */
static const char *type_extension(const char *content_type)
{
    static const struct {
        const char *type;
        const char *ext;
    } TYPES[] = {
        { "audio/amr", ".amr" },        { "image/jpeg", ".jpg" },
        { "image/jpg", ".jpg" },        { "image/png", ".png" },
        { "image/gif", ".gif" },        { "image/webp", ".webp" },
        { "image/bmp", ".bmp" },        { "video/mp4", ".mp4" },
        { "audio/mpeg", ".mp3" },       { "audio/mp4", ".m4a" },
        { "audio/wav", ".wav" },        { "application/pdf", ".pdf" },
        { "application/zip", ".zip" },  { "text/plain", ".txt" },
    };
    size_t n = strcspn(content_type, "; \t"), i;
    for (i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strlen(TYPES[i].type) == n && strncasecmp(content_type, TYPES[i].type, n) == 0)
            return TYPES[i].ext;
    return NULL;
}

/* -O: the server's name (made safe by the library), or the media_id,
 * given the extension its Content-Type implies when it has none, and
 * shortened to what the file system takes, keeping its extension. */
static void remote_final(const wecom_download_result_t *res, const char *idn,
                         char *final, size_t cap)
{
    const char *ext = type_extension(res->content_type);
    const char *dot;
    size_t n;
    snprintf(final, cap, "%s",
             res->filename[0] != '\0' ? res->filename
             : idn[0] != '\0'        ? idn
                                      : "wecom-media-download");
    dot = strrchr(final, '.');
    n = strlen(final);
    /* No dot, or one that starts the name (".profile"): no extension. */
    if (ext != NULL && (dot == NULL || dot == final) && n + strlen(ext) < cap)
        memcpy(final + n, ext, strlen(ext) + 1);
    (void)cli_name_fit(final, name_max_of(final));
}

/* -O: 1 (and a message) when the final name may not be used. */
static int remote_name_taken(const char *final, int clobber)
{
    struct stat st;
    if (lstat(final, &st) != 0)
        return 0;
    if (clobber && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
        return 0;
    fputs("wecom-media: ", stderr);
    cli_put_escaped(stderr, final);
    if (clobber)
        fprintf(stderr, " exists and is %s; not replaced\n", cli_file_kind(st.st_mode));
    else
        fputs(" exists; not replaced (--clobber replaces it)\n", stderr);
    return 1;
}

/* ---------------------------------------------------------- transfer */

/* The .part's first `held` bytes are on storage, and the info says so:
 * a later --continue starts there even after a power cut. When either
 * step fails the info keeps its older count, and no more checkpoints are
 * tried (not at every write that follows). */
static void checkpoint(watch_t *w, uint64_t held)
{
    if (w->info_path == NULL || w->info_failed || held == w->durable)
        return;
    if (fsync(w->fd) == 0 && save_info(w->info_path, w->media_id, w->res, held) == 0)
        w->durable = held;
    else
        w->info_failed = 1;
}

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
    watch_t *w = ctx;
    if (!w->started) {
        /* The first bytes: the response's validators are known, and the
         * .part now holds something worth continuing. */
        w->started = 1;
        if (w->info_path != NULL &&
            save_info(w->info_path, w->media_id, w->res, w->durable) != 0) {
            w->info_failed = 1;
            fputs("wecom-media: could not write ", stderr);
            cli_put_escaped(stderr, w->info_path);
            fputs("; --continue will start again\n", stderr);
        }
        if (w->o->remote_name) {
            char *final = g_names.final; /* set again once complete */
            remote_final(w->res, w->idn, final, sizeof g_names.final);
            if (remote_name_taken(final, w->o->clobber)) {
                w->refused = 1;
                return 1;
            }
        }
    }
    if (done - w->durable >= WECOM_CLI_DOWNLOAD_SYNC_BYTES)
        checkpoint(w, done);
    if (cli_signal() != 0)
        return 1;
    return cli_progress_update(&w->bar, done, total);
}

/* -v: the informative headers the server sent too long (or twice), which
 * the download went on without. */
static void note_dropped(unsigned dropped)
{
    static const struct {
        unsigned bit;
        const char *name;
    } HEADERS[] = {
        { WECOM_HTTP_DROPPED_CONTENT_TYPE, "Content-Type" },
        { WECOM_HTTP_DROPPED_DISPOSITION, "Content-Disposition (the server's file name)" },
        { WECOM_HTTP_DROPPED_ETAG, "ETag" },
        { WECOM_HTTP_DROPPED_LAST_MODIFIED, "Last-Modified" },
    };
    size_t i;
    for (i = 0; i < sizeof HEADERS / sizeof HEADERS[0]; i++)
        if (dropped & HEADERS[i].bit)
            fprintf(stderr, "wecom-media: the server's %s was too long or repeated; "
                            "left out\n", HEADERS[i].name);
}

static wecom_err_t fetch(cli_t *cli, watch_t *w, int fd, const char *path, uint64_t offset,
                         const part_info_t *info, wecom_download_result_t *res)
{
    wecom_writer_t writer, inner;
    wecom_posix_fd_t fdctx;
    wecom_download_t dl;
    wecom_err_t rc;

    wecom_posix_writer(&inner, &fdctx, fd);
    writer.write = out_write;
    writer.ctx = &inner;
    g_write.err = 0;
    g_write.path = path;
    memset(&dl, 0, sizeof dl);
    dl.media_id = w->media_id;
    dl.writer = &writer;
    dl.offset = offset;
    dl.chunk = w->o->chunk;
    if (info != NULL && offset > 0) {
        dl.known_total = info->total;
        /* If-Range: the strong ETag, else the date it was last modified. */
        if (info->etag[0] != '\0')
            dl.if_range = info->etag;
        else if (info->last_modified[0] != '\0')
            dl.if_range = info->last_modified;
    }
    w->res = res;
    w->fd = fd;
    w->durable = offset;
    w->started = 0;
    cli_progress_start(&w->bar, cli, w->media_id);
    dl.progress = on_progress;
    dl.progress_ctx = w;
    rc = wecom_media_download(cli->client, &dl, res);
    cli_progress_end(&w->bar);
    if (cli->verbose) {
        uint64_t held = offset + res->written;
        fprintf(stderr, "wecom-media: %llu of %llu bytes written, %u request(s)\n",
                (unsigned long long)held, (unsigned long long)res->total, res->requests);
        note_dropped(res->dropped);
    }
    return rc;
}

static void watch_init(watch_t *w, const char *media_id, const download_opts_t *o,
                       const char *info_path, const char *idn)
{
    memset(w, 0, sizeof *w);
    w->media_id = media_id;
    w->o = o;
    w->info_path = info_path;
    w->idn = idn;
}

static int failed(const cli_t *cli, const char *media_id, wecom_err_t rc,
                  const wecom_download_result_t *res)
{
    g_err = rc;
    g_api = res->api;
    if (cli_signal() != 0)
        return interrupted(NULL);
    if (rc == WECOM_ERR_FILE_WRITE && g_write.err != 0 && g_write.path != NULL) {
        cli_say(g_write.path, "cannot write the download: %s", strerror(g_write.err));
        return EXIT_LOCAL;
    }
    cli_report_net(cli, media_id, rc, &res->api);
    return cli_exit_code_api(rc, &res->api);
}

static void print_result(const cli_t *cli, const char *path,
                         const wecom_download_result_t *res, int already)
{
    if (cli->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(path);
        printf(",\"size\":%llu,\"content_type\":", (unsigned long long)res->total);
        cli_json_string(res->content_type);
        fputs(",\"server_name\":", stdout);
        cli_json_string(res->filename);
        printf(",\"already_complete\":%s}\n", already ? "true" : "false");
    } else {
        cli_put_escaped(stdout, path);
        putchar('\n');
    }
}

static int to_stdout(cli_t *cli, const char *media_id, const download_opts_t *o)
{
    wecom_download_result_t res;
    watch_t w;
    wecom_err_t rc;
    watch_init(&w, media_id, o, NULL, NULL);
    rc = fetch(cli, &w, STDOUT_FILENO, "standard output", 0, NULL, &res);
    if (rc != WECOM_OK)
        return failed(cli, media_id, rc, &res);
    return EXIT_OK;
}

/* -o naming a device or FIFO: written straight into, kept what it is.
 * Only the node classify_out() saw is written: a name swapped meanwhile
 * (a link turned to another device) is refused. */
static int to_device(cli_t *cli, const char *media_id, const download_opts_t *o,
                     int follow, const struct stat *seen)
{
    wecom_download_result_t res;
    struct stat st;
    watch_t w;
    wecom_err_t rc;
    int fd;

    /* A FIFO blocks here until a reader opens it (or a signal comes). */
    fd = open(o->out, O_WRONLY | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0) {
        if (cli_signal() != 0)
            return interrupted(NULL);
        fputs("wecom-media: ", stderr);
        cli_put_escaped(stderr, o->out);
        fprintf(stderr, ": %s\n", strerror(errno));
        return EXIT_LOCAL;
    }
    if (fstat(fd, &st) != 0 || st.st_dev != seen->st_dev || st.st_ino != seen->st_ino ||
        !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))) {
        close(fd);
        fputs("wecom-media: ", stderr);
        cli_put_escaped(stderr, o->out);
        fputs(": changed while being opened; not written\n", stderr);
        return EXIT_LOCAL;
    }
    watch_init(&w, media_id, o, NULL, NULL);
    rc = fetch(cli, &w, fd, o->out, 0, NULL, &res);
    /* A FIFO or a character device may not sync (EINVAL): nothing lost. */
    if (rc == WECOM_OK && fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP &&
        errno != EROFS)
        rc = write_failed(o->out);
    if (close(fd) != 0 && rc == WECOM_OK && errno != EINTR)
        rc = write_failed(o->out);
    if (rc != WECOM_OK)
        return failed(cli, media_id, rc, &res);
    print_result(cli, o->out, &res, 0);
    return EXIT_OK;
}

enum out_kind { OUT_FILE, OUT_DEVICE, OUT_DEVICE_VIA_LINK };

/* What -o names decides how it is written. A symbolic link is never
 * written through, except to a device or FIFO when the link is ours or
 * root's (/dev/stdout): the finished download replaces the link itself. */
static int classify_out(const char *out, enum out_kind *kind, struct stat *seen)
{
    struct stat st;
    const char *why = NULL;
    *kind = OUT_FILE;
    if (lstat(out, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        why = strerror(errno);
    } else if (S_ISREG(st.st_mode)) {
        return 0;
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
        *kind = OUT_DEVICE;
        *seen = st;
        return 0;
    } else if (S_ISLNK(st.st_mode)) {
        if (st.st_uid != geteuid() && st.st_uid != 0)
            why = "a symbolic link owned by another user";
        else if (stat(out, seen) == 0 &&
                 (S_ISCHR(seen->st_mode) || S_ISFIFO(seen->st_mode)))
            *kind = OUT_DEVICE_VIA_LINK;
    } else if (S_ISDIR(st.st_mode)) {
        why = "a directory";
    } else {
        why = S_ISSOCK(st.st_mode) ? "a socket, which cannot be written to"
                                   : cli_file_kind(st.st_mode);
    }
    if (why == NULL)
        return 0;
    cli_say(out, "%s; not written", why);
    return -1;
}

/* --continue: where to start in the .part. Only a .part this tool wrote
 * for this media_id, with its .part.info, is continued; anything else is
 * downloaded again, since nothing shows that its bytes belong to the
 * medium as it is now. -1 when the info file is refused. */
static int resume_point(const cli_t *cli, const char *part, const char *info_path,
                        const char *media_id, uint64_t size, part_info_t *info,
                        uint64_t *offset)
{
    char buf[INFO_MAX];
    int r = cli_file_read_small(info_path, buf, sizeof buf);
    *offset = 0;
    if (r < 0)
        return -1;
    if (size == 0)
        return 0;
    /* r 2: longer than any info of ours, or not text; a line cut at the
     * buffer's end would be read as another value. */
    if (r != 1 || parse_info(buf, media_id, info) != 0) {
        if (cli->quiet)
            return 0;
        fputs("wecom-media: ", stderr);
        cli_put_escaped(stderr, part);
        fputs(" has no .part.info of this tool for this medium; "
              "downloading from the start\n", stderr);
        return 0;
    }
    if (info->total != 0 && size > info->total) {
        fputs("wecom-media: ", stderr);
        cli_put_escaped(stderr, part);
        fputs(" is longer than the medium; downloading from the start\n", stderr);
        return 0;
    }
    if (cli->verbose && info->etag[0] == '\0' && info->last_modified[0] == '\0')
        fprintf(stderr, "wecom-media: the server sent no ETag or Last-Modified: the "
                        "resumed bytes cannot be proven to belong to the same version\n");
    *offset = size;
    if (info->durable < size) {
        *offset = info->durable;
        if (!cli->quiet) {
            fputs("wecom-media: ", stderr);
            cli_put_escaped(stderr, part);
            fprintf(stderr, ": its last %llu bytes were not yet on storage when the run "
                            "ended; downloading them again\n",
                    (unsigned long long)(size - info->durable));
        }
    }
    return 0;
}

/* -v: the held bytes given up on a restart, and why. */
static void say_dropped(uint64_t held, const part_info_t *info)
{
    fprintf(stderr, "wecom-media: the %llu bytes held ", (unsigned long long)held);
    if (info->etag[0] != '\0' || info->last_modified[0] != '\0') {
        fputs("are of ", stderr);
        cli_put_escaped(stderr, info->etag[0] != '\0' ? "ETag " : "Last-Modified ");
        cli_put_escaped(stderr, info->etag[0] != '\0' ? info->etag : info->last_modified);
        fputs("; a piece is joined to them only when the server's answer shows the same, "
              "so they are dropped\n", stderr);
    } else {
        fputs("are dropped: the server's answer was of another size or version\n", stderr);
    }
}

/* Give up before the transfer: an empty .part is not left behind. */
static int abandon(int fd, const char *part)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size == 0)
        (void)cli_file_unlink(part, fd);
    close(fd);
    return EXIT_LOCAL;
}

/* Start the .part afresh: empty, and no stale info beside it. */
static int part_restart(int fd, const char *info_path)
{
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return -1;
    return cli_file_unlink(info_path, -1);
}

/* Put the finished .part (open as fd) in place under final. 0, or an
 * exit code. A name that -O may not take costs the download: nothing is
 * left behind. */
static int finish(const download_opts_t *o, int fd, const char *part,
                  const char *info_path, const char *final)
{
    int rc;
    if (o->remote_name && !o->clobber) {
        rc = cli_file_rename_noreplace(part, final);
        if (rc != 0 && errno == EEXIST) {
            (void)remote_name_taken(final, 0);
            rc = -2;
        }
    } else if (o->remote_name && remote_name_taken(final, 1)) {
        rc = -2;
    } else {
        rc = rename(part, final);
    }
    if (rc == -2) {
        (void)cli_file_unlink(part, fd);
        (void)cli_file_unlink(info_path, -1);
        return EXIT_LOCAL;
    }
    if (rc != 0) {
        fputs("wecom-media: ", stderr);
        cli_put_escaped(stderr, final);
        fprintf(stderr, ": %s (the data is in ", strerror(errno));
        cli_put_escaped(stderr, part);
        fputs(")\n", stderr);
        return EXIT_LOCAL;
    }
    return 0;
}

/* 1 when nothing at all is at path (not even a dangling link). */
static int absent(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 && errno == ENOENT;
}

/* The probe's watch: stop once the one byte asked for is in, unless the
 * medium ends there (then the library stops by itself). */
typedef struct {
    uint64_t size;
} probe_t;

static int probe_progress(void *ctx, uint64_t done, uint64_t total)
{
    const probe_t *p = ctx;
    return done >= p->size && total != p->size;
}

/* --continue where FILE is there and neither FILE.part nor its info:
 * is FILE the whole medium already? Only a file with this tool's record
 * of completion (mark_complete) that it still matches may be; its length
 * and last byte prove nothing about the bytes before. One range request
 * for FILE's last byte, with If-Range the ETag recorded, tells that the
 * medium is still that version, its length, and that byte; all must
 * match. Then
 * nothing is downloaded: EXIT_OK, said. -1: not complete, or not known
 * to be (download as usual). Otherwise an exit code (the medium expired,
 * the network failed). */
static int already_complete(cli_t *cli, const char *media_id, const download_opts_t *o)
{
    wecom_download_result_t res;
    wecom_download_t dl;
    wecom_writer_t writer;
    wecom_mem_t mem;
    unsigned char last = 0, got = 0;
    char etag[WECOM_HTTP_ETAG_MAX];
    struct stat st;
    probe_t probe;
    wecom_err_t rc;
    int fd, marked;

    fd = open(o->out, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    /* Another user's file (planted in /tmp with the length and last byte
     * a JPEG's medium has) vouches for nothing: it is downloaded again. */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
        st.st_uid != geteuid() || pread(fd, &last, 1, st.st_size - 1) != 1) {
        close(fd);
        return -1;
    }
    marked = marked_complete(fd, &st, media_id, etag, sizeof etag);
    close(fd);
    if (!marked) {
        if (cli->verbose) {
            fputs("wecom-media: ", stderr);
            cli_put_escaped(stderr, o->out);
            fputs(": no record of this tool that it is the whole medium as it is now; "
                  "downloading it again\n", stderr);
        }
        return -1;
    }
    probe.size = (uint64_t)st.st_size;
    wecom_mem_writer(&writer, &mem, &got, 1);
    memset(&dl, 0, sizeof dl);
    dl.media_id = media_id;
    dl.writer = &writer;
    dl.offset = probe.size - 1;
    dl.chunk = 1;
    dl.if_range = etag[0] != '\0' ? etag : NULL;
    dl.progress = probe_progress;
    dl.progress_ctx = &probe;
    rc = wecom_media_download(cli->client, &dl, &res);
    if (rc == WECOM_OK && res.total == probe.size && mem.len == 1 && got == last) {
        if (!cli->quiet) {
            fputs("wecom-media: ", stderr);
            cli_put_escaped(stderr, o->out);
            fprintf(stderr, ": already complete (this tool's record, %llu bytes, the "
                            "medium's length and last byte); nothing downloaded\n",
                    (unsigned long long)probe.size);
        }
        print_result(cli, o->out, &res, 1);
        return EXIT_OK;
    }
    if (rc == WECOM_OK || rc == WECOM_ERR_CANCELLED || rc == WECOM_ERR_REMOTE_CHANGED ||
        rc == WECOM_ERR_RANGE_MISMATCH || rc == WECOM_ERR_OUTPUT_FULL) {
        if (cli_signal() != 0)
            return interrupted(NULL);
        if (cli->verbose)
            fprintf(stderr, "wecom-media: the file is not the whole medium; "
                            "downloading it again\n");
        return -1;
    }
    return failed(cli, media_id, rc, &res);
}

static int to_file(cli_t *cli, const char *media_id, const download_opts_t *o)
{
    char *part = g_names.part, *info_path = g_names.info, *final = g_names.final;
    char idn[72];
    wecom_download_result_t res;
    part_info_t info;
    struct stat st;
    uint64_t offset = 0;
    wecom_err_t rc;
    watch_t w;
    mode_t mask;
    int fd, restarted = 0, ex;

    id_name(media_id, idn, sizeof idn);
    if (part_name(o, idn, part, sizeof g_names.part) != 0 ||
        (size_t)snprintf(info_path, sizeof g_names.info, "%s" INFO_SUFFIX, part) >=
            sizeof g_names.info) {
        fputs("wecom-media: the output name is too long\n", stderr);
        return EXIT_USAGE;
    }
    /* A stale or planted info file that is not ours stops us before any
     * byte is fetched. */
    if (cli_file_check(info_path) < 0)
        return EXIT_LOCAL;
    if (o->resume && !o->remote_name && absent(info_path) && absent(part) &&
        (ex = already_complete(cli, media_id, o)) >= 0)
        return ex;
    fd = cli_file_open_part(part, &st);
    if (fd < 0)
        return EXIT_LOCAL;
    memset(&info, 0, sizeof info);
    if (o->resume &&
        resume_point(cli, part, info_path, media_id, (uint64_t)st.st_size, &info,
                     &offset) != 0)
        return abandon(fd, part);
    if (offset == 0 ? part_restart(fd, info_path) != 0
                    : ftruncate(fd, (off_t)offset) != 0 ||
                          lseek(fd, (off_t)offset, SEEK_SET) != (off_t)offset) {
        fputs("wecom-media: cannot reset ", stderr);
        cli_put_escaped(stderr, part);
        fputc('\n', stderr);
        return abandon(fd, part);
    }
    watch_init(&w, media_id, o, info_path, idn);

again:
    rc = fetch(cli, &w, fd, part, offset, &info, &res);
    if (rc == WECOM_ERR_REMOTE_CHANGED && offset > 0 && !restarted) {
        /* What we hold belongs to another version, or the server did not
         * show that it does not (a 206 without the validator asked for):
         * start again, never append. */
        if (!cli->quiet)
            fprintf(stderr, "wecom-media: %s changed on the server, or its answer did not "
                            "show the version held; starting again from 0\n", idn);
        if (cli->verbose)
            say_dropped(offset, &info);
        restarted = 1;
        offset = 0;
        memset(&info, 0, sizeof info);
        if (part_restart(fd, info_path) == 0)
            goto again;
    }
    if (rc == WECOM_OK && fsync(fd) != 0)
        rc = write_failed(part);
    if (rc == WECOM_OK && (fstat(fd, &st) != 0 || (uint64_t)st.st_size != res.total))
        rc = WECOM_ERR_SIZE_MISMATCH;
    if (rc == WECOM_OK)
        mark_complete(fd, media_id, &res);
    /* The usual mode for the finished file, set before it gets its name. */
    mask = umask(0);
    umask(mask);
    if (rc == WECOM_OK && fchmod(fd, 0666 & ~mask) != 0)
        rc = WECOM_ERR_FILE_WRITE;
    if (rc != WECOM_OK) {
        if (w.refused || fstat(fd, &st) != 0 || st.st_size == 0) {
            (void)cli_file_unlink(part, fd); /* nothing worth keeping */
            (void)cli_file_unlink(info_path, -1);
        } else {
            /* A failed transfer (a signal, the network): what it wrote
             * is all kept, once on storage. */
            checkpoint(&w, (uint64_t)st.st_size);
            fputs("wecom-media: ", stderr);
            cli_put_escaped(stderr, part);
            fputs(" kept for --continue\n", stderr);
        }
        close(fd);
        if (w.refused)
            return EXIT_LOCAL;
        return failed(cli, media_id, rc, &res);
    }

    if (o->remote_name)
        remote_final(&res, idn, final, sizeof g_names.final);
    else
        snprintf(final, sizeof g_names.final, "%s", o->out);
    ex = finish(o, fd, part, info_path, final);
    if (ex != 0) {
        close(fd);
        return ex;
    }
    close(fd);
    (void)cli_file_unlink(info_path, -1);
    if (cli_file_fsync_dir(final) != 0 && cli->verbose)
        fprintf(stderr, "wecom-media: could not fsync the directory of the file\n");
    if (res.written == 0 && offset > 0 && !cli->quiet) {
        fputs("wecom-media: ", stderr);
        cli_put_escaped(stderr, part);
        fputs(" already held the whole medium; nothing downloaded\n", stderr);
    }
    print_result(cli, final, &res, res.written == 0 && offset > 0);
    return EXIT_OK;
}

enum { OPT_CLOBBER = 512 };

static int on_download_opt(void *ctx, int c, char *arg)
{
    download_opts_t *o = ctx;
    switch (c) {
    case 'o': o->out = arg; break;
    case 'O': o->remote_name = 1; break;
    case 'c': o->resume = 1; break;
    case OPT_CLOBBER: o->clobber = 1; break;
    case 'k':
        if (cli_parse_size(arg, WECOM_RANGE_MAX_BYTES, &o->chunk) != 0 || o->chunk == 0) {
            cli_say("download", "--chunk: 1 byte to %d bytes (20M), e.g. 4M, 4MiB, 4194304",
                    WECOM_RANGE_MAX_BYTES);
            return EXIT_USAGE;
        }
        break;
    default:
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Check the command line, then download; the exit code. */
static int download(cli_t *cli, int argc, char **argv, download_opts_t *o,
                    const char **media_id)
{
    static const struct option OPTS[] = {
        { "output", required_argument, NULL, 'o' },
        { "remote-name", no_argument, NULL, 'O' },
        { "continue", no_argument, NULL, 'c' },
        { "chunk", required_argument, NULL, 'k' },
        { "clobber", no_argument, NULL, OPT_CLOBBER },
        { NULL, 0, NULL, 0 },
    };
    enum out_kind kind = OUT_FILE;
    struct stat seen;
    int ex, nargs = 0;

    ex = cli_parse_options(cli, argc, argv, "o:Oc", OPTS, on_download_opt, o, &nargs);
    if (ex != EXIT_OK)
        return ex;
    if (nargs != 1) {
        cli_say("download", "give one MEDIA_ID");
        return EXIT_USAGE;
    }
    *media_id = argv[1];
    if (o->out != NULL && o->remote_name) {
        cli_say("download", "-o and -O exclude each other");
        return EXIT_USAGE;
    }
    if (o->clobber && !o->remote_name) {
        cli_say("download", "--clobber goes with -O (-o always replaces its file)");
        return EXIT_USAGE;
    }
    if (o->out == NULL && !o->remote_name) {
        if (isatty(STDOUT_FILENO)) {
            cli_say("download", "use -o FILE, -O, or -o - to write to the terminal");
            return EXIT_USAGE;
        }
        o->out = "-";
    }
    if (o->out != NULL && strcmp(o->out, "-") == 0 && o->resume) {
        cli_say("download", "--continue needs a file");
        return EXIT_USAGE;
    }
    if (o->out != NULL && strcmp(o->out, "-") != 0) {
        if (o->out[0] == '\0') {
            cli_say("download", "-o needs a name");
            return EXIT_USAGE;
        }
        if (classify_out(o->out, &kind, &seen) != 0)
            return EXIT_LOCAL;
        if (kind != OUT_FILE && o->resume) {
            cli_say("download", "--continue needs a regular file, not a device or FIFO");
            return EXIT_USAGE;
        }
    }
    ex = cli_connect(cli);
    if (ex != EXIT_OK)
        return ex;
    /* SIGINT and SIGTERM cancel the transfer: what arrived stays in the
     * .part with its .part.info. */
    cli_catch_signals(cli);
    if (o->out != NULL && strcmp(o->out, "-") == 0)
        return to_stdout(cli, *media_id, o);
    if (kind != OUT_FILE)
        return to_device(cli, *media_id, o, kind == OUT_DEVICE_VIA_LINK, &seen);
    return to_file(cli, *media_id, o);
}

int cmd_download(cli_t *cli, int argc, char **argv)
{
    download_opts_t o;
    const char *media_id = NULL;
    int ex;

    memset(&o, 0, sizeof o);
    g_err = WECOM_OK;
    memset(&g_api, 0, sizeof g_api);
    cli_message_clear();
    ex = download(cli, argc, argv, &o, &media_id);
    /* --json: the failure as an object too, whatever stopped it. */
    if (ex != EXIT_OK && ex != CLI_DONE && cli->json)
        cli_json_failure(o.out != NULL ? o.out : NULL, media_id, ex, g_err, &g_api);
    return ex;
}

#endif /* WECOM_DOWNLOAD */
