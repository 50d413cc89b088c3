/*
 * wecom-media download: to FILE.part, fsync, then rename to FILE only when
 * complete and of the announced size, then fsync the directory. After a
 * failure FILE.part stays, with FILE.part.info beside it (total size and
 * strong ETag) for --continue.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    const char *out;   /* -o FILE, "-" for stdout */
    int remote_name;   /* -O */
    int resume;        /* --continue */
    uint64_t chunk;
} download_opts_t;

typedef struct {
    uint64_t total;
    char etag[WECOM_HTTP_ETAG_MAX];
} part_info_t;

static int read_info(const char *path, part_info_t *info)
{
    char line[WECOM_HTTP_ETAG_MAX + 16];
    FILE *f = fopen(path, "r");
    memset(info, 0, sizeof *info);
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "total=", 6) == 0)
            info->total = strtoull(line + 6, NULL, 10);
        else if (strncmp(line, "etag=", 5) == 0 && strlen(line + 5) < sizeof info->etag)
            memcpy(info->etag, line + 5, strlen(line + 5) + 1);
    }
    fclose(f);
    return 0;
}

static void write_info(const char *path, const wecom_download_result_t *res)
{
    FILE *f;
    if (res->total == 0 && res->etag[0] == '\0')
        return;
    f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f, "total=%llu\n", (unsigned long long)res->total);
    /* Only a strong validator may vouch for bytes joined across runs. */
    if (res->etag[0] == '"')
        fprintf(f, "etag=%s\n", res->etag);
    fclose(f);
}

static int fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, rc;
    if (slash == NULL) {
        memcpy(dir, ".", 2);
    } else if (slash == path) {
        memcpy(dir, "/", 2);
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

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

static wecom_err_t fetch(cli_t *cli, const char *media_id, int fd,
                         uint64_t offset, const part_info_t *info,
                         const download_opts_t *o, wecom_download_result_t *res)
{
    wecom_writer_t writer;
    wecom_posix_fd_t fdctx;
    wecom_download_t dl;
    cli_progress_t prog;
    wecom_err_t rc;

    wecom_posix_writer(&writer, &fdctx, fd);
    memset(&dl, 0, sizeof dl);
    dl.media_id = media_id;
    dl.writer = &writer;
    dl.offset = offset;
    dl.chunk = o->chunk;
    if (info != NULL && offset > 0) {
        dl.known_total = info->total;
        dl.if_range = info->etag[0] != '\0' ? info->etag : NULL;
    }
    cli_progress_start(&prog, cli, media_id);
    dl.progress = cli_progress_update;
    dl.progress_ctx = &prog;
    rc = wecom_media_download(cli->client, &dl, res);
    cli_progress_end(&prog);
    if (cli->verbose)
        fprintf(stderr, "wecom-media: %llu of %llu bytes written, %u request(s)\n",
                (unsigned long long)(offset + res->written),
                (unsigned long long)res->total, res->requests);
    return rc;
}

static int to_stdout(cli_t *cli, const char *media_id, const download_opts_t *o)
{
    wecom_download_result_t res;
    wecom_err_t rc = fetch(cli, media_id, STDOUT_FILENO, 0, NULL, o, &res);
    if (rc != WECOM_OK) {
        cli_report(media_id, rc, &res.api);
        return cli_exit_code(rc);
    }
    return EXIT_OK;
}

static void print_result(const cli_t *cli, const char *path,
                         const wecom_download_result_t *res)
{
    if (cli->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(path);
        printf(",\"size\":%llu,\"content_type\":", (unsigned long long)res->total);
        cli_json_string(res->content_type);
        fputs(",\"server_name\":", stdout);
        cli_json_string(res->filename);
        fputs("}\n", stdout);
    } else {
        printf("%s\n", path);
    }
}

static int to_file(cli_t *cli, const char *media_id, const download_opts_t *o)
{
    char part[PATH_MAX], info_path[PATH_MAX], final[PATH_MAX], idn[72];
    wecom_download_result_t res;
    part_info_t info;
    struct stat st;
    uint64_t offset = 0;
    wecom_err_t rc;
    int fd, restarted = 0;

    id_name(media_id, idn, sizeof idn);
    if (o->remote_name)
        snprintf(part, sizeof part, ".wecom-media-%s.part", idn);
    else if ((size_t)snprintf(part, sizeof part, "%s.part", o->out) >= sizeof part) {
        fprintf(stderr, "wecom-media: %s: name too long\n", o->out);
        return EXIT_USAGE;
    }
    if ((size_t)snprintf(info_path, sizeof info_path, "%s.info", part) >= sizeof info_path) {
        fprintf(stderr, "wecom-media: %s: name too long\n", part);
        return EXIT_USAGE;
    }

again:
    memset(&info, 0, sizeof info);
    if (o->resume && !restarted && stat(part, &st) == 0 && S_ISREG(st.st_mode)) {
        offset = (uint64_t)st.st_size;
        (void)read_info(info_path, &info);
    } else {
        offset = 0;
    }
    fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC | (offset > 0 ? O_APPEND : O_TRUNC),
              0666);
    if (fd < 0) {
        fprintf(stderr, "wecom-media: %s: %s\n", part, strerror(errno));
        return EXIT_LOCAL;
    }
    if (offset == 0)
        unlink(info_path);
    rc = fetch(cli, media_id, fd, offset, &info, o, &res);
    if (rc == WECOM_ERR_REMOTE_CHANGED && offset > 0 && !restarted) {
        /* What we hold belongs to another version: start again. */
        close(fd);
        fprintf(stderr, "wecom-media: %s changed on the server; starting again\n",
                media_id);
        restarted = 1;
        goto again;
    }
    if (rc == WECOM_OK && fsync(fd) != 0)
        rc = WECOM_ERR_FILE_WRITE;
    if (rc == WECOM_OK && (fstat(fd, &st) != 0 || (uint64_t)st.st_size != res.total))
        rc = WECOM_ERR_SIZE_MISMATCH;
    if (close(fd) != 0 && rc == WECOM_OK)
        rc = WECOM_ERR_FILE_WRITE;
    if (rc != WECOM_OK) {
        if (offset + res.written == 0) {
            unlink(part); /* nothing came: leave nothing behind */
            unlink(info_path);
        } else {
            write_info(info_path, &res);
            fprintf(stderr, "wecom-media: %s kept for --continue\n", part);
        }
        cli_report(media_id, rc, &res.api);
        return cli_exit_code(rc);
    }

    if (o->remote_name) {
        snprintf(final, sizeof final, "%s", res.filename[0] != '\0' ? res.filename : idn);
    } else {
        snprintf(final, sizeof final, "%s", o->out);
    }
    if (rename(part, final) != 0) {
        fprintf(stderr, "wecom-media: %s: %s (the data is in %s)\n", final,
                strerror(errno), part);
        return EXIT_LOCAL;
    }
    unlink(info_path);
    if (fsync_dir_of(final) != 0 && cli->verbose)
        fprintf(stderr, "wecom-media: could not fsync the directory of %s\n", final);
    print_result(cli, final, &res);
    return EXIT_OK;
}

