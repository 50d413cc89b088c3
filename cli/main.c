/* SPDX-License-Identifier: MIT */
/*
 * wecom-media [OPTIONS] COMMAND [OPTIONS] ARGS
 *
 * Global options, the client and its token, dispatch and exit codes.
 * Options may come before or after the command: each command parses its
 * own options and the global ones together (cli_parse_options). The
 * secret is taken only from the environment or a file: a command line is
 * visible to every user of the device (ps, /proc/PID/cmdline).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <mbedtls/ssl.h>
#include <mbedtls/version.h>

#include "cli.h"
#include "wecom/media.h"

static wecom_client_t g_client; /* some 80 KB with mbedTLS's contexts */

static const char USAGE[] =
    "Usage: wecom-media [OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
    "Upload media to WeCom's temporary-media API and download it again.\n"
    "\n"
    "Commands (wecom-media help COMMAND, or COMMAND --help, for more):\n"
    "  upload [--type image|voice|video|file] [--name NAME] [--no-check]\n"
    "         [--length SIZE] FILE...\n"
    "                      upload files (FILE - is standard input); prints\n"
    "                      one media_id per file\n"
#if WECOM_DOWNLOAD
    "  download MEDIA_ID [-o FILE | -O [--clobber]] [--continue] [--chunk SIZE]\n"
    "                      download a medium; -o - writes to standard output\n"
#endif
    "  token [--show]      how long the token has left; --show prints it\n"
#if WECOM_OUTBOX
    "  queue add [--type T] [--name N] FILE... | queue run [--once] |\n"
    "  queue status | queue results [--valid]\n"
    "                      the outbox: store media now, upload them when the\n"
    "                      link returns (--spool DIR, --max-items N,\n"
    "                      --max-bytes SIZE, --drop-oldest)\n"
