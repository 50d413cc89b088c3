/* SPDX-License-Identifier: MIT */
/*
 * The TLS session cache: the last run's TLS session, offered by the next.
 *
 * A camera that uploads every minute would otherwise make a full ECDHE
 * handshake and verify the server's chain each time, the largest CPU cost
 * of a small upload on ARM. The session (mbedTLS's serialisation, through
 * wecom_client_session_save) is kept in one file, "tls-session", 0600 in
 * the 0700 cache directory, replaced whole (temp file, fsync, rename). A
 * header keys it to what it was made under:
 *
 *   wecom-media tls session 1\n
 *   saved <unix seconds>\n
 *   url <the base URL>\n
 *   ca <CA file path> <size> <mtime s>.<mtime ns>\n
 *   \n
 *   <the library's bytes>
 *
 * It is offered only when all of it still holds and it is younger than
 * WECOM_SESSION_LIFETIME_S; the library checks host, port and trust
 * configuration once more. A run that resumed it and got nothing new
 * (no new ticket, see unchanged()) leaves the file as it is: rewriting it would cost a file creation and an fsync, the
 * largest system cost of a resumed run, and its age stays that of the
 * full handshake that made the session, which is what the server counts
 * the session's lifetime from. A file that is not ours (a link, another
 * user's, readable by others: its master secret may have leaked) is
 * ignored and replaced. Any failed run drops it, so that a server or
 * path that misbehaves starts the next run afresh.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#if WECOM_SESSION_SAVE && WECOM_CLI_SESSION_CACHE /* wecom/config.h */

#define MAGIC "wecom-media tls session 1\n"
#define FILE_NAME "tls-session"
/* The header's room: four short lines, the base URL and the CA path. */
#define HEADER_MAX (PATH_MAX + 512)

static unsigned char g_buf[HEADER_MAX + WECOM_SESSION_MAX];
/* The library's bytes this run loaded (where in g_buf, how many; 0: none
 * loaded), to tell at the end whether the session is still the same. */
static size_t g_loaded_at, g_loaded_len;

static int enabled(const cli_t *cli)
{
    return !cli->no_session_cache;
}

static void note(const cli_t *cli, const char *what)
{
    if (cli->verbose)
        fprintf(stderr, "wecom-media: TLS session cache: %s\n", what);
}

static const char *ca_file(const cli_t *cli)
{
    return cli->cacert != NULL ? cli->cacert : WECOM_DEFAULT_CA_FILE;
}

static int session_path(const cli_t *cli, char *path, size_t cap)
{
    char dir[PATH_MAX];
    if (cli_cache_dir(cli, dir, sizeof dir) != 0)
        return -1;
    return (size_t)snprintf(path, cap, "%s/" FILE_NAME, dir) < cap ? 0 : -1;
}

/* The header this run would write (without "saved"), in out. */
static int key_lines(const cli_t *cli, char *out, size_t cap)
{
    struct stat st;
    const char *url = cli->base_url != NULL ? cli->base_url : WECOM_DEFAULT_BASE_URL;
    int n;
    if (stat(ca_file(cli), &st) != 0)
        return -1;
    n = snprintf(out, cap, "url %s\nca %s %lld %lld.%09ld\n\n", url, ca_file(cli),
                 (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                 (long)st.st_mtim.tv_nsec);
    return n > 0 && (size_t)n < cap && strchr(url, '\n') == NULL &&
                   strchr(ca_file(cli), '\n') == NULL
               ? n
               : -1;
}

/* Read the file into g_buf: its length, 0 when absent, -1 when it is not
 * ours to trust (the reason said with -v). */
static long read_ours(const cli_t *cli, const char *path)
{
    struct stat st;
    size_t len = 0;
    int fd;
    /* Looked at before it is opened: opening a FIFO or a device has
     * effects of its own (a writer waiting on the FIFO goes on). */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        note(cli, S_ISLNK(st.st_mode) ? "ignored: a symbolic link"
                                      : "ignored: not a regular file");
        return -1;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        note(cli, errno == ELOOP ? "ignored: a symbolic link" : "ignored: unreadable");
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_nlink != 1 || (st.st_mode & 077) != 0 ||
        (uint64_t)st.st_size >= sizeof g_buf) {
        note(cli, "ignored: not a private file of ours (mode 0600, one link)");
        close(fd);
        return -1;
    }
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, g_buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    g_buf[len] = 0; /* the header is read as text */
    return len == (size_t)st.st_size ? (long)len : -1;
}

/* The library's bytes in g_buf[0..len) when the header is this run's and
 * young enough; NULL otherwise. */
