/* SPDX-License-Identifier: MIT */
/* Small text helpers (see text.h). */
#include <string.h>

#include "text.h"
#include "wecom/config.h"

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

#if WECOM_DOWNLOAD /* Content-Type and Content-Disposition: downloads only */
int wecom__text_ieq(const char *a, size_t n, const char *w)
{
    size_t i;
    if (strlen(w) != n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != w[i])
            return 0;
    }
    return 1;
}
#endif

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

void wecom__text_hex(char *out, uint64_t v, unsigned n)
{
    while (n-- > 0) {
        out[n] = "0123456789abcdef"[v & 15u];
        v >>= 4;
    }
}

void wecom__text_init(wecom__text_t *t, void *buf, size_t cap, int cstr)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->cstr = cstr;
    t->overflow = cstr && cap == 0;
    if (cstr && cap > 0)
        t->buf[0] = '\0';
}

void wecom__text_put_n(wecom__text_t *t, const void *s, size_t n)
{
    size_t room = t->cap - t->len - (t->cstr ? 1u : 0u);
    if (t->overflow || n > room) {
        t->overflow = 1;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    if (t->cstr)
        t->buf[t->len] = '\0';
}

void wecom__text_put(wecom__text_t *t, const char *s)
{
    wecom__text_put_n(t, s, strlen(s));
}

void wecom__text_put_u64(wecom__text_t *t, uint64_t v)
{
    char tmp[20];
    size_t n = wecom__text_u64_dec(tmp, v);
    wecom__text_put_n(t, tmp, n);
}

void wecom__text_put_encoded(wecom__text_t *t, const char *s)
{
    static const char HEX[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[3];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
            ch == '.' || ch == '~') {
            wecom__text_put_n(t, s, 1);
            continue;
        }
        esc[0] = '%';
        esc[1] = HEX[ch >> 4];
        esc[2] = HEX[ch & 15];
        wecom__text_put_n(t, esc, sizeof esc);
    }
}

wecom_err_t wecom__text_status(const wecom__text_t *t, wecom_err_t on_overflow)
{
    return t->overflow ? on_overflow : WECOM_OK;
}