#endif
    "  help [COMMAND]      this help, or a command's\n"
    "\n"
    "Options (before or after the command; -- ends them):\n"
    "  --base-url URL      API base, https:// only (default\n"
    "                      https://qyapi.weixin.qq.com)\n"
    "  --cacert FILE       trust the CA certificates in FILE (PEM) instead of\n"
    "                      the system's bundle\n"
    "  --token-file FILE   read the access token from FILE\n"
    "  --token TOKEN       the access token (visible in ps until the tool\n"
    "                      starts; prefer WECOM_ACCESS_TOKEN or --token-file)\n"
    "  --corpid ID         fetch a token with gettoken for this corp (or\n"
    "                      WECOM_CORPID); the secret comes from\n"
    "                      WECOM_CORPSECRET or --secret-file, never argv\n"
    "  --secret-file FILE  read the corp secret from FILE\n"
    "  --token-command CMD run CMD with /bin/sh for the token (its stdout;\n"
    "                      or WECOM_TOKEN_COMMAND), and again once if WeCom\n"
    "                      refuses it: devices need no secret. Sources, the\n"
    "                      command line over the environment: the command,\n"
    "                      a token, then --corpid\n"
    "  --cache-dir DIR     where gettoken's token is kept between runs (or\n"
    "                      WECOM_CACHE_DIR; default $XDG_CACHE_HOME/wecom-media\n"
    "                      or ~/.cache/wecom-media)\n"
    "  --no-token-cache    fetch a token with gettoken, keeping none\n"
    "  --no-session-cache  neither resume the last run's TLS session nor keep\n"
    "                      this one (kept 0600 in the cache directory)\n"
    "  --timeout TIME      bound on each network wait (default 30s)\n"
    "  --max-time TIME     deadline for the whole command, retries included\n"
    "                      (DNS resolution excepted: the system resolver bounds it)\n"
    "  --retry N           send a failed request again at most N times (default\n"
    "                      %u; 0 turns retries off): connect and TLS setup\n"
    "                      failures, a reset before the whole request went\n"
    "                      out, errcode -1 and 45033, never 45009\n"
    "  --retry-max-time TIME\n"
    "                      stop retrying one failure after TIME, backoff\n"
    "                      included (default %us; 0: only --max-time bounds it)\n"
    "  --low-speed SIZE:TIME\n"
    "                      fail when fewer than SIZE bytes move in TIME\n"
    "                      (default 1024:30s; 0 turns the limit off)\n"
    "  --limit-rate RATE   cap the upload and download rate to RATE bytes per\n"
    "                      second (as curl: 256K, 1M)\n"
    "  --proxy URL         tunnel through the HTTP proxy at URL\n"
    "                      (http://[USER:PASS@]HOST[:PORT]; default from\n"
    "                      https_proxy / HTTPS_PROXY; \"\" for none); hosts in\n"
    "                      NO_PROXY / no_proxy go direct. TLS runs end to end\n"
    "  --proxy-user USER:PASS\n"
    "                      the proxy's credentials (visible in ps until the\n"
    "                      tool starts; prefer WECOM_PROXY_USER)\n"
    "  --json              one JSON object per file on standard output, failures\n"
    "                      included ({\"file\":...,\"error\":...,\"errcode\":...})\n"
    "  -q, --quiet         print nothing but results and errors\n"
    "  --progress          show progress also where standard error is not a\n"
    "                      terminal: a line every few seconds\n"
    "  -v, --verbose       say what happens on stderr (never the token)\n"
    "  -h, --help          this help\n"
    "  --version           the version\n"
    "\n"
    "SIZE: bytes, or with K, M, G (or KiB, MiB, GiB: all count in 1024s).\n"
    "TIME: seconds, or with s or ms (30, 30s, 500ms).\n"
    "\n"
    "Exit codes:\n"
    "  0  success (also --continue on a file already complete)\n"
    "  2  usage: a bad command line\n"
    "  3  a local file: unreadable, unwritable, or refused (a link, another\n"
    "     user's); standard output could not be written\n"
    "  4  network, TLS or protocol, time limit (an upload whose answer was\n"
    "     lost after its last byte is not sent again: it may have been stored)\n"
    "  5  WeCom answered with another errcode\n"
    "  6  refused by the checks before upload (size, type, voice length):\n"
    "     nothing was sent\n"
    "  7  credentials rejected (40001, 40013, 40014/42001 after a refresh,\n"
    "     40082, 40091, 41001, 41004, 48002, 60020)\n"
    "  8  rate limited (45009; 45033 after the retries)\n"
    "  9  media not found or expired (40007: temporary media live 3 days)\n"
    "  10 queue run: the outbox's results journal cannot be written (a full\n"
    "     disk); nothing more is uploaded until it can\n"
    "  128+N  ended by signal N (130 Ctrl-C, 143 SIGTERM)\n"
    "With several files the first failure's code is returned.\n";

static const char UPLOAD_HELP[] =
    "Usage: wecom-media upload [OPTIONS] FILE...\n"
    "Upload each FILE as temporary media (kept 3 days); print one media_id a\n"
    "line (with --json, one object per file, failures included).\n"
    "\n"
    "  --type TYPE     image, voice, video, file or auto (default: from the\n"
    "                  content: JPG/PNG image, AMR voice, MP4 video, else file)\n"
    "  --name NAME     the file name WeCom shows (default: FILE's)\n"
    "  --length SIZE   bytes to send from standard input (a pipe); for a\n"
    "                  regular file it must be the file's size\n"
    "  --no-check      skip the checks before upload (size, type, voice length)\n"
    "\n"
    "FILE - is standard input. Without --length it is first kept in an\n"
    "unlinked 0600 file in the cache directory (else $TMPDIR), up to the\n"
    "type's limit, then checked and uploaded like a file; a voice clip longer\n"
    "than the limit is refused as it arrives.\n"
    "Global options (wecom-media --help) may come before or after FILE.\n";

