/* SPDX-License-Identifier: MIT */
/*
 * Who calls malloc: loaded with LD_PRELOAD into any program, it counts
 * every malloc, calloc, realloc and memalign call (glibc's own internal
 * ones included: glibc routes them through the interposed symbols) by the
 * call stack that made it, and at exit writes each distinct stack with
 * its count to the file named by $WECOM_MALLOC_TRACE:
 *
 *   calls=N unrecorded=N stack_used=BYTES
 *   <count> {
 *   <module path> <offset in it, hex> <nearest exported symbol or ->
 *   ...                                  (innermost frame first)
 *   }
 *
 * test/arena/no_malloc.sh turns the frames into function names and
 * decides which calls are the tool's, mbedTLS's or libc's. stack_used is
 * how deep the main thread's stack went below the point where this
 * library's constructor ran (just before main).
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

#define DEPTH 10
#define SLOTS 128

typedef struct site {
    void *frames[DEPTH];
    int n;
    unsigned long count;
} site_t;

static site_t g_sites[SLOTS];
static unsigned long g_calls, g_lost;
static __thread int t_inside; /* backtrace() itself may allocate */

static void record(void)
{
    void *f[DEPTH + 2];
    int n, i;
    __atomic_add_fetch(&g_calls, 1, __ATOMIC_RELAXED);
    if (t_inside)
        return;
    t_inside = 1;
    n = backtrace(f, DEPTH + 2) - 2; /* drop record() and the wrapper */
    if (n < 0)
        n = 0;
    for (i = 0; i < SLOTS; i++) {
        site_t *s = &g_sites[i];
        if (s->count == 0) {
            memcpy(s->frames, f + 2, (size_t)n * sizeof f[0]);
            s->n = n;
            s->count = 1;
            break;
        }
        if (s->n == n && memcmp(s->frames, f + 2, (size_t)n * sizeof f[0]) == 0) {
            s->count++;
            break;
        }
    }
    if (i == SLOTS)
        g_lost++;
    t_inside = 0;
}

void *malloc(size_t n)
{
    record();
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    record();
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    record();
    return __libc_realloc(p, n);
}

void *memalign(size_t a, size_t n)
{
    record();
    return __libc_memalign(a, n);
}

void free(void *p)
{
    __libc_free(p);
}

static void put(int fd, const char *s)
{
    (void)!write(fd, s, strlen(s));
}

static void put_num(int fd, unsigned long v)
{
    char b[24];
    int i = (int)sizeof b;
    b[--i] = '\0';
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(fd, b + i);
}

static void put_hex(int fd, unsigned long v)
{
    char b[24];
    int i = (int)sizeof b;
    b[--i] = '\0';
    do {
        b[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    put(fd, "0x");
    put(fd, b + i);
}

/* dladdr() allocates nothing: module, offset in it, nearest symbol. */
static void put_frame(int fd, void *pc)
{
    Dl_info d;
    if (dladdr(pc, &d) == 0 || d.dli_fname == NULL) {
        put(fd, "? ");
        put_hex(fd, (unsigned long)pc);
        put(fd, " -\n");
        return;
    }
    put(fd, d.dli_fname);
    put(fd, " ");
    put_hex(fd, (unsigned long)((char *)pc - (char *)d.dli_fbase));
    put(fd, " ");
    put(fd, d.dli_sname != NULL ? d.dli_sname : "-");
    put(fd, "\n");
}

/* The tool's own stack, painted: before main, PAINT_BYTES below the
 * constructor's frame are filled with a pattern; at exit the bytes still
 * holding it tell how deep main's thread went. */
#define PAINT_BYTES (512 * 1024)
#define PAINT_GAP 4096 /* left alone below this frame */
static unsigned char *g_paint_top;

static void paint_stack(void)
{
    volatile unsigned char *p;
    g_paint_top = (unsigned char *)__builtin_frame_address(0) - PAINT_GAP;
    for (p = g_paint_top - PAINT_BYTES; p < g_paint_top; p++)
        *p = 0xA5;
}

static void put_stack_used(int fd)
{
    const volatile unsigned char *p = g_paint_top - PAINT_BYTES;
    if (g_paint_top == NULL)
        return;
    while (p < g_paint_top && *p == 0xA5)
        p++;
    put(fd, " stack_used=");
    put_num(fd, (unsigned long)(g_paint_top - (const unsigned char *)p) + PAINT_GAP);
}

/* Load what backtrace() needs (libgcc_s) before main, so its own
 * allocation is not taken for the program's. */
__attribute__((constructor)) static void warm(void)
{
    void *f[2];
    t_inside = 1;
    backtrace(f, 2);
    t_inside = 0;
    g_calls = 0;
    paint_stack();
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("WECOM_MALLOC_TRACE");
    int fd, i;
    if (path == NULL)
        return;
    t_inside = 1;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
        return;
    put(fd, "calls=");
    put_num(fd, g_calls);
    put(fd, " unrecorded=");
    put_num(fd, g_lost);
    put_stack_used(fd);
    put(fd, "\n");
    for (i = 0; i < SLOTS && g_sites[i].count != 0; i++) {
        put_num(fd, g_sites[i].count);
        put(fd, " ");
        put(fd, "{\n");
        for (int k = 0; k < g_sites[i].n; k++)
            put_frame(fd, g_sites[i].frames[k]);
        put(fd, "}\n");
    }
    close(fd);
}
