/* SPDX-License-Identifier: MIT */
/* What the tool prints: exit codes, error reports, and text from the
 * server or the file system made safe for a terminal and for JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* WeCom's errcodes that say who is calling is not let in: a script fixes
 * its token, secret or the corp's settings rather than trying again. */
static int is_credential_errcode(int64_t e)
{
    switch (e) {
    case 40001: /* the secret (or a token) is wrong */
    case 40013: /* corpid unknown */
    case 40014: /* token invalid: it still was after a refresh */
    case 40082: /* the suite token is wrong */
    case 40091: /* the secret is malformed */
    case 41001: /* no token */
    case 41004: /* no secret */
    case 42001: /* token expired: it still was after a refresh */
    case 48002: /* the app may not call this API */
    case 60020: /* the caller's IP is not on the app's allow list */
        return 1;
    default:
        return 0;
    }
}

int cli_exit_code_api(wecom_err_t err, const wecom_api_error_t *api)
{
    if (err == WECOM_ERR_API && api != NULL) {
        if (is_credential_errcode(api->errcode))
            return EXIT_CREDENTIALS;
        if (api->errcode == 45009 || api->errcode == 45033)
            return EXIT_RATE_LIMITED;
        if (api->errcode == 40007)
            return EXIT_NOT_FOUND;
        return EXIT_API;
    }
    switch (err) {
    case WECOM_OK:
        return EXIT_OK;
    case WECOM_ERR_INVALID_ARG:
        return EXIT_USAGE;
    case WECOM_ERR_API:
        return EXIT_API;
    case WECOM_ERR_MEDIA_TOO_SMALL:
    case WECOM_ERR_MEDIA_TOO_LARGE:
    case WECOM_ERR_MEDIA_FORMAT:
    case WECOM_ERR_MEDIA_VOICE_TOO_LONG:
    case WECOM_ERR_MEDIA_AMR_WB:
    case WECOM_ERR_MEDIA_AMR_CORRUPT:
        return EXIT_REFUSED;
    case WECOM_ERR_FILE_READ:
    case WECOM_ERR_FILE_WRITE:
    case WECOM_ERR_NOT_REWINDABLE:
    case WECOM_ERR_MEDIA_LENGTH:
    case WECOM_ERR_TLS_CA_LOAD:
    case WECOM_ERR_OUTPUT_FULL:
        return EXIT_LOCAL;
    default:
        return EXIT_NETWORK;
    }
}

/* The last failure cli_report printed: a caller that has only the error
 * code (cli_exit_code) or none (a failure in cli_connect) still gets the
 * errcode's exit code and --json's fields. */
static wecom_err_t g_last_err;
static wecom_api_error_t g_last_api;
static int g_have_api;

int cli_exit_code(wecom_err_t err)
{
    if (err == WECOM_ERR_API && g_last_err == WECOM_ERR_API && g_have_api)
        return cli_exit_code_api(err, &g_last_api);
    return cli_exit_code_api(err, NULL);
}

const char *cli_exit_name(int ex)
{
    switch (ex) {
    case EXIT_OK: return "ok";
    case EXIT_USAGE: return "usage";
    case EXIT_LOCAL: return "local";
    case EXIT_NETWORK: return "network";
    case EXIT_API: return "api";
    case EXIT_REFUSED: return "refused";
    case EXIT_CREDENTIALS: return "credentials";
    case EXIT_RATE_LIMITED: return "rate_limited";
    case EXIT_NOT_FOUND: return "not_found";
    case EXIT_JOURNAL: return "journal";
    default: return ex > 128 ? "interrupted" : "error";
    }
}

/* The last message said about the file under way, for --json. */
static char g_message[512];

void cli_message_clear(void)
{
    g_message[0] = '\0';
    g_last_err = WECOM_OK;
}

static void keep(const char *text)
{
    snprintf(g_message, sizeof g_message, "%s", text);
}

