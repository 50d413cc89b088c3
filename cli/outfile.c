/* SPDX-License-Identifier: MIT */
/*
 * Files the tool writes on the device, where it may run as root in a
 * directory other users can write to (/tmp, a shared SD card). Anyone
 * there can plant a symlink, a FIFO or a hard link under a name we are
 * about to use, so:
 *
 * - what we create is new: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600;
 * - what we reuse is opened with O_NOFOLLOW and checked with fstat: a
 *   regular file, owned by our effective uid, with a single link (a hard
 *   link planted by someone else would lead our writes into its target);
 * - what we delete, we delete by name only after checking that the name
 *   still leads to the file we checked;
 * - what is not ours is refused with a message, never followed, never
 *   removed.
 */
#define _GNU_SOURCE /* renameat2's flag, syscall() */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* linux/fs.h, stable since Linux 3.15 */
#endif

const char *cli_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* Say why path is refused: "wecom-media: PATH: WHY; refusing to use it". */
static void refuse(const char *path, const char *why)
{
    cli_say(path, "%s; refusing to use it (remove it if it is yours)", why);
}

static void report_errno(const char *path, int err)
{
    cli_say(path, "%s", strerror(err));
}

/* 0 when st is a file we may write to or delete: regular, ours, one link.
 * Otherwise the refusal is printed. */
static int check_ours(const char *path, const struct stat *st)
{
    char why[96];
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, sizeof why, "%s, not a regular file", cli_file_kind(st->st_mode));
        refuse(path, why);
        return -1;
    }
    if (st->st_uid != geteuid()) {
        refuse(path, "owned by another user");
        return -1;
    }
    if (st->st_nlink != 1) {
        refuse(path, "has other hard links");
        return -1;
    }
    return 0;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int cli_file_check(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        report_errno(path, errno);
        return -1;
    }
    return check_ours(path, &st) == 0 ? 1 : -1;
}

/* Open an existing file of ours for writing: never through a link, never
 * anything lstat did not show as our regular file. */
static int open_existing(const char *path, const struct stat *seen, struct stat *st)
{
    int fd;
    if (check_ours(path, seen) != 0)
        return -1;
    /* O_NONBLOCK: should a FIFO take the file's place after lstat, the
     * open fails at once instead of waiting for a reader. */
    fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            refuse(path, "a symbolic link");
        else
            report_errno(path, errno);
        return -1;
    }
    if (fstat(fd, st) != 0) {
        report_errno(path, errno);
        close(fd);
        return -1;
    }
    if (!same_file(st, seen)) {
        refuse(path, "replaced while being opened");
        close(fd);
        return -1;
    }
    if (check_ours(path, st) != 0) {
        close(fd);
        return -1;
    }
    /* Blocking again; a part file made by an older version (or another
     * tool) may be readable by all: it becomes 0600 like a new one. */
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 || fchmod(fd, 0600) != 0) {
        report_errno(path, errno);
        close(fd);
        return -1;
    }
    return fd;
}

int cli_file_open_part(const char *path, struct stat *st)
{
    int attempt;
    /* Twice: a file that appears or goes between lstat and open is
     * looked at again, once. */
    for (attempt = 0; attempt < 2; attempt++) {
        struct stat seen;
        int fd;
        if (lstat(path, &seen) == 0)
            return open_existing(path, &seen, st);
        if (errno != ENOENT) {
            report_errno(path, errno);
            return -1;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
                  0600);
        if (fd >= 0) {
            if (fstat(fd, st) != 0) {
                report_errno(path, errno);
                close(fd);
                return -1;
            }
            return fd;
        }
        if (errno != EEXIST) {
            report_errno(path, errno);
            return -1;
        }
    }
    refuse(path, "keeps changing");
    return -1;
}

int cli_file_unlink(const char *path, int fd)
{
    struct stat st, mine;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (fd >= 0) {
        if (fstat(fd, &mine) != 0 || !same_file(&st, &mine))
            return -1; /* the name leads elsewhere now: not ours to remove */
    } else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        return -1;
    }
    return unlink(path);
}

