/* SPDX-License-Identifier: MIT */
/*
 * The floor under a transfer of FILE through TLS: the CPU time that
 * moving its bytes costs without any protocol, that is reading them from
 * the file, sealing (or opening) them with the cheaper AEAD in 16 KB
 * records, and sending them over loopback TCP, or, downwards, receiving
 * them, opening them and writing them to a file that is then fsync'd
 * (as wecom-media does before it renames a download into place).
 *
 *   tcp_floor up FILE
 *   tcp_floor down FILE OUT
 *
 * The other end is a child process; only this process's CPU is counted.
 * Prints "floor_ms=X aead=NAME" for the cheaper of AES-128-GCM and
 * ChaCha20-Poly1305. One run; test/bench/table.py takes the best of many.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>

#define RECORD 16384

static unsigned char buf[RECORD], sealed[RECORD], tag[16], key[32], iv[12];

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

typedef struct {
    int gcm; /* 1: AES-128-GCM, 0: ChaCha20-Poly1305 */
    mbedtls_gcm_context g;
    mbedtls_chachapoly_context c;
} aead_t;

static void aead_init(aead_t *a, int gcm)
{
    a->gcm = gcm;
    mbedtls_gcm_init(&a->g);
    mbedtls_chachapoly_init(&a->c);
    mbedtls_gcm_setkey(&a->g, MBEDTLS_CIPHER_ID_AES, key, 128);
    mbedtls_chachapoly_setkey(&a->c, key);
}

static void aead_free(aead_t *a)
{
    mbedtls_gcm_free(&a->g);
    mbedtls_chachapoly_free(&a->c);
}

/* Seal n bytes of buf into sealed: the work a record costs either way
 * (opening costs the same as sealing plus a tag compare). */
static void aead_record(aead_t *a, size_t n)
{
    iv[11]++;
    if (a->gcm)
        mbedtls_gcm_crypt_and_tag(&a->g, MBEDTLS_GCM_ENCRYPT, n, iv, sizeof iv,
                                  iv, 13, buf, sealed, sizeof tag, tag);
    else
        mbedtls_chachapoly_encrypt_and_tag(&a->c, n, iv, iv, 13, buf, sealed, tag);
}

static int listener(struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *)addr, sizeof *addr) != 0 ||
        listen(s, 1) != 0 || getsockname(s, (struct sockaddr *)addr, &len) != 0)
        die("listen");
    return s;
}

static void send_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, 0);
        if (k <= 0)
            die("send");
        p += k;
        n -= (size_t)k;
    }
}

/* The child: sink everything (up) or send FILE (down), then exit. */
static void peer(int ls, int up, const char *file)
{
    int s = accept(ls, NULL, NULL);
    if (s < 0)
        die("accept");
    if (up) {
        while (recv(s, buf, sizeof buf, 0) > 0) {
        }
    } else {
        int fd = open(file, O_RDONLY);
        ssize_t n;
        if (fd < 0)
            die(file);
        while ((n = read(fd, buf, sizeof buf)) > 0)
            send_all(s, buf, (size_t)n);
        close(fd);
        shutdown(s, SHUT_WR);
    }
    close(s);
    _exit(0);
}

static double run(int up, const char *file, const char *out, int gcm)
{
    struct sockaddr_in addr;
    int ls = listener(&addr), s, fd;
    pid_t pid = fork();
    aead_t a;
    ssize_t n;
    double t0;
    if (pid < 0)
        die("fork");
    if (pid == 0)
        peer(ls, up, file);
    close(ls);
    aead_init(&a, gcm);
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("connect");
    t0 = cpu_ms();
    if (up) {
        fd = open(file, O_RDONLY);
        if (fd < 0)
            die(file);
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            aead_record(&a, (size_t)n);
            send_all(s, sealed, (size_t)n);
        }
        shutdown(s, SHUT_WR);
        while (recv(s, buf, sizeof buf, 0) > 0) {
        }
    } else {
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            die(out);
        while ((n = recv(s, buf, sizeof buf, MSG_WAITALL)) > 0) {
            aead_record(&a, (size_t)n);
            if (write(fd, sealed, (size_t)n) != n)
                die("write");
        }
        if (fsync(fd) != 0)
            die("fsync");
    }
    t0 = cpu_ms() - t0;
    close(fd);
    close(s);
    waitpid(pid, NULL, 0);
    aead_free(&a);
    return t0;
}

int main(int argc, char **argv)
{
    int up;
    double g, c;
    if (argc < 3 || (strcmp(argv[1], "up") != 0 && strcmp(argv[1], "down") != 0) ||
        (strcmp(argv[1], "down") == 0 && argc < 4)) {
        fprintf(stderr, "usage: tcp_floor up FILE | tcp_floor down FILE OUT\n");
        return 2;
    }
    up = strcmp(argv[1], "up") == 0;
    g = run(up, argv[2], argc > 3 ? argv[3] : NULL, 1);
    c = run(up, argv[2], argc > 3 ? argv[3] : NULL, 0);
    printf("floor_ms=%.3f aead=%s\n", g < c ? g : c, g < c ? "aes-128-gcm" : "chacha20-poly1305");
    return 0;
}
