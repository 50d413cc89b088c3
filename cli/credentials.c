/* SPDX-License-Identifier: MIT */
/*
 * Where the access token comes from, in this order:
 *
 *  1. a command (--token-command / WECOM_TOKEN_COMMAND, through /bin/sh):
 *     its standard output is the token, as git's credential helpers and
 *     AWS's credential_process work, so that a fleet's backend hands out
 *     tokens and devices never hold the corp secret;
 *  2. a token as given (--token, --token-file, WECOM_ACCESS_TOKEN);
 *  3. gettoken with corpid and secret (the secret from WECOM_CORPSECRET or
 *     --secret-file, never argv), through the token cache (cache.c).
 *
 * What the command line says wins over the environment; within each, the
 * order above. The library asks for a new token through the provider
 * below shortly before the token lapses and once after WeCom refused it
 * (40014/42001). No token or secret is ever printed: failures name the
 * source and what went wrong.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Bounds on what a token command may print: a token and some blank
 * space; a few lines of complaint on stderr. */
#define COMMAND_OUT_MAX (WECOM_TOKEN_MAX + 64)
#define COMMAND_ERR_MAX 1024

/* The client's deadline (--max-time), on the port's clock; 0 for none. */
static uint64_t g_deadline_ms;

/* Zero a credential so that it outlives its use in no buffer: through a
 * volatile pointer, which the compiler cannot drop as a dead store. */
void cli_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n-- > 0)
        *v++ = 0;
}

static uint64_t now_ms(const cli_t *cli)
{
    return cli->port.now_ms(cli->port.sys_ctx);
}

/* What is left of bound_ms before the deadline. */
static uint64_t bounded(const cli_t *cli, uint64_t bound_ms)
{
    uint64_t now = now_ms(cli);
    if (g_deadline_ms == 0)
        return bound_ms;
    if (now >= g_deadline_ms)
        return 0;
    return g_deadline_ms - now < bound_ms ? g_deadline_ms - now : bound_ms;
}

/* ------------------------------------------------------------ files */

enum {
    LINE_OK = 0,
    LINE_MISSING = -1,
    LINE_EMPTY = -2,
    LINE_LONG = -3,
    LINE_ERROR = -4,
    LINE_BINARY = -5,
    LINE_SLOW = -6
};

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Up to cap - 1 bytes of fd, stopping after the first line end; a pipe
 * or FIFO (--token-file <(vault read ...)) is waited for until end,
 * bounded like a token command. Its length, or a LINE_* code. */
static long read_first_line(int fd, char *out, size_t cap)
{
    uint64_t end = monotonic_ms() + WECOM_TOKEN_COMMAND_TIMEOUT_MS;
    size_t len = 0;
    while (len + 1 < cap && memchr(out, '\n', len) == NULL) {
        struct pollfd pfd;
        uint64_t now;
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        if (n == 0)
            break; /* end of file; a FIFO nobody writes to ends at once */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return LINE_ERROR;
        now = monotonic_ms();
        if (now >= end)
            return LINE_SLOW;
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        (void)poll(&pfd, 1, end - now > 1000 ? 1000 : (int)(end - now));
    }
    return (long)len;
}

/* The first line of a file, without its line end or surrounding blanks:
 * for a token or a secret kept in a file readable by the service alone.
 * Never blocks on a FIFO without a writer or with a silent one. */
static int read_line_file(const char *path, char *out, size_t cap)
{
    size_t n, skip = 0;
    long len;
    int err, fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? LINE_MISSING : LINE_ERROR;
    len = read_first_line(fd, out, cap); /* a directory: EISDIR */
    err = errno;
    close(fd);
    errno = err;
    if (len < 0)
        return (int)len;
    out[len] = '\0';
    if (strlen(out) != (size_t)len)
        return LINE_BINARY; /* /dev/zero, a binary file */
    n = strcspn(out, "\r\n");
    if (out[n] == '\0' && (size_t)len == cap - 1)
        return LINE_LONG;
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    while (out[skip] == ' ' || out[skip] == '\t')
        skip++;
    memmove(out, out + skip, n - skip + 1);
    /* What followed the first line (another secret, perhaps) is not kept. */
    cli_wipe(out + (n - skip) + 1, cap - (n - skip) - 1);
    return n > skip ? LINE_OK : LINE_EMPTY;
}

