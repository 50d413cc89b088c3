/*
 * wecom-media [global options] COMMAND [options] ARGS
 *
 * Global options, the client and its token, dispatch and exit codes. The
 * secret is taken only from the environment or a file: a command line is
 * visible to every user of the device (ps, /proc/PID/cmdline).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "wecom/media.h"

static wecom_client_t g_client; /* some 80 KB with mbedTLS's contexts */

static const char USAGE[] =
    "Usage: wecom-media [OPTIONS] COMMAND [ARGS]\n"
    "Upload media to WeCom's temporary-media API and download it again.\n"
    "\n"
    "Commands:\n"
    "  upload [--type image|voice|video|file] [--name NAME] [--no-check]\n"
    "         [--length BYTES] FILE...\n"
    "                      upload files (FILE - is standard input, with\n"
    "                      --length); prints one media_id per file\n"
#if WECOM_DOWNLOAD
    "  download MEDIA_ID [-o FILE | -O [--clobber]] [--continue] [--chunk BYTES]\n"
    "                      download a medium; -o - writes to standard output\n"
#endif
    "  token               print an access token fetched with gettoken\n"
    "\n"
    "Options:\n"
    "  --base-url URL      API base (default https://qyapi.weixin.qq.com)\n"
    "  --cacert FILE       trust the CA certificates in FILE (PEM) instead of\n"
    "                      the system's bundle\n"
    "  --token-file FILE   read the access token from FILE\n"
    "  --token TOKEN       the access token (visible in ps until the tool\n"
    "                      starts; prefer WECOM_ACCESS_TOKEN or --token-file)\n"
    "  --corpid ID         fetch a token with gettoken for this corp (or\n"
    "                      WECOM_CORPID); the secret comes from\n"
    "                      WECOM_CORPSECRET or --secret-file, never argv\n"
    "  --secret-file FILE  read the corp secret from FILE\n"
    "  --timeout SECONDS   bound on each network wait (default 30)\n"
    "  --max-time SECONDS  deadline for the whole command, retries included\n"
    "                      (DNS resolution excepted: the system resolver bounds it)\n"
    "  --retry N           send a failed request again at most N times (default\n"
    "                      %u; 0 turns retries off): connect and TLS setup\n"
    "                      failures, a reset before the whole request went\n"
    "                      out, errcode -1 and 45033, never 45009\n"
    "  --retry-max-time SECONDS\n"
    "                      stop retrying one failure after SECONDS, backoff\n"
    "                      included (default %u; 0: only --max-time bounds it)\n"
    "  --low-speed BYTES:SECONDS\n"
    "                      fail when fewer than BYTES move in SECONDS\n"
    "                      (default 1024:30; 0 turns the limit off)\n"
    "  --json              machine-readable output, one JSON object a line\n"
    "  -v, --verbose       say what happens on stderr (never the token)\n"
    "  -h, --help          this help\n"
    "  --version           the version\n"
    "\n"
    "Exit codes: 0 success, 2 usage, 3 local file (unreadable, unwritable or\n"
    "refused by the checks before upload), 4 network, TLS or protocol\n"
    "(an upload whose answer was lost after its last byte is not sent again:\n"
    "it may have been stored), 5 WeCom answered with an errcode (printed on\n"
    "stderr).\n";

static void print_usage(FILE *f)
{
    fprintf(f, USAGE, (unsigned)(WECOM_RETRY_MAX > 0 ? WECOM_RETRY_MAX - 1 : 0),
            (unsigned)(WECOM_RETRY_MAX_MS / 1000));
}

