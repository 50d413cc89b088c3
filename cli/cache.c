/* SPDX-License-Identifier: MIT */
/*
 * The cache directory and the token cache in it.
 *
 * WeCom blocks callers that call gettoken too often, and a camera runs the
 * tool every few minutes: a token must outlive one process. It is kept in
 * a file of its own per server and corp, 0600 in a 0700 directory of
 * ours, replaced whole (temp file, fsync, rename, directory fsync), under
 * an flock so that processes started together make one gettoken between
 * them. The file names the corp and holds a SHA-256 of the secret, never
 * the secret; anything that is not exactly what this code writes, for
 * these credentials, alive and not dated beyond a token's life, is
 * ignored and replaced.
 */
#define _DEFAULT_SOURCE /* flock */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "cli.h"

#define CACHE_MAGIC "wecom-media token cache 1"
/* A token's life as WeCom gives it is 7200 s; more than a day is no
 * token's (and a file that says so is not ours). */
#define TOKEN_LIFE_MAX 86400u
/* Clock granularity between writing expires-at and reading it back. */
#define CLOCK_SLACK_S 5

static void hex(char *out, const unsigned char *in, size_t n)
{
    static const char H[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = H[in[i] >> 4];
        out[2 * i + 1] = H[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* SHA-256 of the parts, each followed by a newline, as hex. */
static int sha256_hex(const char *const *parts, size_t count, char out[65])
{
    unsigned char buf[2048], sum[32];
    size_t len = 0, i;
    int rc;
    for (i = 0; i < count; i++) {
        size_t n = strlen(parts[i]);
        if (n + 1 > sizeof buf - len)
            return -1;
        memcpy(buf + len, parts[i], n);
        buf[len + n] = '\n';
        len += n + 1;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    rc = mbedtls_sha256(buf, len, sum, 0);
#else
    rc = mbedtls_sha256_ret(buf, len, sum, 0);
#endif
    cli_wipe(buf, sizeof buf); /* it held the secret */
    if (rc != 0)
        return -1;
    hex(out, sum, sizeof sum);
    return 0;
}

static void verbose_path(const cli_t *cli, const char *path, const char *what)
{
    if (!cli->verbose)
        return;
    fputs("wecom-media: ", stderr);
    cli_put_escaped(stderr, path);
    fprintf(stderr, ": %s\n", what);
}

/* mkdir -p, each directory made 0700 (XDG: "created with 0700"). */
static int make_dirs(char *path)
{
    char *p;
    for (p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Say once per run why the cache directory is not used (path NULL: there
 * is none). */
static void refuse_dir(const char *path, const char *why)
{
    static int said;
    if (said)
        return;
    said = 1;
    if (path != NULL) {
        fputs("wecom-media: cache directory ", stderr);
        cli_put_escaped(stderr, path);
        fprintf(stderr, ": %s; going on without the cache\n", why);
    } else {
        fprintf(stderr, "wecom-media: no cache directory (%s); going on without the "
                        "cache\n", why);
    }
}

int cli_cache_dir(const cli_t *cli, char *buf, size_t cap)
{
    const char *given = cli->cache_dir, *base;
    struct stat st;
    int n;

    if (given == NULL || given[0] == '\0')
        given = getenv("WECOM_CACHE_DIR");
    if ((given == NULL || given[0] == '\0') && WECOM_CLI_CACHE_DIR[0] != '\0')
        given = WECOM_CLI_CACHE_DIR;
    if (given != NULL && given[0] != '\0') {
        n = snprintf(buf, cap, "%s", given);
    } else if ((base = getenv("XDG_CACHE_HOME")) != NULL && base[0] == '/') {
        n = snprintf(buf, cap, "%s/wecom-media", base); /* relative: ignored (XDG) */
    } else if ((base = getenv("HOME")) != NULL && base[0] == '/') {
        n = snprintf(buf, cap, "%s/.cache/wecom-media", base);
    } else {
        /* A service without a home: no cache, unless configured. */
        if (cli->verbose)
            refuse_dir(NULL, "no --cache-dir, WECOM_CACHE_DIR, absolute "
                                 "$XDG_CACHE_HOME or $HOME");
        return -1;
    }
    if (n < 0 || (size_t)n >= cap) {
        refuse_dir(NULL, "its path is too long");
        return -1;
    }
    if (make_dirs(buf) != 0) {
        refuse_dir(buf, strerror(errno));
        return -1;
    }
    if (lstat(buf, &st) != 0) {
        refuse_dir(buf, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        refuse_dir(buf, "a symbolic link");
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        refuse_dir(buf, cli_file_kind(st.st_mode));
        return -1;
    }
    if (st.st_uid != geteuid()) {
        refuse_dir(buf, "owned by another user");
        return -1;
    }
    if ((st.st_mode & 022) != 0) {
        refuse_dir(buf, "writable by group or others");
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------- token cache */

int cli_token_cache_open(const cli_t *cli, const char *secret, cli_token_cache_t *tc)
{
    char dir[PATH_MAX], name[65];
    const char *url = cli->base_url != NULL ? cli->base_url : WECOM_DEFAULT_BASE_URL;
    const char *file_key[] = { "wecom-media token file", url, cli->corpid };
    const char *secret_key[] = { "wecom-media secret", cli->corpid, secret };
    size_t i;

    memset(tc, 0, sizeof *tc);
    tc->lock_fd = -1;
    if (cli->no_token_cache || cli->corpid == NULL)
        return -1;
    /* The corpid goes into the file as a line of text: printable ASCII. */
    for (i = 0; cli->corpid[i] != '\0'; i++)
        if (cli->corpid[i] <= ' ' || cli->corpid[i] > '~')
            return -1;
    if ((size_t)snprintf(tc->corpid_line, sizeof tc->corpid_line, "corpid %s",
                         cli->corpid) >= sizeof tc->corpid_line)
        return -1;
    if (cli_cache_dir(cli, dir, sizeof dir) != 0)
        return -1;
    /* One file per server and corp: a new secret replaces the old one's. */
    if (sha256_hex(file_key, 3, name) != 0 ||
        sha256_hex(secret_key, 3, tc->secret_hash) != 0)
        return -1;
    name[24] = '\0';
    if ((size_t)snprintf(tc->path, sizeof tc->path, "%s/token-%s", dir, name) >=
            sizeof tc->path ||
        (size_t)snprintf(tc->lock, sizeof tc->lock, "%s/token-%s.lock", dir, name) >=
            sizeof tc->lock)
        return -1;
    return 0;
}

int cli_token_cache_lock(const cli_t *cli, cli_token_cache_t *tc, uint64_t bound_ms)
{
    struct stat st;
    uint64_t waited = 0;
    int fd = -1;
    /* A FIFO or device planted under the lock's name is not opened at
     * all (opening a FIFO would release a writer waiting on it); the
     * fstat below refuses anything that takes its place meanwhile. */
    if (lstat(tc->lock, &st) != 0 ? errno == ENOENT : S_ISREG(st.st_mode))
        fd = open(tc->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        /* Without the lock the cache is read but never written: say why
         * every run makes its own gettoken. */
        verbose_path(cli, tc->lock, fd < 0 ? "token cache lock unusable; the token will "
                                             "not be cached"
                                           : "token cache lock not a regular file of ours; "
                                             "the token will not be cached");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* Polled, so that a holder stuck on the network delays us by the
     * bound at most; then we go on without the lock (and without
     * writing the cache). */
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        struct timespec ts = { 0, 20 * 1000000L };
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= bound_ms ||
            cli_signal() != 0) {
            close(fd);
            verbose_path(cli, tc->lock, "token cache lock not taken in time; the token "
                                        "will not be cached");
            return -1;
        }
        nanosleep(&ts, NULL);
        waited += 20;
    }
    tc->lock_fd = fd;
    return 0;
}

void cli_token_cache_unlock(cli_token_cache_t *tc)
{
    if (tc->lock_fd >= 0) {
        (void)flock(tc->lock_fd, LOCK_UN);
        close(tc->lock_fd);
        tc->lock_fd = -1;
    }
}

/* The next line of *p, without its '\n'; NULL when there is none. */
static char *next_line(char **p)
{
    char *line = *p, *nl = strchr(line, '\n');
    if (nl == NULL)
        return NULL;
    *nl = '\0';
    *p = nl + 1;
    return line;
}

/* The value of the next line when it is "key value"; NULL otherwise. */
static char *field(char **p, const char *key)
{
    char *line = next_line(p);
    size_t k = strlen(key);
    if (line == NULL || strncmp(line, key, k) != 0 || line[k] != ' ')
        return NULL;
    return line + k + 1;
}

static int number(const char *s, long long max, long long *out)
{
    char *end;
    long long v;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Read the cache file into buf when it is a file of ours, 0600, not a
 * link: 1 read, 0 absent, -1 ignored (why says). */
static int read_ours(const char *path, char *buf, size_t cap, const char **why)
{
    struct stat seen, st;
    size_t len = 0;
    ssize_t n;
    int fd;
    if (lstat(path, &seen) != 0) {
        *why = "unreadable";
        return errno == ENOENT ? 0 : -1;
    }
    if (S_ISLNK(seen.st_mode) || !S_ISREG(seen.st_mode)) {
        *why = S_ISLNK(seen.st_mode) ? "a symbolic link" : cli_file_kind(seen.st_mode);
        return -1;
    }
    if (seen.st_uid != geteuid() || (seen.st_mode & 07777) != 0600 || seen.st_nlink != 1) {
        *why = seen.st_uid != geteuid() ? "owned by another user"
               : seen.st_nlink != 1     ? "has other hard links"
                                        : "not of mode 0600";
        return -1;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_ino != seen.st_ino ||
        st.st_dev != seen.st_dev) {
        *why = "changed while opened";
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            *why = "unreadable";
            return -1;
        }
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    if (len + 1 >= cap || strlen(buf) != len) {
        *why = "corrupt";
        return -1;
    }
    return 1;
}

int cli_token_cache_load(const cli_t *cli, const cli_token_cache_t *tc, char *token,
                         size_t cap, uint32_t *left)
{
    char buf[WECOM_TOKEN_MAX + 512], *p = buf, *v;
    const char *why = "corrupt";
    long long expires = 0, life = 0, now = (long long)time(NULL), rest, margin;
    int r = read_ours(tc->path, buf, sizeof buf, &why);
    int usable = 0;

    if (r == 0)
        return 0;
    if (r > 0) {
        why = "corrupt";
        if ((v = next_line(&p)) == NULL || strcmp(v, CACHE_MAGIC) != 0)
            goto ignored;
        if ((v = next_line(&p)) == NULL || strcmp(v, tc->corpid_line) != 0) {
            why = "for other credentials";
            goto ignored;
        }
        if ((v = field(&p, "secret-sha256")) == NULL || strcmp(v, tc->secret_hash) != 0) {
            why = "for other credentials";
            goto ignored;
        }
        if (number(field(&p, "expires-at"), 1LL << 40, &expires) != 0 ||
            number(field(&p, "life"), TOKEN_LIFE_MAX, &life) != 0 || life == 0 ||
            (v = field(&p, "token")) == NULL || *p != '\0' || strlen(v) >= cap)
            goto ignored;
        rest = expires - now;
        margin = WECOM_TOKEN_REFRESH_MARGIN_S < life / 2 ? WECOM_TOKEN_REFRESH_MARGIN_S
                                                         : life / 2;
        if (rest > life + CLOCK_SLACK_S) {
            why = "dated beyond a token's life (the clock jumped)";
            goto ignored;
        }
        if (rest <= margin) {
            why = "expired";
            goto ignored;
        }
        memcpy(token, v, strlen(v) + 1);
        *left = (uint32_t)rest;
        usable = 1;
    }
ignored:
    cli_wipe(buf, sizeof buf);
    if (!usable) {
        char msg[96];
        snprintf(msg, sizeof msg, "token cache %s; it will be replaced", why);
        verbose_path(cli, tc->path, msg);
    }
    return usable;
}

int cli_token_cache_store(const cli_t *cli, const cli_token_cache_t *tc,
                          const char *token, uint32_t life)
{
    char buf[WECOM_TOKEN_MAX + 512];
    int n, rc;
    if (tc->lock_fd < 0 || life == 0 || life > TOKEN_LIFE_MAX)
        return -1;
    n = snprintf(buf, sizeof buf, CACHE_MAGIC "\n%s\nsecret-sha256 %s\nexpires-at %lld\n"
                 "life %lu\ntoken %s\n", tc->corpid_line, tc->secret_hash,
                 (long long)time(NULL) + (long long)life, (unsigned long)life, token);
    rc = n > 0 && (size_t)n < sizeof buf ? cli_file_write_atomic(tc->path, buf, (size_t)n)
                                         : -1;
    cli_wipe(buf, sizeof buf);
    verbose_path(cli, tc->path, rc == 0 ? "token cached" : "the token cache could not be written");
    return rc;
}
