/* Small text helpers the core shares. Not part of the public API. */
#ifndef WECOM_TEXT_H
#define WECOM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/error.h"

/* The value of a hex digit, or -1. */
int wecom__text_hexval(char c);

/* Write v in decimal to out (at least 20 bytes, no NUL); the length. */
size_t wecom__text_u64_dec(char *out, uint64_t v);

/* Append s to the NUL-terminated dst of capacity cap. */
wecom_err_t wecom__text_append(char *dst, size_t cap, const char *s);

#endif
