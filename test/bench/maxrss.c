/* SPDX-License-Identifier: MIT */
/*
 * Peak RSS of a program, whether linked statically or not:
 *
 *   maxrss OUTFILE PROGRAM [ARGS...]
 *
 * runs PROGRAM and appends "rss_peak_kib=N cpu_us=N wall_us=N" to
 * OUTFILE, then exits with its status. The kernel's ru_maxrss of a child
 * also counts the pages it held between fork and exec, so a Python
 * parent's 30 MB would show; this launcher is linked statically and
 * small, so what it adds is a few hundred KB at most, the same for every
 * program measured (shown by measuring /bin/true).
 *
 * cpu_us is the program's own CPU (user + system, its exec included), as
 * the kernel accounts it to the child: the launcher's own start and exit,
 * some 0.6 ms here, would weigh on a run of 2 ms if the caller measured
 * the launcher whole. wall_us is from fork to the child's exit.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct rusage ru;
    struct timespec t0, t1;
    char line[128];
    int status = 0, fd, n;
    pid_t pid;
    if (argc < 3) {
        fputs("usage: maxrss OUTFILE PROGRAM [ARGS...]\n", stderr);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        execv(argv[2], argv + 2);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || getrusage(RUSAGE_CHILDREN, &ru) != 0)
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    n = snprintf(line, sizeof line, "rss_peak_kib=%ld cpu_us=%lld wall_us=%lld\n",
                 ru.ru_maxrss,
                 (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                     ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
                 (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
                     (t1.tv_nsec - t0.tv_nsec) / 1000);
    fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) < 0)
            status = 2 << 8;
        close(fd);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