static const unsigned char *check_header(const cli_t *cli, size_t len,
                                         size_t *blob_len)
{
    char key[HEADER_MAX];
    const char *p = (const char *)g_buf;
    size_t magic = sizeof MAGIC - 1;
    long long saved;
    char *end;
    int k;
    size_t used;
    time_t now = time(NULL);
    if (len < magic || memcmp(p, MAGIC, magic) != 0)
        return NULL;
    p += magic;
    len -= magic;
    if (len < 8 || memcmp(p, "saved ", 6) != 0 || p[6] < '0' || p[6] > '9')
        return NULL;
    errno = 0;
    saved = strtoll(p + 6, &end, 10);
    if (errno != 0 || *end != '\n')
        return NULL;
    used = (size_t)(end + 1 - p);
    if (used > len)
        return NULL;
    /* Too old, or from the future (the clock was set back since). */
    if (saved > (long long)now || (long long)now - saved > WECOM_SESSION_LIFETIME_S) {
        note(cli, "dropped: past its lifetime");
        return NULL;
    }
    p += used;
    len -= used;
    k = key_lines(cli, key, sizeof key);
    if (k < 0 || len <= (size_t)k || memcmp(p, key, (size_t)k) != 0) {
        note(cli, "dropped: made for another base URL or CA file");
        return NULL;
    }
    *blob_len = len - (size_t)k;
    return (const unsigned char *)p + k;
}

void cli_session_resume(cli_t *cli)
{
    char path[PATH_MAX];
    const unsigned char *blob;
    size_t blob_len;
    long len;
    if (!enabled(cli) || session_path(cli, path, sizeof path) != 0)
        return;
    len = read_ours(cli, path);
    if (len <= 0)
        return;
    blob = check_header(cli, (size_t)len, &blob_len);
    if (blob == NULL)
        return;
    if (wecom_client_session_load(cli->client, blob, blob_len) != WECOM_OK) {
        note(cli, "dropped: refused by the library");
        return;
    }
    g_loaded_at = (size_t)(blob - g_buf);
    g_loaded_len = blob_len;
}

/*
 * 1 when every handshake of this run resumed the session loaded from the
 * file and the server handed out nothing new. The bytes the library
 * would save now are put past the file's in g_buf (its header is short,
 * so there is room; a session that does not fit is written anew) and
 * compared with the loaded ones. A session ID resumed serialises the
 * same. A ticket resumed differs in its session ID alone: mbedTLS draws
 * a random 32-byte ID each time it offers a ticket (RFC 5077, 3.4) and
 * keeps it, so the ID and the length byte before it (0 when the server
 * that issued the ticket sent no ID) may differ, 33 bytes in one place.
 * A new ticket is another encrypted blob (another IV at its start and
 * MAC at its end, 16 and 32 bytes with OpenSSL's or mbedTLS's tickets),
 * so more differs and the file is rewritten.
 */
static int unchanged(const cli_t *cli, unsigned long hs, unsigned long resumed)
{
    const unsigned char *was = g_buf + g_loaded_at;
    unsigned char *now = g_buf + g_loaded_at + g_loaded_len;
    size_t len, first = 0, last = 0, i;
    if (g_loaded_len == 0 || resumed != hs)
        return 0;
    if (wecom_client_session_save(cli->client, now, sizeof g_buf - (size_t)(now - g_buf),
                                  &len) != WECOM_OK ||
        len != g_loaded_len)
        return 0;
    for (i = 0; i < len; i++) {
        if (now[i] != was[i]) {
            if (last == 0)
                first = i;
            last = i + 1;
        }
    }
    return last - first <= 33;
}

/* This run's session, written whole; 0 when there was one to write. */
static int save(cli_t *cli, const char *path)
{
    char key[HEADER_MAX];
    int n, k = key_lines(cli, key, sizeof key);
    size_t blob_len;
    if (k < 0)
        return -1;
    n = snprintf((char *)g_buf, HEADER_MAX, MAGIC "saved %lld\n%s",
                 (long long)time(NULL), key);
    if (n < 0 || (size_t)n >= HEADER_MAX)
        return -1;
    if (wecom_client_session_save(cli->client, g_buf + n, sizeof g_buf - (size_t)n,
                                  &blob_len) != WECOM_OK)
        return -1;
    return cli_file_write_atomic(path, (const char *)g_buf, (size_t)n + blob_len);
}

void cli_session_keep(cli_t *cli, int rc)
{
    char path[PATH_MAX];
    unsigned long hs = wecom_client_handshakes(cli->client);
    unsigned long resumed = wecom_client_resumptions(cli->client);
    if (cli->verbose && hs > 0)
        fprintf(stderr, resumed > 0 ? "wecom-media: TLS session resumed (%lu of %lu "
                                      "handshakes)\n"
                                    : "wecom-media: full handshake (%lu of %lu "
                                      "handshakes resumed)\n",
                resumed, hs);
    if (!enabled(cli))
        return;
    if (rc == EXIT_OK && hs == 0)
        return; /* nothing went over the network: the file stands */
    if (rc == EXIT_OK && unchanged(cli, hs, resumed)) {
        note(cli, "kept: resumed, unchanged");
        return; /* nothing to write: the directory is not even looked at */
    }
    if (session_path(cli, path, sizeof path) != 0)
        return;
    /* A failed run leaves none. A good run that could not write its
     * session leaves the file as it is: another run may have just put
     * its own there. */
    if (rc == EXIT_OK) {
        if (save(cli, path) != 0)
            note(cli, "not written");
        return;
    }
    if (unlink(path) == 0)
        note(cli, "dropped");
}

#else /* a build without the cache: every run makes a full handshake */

void cli_session_resume(cli_t *cli)
{
    (void)cli;
}

void cli_session_keep(cli_t *cli, int rc)
{
    (void)cli;
    (void)rc;
}

#endif /* WECOM_SESSION_SAVE && WECOM_CLI_SESSION_CACHE */
