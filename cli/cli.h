/* SPDX-License-Identifier: MIT */
/* wecom-media command-line tool: what the commands share. */
#ifndef WECOM_CLI_H
#define WECOM_CLI_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <stdio.h>
#include <getopt.h>

#include "wecom/media.h"
#include "wecom/posix.h"

/* Exit codes (documented in --help and README.md). A script tells the
 * cases apart by number alone: 2-5 kept their old meanings, 6-9 were
 * split out of 3 and 5. A signal gives the shell's 128 + its number. */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_LOCAL = 3,       /* a local file: unreadable, unwritable, refused */
    EXIT_NETWORK = 4,     /* network, TLS, protocol, time limit */
    EXIT_API = 5,         /* any other WeCom errcode */
    EXIT_REFUSED = 6,     /* refused by the checks before upload: nothing sent */
    EXIT_CREDENTIALS = 7, /* token or secret rejected (40001, 40014/42001
                             after a refresh, 40091, ...) */
    EXIT_RATE_LIMITED = 8, /* 45009, 45033 after the retries */
    EXIT_NOT_FOUND = 9,   /* 40007: media_id unknown or expired (3 days) */
    EXIT_JOURNAL = 10     /* queue run: the outbox's journal cannot be
                             written (a full disk): nothing more is sent */
};

/* cmd_* and the option parser: help was printed, stop with exit 0. */
#define CLI_DONE (-1)

typedef struct cli {
    const char *base_url;
    const char *cacert;
    const char *token;       /* --token, --token-file or the environment */
    const char *corpid;
    const char *secret_file;
    char token_buf[WECOM_TOKEN_MAX + 2];
    /* Tokens (credentials.c, cache.c) */
    const char *token_command; /* --token-command (else WECOM_TOKEN_COMMAND) */
    const char *cache_dir;     /* --cache-dir (else WECOM_CACHE_DIR, ...) */
    const char *spool;         /* --spool: the outbox (else WECOM_SPOOL_DIR, ...) */
    int no_token_cache;        /* --no-token-cache */
    int no_session_cache;      /* --no-session-cache (session.c) */
    int token_source;          /* CLI_TOKEN_*: where the token came from */
    uint32_t timeout_ms;     /* --timeout: each network wait */
    uint32_t max_time_ms;    /* --max-time: the whole command, 0 none */
    unsigned retry;          /* --retry: retries after the first request */
    uint32_t retry_max_time_ms; /* --retry-max-time, 0 for no bound */
    int retry_set;           /* --retry given */
    int retry_max_time_set;  /* --retry-max-time given */
    uint32_t low_speed_bytes; /* --low-speed, as wecom_tls_config_t takes it */
    uint32_t low_speed_ms;
    int json;
    int verbose;
    int quiet;               /* -q: results and errors only */
    int show_progress;       /* stderr is a terminal, or --progress */
    int progress_forced;     /* --progress given */
    int progress_lines;      /* --progress where stderr is no terminal:
                                a line every few seconds, no \r */
    const char *command;     /* "upload", "download", ... (help, messages) */
    unsigned connects;       /* connect attempts made (messages) */
    char connect_host[256];  /* the host of the last connect */
    wecom_port_t port;
    wecom_posix_net_t net;
    wecom_client_t *client;
    int client_ready;
    /* How WeCom is reached (network.c) */
    uint32_t limit_rate;     /* --limit-rate, bytes per second, 0: none */
    int proxy_given;         /* --proxy given (its "" means none) */
    char proxy_url[WECOM_HOST_MAX + 3 * WECOM_PROXY_CREDENTIALS_MAX + 32];
    char proxy_user[WECOM_PROXY_CREDENTIALS_MAX + 1]; /* --proxy-user */
    char proxy_host[WECOM_HOST_MAX]; /* the proxy in use, "" none */
    uint16_t proxy_port;
    char proxy_cred_user[WECOM_PROXY_CREDENTIALS_MAX + 1];
    char proxy_cred_pass[WECOM_PROXY_CREDENTIALS_MAX + 1];
} cli_t;

/* How WeCom is reached (network.c): --proxy, --proxy-user, --limit-rate
 * (name without "--"; a secret in arg is wiped once copied), into the
 * client's configuration with HTTPS_PROXY, NO_PROXY and WECOM_PROXY_USER;
 * the proxy's refusal said with its status; the credentials wiped. */
int cli_network_option(cli_t *cli, const char *name, char *arg);
int cli_network_config(cli_t *cli, wecom_client_config_t *cfg);
void cli_network_report(const cli_t *cli);
void cli_network_wipe(cli_t *cli);
/* RATE as curl's --limit-rate takes it (256K, 1M): 0, or -1. */
int cli_parse_rate(const char *s, uint32_t *out);
/* 1 when host is in a NO_PROXY list, as curl matches it. */
int cli_no_proxy_match(const char *list, const char *host);

/* Set up the client and its token (from the options, the environment or
 * gettoken). On failure the message is printed; returns an exit code. */