int cli_exit_code(wecom_err_t err)
{
    switch (err) {
    case WECOM_OK:
        return EXIT_OK;
    case WECOM_ERR_INVALID_ARG:
        return EXIT_USAGE;
    case WECOM_ERR_API:
        return EXIT_API;
    case WECOM_ERR_FILE_READ:
    case WECOM_ERR_FILE_WRITE:
    case WECOM_ERR_NOT_REWINDABLE:
    case WECOM_ERR_MEDIA_TOO_SMALL:
    case WECOM_ERR_MEDIA_TOO_LARGE:
    case WECOM_ERR_MEDIA_FORMAT:
    case WECOM_ERR_MEDIA_VOICE_TOO_LONG:
    case WECOM_ERR_MEDIA_AMR_WB:
    case WECOM_ERR_MEDIA_AMR_CORRUPT:
    case WECOM_ERR_MEDIA_LENGTH:
    case WECOM_ERR_TLS_CA_LOAD:
        return EXIT_LOCAL;
    default:
        return EXIT_NETWORK;
    }
}

void cli_report(const char *context, wecom_err_t err,
                const wecom_api_error_t *api)
{
    fputs("wecom-media: ", stderr);
    cli_put_escaped(stderr, context);
    if (err == WECOM_ERR_API && api != NULL) {
        fprintf(stderr, ": WeCom errcode %lld: ", (long long)api->errcode);
        cli_put_escaped(stderr, api->errmsg);
        fputc('\n', stderr);
    } else {
        fprintf(stderr, ": %s\n", wecom_strerror(err));
    }
}

/* Bidirectional embeddings, overrides and isolates: text after them can
 * show in another order than it is (a name that hides its extension). */
static int is_bidi(unsigned long cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The length (1 to 4) of the well-formed UTF-8 character at s, its code
 * point in *cp; 0 for a byte that does not start one (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_char(const unsigned char *s, unsigned long *cp)
{
    size_t len, i;
    unsigned long min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2, min = 0x80, *cp = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3, min = 0x800, *cp = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4, min = 0x10000, *cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the NUL */
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

/* A character a terminal would act on instead of showing. */
static int is_control(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi(cp);
}

void cli_put_escaped(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s != '\0') {
        unsigned long cp;
        size_t n = utf8_char(s, &cp), i;
        if (n == 0 || is_control(cp)) {
            for (i = 0; i < (n == 0 ? 1 : n); i++)
                fprintf(f, "\\x%02X", s[i]);
            s += n == 0 ? 1 : n;
        } else {
            fwrite(s, 1, n, f);
            s += n;
        }
    }
}

void cli_json_string(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    putchar('"');
    while (*s != '\0') {
        unsigned long cp;
        size_t n = utf8_char(s, &cp);
        if (n == 0) { /* JSON text is UTF-8: a stray byte cannot stay */
            fputs("\\ufffd", stdout);
            s++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            printf("\\%c", (int)cp);
        else if (is_control(cp))
            printf("\\u%04lx", cp);
        else
            fwrite(s, 1, n, stdout);
        s += n;
    }
    putchar('"');
}

void cli_bad_option(const char *cmd, const char *arg, int opt)
{
    fputs("wecom-media: ", stderr);
    if (cmd != NULL)
        fprintf(stderr, "%s: ", cmd);
    fputs("unknown, ambiguous or incomplete option '", stderr);
    if (arg != NULL && strncmp(arg, "--", 2) == 0) {
        /* the name only: in --toke=VALUE the value may be a token */
        char name[64];
        size_t n = strcspn(arg, "=");
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, arg, n);
        name[n] = '\0';
        cli_put_escaped(stderr, name);
    } else if (opt > 0x20 && opt < 0x7F) {
        fprintf(stderr, "-%c", opt);
    } else {
        fputs("-?", stderr);
    }
    fputs("'\nTry 'wecom-media --help'.\n", stderr);
}

/* Zero a credential so that it outlives its use in no buffer: through a
 * volatile pointer, which the compiler cannot drop as a dead store. */
static void cli_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n-- > 0)
        *v++ = 0;
}

/* The first line of a file, without its line end: for a token or a
 * secret kept in a file readable by the service alone. */