#if WECOM_DOWNLOAD
static const char DOWNLOAD_HELP[] =
    "Usage: wecom-media download [OPTIONS] MEDIA_ID\n"
    "Download a medium to a file (through FILE.part), a device, or standard\n"
    "output.\n"
    "\n"
    "  -o, --output FILE   write to FILE (- for standard output)\n"
    "  -O, --remote-name   use the server's file name in the current directory\n"
    "                      (given the extension its Content-Type implies when\n"
    "                      it has none); never replaces a file unless --clobber\n"
    "  --clobber           -O may replace an existing regular file\n"
    "  -c, --continue      resume FILE.part; a FILE this tool completed, and\n"
    "                      unchanged since, is left as it is (exit 0)\n"
    "  --chunk SIZE        fetch in ranges of SIZE (4M, 4MiB, 4194304)\n"
    "\n"
    "Global options (wecom-media --help) may come before or after MEDIA_ID.\n";
#endif

static const char TOKEN_HELP[] =
    "Usage: wecom-media token [--show]\n"
    "Get the token the other commands would use (from --token-command, as\n"
    "given, from the token cache or with gettoken) and say how long it has\n"
    "left: \"token valid for 7143 s (cached)\"; with --json an object.\n"
    "\n"
    "  --show          print the token itself, for\n"
    "                  export WECOM_ACCESS_TOKEN=$(wecom-media --corpid ID token --show)\n"
    "\n"
    "The secret comes from WECOM_CORPSECRET or --secret-file.\n";

static void print_usage(FILE *f)
{
    fprintf(f, USAGE, (unsigned)(WECOM_RETRY_MAX > 0 ? WECOM_RETRY_MAX - 1 : 0),
            (unsigned)(WECOM_RETRY_MAX_MS / 1000));
}

int cli_command_help(const char *cmd, FILE *f)
{
    if (cmd == NULL) {
        print_usage(f);
        return 0;
    }
    if (strcmp(cmd, "upload") == 0)
        fputs(UPLOAD_HELP, f);
#if WECOM_DOWNLOAD
    else if (strcmp(cmd, "download") == 0)
        fputs(DOWNLOAD_HELP, f);
#endif
    else if (strcmp(cmd, "token") == 0)
        fputs(TOKEN_HELP, f);
#if WECOM_OUTBOX
    else if (strcmp(cmd, "queue") == 0)
        cli_queue_help(f);
#endif
    else
        return -1;
    return 0;
}

/* -v: each retry, why and after how long. WeCom's errmsg is left out (the
 * final error prints it); the errcode says enough. */
static void on_retry(void *ctx, unsigned retry, wecom_err_t rc,
                     const wecom_api_error_t *api, uint32_t delay_ms)
{
    (void)ctx;
    if (rc == WECOM_ERR_API && api != NULL)
        fprintf(stderr, "wecom-media: retry %u after errcode %lld, in %lu ms\n",
                retry, (long long)api->errcode, (unsigned long)delay_ms);
    else
        fprintf(stderr, "wecom-media: retry %u after %s, in %lu ms\n", retry,
                wecom_strerror(rc), (unsigned long)delay_ms);
}

/* The port's connect, counted, so that a failure can say where the tool
 * tried to go and how often. One client per process: one static. */
static cli_t *g_cli;
static int (*g_net_connect)(void *, const char *, uint16_t, uint32_t);

static int counted_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    g_cli->connects++;
    snprintf(g_cli->connect_host, sizeof g_cli->connect_host, "%s:%u", host,
             (unsigned)port);
    return g_net_connect(ctx, host, port, timeout_ms);
}

