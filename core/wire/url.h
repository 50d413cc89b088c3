/* SPDX-License-Identifier: MIT */
/* Base URL parsing; not part of the public API. */
#ifndef WECOM_URL_H
#define WECOM_URL_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/error.h"

/* Split "https://host[:port][/path]" into its parts. An IPv6 literal is
 * written in brackets and returned without them. A trailing '/' of the
 * path is dropped. Only the https scheme is accepted. */
wecom_err_t wecom__url_parse(const char *url, char *host, size_t host_cap,
                            uint16_t *port, char *path, size_t path_cap);

#endif
