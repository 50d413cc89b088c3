/*
 * Where the access token comes from: --token, --token-file or
 * WECOM_ACCESS_TOKEN as given, or gettoken with the corp's secret (from
 * WECOM_CORPSECRET or --secret-file, never argv), fetched again when
 * WeCom says the token expired.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Zero a credential so that it outlives its use in no buffer: through a
 * volatile pointer, which the compiler cannot drop as a dead store. */
void cli_wipe(void *p, size_t n)
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

/* WeCom revoked or expired the token mid-run: fetch another. */
static int refresh_token(void *ctx, wecom_client_t *c)
{
    cli_t *cli = ctx;
    (void)c;
    if (cli->verbose)
        fprintf(stderr, "wecom-media: the token expired; fetching a new one\n");
    return fetch_token(cli) == EXIT_OK ? 0 : -1;
}

int cli_read_token_file(cli_t *cli, const char *path)
{
    if (read_line_file(path, cli->token_buf, sizeof cli->token_buf) != 0) {
        fprintf(stderr, "wecom-media: cannot read a token from %s\n", path);
        return EXIT_LOCAL;
    }
    cli->token = cli->token_buf;
    return EXIT_OK;
}

int cli_token_setup(cli_t *cli)
{
    if (cli->token != NULL) {
        if (wecom_client_set_token(cli->client, cli->token) != WECOM_OK) {
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
