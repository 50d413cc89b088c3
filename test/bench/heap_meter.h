/* SPDX-License-Identifier: MIT */
/* Heap use of this process, measured by wrapping glibc's allocator (link
 * heap_meter.c into the program). For measurement programs only. */
#ifndef HEAP_METER_H
#define HEAP_METER_H

#include <stddef.h>

/* Bytes in use now, the most since the last reset, and calls made. */
size_t heap_in_use(void);
size_t heap_peak(void);
size_t heap_calls(void);

/* Start a new peak from what is in use now. */
void heap_reset_peak(void);

#endif