void cli_say(const char *subject, const char *fmt, ...)
{
    char text[sizeof g_message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    keep(text);
    fputs("wecom-media: ", stderr);
    if (subject != NULL) {
        cli_put_escaped(stderr, subject);
        fputs(": ", stderr);
    }
    cli_put_escaped(stderr, text);
    fputc('\n', stderr);
}

/* What to do about an errcode a user met and did not understand; NULL
 * when the errmsg says enough. */
static const char *errcode_hint(int64_t e)
{
    switch (e) {
    case 40007:
        return "temporary media live three days after upload, and only "
               "within the corp that uploaded them";
    case 45009:
        return "rate limited: retrying extends the block; wait (a minute, "
               "up to an hour) before calling again";
    case 45033:
        return "too many calls at once; still so after the retries";
    case 40001:
    case 40091:
        return "check the corp secret";
    case 40014:
    case 42001:
        return "the access token is invalid or expired";
    default:
        return NULL;
    }
}

void cli_report(const char *context, wecom_err_t err,
                const wecom_api_error_t *api)
{
    char text[sizeof g_message];
    g_last_err = err;
    g_have_api = api != NULL;
    if (api != NULL)
        g_last_api = *api;
    if (err == WECOM_ERR_API && api != NULL) {
        const char *hint = errcode_hint(api->errcode);
        snprintf(text, sizeof text, "WeCom errcode %lld: %s%s%s%s",
                 (long long)api->errcode, api->errmsg, hint != NULL ? " (" : "",
                 hint != NULL ? hint : "", hint != NULL ? ")" : "");
    } else {
        snprintf(text, sizeof text, "%s", wecom_strerror(err));
    }
    keep(text);
    fputs("wecom-media: ", stderr);
    cli_put_escaped(stderr, context);
    fputs(": ", stderr);
    cli_put_escaped(stderr, text);
    fputc('\n', stderr);
}

void cli_report_net(const cli_t *cli, const char *context, wecom_err_t err,
                    const wecom_api_error_t *api)
{
    /* No connection came up: say where the tool tried to go, so that a
     * wrong --base-url, a dead route or DNS shows as what it is. */
    int no_connect = err == WECOM_ERR_CONNECT || err == WECOM_ERR_RESOLVE ||
                     ((err == WECOM_ERR_TIMEOUT || err == WECOM_ERR_DEADLINE) &&
                      cli->client_ready && wecom_client_connections(cli->client) == 0);
    if (!no_connect || cli->connects == 0) {
        cli_report(context, err, api);
        return;
    }
    if (err == WECOM_ERR_RESOLVE)
        cli_say(context, "cannot resolve %s (%u attempt%s): %s", cli->connect_host,
                cli->connects, cli->connects == 1 ? "" : "s", wecom_strerror(err));
    else
        cli_say(context, "cannot connect to %s (last address tried %s, %u attempt%s): %s",
                cli->connect_host, cli->net.addr[0] != '\0' ? cli->net.addr : "none",
                cli->connects, cli->connects == 1 ? "" : "s", wecom_strerror(err));
}

void cli_json_failure(const char *file, const char *media_id, int ex,
                      wecom_err_t err, const wecom_api_error_t *api)
{
    int has_api;
    if (err == WECOM_OK && api == NULL && g_last_err != WECOM_OK) {
        /* the failure cli_report said, before any file was tried */
        err = g_last_err;
        api = g_have_api ? &g_last_api : NULL;
    }
    has_api = err == WECOM_ERR_API && api != NULL;
    fputs("{\"file\":", stdout);
    if (file != NULL)
        cli_json_string(file);
    else
        fputs("null", stdout);
    if (media_id != NULL) {
        fputs(",\"media_id\":", stdout);
        cli_json_string(media_id);
    }
    fputs(",\"error\":", stdout);
    cli_json_string(cli_exit_name(ex));
    printf(",\"exit\":%d,\"code\":", ex);
    if (err != WECOM_OK)
        cli_json_string(wecom_errname(err));
    else
        fputs("null", stdout);
    fputs(",\"message\":", stdout);
    cli_json_string(g_message[0] != '\0' ? g_message
                    : err != WECOM_OK     ? wecom_strerror(err)
                                          : cli_exit_name(ex));
    if (has_api) {
        printf(",\"errcode\":%lld,\"errmsg\":", (long long)api->errcode);
        cli_json_string(api->errmsg);
    } else {
        fputs(",\"errcode\":null,\"errmsg\":null", stdout);
    }
    fputs("}\n", stdout);
    (void)fflush(stdout); /* each outcome out now: a script may be reading */
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
    if (cmd != NULL)
        fprintf(stderr, "'\nTry 'wecom-media %s --help'.\n", cmd);
    else
        fputs("'\nTry 'wecom-media --help'.\n", stderr);
}