static void say_line_error(const char *option, const char *path, int r)
{
    int err = errno;
    switch (r) {
    case LINE_MISSING: cli_say(path, "%s: no such file", option); break;
    case LINE_EMPTY:
        cli_say(path, "%s: the file is empty (its first line should hold it)", option);
        break;
    case LINE_LONG: cli_say(path, "%s: its first line is too long", option); break;
    case LINE_BINARY: cli_say(path, "%s: not text (it holds a NUL byte)", option); break;
    case LINE_SLOW:
        cli_say(path, "%s: nothing came within %d ms", option,
                WECOM_TOKEN_COMMAND_TIMEOUT_MS);
        break;
    default: cli_say(path, "%s: cannot read it: %s", option, strerror(err)); break;
    }
}

#if WECOM_TOKEN_FETCH
/* The corp secret, from --secret-file or WECOM_CORPSECRET. */
static int read_secret(const cli_t *cli, char *secret, size_t cap)
{
    const char *env = getenv("WECOM_CORPSECRET");
    if (cli->secret_file != NULL) {
        int r = read_line_file(cli->secret_file, secret, cap);
        if (r != LINE_OK) {
            say_line_error("--secret-file", cli->secret_file, r);
            return EXIT_LOCAL;
        }
        return EXIT_OK;
    }
    if (env != NULL && env[0] != '\0' && strlen(env) < cap) {
        memcpy(secret, env, strlen(env) + 1);
        return EXIT_OK;
    }
    cli_say("--corpid", "needs the secret in WECOM_CORPSECRET or --secret-file");
    return EXIT_USAGE;
}
#endif

int cli_read_token_file(cli_t *cli, const char *path)
{
    int r = read_line_file(path, cli->token_buf, sizeof cli->token_buf);
    if (r != LINE_OK) {
        cli_wipe(cli->token_buf, sizeof cli->token_buf);
        say_line_error("--token-file", path, r);
        return EXIT_LOCAL;
    }
    cli->token = cli->token_buf;
    return EXIT_OK;
}

/* ---------------------------------------------------------- gettoken */

/* -v: each request's URL, as the library hands it: access_token=***,
 * corpsecret=***. */
static void log_request(void *ctx, const char *host, uint16_t port, const char *target)
{
    (void)ctx;
    fputs("wecom-media: request https://", stderr);
    if (strchr(host, ':') != NULL) { /* an IPv6 literal */
        fputc('[', stderr);
        cli_put_escaped(stderr, host);
        fputc(']', stderr);
    } else {
        cli_put_escaped(stderr, host);
    }
    if (port != 443)
        fprintf(stderr, ":%u", (unsigned)port);
    cli_put_escaped(stderr, target);
    fputc('\n', stderr);
}

/* A token through the cache, or gettoken (which then fills the cache).
 * why: the library's reason; current: the token it holds (NULL for
 * none), which the cache must not hand back when it was refused or is
 * about to lapse. The secret is read, used and wiped. */
