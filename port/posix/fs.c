/* SPDX-License-Identifier: MIT */
/*
 * The outbox's file system on POSIX: a spool directory held open, and
 * every file reached relative to one of its directories with openat(),
 * renameat(), unlinkat(), O_NOFOLLOW and a check of what was opened, so
 * a link or a FIFO planted in the spool (a shared /var/spool on a device
 * running as root) is refused, never followed or waited on.
 */
#define _GNU_SOURCE /* O_DIRECTORY, O_CLOEXEC, O_NOFOLLOW, flock on older libcs */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h> /* renameat */
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#include <time.h>
#include <unistd.h>

#include "wecom/posix.h"
#include "posix_internal.h"

#if WECOM_OUTBOX

static const char SUBDIRS[WECOM_FS_DIRS][9] = {
    ".", "tmp", "q", "inflight", "failed"
};

static wecom_err_t from_errno(int e, wecom_err_t otherwise)
{
    if (e == ENOENT)
        return WECOM_ERR_OUTBOX_ABSENT;
    if (e == ELOOP || e == EISDIR || e == ENXIO || e == ENOTDIR)
        return WECOM_ERR_OUTBOX_UNSAFE;
    return otherwise;
}

static int dir_of(void *ctx, int dir)
{
    const wecom_posix_fs_t *p = ctx;
    return dir >= 0 && dir < WECOM_FS_DIRS ? p->dirs[dir] : -1;
}

/* A name is one path component: nothing that could leave the directory. */
static int name_ok(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL &&
           strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* The descriptor of directory dir, when name is an entry of it; else -1. */
static int entry_dir(void *ctx, int dir, const char *name)
{
    int d = dir_of(ctx, dir);
    return d >= 0 && name_ok(name) ? d : -1;
}

static int fs_open(void *ctx, int dir, const char *name, unsigned flags)
{
    int d = entry_dir(ctx, dir, name), fd, of;
    struct stat st;
    if (d < 0)
        return WECOM_ERR_INVALID_ARG;
    /* Never through a link planted at the name, whatever the mode: the
     * tool may run as root in a directory others could write before. */
    if (flags & WECOM_FS_CREATE)
        of = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
    else if (flags & WECOM_FS_APPEND)
        of = O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
    else
        of = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
    for (;;) {
        do {
            fd = openat(d, name, of, 0600);
        } while (fd < 0 && errno == EINTR);
        if (fd < 0)
            return from_errno(errno, (flags & (WECOM_FS_CREATE | WECOM_FS_APPEND))
                                     ? WECOM_ERR_FILE_WRITE : WECOM_ERR_FILE_READ);
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            st.st_nlink > 1) {
            close(fd);
            return WECOM_ERR_OUTBOX_UNSAFE;
        }
        if (!(flags & WECOM_FS_CREATE))
            return fd;
        /* A new file is locked at once, so that a cleaner of abandoned
         * temporary files passes it by. If one unlinked it between the
         * open and the lock, the name is free again: make it anew. */
        if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink == 1)
            return fd;
        close(fd);
    }
}

