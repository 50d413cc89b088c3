/* SPDX-License-Identifier: MIT */
/* File names that cross the wire, in both directions. Not public. */
#ifndef WECOM_FILENAME_H
#define WECOM_FILENAME_H

#include <stddef.h>

#include "wecom/error.h"

/* The name to send for a local path or a caller's name: the last path
 * component (after the last '/'), without control characters, cut to WECOM_FILENAME_MAX bytes
 * on a UTF-8 character boundary. Empty when nothing is left. */
void wecom__filename_clean(const char *in, char *out, size_t cap);

/* The file name a Content-Disposition value gives, preferring
 * filename*=UTF-8''... (RFC 6266, 5987) over filename=, made safe to
 * create in a directory: no path ('/' or '\\'), no control characters, no leading dot,
 * never "." or "..". Empty when the header names no usable file. */
void wecom__filename_from_disposition(const char *value, char *out,
                                     size_t cap);

#endif