#if WECOM_TOKEN_FETCH /* wecom/config.h */
static int gettoken_source(cli_t *cli, wecom_token_reason_t why)
{
    char secret[512], cached[WECOM_TOKEN_MAX + 1];
    cli_token_cache_t tc;
    wecom_api_error_t api;
    int64_t expires = 0;
    uint32_t left = 0;
    wecom_err_t rc;
    int have_cache, ex = read_secret(cli, secret, sizeof secret);

    if (ex != EXIT_OK) {
        cli_wipe(secret, sizeof secret); /* a part may have been read */
        return ex;
    }
    have_cache = cli_token_cache_open(cli, secret, &tc) == 0;
    if (have_cache) {
        /* Held across gettoken: a process that starts meanwhile waits and
         * then finds the new token in the cache. */
        (void)cli_token_cache_lock(cli, &tc, bounded(cli, (uint64_t)cli->timeout_ms * 2u));
        if (cli_token_cache_load(cli, &tc, cached, sizeof cached, &left) == 1 &&
            (why == WECOM_TOKEN_NEEDED ||
             strcmp(cached, wecom_client_token(cli->client)) != 0) &&
            wecom_client_set_token_ttl(cli->client, cached, left) == WECOM_OK) {
            cli_token_cache_unlock(&tc);
            cli_wipe(secret, sizeof secret);
            cli_wipe(cached, sizeof cached);
            cli->token_source = CLI_TOKEN_CACHED;
            if (cli->verbose)
                fprintf(stderr, "wecom-media: token from the cache, valid %lu s\n",
                        (unsigned long)left);
            return EXIT_OK;
        }
        cli_wipe(cached, sizeof cached);
    }
    rc = wecom_token_fetch(cli->client, cli->corpid, secret, &expires, &api);
    cli_wipe(secret, sizeof secret);
    if (rc != WECOM_OK) {
        if (have_cache)
            cli_token_cache_unlock(&tc);
        cli_report("gettoken", rc, &api);
        return cli_exit_code_api(rc, &api);
    }
    cli->token_source = CLI_TOKEN_FETCHED;
    if (cli->verbose)
        fprintf(stderr, "wecom-media: token fetched, valid %lld s\n", (long long)expires);
    if (have_cache) {
        if (expires > 0 && expires <= 86400)
            (void)cli_token_cache_store(cli, &tc, wecom_client_token(cli->client),
                                        (uint32_t)expires);
        cli_token_cache_unlock(&tc);
    }
    return EXIT_OK;
}
#else
static int gettoken_source(cli_t *cli, wecom_token_reason_t why)
{
    (void)cli;
    (void)why;
    cli_say(NULL, "this build has no gettoken (WECOM_TOKEN_FETCH): use --token-command, "
                  "--token-file or WECOM_ACCESS_TOKEN");
    return EXIT_USAGE;
}
#endif /* WECOM_TOKEN_FETCH */

/* ------------------------------------------------------- the command */

typedef struct {
    char out[COMMAND_OUT_MAX + 1];
    size_t out_len;
    int out_over;
    char err[COMMAND_ERR_MAX + 1];
    size_t err_len;
} command_io_t;

/* Read what is there on fd into buf (cap bytes, the rest discarded).
 * 0 at end of file, 1 when more may come. */
static int drain(int fd, char *buf, size_t cap, size_t *len, int *over)
{
    char scratch[512];
    ssize_t n;
    if (*len < cap)
        n = read(fd, buf + *len, cap - *len);
    else
        n = read(fd, scratch, sizeof scratch);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    if (*len < cap)
        *len += (size_t)n;
    else if (over != NULL)
        *over = 1;
    return 1;
}

extern char **environ;

/* A variable of the environment (NAME=value) that holds one of the
 * tool's secrets: the corp secret, a token, proxy credentials (whole, or
 * in a proxy URL's user:password@). */
static int secret_variable(const char *entry)
{
    static const char *const SECRET[] = {
        "WECOM_CORPSECRET", "WECOM_ACCESS_TOKEN", "WECOM_PROXY_USER", NULL
    };
    static const char *const PROXY[] = {
        "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
        "ALL_PROXY", NULL
    };
    size_t i, n;
    for (i = 0; SECRET[i] != NULL; i++) {
        n = strlen(SECRET[i]);
        if (strncmp(entry, SECRET[i], n) == 0 && entry[n] == '=')
            return 1;
    }
    for (i = 0; PROXY[i] != NULL; i++) {
        n = strlen(PROXY[i]);
        if (strncmp(entry, PROXY[i], n) == 0 && entry[n] == '=' &&
            strchr(entry + n + 1, '@') != NULL)
            return 1;
    }
    return 0;
}

