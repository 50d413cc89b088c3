/* SPDX-License-Identifier: MIT */
/* Progress on stderr: a bar redrawn in place when stderr is a terminal;
 * with --progress where it is not (a journal, a log file), a plain line
 * every few seconds, which a log can hold. -q shows neither. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* --progress into a log: one line this often (and one at the end). */
#define LINE_EVERY_MS 3000u

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
    cli_put_escaped(stderr, cut);
}

/* "LABEL: 12.0 of 48.0 KiB (25%)" on a line of its own. */
static void put_line(const cli_progress_t *p)
{
    fputs("wecom-media: ", stderr);
    cli_put_escaped(stderr, p->label); /* whole: a log line has room */
    if (p->total > 0)
        fprintf(stderr, ": %.1f of %.1f KiB (%u%%)\n", (double)p->done / 1024.0,
                (double)p->total / 1024.0, (unsigned)(p->done * 100 / p->total));
    else
        fprintf(stderr, ": %.1f KiB\n", (double)p->done / 1024.0);
}

void cli_progress_start(cli_progress_t *p, const cli_t *cli, const char *label)
{
    p->label = label;
    p->last_ms = 0;
    p->shown = 0;
    p->done = p->total = 0;
    p->lines = cli->progress_lines;
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
    p->done = done;
    p->total = total;
    if (p->lines) {
        if (!p->shown || t - p->last_ms >= LINE_EVERY_MS) {
            p->last_ms = t;
            p->shown = 1;
            put_line(p);
        }
        return 0;
    }
    if (p->shown && t - p->last_ms < 100 && done != total)
        return 0;
    p->last_ms = t;
    if (total > 0)
        pct = (unsigned)(done * 100 / total);
    fill = pct * (unsigned)(sizeof bar - 1) / 100;
    for (i = 0; i < sizeof bar - 1; i++)
        bar[i] = i < fill ? '=' : ' ';
    bar[sizeof bar - 1] = '\0';
    fputc('\r', stderr);
    put_label(p->label);
    for (i = (unsigned)strlen(p->label); i < 24; i++)
        fputc(' ', stderr);
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
    if (p->enabled && p->shown && p->lines)
        put_line(p); /* where it ended, at once */
    else if (p->enabled && p->shown)
        fputs("\n", stderr);
    p->shown = 0;
}
