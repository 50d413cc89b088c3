/* wecom-media token: fetch an access token with gettoken and print it,
 * for scripts: export WECOM_ACCESS_TOKEN=$(wecom-media token). */
#include <stdio.h>

#include "cli.h"

int cmd_token(cli_t *cli, int argc, char **argv)
{
    int ex;
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "wecom-media: token: takes no arguments\n");
        return EXIT_USAGE;
    }
    if (cli->corpid == NULL) {
        fprintf(stderr, "wecom-media: token: needs --corpid (or WECOM_CORPID) "
                        "and the secret in WECOM_CORPSECRET or --secret-file\n");
        return EXIT_USAGE;
    }
    cli->token = NULL; /* fetch, even when one is in the environment */
    ex = cli_connect(cli);
    if (ex != EXIT_OK)
        return ex;
    if (cli->json) {
        fputs("{\"access_token\":", stdout);
        cli_json_string(wecom_client_token(cli->client));
        fputs("}\n", stdout);
    } else {
        printf("%s\n", wecom_client_token(cli->client));
    }
    return EXIT_OK;
}