int cmd_download(cli_t *cli, int argc, char **argv)
{
    static const struct option OPTS[] = {
        { "output", required_argument, NULL, 'o' },
        { "remote-name", no_argument, NULL, 'O' },
        { "continue", no_argument, NULL, 'c' },
        { "chunk", required_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 },
    };
    download_opts_t o;
    const char *media_id;
    int c, ex;
    char *end;

    memset(&o, 0, sizeof o);
    while ((c = getopt_long(argc, argv, "o:Oc", OPTS, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case 'O': o.remote_name = 1; break;
        case 'c': o.resume = 1; break;
        case 'k':
            errno = 0;
            o.chunk = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
                o.chunk == 0 || o.chunk > WECOM_RANGE_MAX_BYTES) {
                fprintf(stderr, "wecom-media: download: --chunk: 1 to %d bytes\n",
                        WECOM_RANGE_MAX_BYTES);
                return EXIT_USAGE;
            }
            break;
        default:
            fprintf(stderr, "wecom-media: download: unknown or incomplete option '%s'\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "wecom-media: download: give one MEDIA_ID\n");
        return EXIT_USAGE;
    }
    media_id = argv[optind];
    if (o.out != NULL && o.remote_name) {
        fprintf(stderr, "wecom-media: download: -o and -O exclude each other\n");
        return EXIT_USAGE;
    }
    if (o.out == NULL && !o.remote_name) {
        if (isatty(STDOUT_FILENO)) {
            fprintf(stderr, "wecom-media: download: use -o FILE, -O, or -o - "
                            "to write to the terminal\n");
            return EXIT_USAGE;
        }
        o.out = "-";
    }
    if (o.out != NULL && strcmp(o.out, "-") == 0 && o.resume) {
        fprintf(stderr, "wecom-media: download: --continue needs a file\n");
        return EXIT_USAGE;
    }
    ex = cli_connect(cli);
    if (ex != EXIT_OK)
        return ex;
    if (o.out != NULL && strcmp(o.out, "-") == 0)
        return to_stdout(cli, media_id, &o);
    return to_file(cli, media_id, &o);
}