int cli_connect(cli_t *cli)
{
    wecom_client_config_t cfg;
    wecom_err_t rc;
    uint32_t ms = cli->timeout_ms;

    if (cli->client_ready)
        return EXIT_OK;
    if (cli->base_url != NULL && strncasecmp(cli->base_url, "http://", 7) == 0) {
        cli_say("--base-url", "only https:// is accepted (the token travels in "
                              "the URL and WeCom serves HTTPS)");
        return EXIT_USAGE;
    }
    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&cli->port, &cli->net);
    g_cli = cli;
    g_net_connect = cli->port.transport.connect;
    cli->port.transport.connect = counted_connect;
    cfg.base_url = cli->base_url;
    cfg.port = &cli->port;
    cfg.tls.ca_file = cli->cacert;
    cfg.tls.connect_timeout_ms = ms;
    cfg.tls.handshake_timeout_ms = ms;
    cfg.tls.io_timeout_ms = ms;
    cfg.tls.low_speed_bytes = cli->low_speed_bytes;
    cfg.tls.low_speed_ms = cli->low_speed_ms;
    if ((rc = cli_network_config(cli, &cfg)) != EXIT_OK) /* proxy, rate */
        return rc;
    cli->client = &g_client;
    rc = wecom_client_init(cli->client, &cfg);
    if (rc == WECOM_ERR_TLS_CA_LOAD) {
        /* Only the system's bundle is the distribution's to install. */
        if (cli->cacert != NULL && access(cli->cacert, R_OK) != 0)
            cli_say(cli->cacert, "--cacert: %s", strerror(errno));
        else if (cli->cacert != NULL)
            cli_say(cli->cacert, "--cacert: no PEM CA certificate could be loaded "
                                 "from it");
        else
            cli_say(WECOM_DEFAULT_CA_FILE, "cannot load the system's CA certificates "
                                           "(install ca-certificates, or use --cacert)");
        return EXIT_LOCAL;
    }
    if (rc != WECOM_OK) {
        cli_report(rc == WECOM_ERR_INVALID_ARG ? "--base-url" : "setup", rc, NULL);
        return cli_exit_code(rc);
    }
    cli->client_ready = 1;
    cli_session_resume(cli);
    if (cli->retry_set || cli->retry_max_time_set)
        wecom_client_set_retry(cli->client,
                               cli->retry_set ? cli->retry
                               : (unsigned)(WECOM_RETRY_MAX > 0 ? WECOM_RETRY_MAX - 1 : 0),
                               cli->retry_max_time_set ? cli->retry_max_time_ms
                               : WECOM_RETRY_MAX_MS);
    if (cli->verbose)
        wecom_client_on_retry(cli->client, on_retry, cli);
    if (cli->max_time_ms > 0)
        wecom_client_set_deadline(cli->client,
                                  cli->port.now_ms(NULL) + cli->max_time_ms);

    return cli_token_setup(cli);
}

/* ------------------------------------------------ sizes and durations */

/* The leading whole number of s; end past it. -1 when there is none or
 * it overflows. */
static int leading_number(const char *s, uint64_t *v, const char **end)
{
    char *e;
    unsigned long long n;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    n = strtoull(s, &e, 10);
    if (errno != 0)
        return -1;
    *v = (uint64_t)n;
    *end = e;
    return 0;
}

int cli_parse_size(const char *s, uint64_t max, uint64_t *out)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } UNITS[] = {
        { "", 0 },    { "b", 0 },    { "k", 10 },  { "kb", 10 },  { "kib", 10 },
        { "m", 20 },  { "mb", 20 },  { "mib", 20 }, { "g", 30 },  { "gb", 30 },
        { "gib", 30 },
    };
    const char *end;
    uint64_t v;
    size_t i;
    if (leading_number(s, &v, &end) != 0)
        return -1;
    for (i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        if (strcasecmp(end, UNITS[i].suffix) == 0) {
            if (v > (max >> UNITS[i].shift))
                return -1;
            *out = v << UNITS[i].shift;
            return *out <= max ? 0 : -1;
        }
    }
    return -1;
}

int cli_parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out)
{
    const char *end;
    uint64_t v;
    if (leading_number(s, &v, &end) != 0)
        return -1;
    if (strcmp(end, "ms") == 0) {
        *out = v;
    } else if (*end == '\0' || strcmp(end, "s") == 0) {
        if (v > max_ms / 1000u)
            return -1;
        *out = v * 1000u;
    } else {
        return -1;
    }
    return *out <= max_ms ? 0 : -1;
}