int cli_connect(cli_t *cli);

/* The client's token (credentials.c): as given, or from gettoken with a
 * refresh hook. Messages printed; returns an exit code. */
int cli_token_setup(cli_t *cli);
/* Where the token came from (cli->token_source). */
enum {
    CLI_TOKEN_NONE = 0,
    CLI_TOKEN_COMMAND,  /* --token-command / WECOM_TOKEN_COMMAND */
    CLI_TOKEN_GIVEN,    /* --token, --token-file, WECOM_ACCESS_TOKEN */
    CLI_TOKEN_FETCHED,  /* gettoken, just now */
    CLI_TOKEN_CACHED    /* gettoken, earlier: from the token cache */
};

/* The cache directory (cache.c), for the token cache and whatever else
 * outlives a run: --cache-dir, WECOM_CACHE_DIR, the build's
 * WECOM_CLI_CACHE_DIR, $XDG_CACHE_HOME/wecom-media, ~/.cache/wecom-media.
 * Created 0700 when absent; refused (said once) when it is a symlink,
 * not a directory, another user's, or writable by group or others.
 * 0 with the path in buf; -1 when there is none or it is refused. */
int cli_cache_dir(const cli_t *cli, char *buf, size_t cap);

/* The TLS session cache (session.c): offer the last run's TLS session
 * (after the client is set up), and at the end keep this run's (rc
 * EXIT_OK) or drop the file (any failure). -v names a resumed or a full
 * handshake. */
void cli_session_resume(cli_t *cli);
void cli_session_keep(cli_t *cli, int rc);

/* The token cache of gettoken (cache.c): one file per server and corp
 * in the cache directory, holding the token, its wall-clock expiry and
 * the SHA-256 of the secret (never the secret). */
typedef struct cli_token_cache {
    char path[4096];
    char lock[4096];
    char corpid_line[160];  /* "corpid ID" */
    char secret_hash[65];   /* hex */
    int lock_fd;
} cli_token_cache_t;

/* Where corpid's tokens are cached for this server and secret; -1 when
 * there is no cache (none configured, refused, --no-token-cache). */
int cli_token_cache_open(const cli_t *cli, const char *secret, cli_token_cache_t *tc);
/* Take the cache's lock (flock), waiting at most bound_ms: two processes
 * that start together make one gettoken. 0 held, -1 not (go on without;
 * -v says why). */
int cli_token_cache_lock(const cli_t *cli, cli_token_cache_t *tc, uint64_t bound_ms);
void cli_token_cache_unlock(cli_token_cache_t *tc);
/* The cached token when it is usable: ours (mode 0600, not a link), for
 * these credentials, well formed, and alive for more than the refresh
 * margin and no longer than its life (a clock that jumped). 1 with token
 * and *left (seconds), 0 when there is none or it is ignored (-v says
 * why). */
int cli_token_cache_load(const cli_t *cli, const cli_token_cache_t *tc, char *token,
                         size_t cap, uint32_t *left);
/* Replace the cache file with token, valid life seconds from now (temp
 * file, fsync, rename, directory fsync). Only with the lock held. */
int cli_token_cache_store(const cli_t *cli, const cli_token_cache_t *tc,
                          const char *token, uint32_t life);

/* --token-file: the first line of path into cli->token_buf. */
int cli_read_token_file(cli_t *cli, const char *path);
/* Zero a credential where the compiler cannot drop the stores. */
void cli_wipe(void *p, size_t n);

/* Exit code for a library error; api (may be NULL) tells WeCom's errcodes
 * apart when err is WECOM_ERR_API. */
int cli_exit_code_api(wecom_err_t err, const wecom_api_error_t *api);
/* The same with the errcode cli_report printed last (a WECOM_ERR_API
 * without one is EXIT_API). */
int cli_exit_code(wecom_err_t err);
/* The short name of an exit code's case, as --json's "error" gives it
 * ("usage", "local", "refused", "network", "credentials", "rate_limited",
 * "not_found", "api", "interrupted"). */
const char *cli_exit_name(int ex);

/* Print "wecom-media: SUBJECT: message" (subject escaped; NULL for none)
 * and keep the message for --json's failure object. */
void cli_say(const char *subject, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* --json: the failure of one file as one line on stdout,
 * {"file":..., ["media_id":...,] "error":..., "exit":..., "code":...,
 * "message":..., "errcode":..., "errmsg":...}, with the last message
 * cli_say or cli_report gave (kept: files that failed alike get the same
 * message; cli_message_clear before the next). media_id may be NULL. err is 0 for a failure of the tool's
 * own; api may be NULL. */
void cli_json_failure(const char *file, const char *media_id, int ex,
                      wecom_err_t err, const wecom_api_error_t *api);
/* Forget the kept message (before a new file). */
void cli_message_clear(void);

/* Sizes and durations on the command line (main.c): "4M", "4MiB",
 * "4194304" (M and MiB are 1048576: K, M, G, KiB, MiB, GiB, KB, MB, GB
 * all count in 1024s, as curl's do); "30", "30s", "500ms" (a plain number
 * is seconds). -1 when malformed or out of range. */
int cli_parse_size(const char *s, uint64_t max, uint64_t *out);
int cli_parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out);