static int read_line_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;
    if (f == NULL)
        return -1;
    if (fgets(out, (int)cap, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    n = strcspn(out, "\r\n");
    if (out[n] == '\0' && n == cap - 1)
        return -1; /* longer than the buffer */
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    return n > 0 ? 0 : -1;
}

/* The corp secret, from --secret-file or WECOM_CORPSECRET. */
static int read_secret(const cli_t *cli, char *secret, size_t cap)
{
    const char *env = getenv("WECOM_CORPSECRET");
    if (cli->secret_file != NULL) {
        if (read_line_file(cli->secret_file, secret, cap) != 0) {
            fprintf(stderr, "wecom-media: cannot read a secret from %s\n",
                    cli->secret_file);
            return EXIT_LOCAL;
        }
        return EXIT_OK;
    }
    if (env != NULL && env[0] != '\0' && strlen(env) < cap) {
        memcpy(secret, env, strlen(env) + 1);
        return EXIT_OK;
    }
    fprintf(stderr, "wecom-media: --corpid needs the secret in "
                    "WECOM_CORPSECRET or --secret-file\n");
    return EXIT_USAGE;
}

/* gettoken with the corp's secret; the secret is read, used and wiped. */
static int fetch_token(cli_t *cli)
{
    char secret[512];
    wecom_api_error_t api;
    int64_t expires = 0;
    wecom_err_t rc;
    int ex = read_secret(cli, secret, sizeof secret);
    if (ex != EXIT_OK) {
        cli_wipe(secret, sizeof secret); /* a part may have been read */
        return ex;
    }
    rc = wecom_token_fetch(cli->client, cli->corpid, secret, &expires, &api);
    cli_wipe(secret, sizeof secret);
    if (rc != WECOM_OK) {
        cli_report("gettoken", rc, &api);
        return cli_exit_code(rc);
    }
    if (cli->verbose)
        fprintf(stderr, "wecom-media: token fetched, valid %lld s\n",
                (long long)expires);
    return EXIT_OK;
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

/* WeCom revoked or expired the token mid-run: fetch another. */
static int refresh_token(void *ctx, wecom_client_t *c)
{
    cli_t *cli = ctx;
    (void)c;
    if (cli->verbose)
        fprintf(stderr, "wecom-media: the token expired; fetching a new one\n");
    return fetch_token(cli) == EXIT_OK ? 0 : -1;
}

int cli_connect(cli_t *cli)
{
    wecom_client_config_t cfg;
    wecom_err_t rc;
    uint32_t ms = cli->timeout_s * 1000u;

    if (cli->client_ready)
        return EXIT_OK;
    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&cli->port, &cli->net);
    cfg.base_url = cli->base_url;
    cfg.port = &cli->port;
    cfg.tls.ca_file = cli->cacert;
    cfg.tls.connect_timeout_ms = ms;
    cfg.tls.handshake_timeout_ms = ms;
    cfg.tls.io_timeout_ms = ms;
    cfg.tls.low_speed_bytes = cli->low_speed_bytes;
    cfg.tls.low_speed_ms = cli->low_speed_ms;
    cli->client = &g_client;
    rc = wecom_client_init(cli->client, &cfg);
    if (rc == WECOM_ERR_TLS_CA_LOAD) {
        fprintf(stderr, "wecom-media: cannot load CA certificates from %s "
                        "(install ca-certificates or use --cacert)\n",
                cli->cacert != NULL ? cli->cacert : WECOM_DEFAULT_CA_FILE);
        return EXIT_LOCAL;
    }
    if (rc != WECOM_OK) {
        cli_report(rc == WECOM_ERR_INVALID_ARG ? "--base-url" : "setup", rc, NULL);
        return cli_exit_code(rc);
    }
    cli->client_ready = 1;
    if (cli->retry_set || cli->retry_max_time_set)
        wecom_client_set_retry(cli->client,
                               cli->retry_set ? cli->retry
                               : (unsigned)(WECOM_RETRY_MAX > 0 ? WECOM_RETRY_MAX - 1 : 0),
                               cli->retry_max_time_set ? cli->retry_max_time_s * 1000u
                               : WECOM_RETRY_MAX_MS);
    if (cli->verbose)
        wecom_client_on_retry(cli->client, on_retry, cli);
    if (cli->max_time_s > 0)
        wecom_client_set_deadline(cli->client,
                                  cli->port.now_ms(NULL) + cli->max_time_s * 1000ull);

    if (cli->token != NULL) {
        rc = wecom_client_set_token(cli->client, cli->token);
        if (rc != WECOM_OK) {
            fprintf(stderr, "wecom-media: the access token is malformed "
                            "(1 to %d URL-safe characters)\n", WECOM_TOKEN_MAX);
            return EXIT_USAGE;
        }
        return EXIT_OK;
    }
    if (cli->corpid != NULL) {
        int ex = fetch_token(cli);
        if (ex == EXIT_OK)
            wecom_client_on_token_expiry(cli->client, refresh_token, cli);
        return ex;
    }
    fprintf(stderr, "wecom-media: no access token: set WECOM_ACCESS_TOKEN, "
                    "use --token-file, or --corpid with WECOM_CORPSECRET\n");
    return EXIT_USAGE;
}

/* A whole number from 0 to max. */
static int parse_count(const char *s, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_seconds(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 86400ul * 7)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* --low-speed BYTES:SECONDS, or 0 for none, into the TLS settings. */
static int parse_low_speed(const char *s, uint32_t *bytes, uint32_t *ms)
{
    char *end;
    unsigned long b;
    unsigned secs;
    errno = 0;
    b = strtoul(s, &end, 10);
    if (errno != 0 || end == s || b >= WECOM_TLS_LOW_SPEED_OFF)
        return -1;
    if (b == 0 && *end == '\0') {
        *bytes = WECOM_TLS_LOW_SPEED_OFF;
        return 0;
    }
    if (*end != ':' || parse_seconds(end + 1, &secs) != 0)
        return -1;
    *bytes = b == 0 ? WECOM_TLS_LOW_SPEED_OFF : (uint32_t)b;
    *ms = secs * 1000u;
    return 0;
}

/* Overwrite an option's value in place so ps shows it no longer. */
static void wipe_arg(char *s)
{
    size_t n = strlen(s);
    memset(s, 'x', n);
}

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
    OPT_VERSION
};

/* Parse the options and run the command; the client is left to main. */
static int run(cli_t *cli, int argc, char **argv)
{
    static const struct option OPTS[] = {
        { "base-url", required_argument, NULL, OPT_BASE_URL },
        { "cacert", required_argument, NULL, OPT_CACERT },
        { "token", required_argument, NULL, OPT_TOKEN },
        { "token-file", required_argument, NULL, OPT_TOKEN_FILE },
        { "corpid", required_argument, NULL, OPT_CORPID },
        { "secret-file", required_argument, NULL, OPT_SECRET_FILE },
        { "secret", required_argument, NULL, OPT_SECRET },
        { "corpsecret", required_argument, NULL, OPT_SECRET },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "max-time", required_argument, NULL, OPT_MAX_TIME },
        { "low-speed", required_argument, NULL, OPT_LOW_SPEED },
        { "retry", required_argument, NULL, OPT_RETRY },
        { "retry-max-time", required_argument, NULL, OPT_RETRY_MAX_TIME },
        { "json", no_argument, NULL, OPT_JSON },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    const char *cmd;
    int c, rc;

    cli->timeout_s = WECOM_DEFAULT_TIMEOUT_MS / 1000u;
    cli->show_progress = isatty(STDERR_FILENO);
    cli->token = getenv("WECOM_ACCESS_TOKEN");
    if (cli->token != NULL && cli->token[0] == '\0')
        cli->token = NULL;
    cli->corpid = getenv("WECOM_CORPID");

    /* getopt's own messages quote the whole argument, a token given as
     * --toke=VALUE included: ours name the option alone. */
    opterr = 0;
    /* '+': stop at the command; its own options are parsed after it. */
    while ((c = getopt_long(argc, argv, "+vh", OPTS, NULL)) != -1) {
        switch (c) {
        case OPT_BASE_URL: cli->base_url = optarg; break;
        case OPT_CACERT: cli->cacert = optarg; break;
        case OPT_TOKEN:
            if (strlen(optarg) >= sizeof cli->token_buf) {
                fprintf(stderr, "wecom-media: --token: too long\n");
                return EXIT_USAGE;
            }
            memcpy(cli->token_buf, optarg, strlen(optarg) + 1);
            wipe_arg(optarg);
            cli->token = cli->token_buf;
            break;
        case OPT_TOKEN_FILE:
            if (read_line_file(optarg, cli->token_buf, sizeof cli->token_buf) != 0) {
                fprintf(stderr, "wecom-media: cannot read a token from %s\n", optarg);
                return EXIT_LOCAL;
            }
            cli->token = cli->token_buf;
            break;
        case OPT_CORPID: cli->corpid = optarg; break;
        case OPT_SECRET_FILE: cli->secret_file = optarg; break;
        case OPT_SECRET:
            wipe_arg(optarg);
            fprintf(stderr,
                    "wecom-media: a secret on the command line is visible to every "
                    "user of the machine (ps, /proc); put it in WECOM_CORPSECRET "
                    "or a file for --secret-file\n");
            return EXIT_USAGE;
        case OPT_TIMEOUT:
            if (parse_seconds(optarg, &cli->timeout_s) != 0) {
                fprintf(stderr, "wecom-media: --timeout: a whole number of seconds, 1 or more\n");
                return EXIT_USAGE;
            }
            break;
        case OPT_MAX_TIME:
            if (parse_seconds(optarg, &cli->max_time_s) != 0) {
                fprintf(stderr, "wecom-media: --max-time: a whole number of seconds, 1 or more\n");
                return EXIT_USAGE;
            }
            break;
        case OPT_RETRY:
            if (parse_count(optarg, 100, &cli->retry) != 0) {
                fprintf(stderr, "wecom-media: --retry: a whole number from 0 to 100\n");
                return EXIT_USAGE;
            }
            cli->retry_set = 1;
            break;
        case OPT_RETRY_MAX_TIME:
            if (parse_count(optarg, 86400u, &cli->retry_max_time_s) != 0) {
                fprintf(stderr, "wecom-media: --retry-max-time: a whole number of seconds, 0 or more\n");
                return EXIT_USAGE;
            }
            cli->retry_max_time_set = 1;
            break;
        case OPT_LOW_SPEED:
            if (parse_low_speed(optarg, &cli->low_speed_bytes, &cli->low_speed_ms) != 0) {
                fprintf(stderr, "wecom-media: --low-speed: BYTES:SECONDS (e.g. 1024:30), or 0 for none\n");
                return EXIT_USAGE;
            }
            break;
        case OPT_JSON: cli->json = 1; break;
        case 'v': cli->verbose = 1; break;
        case 'h': print_usage(stdout); return EXIT_OK;
        case OPT_VERSION:
            printf("wecom-media %s\n", WECOM_VERSION_STRING);
            return EXIT_OK;
        default:
            cli_bad_option(NULL, argv[optind - 1], optopt);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[optind];
    argc -= optind;
    argv += optind;
    optind = 0; /* reset getopt for the command's own options */
    if (strcmp(cmd, "upload") == 0)
        rc = cmd_upload(cli, argc, argv);
#if WECOM_DOWNLOAD
    else if (strcmp(cmd, "download") == 0)
        rc = cmd_download(cli, argc, argv);
#endif
    else if (strcmp(cmd, "token") == 0)
        rc = cmd_token(cli, argc, argv);
    else {
        fputs("wecom-media: unknown command '", stderr);
        cli_put_escaped(stderr, cmd);
        fputs("'\nTry 'wecom-media --help'.\n", stderr);
        return EXIT_USAGE;
    }
    return rc;
}

int main(int argc, char **argv)
{
    static cli_t cli;
    int rc = run(&cli, argc, argv);
    if (cli.client_ready) {
        if (cli.verbose)
            fprintf(stderr, "wecom-media: %lu TLS handshake(s), %lu connection(s)\n",
                    wecom_client_handshakes(cli.client), wecom_client_connections(cli.client));
        wecom_client_free(cli.client);
    }
    cli_wipe(cli.token_buf, sizeof cli.token_buf);
    return rc;
}
