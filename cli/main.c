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
    "  --limit-rate RATE   cap the upload and download rate to RATE bytes per\n"
    "                      second (as curl: 256K, 1M)\n"
    "  --proxy URL         tunnel through the HTTP proxy at URL\n"
    "                      (http://[USER:PASS@]HOST[:PORT]; default from\n"
    "                      https_proxy / HTTPS_PROXY; \"\" for none); hosts in\n"
    "                      NO_PROXY / no_proxy go direct. TLS runs end to end\n"
    "  --proxy-user USER:PASS\n"
    "                      the proxy's credentials (visible in ps until the\n"
    "                      tool starts; prefer WECOM_PROXY_USER)\n"
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
    if ((rc = cli_network_config(cli, &cfg)) != EXIT_OK) /* proxy, rate */
        return rc;
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

    return cli_token_setup(cli);
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
    OPT_VERSION,
    OPT_PROXY,
    OPT_PROXY_USER,
    OPT_LIMIT_RATE
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
        { "proxy", required_argument, NULL, OPT_PROXY },
        { "proxy-user", required_argument, NULL, OPT_PROXY_USER },
        { "limit-rate", required_argument, NULL, OPT_LIMIT_RATE },
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
            if ((rc = cli_read_token_file(cli, optarg)) != EXIT_OK)
                return rc;
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
        case OPT_PROXY:
        case OPT_PROXY_USER:
        case OPT_LIMIT_RATE:
            rc = cli_network_option(cli, c == OPT_PROXY ? "proxy"
                                         : c == OPT_PROXY_USER ? "proxy-user"
                                                               : "limit-rate", optarg);
            if (rc != EXIT_OK)
                return rc;
            break;
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

#if WECOM_CLI_MBEDTLS_ARENA > 0
/* mbedTLS's whole heap, where mbedTLS was built to take one (see
 * wecom_posix_mbedtls_arena; other builds ignore it and stay on malloc). */
static unsigned char g_tls_arena[WECOM_CLI_MBEDTLS_ARENA];
#endif

int main(int argc, char **argv)
{
    static cli_t cli;
    /* stdout's buffer, which stdio would otherwise malloc at the first
     * output; buffered as stdio would (by line on a terminal). */
    static char stdout_buf[BUFSIZ];
    int rc;
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
        wecom_client_free(cli.client);
    }
    cli_wipe(cli.token_buf, sizeof cli.token_buf);
    cli_network_wipe(&cli);
    return rc;
}
