/* SPDX-License-Identifier: MIT */
/* Small text helpers the core shares. Not part of the public API. */
#ifndef WECOM_TEXT_H
#define WECOM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/error.h"

/* The value of a hex digit, or -1. */
int wecom__text_hexval(char c);

/* a[0..n) is the word w (written in lower case), in any case: ASCII
 * letters only, as HTTP names and tokens are. */
int wecom__text_ieq(const char *a, size_t n, const char *w);

/* Write v in decimal to out (at least 20 bytes, no NUL); the length. */
size_t wecom__text_u64_dec(char *out, uint64_t v);

/* Write the low n hex digits of v to out, lowercase, most significant
 * first (n bytes, no NUL): ids, boundaries, CRCs, \u00XX escapes. */
void wecom__text_hex(char *out, uint64_t v, unsigned n);

/*
 * The one way request text is built (request line and headers, the
 * target, multipart framing): a writer over a fixed buffer. A piece that
 * does not fit is not written, nor is anything after it, and the overflow
 * flag stays set, so a sequence of puts is checked once at its end. A
 * C-string writer keeps a NUL after the text (its last byte of room is
 * kept for it); a byte writer uses all of its room.
 */
typedef struct wecom__text {
    char *buf;
    size_t cap;
    size_t len;   /* bytes written, the NUL not counted */
    int overflow; /* sticky */
    int cstr;
} wecom__text_t;

/* Start writing at buf (cap bytes) as bytes, or as a C string (cstr 1;
 * buf becomes "" at once). */
void wecom__text_init(wecom__text_t *t, void *buf, size_t cap, int cstr);

void wecom__text_put_n(wecom__text_t *t, const void *s, size_t n);
void wecom__text_put(wecom__text_t *t, const char *s);
void wecom__text_put_u64(wecom__text_t *t, uint64_t v);

/* s with every byte outside RFC 3986's unreserved set percent-encoded
 * (for a query parameter's value). */
void wecom__text_put_encoded(wecom__text_t *t, const char *s);

/* WECOM_OK, or on_overflow when something did not fit. */
wecom_err_t wecom__text_status(const wecom__text_t *t, wecom_err_t on_overflow);

#endif
