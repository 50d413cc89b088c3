/* A progress bar on stderr, only when stderr is a terminal. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <time.h>

#include "cli.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cli_progress_start(cli_progress_t *p, const cli_t *cli, const char *label)
{
    p->label = label;
    p->last_ms = 0;
    p->shown = 0;
    p->enabled = cli->show_progress;
}

int cli_progress_update(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress_t *p = ctx;
    char bar[31];
    unsigned pct = 0, fill, i;
    uint64_t t;
    if (!p->enabled)
        return 0;
    t = now_ms();
    if (p->shown && t - p->last_ms < 100 && done != total)
        return 0;
    p->last_ms = t;
    if (total > 0)
        pct = (unsigned)(done * 100 / total);
    fill = pct * (unsigned)(sizeof bar - 1) / 100;
    for (i = 0; i < sizeof bar - 1; i++)
        bar[i] = i < fill ? '=' : ' ';
    bar[sizeof bar - 1] = '\0';
    if (total > 0)
        fprintf(stderr, "\r%-24.24s [%s] %3u%% %8.1f/%.1f KiB", p->label, bar,
                pct, (double)done / 1024.0, (double)total / 1024.0);
    else
        fprintf(stderr, "\r%-24.24s %8.1f KiB", p->label, (double)done / 1024.0);
    p->shown = 1;
    return 0;
}

void cli_progress_end(cli_progress_t *p)
{
    if (p->enabled && p->shown)
        fputs("\n", stderr);
    p->shown = 0;
}