int cli_file_read_small(const char *path, char *buf, size_t cap)
{
    struct stat seen, st;
    ssize_t n;
    size_t len = 0;
    int fd;
    if (lstat(path, &seen) != 0)
        return errno == ENOENT ? 0 : -1;
    if (check_ours(path, &seen) != 0)
        return -1;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        refuse(path, errno == ELOOP ? "a symbolic link" : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !same_file(&st, &seen) || check_ours(path, &st) != 0) {
        close(fd);
        return -1;
    }
    while ((n = read(fd, buf + len, cap - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return -1;
        }
        len += (size_t)n;
        if (len + 1 == cap) {
            char more;
            n = read(fd, &more, 1); /* at the end, or larger than buf */
            break;
        }
    }
    close(fd);
    buf[len] = '\0';
    return n == 0 && strlen(buf) == len ? 1 : 2;
}

int cli_file_fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, rc;
    if (slash == NULL) {
        memcpy(dir, ".", 2);
    } else if (slash == path) {
        memcpy(dir, "/", 2);
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* A new temporary file beside path, O_EXCL, 0600, flock'd for as long
 * as it is open: two runs replacing the same file at once (an upload and
 * the outbox's drainer, each keeping its TLS session) must not take each
 * other's temporary file. One that is there and locked is another run's
 * at work: we give up (EBUSY), its file is as new as ours. One that is
 * not locked is a dead run's: removed, if ours. Anything else is
 * refused. */
static int create_temp(const char *tmp)
{
    int attempt;
    for (attempt = 0; attempt < 2; attempt++) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
                      0600);
        if (fd >= 0) {
            /* Locked at once; a run that took it for a dead one's in
             * between has unlinked it: write_atomic sees that. */
            (void)flock(fd, LOCK_EX | LOCK_NB);
            return fd;
        }
        if (errno != EEXIST || cli_file_check(tmp) != 1)
            return -1;
        fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            continue; /* gone meanwhile: try again */
        /* EWOULDBLOCK: held. A file system without flock (ENOLCK) cannot
         * tell: the file is taken for a dead run's, as before locks. */
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            close(fd);
            errno = EBUSY;
            return -1;
        }
        if (cli_file_unlink(tmp, fd) != 0) {
            close(fd);
            return -1;
        }
        close(fd);
    }
    return -1;
}

/* 1 when path is still the file open as fd. */
static int still_there(const char *path, int fd)
{
    struct stat a, b;
    return lstat(path, &a) == 0 && fstat(fd, &b) == 0 && same_file(&a, &b);
}

int cli_file_write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    size_t done = 0;
    int fd, rc;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp)
        return -1;
    fd = create_temp(tmp);
    if (fd < 0)
        return -1;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    /* Renamed by name, so only while the name is still our file (and,
     * with the lock held, stays so): another run's half-written file is
     * never put in place. */
    if (done != len || fsync(fd) != 0 || !still_there(tmp, fd)) {
        (void)cli_file_unlink(tmp, fd);
        close(fd);
        return -1;
    }
    rc = rename(tmp, path);
    if (rc != 0)
        (void)cli_file_unlink(tmp, fd);
    if (close(fd) != 0)
        rc = -1;
    if (rc != 0)
        return -1;
    (void)cli_file_fsync_dir(path);
    return 0;
}

/* Linux's rename that fails with EEXIST instead of replacing; ENOSYS or
 * EINVAL where the kernel or the file system lacks it. */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
#else
    (void)from;
    (void)to;
    errno = ENOSYS;
    return -1;
#endif
}

int cli_file_rename_noreplace(const char *from, const char *to)
{
    int fd;
    if (rename_noreplace(from, to) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
    /* A hard link is created only where no name is: the same guarantee,
     * on one file system. */
    if (link(from, to) == 0) {
        (void)unlink(from); /* the file is in place either way */
        return 0;
    }
    /* Linux says EPERM (vfat) or EOPNOTSUPP, which is ENOTSUP there. */
    if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS)
        return -1;
    /* No hard links (FAT): claim the name with an empty file of our own,
     * then rename over our own placeholder. */
    fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    close(fd);
    if (rename(from, to) != 0) {
        int err = errno;
        (void)unlink(to);
        errno = err;
        return -1;
    }
    return 0;
}

size_t cli_name_fit(char *name, size_t max)
{
    size_t len = strlen(name), ext = 0, keep;
    const char *dot = strrchr(name, '.');
    if (len <= max)
        return len;
    /* Keep an extension of up to 16 bytes (".jpg", ".tar.gz" loses its
     * ".tar", which is fine): it decides what opens the file. */
    if (dot != NULL && dot != name && strlen(dot) <= 16 && strlen(dot) <= max / 2)
        ext = strlen(dot);
    keep = max - ext;
    /* Back up to the start of a UTF-8 character. */
    while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
        keep--;
    memmove(name + keep, name + len - ext, ext + 1);
    return keep + ext;
}