/* A whole number from 0 to max. */
static int parse_count(const char *s, unsigned max, unsigned *out)
{
    uint64_t v;
    const char *end;
    if (leading_number(s, &v, &end) != 0 || *end != '\0' || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

#define WEEK_MS (7ull * 86400u * 1000u)

/* --timeout and --max-time: from 1 ms to a week. */
static int parse_time(const char *s, uint32_t *out)
{
    uint64_t ms;
    if (cli_parse_duration_ms(s, WEEK_MS, &ms) != 0 || ms == 0)
        return -1;
    *out = (uint32_t)ms;
    return 0;
}

/* --low-speed SIZE:TIME, or 0 for none, into the TLS settings. */
static int parse_low_speed(char *s, uint32_t *bytes, uint32_t *ms)
{
    char *colon = strchr(s, ':');
    uint64_t b;
    uint32_t t;
    if (colon == NULL)
        return strcmp(s, "0") == 0 ? (*bytes = WECOM_TLS_LOW_SPEED_OFF, 0) : -1;
    *colon = '\0';
    if (cli_parse_size(s, WECOM_TLS_LOW_SPEED_OFF - 1u, &b) != 0 ||
        parse_time(colon + 1, &t) != 0) {
        *colon = ':';
        return -1;
    }
    *colon = ':';
    *bytes = b == 0 ? WECOM_TLS_LOW_SPEED_OFF : (uint32_t)b;
    *ms = t;
    return 0;
}

/* Overwrite an option's value in place so ps shows it no longer. */
static void wipe_arg(char *s)
{
    size_t n = strlen(s);
    memset(s, 'x', n);
}

/* ------------------------------------------------------------ options */

/* Global options: 256 to 511 (a command's own use 512 and up, or
 * letters). Add new ones at the end of the enum and to GLOBAL_OPTS. */
enum {
    OPT_BASE_URL = 256,
    OPT_CACERT,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_CORPID,
    OPT_SECRET_FILE,
    OPT_SECRET,
    OPT_TIMEOUT,
    OPT_MAX_TIME,
    OPT_LOW_SPEED,
    OPT_RETRY,
    OPT_RETRY_MAX_TIME,
    OPT_JSON,
    OPT_VERSION,
    OPT_PROGRESS,
    OPT_PROXY,
    OPT_PROXY_USER,
    OPT_LIMIT_RATE,
    OPT_TOKEN_COMMAND,
    OPT_CACHE_DIR,
    OPT_NO_TOKEN_CACHE,
    OPT_NO_SESSION_CACHE,
    OPT_SPOOL
};

#define GLOBAL_SHORT "vhq"

static const struct option GLOBAL_OPTS[] = {
    { "base-url", required_argument, NULL, OPT_BASE_URL },
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "token", required_argument, NULL, OPT_TOKEN },
    { "token-file", required_argument, NULL, OPT_TOKEN_FILE },
    { "corpid", required_argument, NULL, OPT_CORPID },
    { "secret-file", required_argument, NULL, OPT_SECRET_FILE },
    { "token-command", required_argument, NULL, OPT_TOKEN_COMMAND },
    { "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
    { "no-token-cache", no_argument, NULL, OPT_NO_TOKEN_CACHE },
    { "no-session-cache", no_argument, NULL, OPT_NO_SESSION_CACHE },
    { "secret", required_argument, NULL, OPT_SECRET },
    { "corpsecret", required_argument, NULL, OPT_SECRET },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "max-time", required_argument, NULL, OPT_MAX_TIME },
    { "low-speed", required_argument, NULL, OPT_LOW_SPEED },
    { "retry", required_argument, NULL, OPT_RETRY },
    { "retry-max-time", required_argument, NULL, OPT_RETRY_MAX_TIME },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, 'q' },
    { "progress", no_argument, NULL, OPT_PROGRESS },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { "proxy", required_argument, NULL, OPT_PROXY },
    { "proxy-user", required_argument, NULL, OPT_PROXY_USER },
    { "limit-rate", required_argument, NULL, OPT_LIMIT_RATE },
    { "spool", required_argument, NULL, OPT_SPOOL },
    { NULL, 0, NULL, 0 },
};