static int fs_read_at(void *ctx, int h, uint64_t off, unsigned char *buf, size_t len)
{
    ssize_t n;
    (void)ctx;
    if (len > INT_MAX)
        len = INT_MAX;
    do {
        n = pread(h, buf, len, (off_t)off);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? WECOM_ERR_FILE_READ : (int)n;
}

static int fs_write(void *ctx, int h, const unsigned char *buf, size_t len)
{
    wecom_posix_fs_t *p = ctx;
    int rc = wecom__posix_write_all(h, buf, len);
    if (rc == 0)
        p->bytes_written += (unsigned long long)len;
    return rc;
}

static int fs_sync(void *ctx, int h)
{
    wecom_posix_fs_t *p = ctx;
    p->fsyncs++;
    return fsync(h) == 0 ? 0 : WECOM_ERR_FILE_WRITE;
}

static int fs_size(void *ctx, int h, uint64_t *size)
{
    struct stat st;
    (void)ctx;
    if (fstat(h, &st) != 0)
        return WECOM_ERR_FILE_READ;
    *size = (uint64_t)st.st_size;
    return 0;
}

static int fs_truncate(void *ctx, int h, uint64_t size)
{
    (void)ctx;
    return ftruncate(h, (off_t)size) == 0 ? 0 : WECOM_ERR_FILE_WRITE;
}

static int fs_trylock(void *ctx, int h)
{
    (void)ctx;
    if (flock(h, LOCK_EX | LOCK_NB) == 0)
        return 0;
    return errno == EWOULDBLOCK ? WECOM_ERR_OUTBOX_LOCKED : WECOM_ERR_FILE_WRITE;
}

static void fs_close(void *ctx, int h)
{
    (void)ctx;
    close(h);
}

static int fs_rename(void *ctx, int from_dir, const char *from, int to_dir,
                     const char *to)
{
    int a = entry_dir(ctx, from_dir, from), b = entry_dir(ctx, to_dir, to);
    if (a < 0 || b < 0)
        return WECOM_ERR_INVALID_ARG;
    return renameat(a, from, b, to) == 0 ? 0 : from_errno(errno, WECOM_ERR_FILE_WRITE);
}

static int fs_unlink(void *ctx, int dir, const char *name)
{
    int d = entry_dir(ctx, dir, name);
    if (d < 0)
        return WECOM_ERR_INVALID_ARG;
    return unlinkat(d, name, 0) == 0 ? 0 : from_errno(errno, WECOM_ERR_FILE_WRITE);
}

static int fs_sync_dir(void *ctx, int dir)
{
    int d = dir_of(ctx, dir);
    return d < 0 ? WECOM_ERR_INVALID_ARG : fs_sync(ctx, d);
}

/* One directory entry: a regular file is handed to fn, anything else
 * (links included, seen without following them) is left out. */
static int list_entry(int d, const char *name, wecom_fs_list_fn fn, void *arg)
{
    struct stat st;
    if (name[0] == '.' || fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
        return 0;
    return fn(arg, name, (uint64_t)st.st_size);
}

#if defined(__linux__) && defined(SYS_getdents64)
/* Linux: getdents64 into a buffer on the stack, so listing allocates
 * nothing (readdir's stream is malloc'd by the C library). */
struct wecom_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int list_fd(int fd, int d, wecom_fs_list_fn fn, void *arg)
{
    uint64_t buf[128]; /* 1 KiB, aligned as the records are */
    int rc = 0;
    while (rc == 0) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        long at = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return WECOM_ERR_FILE_READ;
        if (n == 0)
            break;
        while (rc == 0 && at < n) {
            const struct wecom_dirent64 *e =
                (const struct wecom_dirent64 *)(const void *)((const char *)buf + at);
            rc = list_entry(d, e->d_name, fn, arg);
            at += e->d_reclen;
        }
    }
    return rc;
}
#else
static int list_fd(int fd, int d, wecom_fs_list_fn fn, void *arg)
{
    DIR *dp = fdopendir(fd);
    struct dirent *e;
    int rc = 0;
    if (dp == NULL)
        return WECOM_ERR_FILE_READ;
    /* One stream per call, one thread per outbox: readdir is safe here. */
    /* cppcheck-suppress readdirCalled */
    while (rc == 0 && (e = readdir(dp)) != NULL)
        rc = list_entry(d, e->d_name, fn, arg);
    closedir(dp); /* closes fd */
    return rc;
}
#endif

static int fs_list(void *ctx, int dir, wecom_fs_list_fn fn, void *arg)
{
    int d = dir_of(ctx, dir), fd, rc;
    if (d < 0)
        return WECOM_ERR_INVALID_ARG;
    /* A descriptor of its own: the position of d is never moved. */
    fd = openat(d, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return WECOM_ERR_FILE_READ;
    rc = list_fd(fd, d, fn, arg);
#if defined(__linux__) && defined(SYS_getdents64)
    close(fd);
#endif
    return rc;
}

static uint64_t fs_wall_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int fs_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return wecom_posix_entropy(NULL, buf, len);
}

/* A directory of ours that nobody else may enter, read or write: 0700
 * or tighter (the media wait there, and its names are the queue). */
static wecom_err_t check_dir(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return WECOM_ERR_FILE_READ;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return WECOM_ERR_OUTBOX_UNSAFE;
    return WECOM_OK;
}

static int open_dir(int at, const char *name)
{
    int fd;
    if (mkdirat(at, name, 0700) != 0 && errno != EEXIST)
        return errno == ENOENT ? WECOM_ERR_OUTBOX_ABSENT : WECOM_ERR_FILE_WRITE;
    fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return from_errno(errno, WECOM_ERR_FILE_READ);
    return fd;
}

wecom_err_t wecom_posix_fs_open(wecom_fs_t *fs, wecom_posix_fs_t *p, const char *path)
{
    wecom_err_t rc = WECOM_OK;
    int i;
    if (fs == NULL || p == NULL || path == NULL || path[0] == '\0')
        return WECOM_ERR_INVALID_ARG;
    memset(p, 0, sizeof *p);
    for (i = 0; i < WECOM_FS_DIRS; i++)
        p->dirs[i] = -1;
    /* The spool itself is opened by its full path (AT_FDCWD), with
     * O_NOFOLLOW on its last component: a link there is refused. */
    for (i = 0; i < WECOM_FS_DIRS && rc == WECOM_OK; i++) {
        int fd = i == 0 ? open_dir(AT_FDCWD, path) : open_dir(p->dirs[0], SUBDIRS[i]);
        if (fd < 0)
            rc = fd;
        else {
            p->dirs[i] = fd;
            rc = check_dir(fd);
        }
    }
    if (rc != WECOM_OK) {
        wecom_posix_fs_close(p);
        return rc;
    }
    memset(fs, 0, sizeof *fs);
    fs->open = fs_open;
    fs->read_at = fs_read_at;
    fs->write = fs_write;
    fs->sync = fs_sync;
    fs->size = fs_size;
    fs->truncate = fs_truncate;
    fs->trylock = fs_trylock;
    fs->close = fs_close;
    fs->rename = fs_rename;
    fs->unlink = fs_unlink;
    fs->sync_dir = fs_sync_dir;
    fs->list = fs_list;
    fs->wall_ms = fs_wall_ms;
    fs->entropy = fs_entropy;
    fs->ctx = p;
    return WECOM_OK;
}

void wecom_posix_fs_close(wecom_posix_fs_t *p)
{
    int i;
    if (p == NULL)
        return;
    for (i = 0; i < WECOM_FS_DIRS; i++) {
        if (p->dirs[i] >= 0)
            close(p->dirs[i]);
        p->dirs[i] = -1;
    }
}

wecom_err_t wecom_posix_outbox_add_file(wecom_outbox_t *ob, const char *path,
                                        const wecom_outbox_add_t *opts, char *id,
                                        wecom_check_t *chk)
{
    wecom_outbox_add_t add;
    wecom_posix_fd_t f;
    wecom_reader_t r;
    struct stat st;
    wecom_err_t rc;
    int fd;
    if (ob == NULL || path == NULL || opts == NULL || id == NULL)
        return WECOM_ERR_INVALID_ARG;
    id[0] = '\0';
    /* O_NONBLOCK: a FIFO planted under the name does not hang the open. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return WECOM_ERR_FILE_READ;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return WECOM_ERR_FILE_READ;
    }
    wecom_posix_reader(&r, &f, fd);
    add = *opts;
    add.reader = &r;
    add.size = (uint64_t)st.st_size;
    if (add.name == NULL)
        add.name = path;
    rc = wecom_outbox_enqueue(ob, &add, id, chk);
    close(fd);
    return rc;
}

#endif /* WECOM_OUTBOX */
