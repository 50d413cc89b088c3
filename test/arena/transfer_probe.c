/* SPDX-License-Identifier: MIT */
/*
 * One upload and one download of the same file through the library, as
 * the command-line tool does them, with mbedTLS on an arena of a given
 * size and/or the transfer on a thread whose stack is painted first.
 *
 *   transfer_probe [--arena BYTES] [--stack BYTES] URL CAFILE TOKEN FILE
 *
 * Exit 0 when the upload and the download both succeeded and the bytes
 * came back identical; 3 when the arena could not be handed over (an
 * mbedTLS without MBEDTLS_MEMORY_BUFFER_ALLOC_C); 1 otherwise. With
 * --stack it prints "stack_used=N ..." (bytes of the painted stack the
 * transfer touched, beyond what an idle thread touches) for test/stack/.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wecom/media.h"
#include "wecom/posix.h"

/* Room for the largest arena a search tries; untouched pages cost nothing. */
static unsigned char g_arena[1u << 20];
static wecom_client_t g_client;

#define PAINT 0xA5u

typedef struct job {
    const char *url, *ca, *token, *path;
    int ok;
} job_t;

/* The probe's own buffers and results are static: only the library's
 * frames (and mbedTLS's and libc's below them) should be on the stack. */
static unsigned char g_x[8192], g_y[8192];
static char g_back[PATH_MAX];
static wecom_upload_result_t g_ur;
static wecom_download_result_t g_dr;

static int same_bytes(int a, int b)
{
    unsigned char *x = g_x, *y = g_y;
    for (;;) {
        ssize_t n = read(a, x, sizeof g_x), m;
        if (n < 0)
            return 0;
        if (n == 0)
            return read(b, y, 1) == 0;
        m = read(b, y, (size_t)n);
        if (m != n || memcmp(x, y, (size_t)n) != 0)
            return 0;
    }
}

static int transfer(job_t *j)
{
    wecom_port_t port;
    wecom_posix_net_t net;
    wecom_client_config_t cfg;
    wecom_reader_t r;
    wecom_writer_t w;
    wecom_posix_fd_t rf, wf;
    wecom_upload_t up;
    wecom_download_t dl;
    struct stat st;
    int fd, out, ok = 0;
    wecom_err_t rc;

    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&port, &net);
    cfg.base_url = j->url;
    cfg.port = &port;
    cfg.tls.ca_file = j->ca;
    rc = wecom_client_init(&g_client, &cfg);
    if (rc != WECOM_OK) {
        fprintf(stderr, "client_init: %s\n", wecom_errname(rc));
        wecom_posix_net_free(&net);
        return 0;
    }
    if (wecom_client_set_token(&g_client, j->token) != WECOM_OK)
        goto done;
    fd = open(j->path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0)
        goto done;
    wecom_posix_reader(&r, &rf, fd);
    memset(&up, 0, sizeof up);
    up.kind = WECOM_KIND_FILE;
    up.reader = &r;
    up.length = (uint64_t)st.st_size;
    up.filename = "probe.bin";
    rc = wecom_media_upload(&g_client, &up, &g_ur);
    if (rc != WECOM_OK) {
        fprintf(stderr, "upload: %s\n", wecom_errname(rc));
        close(fd);
        goto done;
    }
    snprintf(g_back, sizeof g_back, "%s.back", j->path);
    out = open(g_back, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (out < 0) {
        close(fd);
        goto done;
    }
    wecom_posix_writer(&w, &wf, out);
    memset(&dl, 0, sizeof dl);
    dl.media_id = g_ur.media_id;
    dl.writer = &w;
    rc = wecom_media_download(&g_client, &dl, &g_dr);
    if (rc != WECOM_OK)
        fprintf(stderr, "download: %s\n", wecom_errname(rc));
    else if (lseek(fd, 0, SEEK_SET) == 0 && lseek(out, 0, SEEK_SET) == 0)
        ok = same_bytes(fd, out);
    close(out);
    unlink(g_back);
    close(fd);
done:
    wecom_client_free(&g_client);
    wecom_posix_net_free(&net);
    return ok;
}

static void *thread_main(void *arg)
{
    job_t *j = arg;
    j->ok = transfer(j);
    return NULL;
}

static void *thread_idle(void *arg)
{
    return arg;
}

/* Run fn on a thread whose stack of size bytes was painted, and return
 * how many bytes of it were touched (counted from the far end: stacks
 * grow down on every target this runs on). glibc keeps the thread's
 * descriptor and TLS at the top of that memory: an idle thread measures
 * them, to be taken off. */
static long painted_run(job_t *j, size_t size, void *(*fn)(void *))
{
    pthread_attr_t attr;
    pthread_t t;
    unsigned char *stack;
    size_t i;

    /* A guard page below: a stack too small faults (and a debugger shows
     * the deepest frames) instead of writing over other memory. */
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *base = mmap(NULL, size + (size_t)page, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED || mprotect(base, (size_t)page, PROT_NONE) != 0)
        return -1;
    stack = base + page;
    memset(stack, PAINT, size);
    if (pthread_attr_init(&attr) != 0 ||
        pthread_attr_setstack(&attr, stack, size) != 0 ||
        pthread_create(&t, &attr, fn, j) != 0)
        return -1;
    pthread_join(t, NULL);
    for (i = 0; i < size && stack[i] == PAINT; i++)
        ;
    munmap(base, size + (size_t)page);
    return (long)(size - i);
}

int main(int argc, char **argv)
{
    size_t arena = 0, stack = 0;
    job_t j;
    int a = 1;

    while (a + 1 < argc && strncmp(argv[a], "--", 2) == 0) {
        if (strcmp(argv[a], "--arena") == 0)
            arena = strtoul(argv[a + 1], NULL, 10);
        else if (strcmp(argv[a], "--stack") == 0)
            stack = strtoul(argv[a + 1], NULL, 10);
        else
            break;
        a += 2;
    }
    if (argc - a != 4 || arena > sizeof g_arena) {
        fprintf(stderr, "usage: %s [--arena BYTES] [--stack BYTES] URL CAFILE TOKEN FILE\n",
                argv[0]);
        return 2;
    }
    j.url = argv[a];
    j.ca = argv[a + 1];
    j.token = argv[a + 2];
    j.path = argv[a + 3];
    j.ok = 0;
    if (arena != 0 && wecom_posix_mbedtls_arena(g_arena, arena) != WECOM_OK) {
        fprintf(stderr, "this mbedTLS takes no arena\n");
        return 3;
    }
    if (stack != 0) {
        long idle = painted_run(&j, stack, thread_idle);
        long used = painted_run(&j, stack, thread_main);
        if (idle < 0 || used < 0) {
            fprintf(stderr, "painted thread: %s\n", strerror(errno));
            return 1;
        }
        printf("stack_used=%ld (touched %ld, of which %ld an idle thread's)\n",
               used - idle, used, idle);
    } else {
        j.ok = transfer(&j);
    }
    return j.ok ? 0 : 1;
}