/* Room for a command's options and the global ones together. */
#define MAX_OPTS 64

/* "wecom-media: --OPTION: what it takes" and the usage exit code. */
static int bad_value(const char *option, const char *what)
{
    cli_say(option, "%s", what);
    return EXIT_USAGE;
}

/* A global option: EXIT_OK, an exit code, CLI_DONE (help or version
 * printed), or 1 when c is not a global option. */
static int global_option(cli_t *cli, int c, char *arg)
{
    uint64_t v;
    int rc;
    switch (c) {
    case OPT_BASE_URL: cli->base_url = arg; break;
    case OPT_CACERT: cli->cacert = arg; break;
    case OPT_TOKEN:
        if (strlen(arg) >= sizeof cli->token_buf)
            return bad_value("--token", "too long");
        memcpy(cli->token_buf, arg, strlen(arg) + 1);
        wipe_arg(arg);
        cli->token = cli->token_buf;
        break;
    case OPT_TOKEN_FILE:
        if ((rc = cli_read_token_file(cli, arg)) != EXIT_OK)
            return rc;
        break;
    case OPT_CORPID: cli->corpid = arg; break;
    case OPT_SECRET_FILE: cli->secret_file = arg; break;
    case OPT_TOKEN_COMMAND: cli->token_command = arg; break;
    case OPT_CACHE_DIR: cli->cache_dir = arg; break;
    case OPT_NO_TOKEN_CACHE: cli->no_token_cache = 1; break;
    case OPT_NO_SESSION_CACHE: cli->no_session_cache = 1; break;
    case OPT_SPOOL: cli->spool = arg; break;
    case OPT_SECRET:
        wipe_arg(arg);
        fprintf(stderr,
                "wecom-media: a secret on the command line is visible to every "
                "user of the machine (ps, /proc); put it in WECOM_CORPSECRET "
                "or a file for --secret-file\n");
        return EXIT_USAGE;
    case OPT_TIMEOUT:
        if (parse_time(arg, &cli->timeout_ms) != 0)
            return bad_value("--timeout", "a time from 1ms to a week (30, 30s, 500ms)");
        break;
    case OPT_MAX_TIME:
        if (parse_time(arg, &cli->max_time_ms) != 0)
            return bad_value("--max-time", "a time from 1ms to a week (30, 30s, 500ms)");
        break;
    case OPT_RETRY:
        if (parse_count(arg, 100, &cli->retry) != 0)
            return bad_value("--retry", "a whole number from 0 to 100");
        cli->retry_set = 1;
        break;
    case OPT_RETRY_MAX_TIME:
        if (cli_parse_duration_ms(arg, 86400000u, &v) != 0)
            return bad_value("--retry-max-time", "a time from 0 to a day (120, 120s, 500ms)");
        cli->retry_max_time_ms = (uint32_t)v;
        cli->retry_max_time_set = 1;
        break;
    case OPT_LOW_SPEED:
        if (parse_low_speed(arg, &cli->low_speed_bytes, &cli->low_speed_ms) != 0)
            return bad_value("--low-speed", "SIZE:TIME (e.g. 1024:30s, 1K:500ms), or 0 for none");
        break;
    case OPT_JSON: cli->json = 1; break;
    case OPT_PROGRESS: cli->progress_forced = 1; break;
    case 'q': cli->quiet = 1; break;
    case 'v': cli->verbose = 1; break;
    case 'h':
        /* A command without a help of its own here gets the whole one. */
        if (cli_command_help(cli->command, stdout) != 0)
            print_usage(stdout);
        return CLI_DONE;
    case OPT_VERSION:
        printf("wecom-media %s\n", WECOM_VERSION_STRING);
        /* What a TLS problem report needs: the library and its versions. */
        printf("TLS: mbedTLS %s (TLS 1.2%s)\n", MBEDTLS_VERSION_STRING,
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
               ", TLS 1.3"
#else
               ""
#endif
        );
        return CLI_DONE;
    case OPT_PROXY: return cli_network_option(cli, "proxy", arg);
    case OPT_PROXY_USER: return cli_network_option(cli, "proxy-user", arg);
    case OPT_LIMIT_RATE: return cli_network_option(cli, "limit-rate", arg);
    default:
        return 1;
    }
    return EXIT_OK;
}

