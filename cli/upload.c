/* wecom-media upload: one media_id per file on stdout, in order. */
#define _POSIX_C_SOURCE 200809L

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

/* "wecom-media: PATH: what": a path can hold any byte but '/' and NUL
 * (a file planted in a shared directory and reached by a glob), so it is
 * printed escaped. */
static void say(const char *path, const char *what)
{
    fputs("wecom-media: ", stderr);
    cli_put_escaped(stderr, path);
    fprintf(stderr, ": %s\n", what);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Open FILE (or standard input for "-") and find the length to send. */
static int open_input(const char *path, const upload_opts_t *o, int *fd,
                      uint64_t *length)
{
    struct stat st;
    *fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 || fstat(*fd, &st) != 0) {
        say(path, strerror(errno));
        return EXIT_LOCAL;
    }
    if (S_ISREG(st.st_mode) && !o->have_length) {
        *length = (uint64_t)st.st_size;
        return EXIT_OK;
    }
    if (S_ISDIR(st.st_mode)) {
        say(path, "is a directory");
        return EXIT_LOCAL;
    }
    if (!o->have_length) {
        say(path, "not a regular file: give its size with --length BYTES");
        return EXIT_USAGE;
    }
    if (S_ISREG(st.st_mode) && o->length > (uint64_t)st.st_size) {
        char why[96];
        snprintf(why, sizeof why, "--length %llu is more than its %lld bytes",
                 (unsigned long long)o->length, (long long)st.st_size);
        say(path, why);
        return EXIT_LOCAL;
    }
    *length = o->length;
    return EXIT_OK;
}

static int upload_one(cli_t *cli, const upload_opts_t *o, const char *path)
{
    wecom_reader_t reader;
    wecom_posix_fd_t fdctx;
    wecom_upload_t up;
    wecom_upload_result_t res;
    cli_progress_t prog;
    wecom_err_t rc;
    uint64_t length = 0;
    int fd = -1, ex;
    char why[160], not_sent[176];

    ex = open_input(path, o, &fd, &length);
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

    if (rc >= WECOM_ERR_MEDIA_LENGTH && rc <= WECOM_ERR_MEDIA_TOO_SMALL) {
        snprintf(not_sent, sizeof not_sent, "not sent: %s",
                 wecom_check_describe(rc, &res.check, why, sizeof why));
        say(path, not_sent);
        return cli_exit_code(rc);
    }
    if (rc == WECOM_ERR_CANCELLED && cli_signal() != 0) {
        say(path, "interrupted");
        return 128 + cli_signal();
    }
    if (rc != WECOM_OK) {
        cli_report(path, rc, &res.api);
        return cli_exit_code(rc);
    }
    if (cli->verbose) {
        snprintf(why, sizeof why, "%s, %llu bytes, %u attempt(s)",
                 wecom_kind_name(res.check.kind),
                 (unsigned long long)res.check.size, res.attempts);
        say(path, why);
    }
    if (cli->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(path);
        fputs(",\"type\":", stdout);
        cli_json_string(res.type[0] ? res.type : wecom_kind_name(res.check.kind));
        fputs(",\"media_id\":", stdout);
        cli_json_string(res.media_id);
        fputs(",\"created_at\":", stdout);
        cli_json_string(res.created_at);
        fputs("}\n", stdout);
    } else {
        printf("%s\n", res.media_id); /* checked: URL-safe characters only */
    }
    if (fflush(stdout) != 0) { /* stored, but its id is lost: say so */
        say(path, "uploaded, but writing its media_id to standard output failed");
        return EXIT_LOCAL;
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
    int c, i, ex, first_failure = EXIT_OK;

    memset(&o, 0, sizeof o);
    opterr = 0; /* cli_bad_option's message, which never shows a value */
    while ((c = getopt_long(argc, argv, "", OPTS, NULL)) != -1) {
        switch (c) {
        case 't':
            if (wecom_kind_parse(optarg, &o.kind) != WECOM_OK) {
                fprintf(stderr, "wecom-media: upload: --type is image, voice, video, file or auto\n");
                return EXIT_USAGE;
            }
            break;
        case 'n': o.name = optarg; break;
        case 'l':
            if (parse_u64(optarg, &o.length) != 0) {
                fprintf(stderr, "wecom-media: upload: --length: a byte count\n");
                return EXIT_USAGE;
            }
            o.have_length = 1;
            break;
        case 'N': o.no_check = 1; break;
        default:
            cli_bad_option("upload", argv[optind - 1], optopt);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "wecom-media: upload: no FILE given\n");
        return EXIT_USAGE;
    }
    if (argc - optind > 1 && (o.name != NULL || o.have_length)) {
        fprintf(stderr, "wecom-media: upload: --name and --length apply to one FILE\n");
        return EXIT_USAGE;
    }
    ex = cli_connect(cli);
    if (ex != EXIT_OK)
        return ex;
    cli_catch_signals(cli);
    /* Every file is tried; the exit code is the first failure's. A signal
     * ends the upload under way and the rest are not tried: the shell's
     * 128 + its number. */
    for (i = optind; i < argc && cli_signal() == 0; i++) {
        ex = upload_one(cli, &o, argv[i]);
        if (ex != EXIT_OK && first_failure == EXIT_OK)
            first_failure = ex;
    }
    return cli_signal() != 0 ? 128 + cli_signal() : first_failure;
}
