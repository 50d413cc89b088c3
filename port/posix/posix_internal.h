/* SPDX-License-Identifier: MIT */
/* Shared between the POSIX port's files, not public. */
#ifndef WECOM_POSIX_INTERNAL_H
#define WECOM_POSIX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/posix.h"

/* Sleep ms milliseconds, or less when net is cancelled (net.c). */
void wecom__posix_sleep(wecom_posix_net_t *net, uint32_t ms);

/* Write all len bytes to fd, through EINTR and short writes (fd.c):
 * 0 or WECOM_ERR_FILE_WRITE. */
int wecom__posix_write_all(int fd, const unsigned char *buf, size_t len);

#endif
