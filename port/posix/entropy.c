/* SPDX-License-Identifier: MIT */
/*
 * Entropy from the kernel's CSPRNG. getrandom() blocks only until the pool
 * is first initialised at boot, which is what a TLS client wants.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wecom/posix.h"

#if defined(__linux__)
#include <sys/random.h>
#endif

int wecom_posix_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    if (buf == NULL && len > 0)
        return WECOM_ERR_INVALID_ARG;
    while (len > 0) {
#if defined(__linux__)
        ssize_t n = getrandom(buf, len > 256 ? 256 : len, 0);
#else
        ssize_t n = getentropy(buf, len > 256 ? 256 : len) == 0
                        ? (ssize_t)(len > 256 ? 256 : len)
                        : -1;
#endif
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return WECOM_ERR_ENTROPY;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}
