/* SPDX-License-Identifier: MIT */
/*
 * SIGINT and SIGTERM cancel the transfer under way: wecom_client_cancel is
 * async-signal-safe and wakes whatever wait the client is in (connect,
 * handshake, the answer, a backoff sleep), so the tool answers a Ctrl-C
 * at once rather than at --timeout. A second signal ends it outright.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <string.h>

#include "cli.h"

static volatile sig_atomic_t g_signal;
static wecom_client_t *g_client; /* set before the handler is */

static void on_signal(int sig)
{
    g_signal = sig;
    if (g_client != NULL)
        wecom_client_cancel(g_client);
}

void cli_catch_signals(cli_t *cli)
{
    struct sigaction sa;
    g_client = cli->client;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = (int)SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_signal(void)
{
    return (int)g_signal;
}