/* A command's own options, parsed together with the global ones, before
 * or after its operands ("upload --json FILE", "download ID --base-url
 * URL"); "--" ends them, "-" is an operand. on_opt gets the command's
 * options and returns EXIT_OK or an exit code. Returns EXIT_OK with
 * *first set to the index of the first operand, CLI_DONE after -h/--help
 * (the command's help printed), or an exit code. */
typedef int (*cli_opt_fn)(void *ctx, int c, char *arg);
int cli_parse_options(cli_t *cli, int argc, char **argv, const char *shortopts,
                      const struct option *opts, cli_opt_fn on_opt, void *ctx,
                      int *first);
/* Print a command's help ("upload", "download", "token"); -1 unknown. */
int cli_command_help(const char *cmd, FILE *f);

/* Print "wecom-media: CONTEXT: what went wrong" for err, with WeCom's
 * errcode and errmsg when there is one (and a hint for the errcodes
 * users asked about: 40007, 45009, ...). */
void cli_report(const char *context, wecom_err_t err,
                const wecom_api_error_t *api);
/* cli_report, and for a failed connect the host, the last address tried
 * and the attempts made. */
void cli_report_net(const cli_t *cli, const char *context, wecom_err_t err,
                    const wecom_api_error_t *api);

/* Progress on stderr: a bar redrawn in place, at most ten times a second
 * on a terminal; with --progress elsewhere (a journal), a plain line every
 * few seconds and one at the end. */
typedef struct cli_progress {
    const char *label;
    uint64_t last_ms;
    uint64_t done;
    uint64_t total;
    int shown;
    int enabled;
    int lines;
} cli_progress_t;

void cli_progress_start(cli_progress_t *p, const cli_t *cli, const char *label);
int cli_progress_update(void *ctx, uint64_t done, uint64_t total);
void cli_progress_end(cli_progress_t *p);

/* SIGINT and SIGTERM cancel cli->client's transfer (signal.c);
 * cli_signal() is the signal that came, or 0. */
void cli_catch_signals(cli_t *cli);
int cli_signal(void);

int cmd_upload(cli_t *cli, int argc, char **argv);
int cmd_download(cli_t *cli, int argc, char **argv);
int cmd_token(cli_t *cli, int argc, char **argv);
int cmd_queue(cli_t *cli, int argc, char **argv);
/* The queue command's help (queue.c). */
void cli_queue_help(FILE *f);

/* Print s as a JSON string literal (quotes included) to stdout. */
void cli_json_string(const char *s);

/* ---- files on the device (outfile.c): refusals are printed there ---- */

/* What a file mode is, in words ("a symbolic link", "a FIFO", ...). */
const char *cli_file_kind(mode_t mode);
/* 0: path does not exist; 1: our regular file with one link; -1: refused
 * (a link, a device, another user's) or unreadable. */
int cli_file_check(const char *path);
/* Open path for writing (at offset 0, not truncated): our existing regular
 * file, or a new one made 0600 with O_EXCL. Never follows a link. st gets
 * what was opened. -1 when refused. */
int cli_file_open_part(const char *path, struct stat *st);
/* Remove path if it still is the file open as fd (fd -1: if it is a
 * regular file of ours). 0 when gone. */
int cli_file_unlink(const char *path, int fd);
/* Read a small file of ours into buf (NUL-terminated): 1 read, 0 absent,
 * -1 refused, 2 read but not what was asked for: larger than buf (only
 * its start is in buf) or holding a NUL byte. */
int cli_file_read_small(const char *path, char *buf, size_t cap);
/* Replace path with data: PATH.new (O_EXCL, 0600), fsync, rename. */
int cli_file_write_atomic(const char *path, const char *data, size_t len);
/* Rename that never replaces an existing file (-1, errno EEXIST). */
int cli_file_rename_noreplace(const char *from, const char *to);
/* fsync the directory holding path. */
int cli_file_fsync_dir(const char *path);
/* Shorten a file name in place to at most max bytes, on a UTF-8 character
 * boundary, keeping a short extension. Returns its length. */
size_t cli_name_fit(char *name, size_t max);

/* Print s, which came from the server or the file system, so that it
 * cannot drive the terminal or forge log lines: control characters (C0,
 * DEL, C1), bidirectional overrides and bytes that are not UTF-8 become
 * \xHH; other UTF-8 text (a Chinese errmsg or file name) is kept. */
void cli_put_escaped(FILE *f, const char *s);

/* The message for a bad option: names the option (the part of a long
 * option before '='), never its value, which may be a token. `arg` is
 * argv[optind - 1] after getopt_long returned '?' or ':'. */
void cli_bad_option(const char *cmd, const char *arg, int opt);

#endif
