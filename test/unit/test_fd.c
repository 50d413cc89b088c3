/* SPDX-License-Identifier: MIT */
/* File-descriptor readers and writers of the POSIX port. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wecom/posix.h"

static int temp_file(const void *data, size_t len)
{
    char path[] = "/tmp/wecom-test-fd-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    return fd;
}

static void test_regular_file_reads_any_offset(void **state)
{
    wecom_reader_t r;
    wecom_posix_fd_t f;
    unsigned char buf[16];
    int fd = temp_file("0123456789", 10);
    (void)state;
    lseek(fd, 0, SEEK_SET);
    wecom_posix_reader(&r, &f, fd);
    assert_true(f.seekable);
    assert_int_equal(r.read_at(r.ctx, 5, buf, sizeof buf), 5);
    assert_memory_equal(buf, "56789", 5);
    assert_int_equal(r.read_at(r.ctx, 0, buf, 3), 3); /* rewind: a retry */
    assert_memory_equal(buf, "012", 3);
    assert_int_equal(r.read_at(r.ctx, 10, buf, sizeof buf), 0);
    close(fd);
}

static void test_offsets_count_from_handover_position(void **state)
{
    wecom_reader_t r;
    wecom_posix_fd_t f;
    unsigned char buf[16];
    int fd = temp_file("HEADERpayload", 13);
    (void)state;
    lseek(fd, 6, SEEK_SET);
    wecom_posix_reader(&r, &f, fd);
    assert_int_equal(r.read_at(r.ctx, 0, buf, sizeof buf), 7);
    assert_memory_equal(buf, "payload", 7);
    close(fd);
}

static void test_pipe_goes_forward_only(void **state)
{
    wecom_reader_t r;
    wecom_posix_fd_t f;
    unsigned char buf[16];
    int p[2];
    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "abcdef", 6), 6);
    close(p[1]);
    wecom_posix_reader(&r, &f, p[0]);
    assert_false(f.seekable);
    assert_int_equal(r.read_at(r.ctx, 0, buf, 4), 4);
    assert_int_equal(r.read_at(r.ctx, 0, buf, 4), WECOM_ERR_NOT_REWINDABLE);
    assert_int_equal(r.read_at(r.ctx, 4, buf, 4), 2);
    assert_memory_equal(buf, "ef", 2);
    assert_int_equal(r.read_at(r.ctx, 6, buf, 4), 0);
    close(p[0]);
}

static void test_writer_writes_everything(void **state)
{
    wecom_writer_t w;
    wecom_posix_fd_t f;
    static unsigned char big[300000];
    unsigned char back[16];
    int fd = temp_file("", 0);
    size_t i;
    (void)state;
    for (i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)i;
    wecom_posix_writer(&w, &f, fd);
    assert_int_equal(w.write(w.ctx, big, sizeof big), 0);
    assert_int_equal(f.pos, sizeof big);
    assert_int_equal(pread(fd, back, 4, 299996), 4);
    assert_memory_equal(back, big + 299996, 4);
    close(fd);
    assert_int_equal(w.write(w.ctx, big, 10), WECOM_ERR_FILE_WRITE);
}

static void test_read_error_is_reported(void **state)
{
    wecom_reader_t r;
    wecom_posix_fd_t f;
    unsigned char buf[4];
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    (void)state;
    assert_true(fd >= 0);
    wecom_posix_reader(&r, &f, fd);
    assert_int_equal(r.read_at(r.ctx, 0, buf, sizeof buf), WECOM_ERR_FILE_READ);
    close(fd);
}

static void test_entropy_fills(void **state)
{
    unsigned char a[64], b[64];
    (void)state;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    assert_int_equal(wecom_posix_entropy(NULL, a, sizeof a), 0);
    assert_int_equal(wecom_posix_entropy(NULL, b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_file_reads_any_offset),
        cmocka_unit_test(test_offsets_count_from_handover_position),
        cmocka_unit_test(test_pipe_goes_forward_only),
        cmocka_unit_test(test_writer_writes_everything),
        cmocka_unit_test(test_read_error_is_reported),
        cmocka_unit_test(test_entropy_fills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
