/* What the tool prints: exit codes, error reports, and text from the
 * server or the file system made safe for a terminal and for JSON. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
