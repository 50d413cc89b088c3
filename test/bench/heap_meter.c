/* SPDX-License-Identifier: MIT */
/*
 * Counts heap bytes by defining malloc and friends in the program and
 * forwarding to glibc's own entry points. Shared libraries (mbedTLS)
 * call these too, as the program's definitions come first in symbol
 * lookup. Sizes are malloc_usable_size(), what the allocator really gave.
 */
#define _GNU_SOURCE

#include <malloc.h>
#include <stddef.h>

#include "heap_meter.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static size_t g_in_use, g_peak, g_calls;

static void add(void *p)
{
    if (p != NULL) {
        size_t n = malloc_usable_size(p);
        size_t now = __atomic_add_fetch(&g_in_use, n, __ATOMIC_RELAXED);
        __atomic_add_fetch(&g_calls, 1, __ATOMIC_RELAXED);
        if (now > g_peak)
            g_peak = now;
    }
}

static void sub(void *p)
{
    if (p != NULL)
        __atomic_sub_fetch(&g_in_use, malloc_usable_size(p), __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
    void *p = __libc_malloc(n);
    add(p);
    return p;
}

void *calloc(size_t a, size_t b)
{
    void *p = __libc_calloc(a, b);
    add(p);
    return p;
}

void *realloc(void *old, size_t n)
{
    void *p;
    sub(old);
    p = __libc_realloc(old, n);
    add(p != NULL ? p : (n != 0 ? old : NULL));
    return p;
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    if (p == NULL)
        return 12; /* ENOMEM */
    add(p);
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    add(p);
    return p;
}

void free(void *p)
{
    sub(p);
    __libc_free(p);
}

size_t heap_in_use(void) { return g_in_use; }
size_t heap_peak(void) { return g_peak; }
size_t heap_calls(void) { return g_calls; }
void heap_reset_peak(void) { g_peak = g_in_use; }
