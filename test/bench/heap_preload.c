/* SPDX-License-Identifier: MIT */
/*
 * Heap figures of a whole process, any program: loaded with LD_PRELOAD,
 * it counts what malloc and friends hand out (malloc_usable_size, what
 * the allocator really gave) and, at exit, appends one line to the file
 * named by $WECOM_HEAP_OUT:
 *
 *   heap_peak=BYTES heap_exit=BYTES calls=N vmhwm_kib=N
 *
 * The counting is heap_meter.c's, linked into this module.
 * heap_exit is what was still allocated when the process ended (libc's
 * own stdio buffers included). vmhwm_kib is the kernel's VmHWM of the
 * program itself: getrusage's ru_maxrss would also count the parent's
 * pages the child held between fork and exec. Used by test/bench/table.py for
 * wecom-media and for curl alike.
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap_meter.h"

/* VmHWM from /proc/self/status, in KiB; 0 when unknown. */
static unsigned long rss_peak_kib(void)
{
    char text[4096];
    const char *p;
    ssize_t n;
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0)
        return 0;
    n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    p = strstr(text, "VmHWM:");
    return p != NULL ? strtoul(p + 6, NULL, 10) : 0;
}

/* Written with write(2) into a stack buffer: no allocation while
 * reporting the allocations. */
__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("WECOM_HEAP_OUT");
    char line[128];
    int fd, n;
    if (path == NULL || path[0] == '\0')
        return;
    n = snprintf(line, sizeof line, "heap_peak=%zu heap_exit=%zu calls=%zu vmhwm_kib=%lu\n",
                 heap_peak(), heap_in_use(), heap_calls(), rss_peak_kib());
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0 && n > 0) {
        if (write(fd, line, (size_t)n) < 0) {
            /* nothing to do: the figures are lost, the table says so */
        }
        close(fd);
    }
}
