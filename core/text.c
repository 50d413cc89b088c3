/* Small text helpers (see text.h). */
#include <string.h>

#include "text.h"

int wecom__text_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t wecom__text_u64_dec(char *out, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp, n;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    n = sizeof tmp - i;
    memcpy(out, tmp + i, n);
    return n;
}

wecom_err_t wecom__text_append(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(dst), k = strlen(s);
    if (k >= cap - n)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    memcpy(dst + n, s, k + 1);
    return WECOM_OK;
}
