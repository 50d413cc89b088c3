/* SPDX-License-Identifier: MIT */
/* wecom-media token: how long the token the tool would use has left, and
 * where it came from; --show prints the token itself, for scripts:
 * export WECOM_ACCESS_TOKEN=$(wecom-media token --show). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

enum { OPT_SHOW = 1100 };

/* A cli_opt_fn: its arg is not const because other commands' are not. */
static int on_token_opt(void *ctx, int c, char *arg) /* NOLINT(readability-non-const-parameter) */
{
    int *show = ctx;
    (void)arg;
    if (c != OPT_SHOW)
        return EXIT_USAGE;
    *show = 1;
    return EXIT_OK;
}

static const char *source_name(int source)
{
    switch (source) {
    case CLI_TOKEN_COMMAND: return "command";
    case CLI_TOKEN_GIVEN: return "given";
    case CLI_TOKEN_FETCHED: return "gettoken";
    case CLI_TOKEN_CACHED: return "cache";
    default: return "none";
    }
}

int cmd_token(cli_t *cli, int argc, char **argv)
{
    static const struct option OPTS[] = {
        { "show", no_argument, NULL, OPT_SHOW },
        { NULL, 0, NULL, 0 },
    };
    int show = 0, nargs = 0, ex;
    int64_t ttl;

    ex = cli_parse_options(cli, argc, argv, "", OPTS, on_token_opt, &show, &nargs);
    if (ex != EXIT_OK)
        return ex;
    if (nargs != 0) {
        fprintf(stderr, "wecom-media: token: takes no arguments\n");
        return EXIT_USAGE;
    }
    ex = cli_connect(cli);
    if (ex != EXIT_OK) {
        if (cli->json)
            cli_json_failure(NULL, NULL, ex, WECOM_OK, NULL);
        return ex;
    }
    ttl = wecom_client_token_ttl(cli->client);
    if (cli->json) {
        fputs("{\"source\":", stdout);
        cli_json_string(source_name(cli->token_source));
        if (ttl >= 0)
            printf(",\"expires_in\":%lld", (long long)ttl);
        else
            fputs(",\"expires_in\":null", stdout);
        if (show) {
            fputs(",\"access_token\":", stdout);
            cli_json_string(wecom_client_token(cli->client));
        }
        fputs("}\n", stdout);
    } else if (show) {
        printf("%s\n", wecom_client_token(cli->client));
    } else if (ttl >= 0) {
        printf("token valid for %lld s (%s)\n", (long long)ttl,
               cli->token_source == CLI_TOKEN_CACHED ? "cached" : "fetched");
    } else {
        printf("token %s (lifetime unknown)\n",
               cli->token_source == CLI_TOKEN_COMMAND ? "from the token command" : "given");
    }
    return EXIT_OK;
}