/* In the child, before exec: the environment without the tool's secrets
 * (the command gets what it needs to reach its backend, nothing that
 * would let it, or what it runs, take the corp secret). Only the child's
 * copy of the array is changed; nothing is allocated. */
static void drop_secrets(void)
{
    char **r, **w;
    if (environ == NULL)
        return;
    for (r = w = environ; *r != NULL; r++)
        if (!secret_variable(*r))
            *w++ = *r;
    *w = NULL;
}

/* The child: its own process group (so that a hang is killed whole),
 * stdin from /dev/null, stdout and stderr into our pipes, no other
 * descriptor of ours, and the environment minus the tool's secrets. */
static void command_child(const char *cmd, int out_fd, int err_fd)
{
    int null_fd = open("/dev/null", O_RDONLY);
    (void)setpgid(0, 0);
    if (null_fd >= 0)
        (void)dup2(null_fd, 0);
    (void)dup2(out_fd, 1);
    (void)dup2(err_fd, 2);
    /* Only as 1 and 2: a copy under another number would keep our pipes
     * open in whatever the command leaves behind. */
    if (null_fd > 2)
        close(null_fd);
    if (out_fd > 2)
        close(out_fd);
    if (err_fd > 2)
        close(err_fd);
    (void)signal(SIGPIPE, SIG_DFL);
    drop_secrets();
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
}

/* Run cmd with a bound of bound_ms; its output in io. Returns its wait
 * status, or -1 when it could not be run, -2 when it ran out of time (and
 * was killed with its process group), -3 when a signal stopped us. */
static int run_command(const cli_t *cli, const char *cmd, uint64_t bound_ms, command_io_t *io)
{
    int out_p[2], err_p[2], status = 0, open_fds = 2, timed_out = 0, reaped = 0;
    uint64_t end = now_ms(cli) + bound_ms;
    pid_t pid;

    if (pipe(out_p) != 0)
        return -1;
    if (pipe(err_p) != 0) {
        close(out_p[0]);
        close(out_p[1]);
        return -1;
    }
    (void)fflush(NULL); /* nothing buffered is written twice by the child */
    pid = fork();
    if (pid < 0) {
        close(out_p[0]), close(out_p[1]), close(err_p[0]), close(err_p[1]);
        return -1;
    }
    if (pid == 0) {
        close(out_p[0]);
        close(err_p[0]);
        command_child(cmd, out_p[1], err_p[1]);
    }
    (void)setpgid(pid, pid); /* also here: no race with the kill below */
    close(out_p[1]);
    close(err_p[1]);
    while (open_fds > 0) {
        struct pollfd fds[2];
        uint64_t now = now_ms(cli);
        int n, wait_ms;
        if (now >= end || cli_signal() != 0 || io->out_over) {
            timed_out = 1;
            break;
        }
        wait_ms = end - now > 100 ? 100 : (int)(end - now);
        fds[0].fd = out_p[0];
        fds[1].fd = err_p[0];
        fds[0].events = fds[1].events = POLLIN;
        fds[0].revents = fds[1].revents = 0;
        /* The shell has exited: what it printed is in the pipes. A child
         * it left behind (`helper &`) may hold them open for ever; once
         * they have been quiet for one poll, the command is done. */
        if (!reaped && waitpid(pid, &status, WNOHANG) == pid)
            reaped = 1;
        n = poll(fds, 2, wait_ms);
        if (n == 0 && reaped)
            break;
        if (n <= 0)
            continue;
        if (fds[0].fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
            !drain(out_p[0], io->out, COMMAND_OUT_MAX, &io->out_len, &io->out_over)) {
            close(out_p[0]);
            out_p[0] = -1;
            open_fds--;
        }
        if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
            !drain(err_p[0], io->err, COMMAND_ERR_MAX, &io->err_len, NULL)) {
            close(err_p[0]);
            err_p[0] = -1;
            open_fds--;
        }
    }
    /* Both pipes closed: the shell is about done; wait for it, bounded. */
    while (!timed_out && !reaped) {
        struct timespec ts = { 0, 10 * 1000000L };
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (now_ms(cli) >= end || cli_signal() != 0)
            timed_out = 1;
        else
            nanosleep(&ts, NULL);
    }
    if (reaped && open_fds > 0)
        (void)kill(-pid, SIGKILL); /* what the shell left holding our pipes */
    if (out_p[0] >= 0)
        close(out_p[0]);
    if (err_p[0] >= 0)
        close(err_p[0]);
    io->out[io->out_len] = '\0';
    io->err[io->err_len] = '\0';
    if (timed_out) {
        (void)kill(-pid, SIGKILL); /* the shell and whatever it started */
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (io->out_over)
            return status;
        return cli_signal() != 0 ? -3 : -2;
    }
    return status;
}

