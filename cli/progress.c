/* A progress bar on stderr, only when stderr is a terminal. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The label (a path, or a name from the server) in 24 bytes, cut on a
 * character boundary and escaped like every other such text. */
static void put_label(const char *label)
{
    char cut[25];
    size_t n = strlen(label);
    if (n > sizeof cut - 1) {
        n = sizeof cut - 1;
        while (n > 0 && ((unsigned char)label[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(cut, label, n);
    cut[n] = '\0';
    fputc('\r', stderr);
    cli_put_escaped(stderr, cut);
    for (; n < sizeof cut - 1; n++)
        fputc(' ', stderr);
}

void cli_progress_start(cli_progress_t *p, const cli_t *cli, const char *label)
{
    p->label = label;
    p->last_ms = 0;
    p->shown = 0;
    /* WECOM_CLI_PROGRESS 0 (config.h): never shown, and the drawing code
     * below becomes dead and is dropped by the compiler. */
    p->enabled = WECOM_CLI_PROGRESS && cli->show_progress;
}

int cli_progress_update(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress_t *p = ctx;
    char bar[31];
    unsigned pct = 0, fill, i;
    uint64_t t;
    if (!WECOM_CLI_PROGRESS || !p->enabled)
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
    put_label(p->label);
    if (total > 0)
        fprintf(stderr, " [%s] %3u%% %8.1f/%.1f KiB", bar, pct,
                (double)done / 1024.0, (double)total / 1024.0);
    else
        fprintf(stderr, " %8.1f KiB", (double)done / 1024.0);
    p->shown = 1;
    return 0;
}

void cli_progress_end(cli_progress_t *p)
{
    if (p->enabled && p->shown)
        fputs("\n", stderr);
    p->shown = 0;
}
