/*
 * Heap figures of a whole process, any program: loaded with LD_PRELOAD,
 * it counts what malloc and friends hand out (malloc_usable_size, what
 * the allocator really gave) and, at exit, appends one line to the file
 * named by $WECOM_HEAP_OUT:
 *
 *   heap_peak=BYTES heap_exit=BYTES calls=N vmhwm_kib=N
 *
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

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static size_t g_in_use, g_peak, g_calls;

static void add(void *p)
{
    if (p != NULL) {
        size_t now = __atomic_add_fetch(&g_in_use, malloc_usable_size(p), __ATOMIC_RELAXED);
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
                 g_peak, g_in_use, g_calls, rss_peak_kib());
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0 && n > 0) {
        if (write(fd, line, (size_t)n) < 0) {
            /* nothing to do: the figures are lost, the table says so */
        }
        close(fd);
    }
}
