/* SPDX-License-Identifier: MIT */
/*
 * File descriptors as readers and writers. A regular file is read with
 * pread(), so a retried upload can start again from any offset; a pipe or
 * socket can only go forward.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wecom/posix.h"
#include "posix_internal.h"

static int fd_read_at(void *ctx, uint64_t offset, unsigned char *buf,
                      size_t len)
{
    wecom_posix_fd_t *f = ctx;
    ssize_t n;
    if (len > INT_MAX)
        len = INT_MAX;
    if (!f->seekable && offset != f->pos)
        return WECOM_ERR_NOT_REWINDABLE;
    do {
        n = f->seekable ? pread(f->fd, buf, len, (off_t)(f->base + offset))
                        : read(f->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return WECOM_ERR_FILE_READ;
    f->pos = offset + (uint64_t)n;
    return (int)n;
}

int wecom__posix_write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len > INT_MAX ? INT_MAX : len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return WECOM_ERR_FILE_WRITE;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fd_write(void *ctx, const unsigned char *buf, size_t len)
{
    wecom_posix_fd_t *f = ctx;
    int rc = wecom__posix_write_all(f->fd, buf, len);
    if (rc == 0)
        f->pos += (uint64_t)len;
    return rc;
}

static void fd_setup(wecom_posix_fd_t *f, int fd)
{
    struct stat st;
    off_t at;
    f->fd = fd;
    f->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    /* Offsets count from where the descriptor stands now, so a caller can
     * hand over a file positioned past a header of its own. */
    at = f->seekable ? lseek(fd, 0, SEEK_CUR) : 0;
    f->base = at > 0 ? (uint64_t)at : 0;
    f->pos = 0;
}

void wecom_posix_reader(wecom_reader_t *r, wecom_posix_fd_t *f, int fd)
{
    if (r == NULL || f == NULL)
        return;
    fd_setup(f, fd);
    r->read_at = fd_read_at;
    r->ctx = f;
    r->once = !f->seekable;
}

void wecom_posix_writer(wecom_writer_t *w, wecom_posix_fd_t *f, int fd)
{
    if (w == NULL || f == NULL)
        return;
    fd_setup(f, fd);
    w->write = fd_write;
    w->ctx = f;
}
