/* SPDX-License-Identifier: MIT */
/*
 * mbedTLS's heap on a caller's static arena (include/wecom/posix.h).
 *
 * Only where mbedTLS was built with MBEDTLS_MEMORY_BUFFER_ALLOC_C and
 * MBEDTLS_PLATFORM_MEMORY (packaging/mbedtls/wecom_mbedtls_config.h);
 * Debian's and most distributions' builds have neither, and keep using
 * the C heap.
 */
#include <stddef.h>

/* version.h brings the build's configuration (config.h in 2.28,
 * build_info.h in 3.x). */
#include <mbedtls/version.h>

#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(MBEDTLS_PLATFORM_MEMORY)
#include <mbedtls/memory_buffer_alloc.h>
#define HAVE_ARENA 1
#else
#define HAVE_ARENA 0
#endif

#include "wecom/error.h"
#include "wecom/posix.h"

/* mbedTLS's allocator is one per process: a second arena would wipe the
 * first under every live TLS object. */
#if HAVE_ARENA
static int g_arena_given;
#endif

/* Less than this cannot hold even the allocator's own headers and one
 * TLS context; mbedTLS would fail later and less clearly. */
#define ARENA_MIN 1024

/* buf is written by mbedTLS where it takes an arena; without one (the
 * branch cppcheck sees against a stock mbedTLS) it is only checked. */
// cppcheck-suppress constParameter
wecom_err_t wecom_posix_mbedtls_arena(void *buf, size_t len)
{
    if (buf == NULL || len < ARENA_MIN)
        return WECOM_ERR_INVALID_ARG;
#if HAVE_ARENA
    if (g_arena_given)
        return WECOM_ERR_INVALID_ARG;
    g_arena_given = 1;
    mbedtls_memory_buffer_alloc_init(buf, len);
    return WECOM_OK;
#else
    return WECOM_ERR_TLS_SETUP;
#endif
}