/* The command's stderr, line by line, escaped, with the token (when it
 * printed one) masked. */
static void pass_stderr(char *err, const char *token)
{
    char *line = err, *nl;
    size_t tl = token != NULL ? strlen(token) : 0;
    if (tl > 0) {
        char *hit;
        while ((hit = strstr(err, token)) != NULL)
            memset(hit, '*', tl);
    }
    while (*line != '\0') {
        size_t n;
        nl = strchr(line, '\n');
        n = nl != NULL ? (size_t)(nl - line) : strlen(line);
        if (nl != NULL)
            *nl = '\0';
        if (n > 0) { /* blank lines are left out */
            fputs("wecom-media: token command: ", stderr);
            cli_put_escaped(stderr, line);
            fputc('\n', stderr);
        }
        if (nl == NULL)
            break;
        line = nl + 1;
    }
}

static int blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Run the token command and set its token. Every failure is a message
 * that says what went wrong, never what it printed on stdout. */
static int command_source(cli_t *cli)
{
    static command_io_t io; /* holds a token: wiped below */
    uint64_t bound = bounded(cli, WECOM_TOKEN_COMMAND_TIMEOUT_MS);
    char *tok;
    size_t len;
    int status, ex = EXIT_CREDENTIALS;

    memset(&io, 0, sizeof io);
    if (bound == 0) {
        cli_say("--token-command", "no time left (--max-time)");
        return EXIT_NETWORK;
    }
    if (cli->verbose)
        fprintf(stderr, "wecom-media: running the token command\n");
    status = run_command(cli, cli->token_command, bound, &io);
    tok = io.out;
    while (blank(*tok))
        tok++;
    len = strlen(tok);
    while (len > 0 && blank(tok[len - 1]))
        tok[--len] = '\0';
    pass_stderr(io.err, len > 0 ? tok : NULL);
    if (status == -1) {
        cli_say("--token-command", "cannot run /bin/sh: %s", strerror(errno));
    } else if (status == -2) {
        cli_say("--token-command", "no token within %lu ms; the command was killed",
                (unsigned long)bound);
    } else if (status == -3) {
        ex = 128 + cli_signal();
    } else if (io.out_over) {
        cli_say("--token-command", "printed more than %d bytes; not a token",
                COMMAND_OUT_MAX);
    } else if (WIFSIGNALED(status)) {
        cli_say("--token-command", "killed by signal %d", WTERMSIG(status));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cli_say("--token-command", "failed (exit status %d)",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (len == 0) {
        cli_say("--token-command", "printed no token");
    } else if (wecom_client_set_token(cli->client, tok) != WECOM_OK) {
        cli_say("--token-command", "printed %lu bytes that are not a token (1 to %d "
                "URL-safe characters on one line)", (unsigned long)len, WECOM_TOKEN_MAX);
    } else {
        ex = EXIT_OK;
        cli->token_source = CLI_TOKEN_COMMAND;
    }
    cli_wipe(&io, sizeof io);
    return ex;
}

/* ------------------------------------------------------ the provider */

/* The library asks for a token: the source chosen at setup, again. */
static wecom_err_t provider(void *ctx, wecom_client_t *c, wecom_token_reason_t why)
{
    cli_t *cli = ctx;
    int ex;
    (void)c;
    if (cli->verbose)
        fprintf(stderr, "wecom-media: %s; getting a new one\n",
                why == WECOM_TOKEN_REJECTED   ? "WeCom refused the token (40014/42001)"
                : why == WECOM_TOKEN_EXPIRING ? "the token is about to lapse"
                                              : "no token yet");
    ex = cli->token_command != NULL ? command_source(cli) : gettoken_source(cli, why);
    return ex == EXIT_OK ? WECOM_OK : WECOM_ERR_INVALID_ARG;
}

/* Does `value` come from the environment variable `name`? The option
 * parser leaves such values as getenv's pointers. */
static int from_env(const char *value, const char *name)
{
    const char *env = getenv(name);
    return value != NULL && env != NULL && value == env;
}

/* Which source, as the header says: the command line over the
 * environment, then command, token, corpid. */
static int pick_source(cli_t *cli)
{
    const char *env_cmd = getenv("WECOM_TOKEN_COMMAND");
    int token_argv = cli->token != NULL && !from_env(cli->token, "WECOM_ACCESS_TOKEN");
    int corpid_argv = cli->corpid != NULL && !from_env(cli->corpid, "WECOM_CORPID");

    if (cli->token_command != NULL && cli->token_command[0] != '\0')
        return CLI_TOKEN_COMMAND;
    if (token_argv)
        return CLI_TOKEN_GIVEN;
    if (corpid_argv)
        return CLI_TOKEN_FETCHED;
    if (env_cmd != NULL && env_cmd[0] != '\0') {
        cli->token_command = env_cmd;
        return CLI_TOKEN_COMMAND;
    }
    if (cli->token != NULL)
        return CLI_TOKEN_GIVEN;
    if (cli->corpid != NULL)
        return CLI_TOKEN_FETCHED;
    return CLI_TOKEN_NONE;
}

int cli_token_setup(cli_t *cli)
{
    int ex;
    g_deadline_ms = cli->max_time_ms > 0 ? now_ms(cli) + cli->max_time_ms : 0;
    if (cli->verbose)
        wecom_client_on_request(cli->client, log_request, cli);
    switch (pick_source(cli)) {
    case CLI_TOKEN_COMMAND:
        cli->token = NULL;
        ex = command_source(cli);
        break;
    case CLI_TOKEN_GIVEN:
        cli->token_command = NULL;
        if (wecom_client_set_token(cli->client, cli->token) != WECOM_OK) {
            cli_say(NULL, "the access token is malformed (1 to %d URL-safe characters)",
                    WECOM_TOKEN_MAX);
            return EXIT_USAGE;
        }
        cli->token_source = CLI_TOKEN_GIVEN;
        return EXIT_OK; /* nothing to ask again: WeCom's refusal is final */
    case CLI_TOKEN_FETCHED:
        cli->token = NULL;
        cli->token_command = NULL;
        ex = gettoken_source(cli, WECOM_TOKEN_NEEDED);
        break;
    default:
        cli_say(NULL, "no access token: use --token-command, set WECOM_ACCESS_TOKEN, "
                      "use --token-file, or --corpid with WECOM_CORPSECRET");
        return EXIT_USAGE;
    }
    if (ex == EXIT_OK)
        wecom_client_set_token_provider(cli->client, provider, cli);
    return ex;
}