/* Once every option is known: is progress shown, and how. A journal
 * (stderr not a terminal) gets lines only when asked with --progress;
 * -q turns off the automatic bar, not one asked for. */
static void settle_options(cli_t *cli)
{
    int tty = isatty(STDERR_FILENO);
    cli->show_progress = cli->progress_forced || (tty && !cli->quiet);
    cli->progress_lines = cli->progress_forced && !tty;
}

int cli_parse_options(cli_t *cli, int argc, char **argv, const char *shortopts,
                      const struct option *opts, cli_opt_fn on_opt, void *ctx,
                      int *nargs)
{
    static struct option all[MAX_OPTS];
    char shorts[64];
    size_t n = 0, i;
    int c, rc, w = 1;

    for (i = 0; opts != NULL && opts[i].name != NULL && n < MAX_OPTS - 1; i++)
        all[n++] = opts[i];
    for (i = 0; GLOBAL_OPTS[i].name != NULL && n < MAX_OPTS - 1; i++)
        all[n++] = GLOBAL_OPTS[i];
    memset(&all[n], 0, sizeof all[n]);
    /* '-': operands come back in order (code 1) wherever they are, also
     * under POSIXLY_CORRECT, which would stop a permuting getopt at the
     * first one. */
    snprintf(shorts, sizeof shorts, "-%s" GLOBAL_SHORT, shortopts);
    opterr = 0; /* cli_bad_option's message, which never shows a value */
    optind = 0;
    while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
        if (c == 1) {
            argv[w++] = optarg; /* an element getopt has passed already */
            continue;
        }
        if (c == '?' || c == ':') {
            cli_bad_option(cli->command, argv[optind - 1], optopt);
            return EXIT_USAGE;
        }
        rc = global_option(cli, c, optarg);
        if (rc == 1)
            rc = on_opt != NULL ? on_opt(ctx, c, optarg) : EXIT_USAGE;
        if (rc != EXIT_OK)
            return rc;
    }
    for (; optind < argc; optind++) /* after "--": operands all */
        argv[w++] = argv[optind];
    *nargs = w - 1;
    settle_options(cli);
    return EXIT_OK;
}

/* wecom-media help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
    if (argc < 2)
        return cli_command_help(NULL, stdout), CLI_DONE;
    if (argc > 2 || cli_command_help(argv[1], stdout) != 0) {
        fputs("wecom-media: help: no such command '", stderr);
        cli_put_escaped(stderr, argv[1]);
        fputs("'\nTry 'wecom-media --help'.\n", stderr);
        return EXIT_USAGE;
    }
    return CLI_DONE;
}

/* token parses its options (--show) and the global ones itself. */
static int run_token(cli_t *cli, int argc, char **argv)
{
    return cmd_token(cli, argc, argv);
}

/* Parse the options and run the command; the client is left to main. */
static int run(cli_t *cli, int argc, char **argv)
{
    const char *cmd;
    int c, rc;

    cli->timeout_ms = WECOM_DEFAULT_TIMEOUT_MS;
    cli->token = getenv("WECOM_ACCESS_TOKEN");
    if (cli->token != NULL && cli->token[0] == '\0')
        cli->token = NULL;
    cli->corpid = getenv("WECOM_CORPID");

    /* getopt's own messages quote the whole argument, a token given as
     * --toke=VALUE included: ours name the option alone. */
    opterr = 0;
    /* '+': stop at the command; its own options are parsed after it,
     * with the global ones again. */
    while ((c = getopt_long(argc, argv, "+" GLOBAL_SHORT, GLOBAL_OPTS, NULL)) != -1) {
        if (c == '?' || c == ':') {
            cli_bad_option(NULL, argv[optind - 1], optopt);
            return EXIT_USAGE;
        }
        rc = global_option(cli, c, optarg);
        if (rc != EXIT_OK)
            return rc == 1 ? EXIT_USAGE : rc;
    }
    settle_options(cli);
    if (optind >= argc) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[optind];
    argc -= optind;
    argv += optind;
    cli->command = cmd;
    if (strcmp(cmd, "upload") == 0)
        rc = cmd_upload(cli, argc, argv);
#if WECOM_DOWNLOAD
    else if (strcmp(cmd, "download") == 0)
        rc = cmd_download(cli, argc, argv);
#endif
    else if (strcmp(cmd, "token") == 0)
        rc = run_token(cli, argc, argv);
#if WECOM_OUTBOX
    else if (strcmp(cmd, "queue") == 0)
        rc = cmd_queue(cli, argc, argv);
#endif
    else if (strcmp(cmd, "help") == 0)
        rc = cmd_help(argc, argv);
    else {
        fputs("wecom-media: unknown command '", stderr);
        cli_put_escaped(stderr, cmd);
        fputs("'\nTry 'wecom-media --help'.\n", stderr);
        return EXIT_USAGE;
    }
    return rc;
}

#if WECOM_CLI_MBEDTLS_ARENA > 0
/* mbedTLS's whole heap, where mbedTLS was built to take one (see
 * wecom_posix_mbedtls_arena; other builds ignore it and stay on malloc). */
static unsigned char g_tls_arena[WECOM_CLI_MBEDTLS_ARENA];
#endif

/* The process holds the token, the corp secret and proxy credentials
 * from its first instant (its environment): no core dump of it, and on
 * Linux no ptrace or /proc/PID/mem, environ, fd by other processes of the
 * same user either (not dumpable, as ssh-agent and gpg-agent make
 * themselves). On Linux a command the tool runs is dumpable again after
 * its exec. */
static void no_core_dumps(void)
{
#if defined(__linux__) && defined(PR_SET_DUMPABLE)
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)
        return;
#endif
    {
        struct rlimit rl;
        if (getrlimit(RLIMIT_CORE, &rl) == 0) {
            rl.rlim_cur = 0;
            (void)setrlimit(RLIMIT_CORE, &rl);
        }
    }
}

int main(int argc, char **argv)
{
    static cli_t cli;
    /* stdout's buffer, which stdio would otherwise malloc at the first
     * output; buffered as stdio would (by line on a terminal). */
    static char stdout_buf[BUFSIZ];
    int rc;
    no_core_dumps();
    (void)setvbuf(stdout, stdout_buf, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF,
                  sizeof stdout_buf);
#if WECOM_CLI_MBEDTLS_ARENA > 0
    (void)wecom_posix_mbedtls_arena(g_tls_arena, sizeof g_tls_arena);
#endif
    rc = run(&cli, argc, argv);
    cli_network_report(&cli);
    if (cli.client_ready) {
        if (cli.verbose)
            fprintf(stderr, "wecom-media: %lu TLS handshake(s), %lu connection(s)\n",
                    wecom_client_handshakes(cli.client), wecom_client_connections(cli.client));
        cli_session_keep(&cli, rc);
        wecom_client_free(cli.client);
    }
    cli_wipe(cli.token_buf, sizeof cli.token_buf);
    cli_network_wipe(&cli);
    if (rc == CLI_DONE)
        rc = EXIT_OK;
    /* A media_id that never reached the script (a full disk, a closed
     * pipe) is a lost upload: never exit 0 over it. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("wecom-media: standard output: write error\n", stderr);
        if (rc == EXIT_OK)
            rc = EXIT_LOCAL;
    }
    return rc;
}
