/* SPDX-License-Identifier: MIT */
/* File names crossing the wire (see filename.h). */
#include <string.h>

#include "filename.h"
#include "text.h"
#include "wecom/config.h"

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Longest extension kept when a name is cut ("." included). */
#define EXT_KEEP_MAX 16

/* in[from..to) without its control bytes: how many, the k-th, a copy of
 * the first max into out. */
static size_t count_clean(const char *in, size_t from, size_t to)
{
    size_t i, n = 0;
    for (i = from; i < to; i++)
        n += !is_control((unsigned char)in[i]);
    return n;
}

static int clean_byte_at(const char *in, size_t from, size_t to, size_t k)
{
    size_t i;
    for (i = from; i < to; i++)
        if (!is_control((unsigned char)in[i]) && k-- == 0)
            return (unsigned char)in[i];
    return -1;
}

static size_t copy_clean(const char *in, size_t from, size_t to, char *out,
                         size_t max)
{
    size_t i, n = 0;
    for (i = from; i < to && n < max; i++)
        if (!is_control((unsigned char)in[i]))
            out[n++] = in[i];
    return n;
}

/* Copy the last path component of in[0..len) without control bytes into
 * out, cut to the bound on a UTF-8 boundary. A name that must be cut keeps
 * its extension (".amr", ".xlsx") so that it still opens as what it is. A
 * backslash separates too when backslash_too is set: for names from
 * elsewhere, which may be Windows paths. */
static void last_component(const char *in, size_t len, char *out, size_t cap,
                           int backslash_too)
{
    size_t i, start = 0, dot = 0, n, ext_len = 0, cut, limit;
    for (i = 0; i < len; i++)
        /* len is strlen() of what the decoders ended with a NUL; the
         * analyzer does not link the two. NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
        if (in[i] == '/' || (backslash_too && in[i] == '\\'))
            start = i + 1;
    limit = cap - 1 < WECOM_FILENAME_MAX ? cap - 1 : WECOM_FILENAME_MAX;
    if (count_clean(in, start, len) <= limit) {
        n = copy_clean(in, start, len, out, limit);
    } else {
        for (i = len; i > start + 1; i--)
            if (in[i - 1] == '.') {
                dot = i - 1;
                ext_len = count_clean(in, dot, len);
                if (ext_len > EXT_KEEP_MAX || ext_len * 2 > limit)
                    ext_len = 0; /* not an extension worth keeping */
                break;
            }
        cut = limit - ext_len;
        while (cut > 0 && (clean_byte_at(in, start, len, cut) & 0xC0) == 0x80)
            cut--;
        n = copy_clean(in, start, len, out, cut);
        if (ext_len > 0)
            n += copy_clean(in, dot, len, out + n, ext_len);
    }
    out[n] = '\0';
    if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        out[0] = '\0';
}

void wecom__filename_clean(const char *in, char *out, size_t cap)
{
    if (cap == 0)
        return;
    if (in == NULL) {
        out[0] = '\0';
        return;
    }
    /* A local name: on POSIX a backslash is an ordinary character, sent
     * escaped. */
    last_component(in, strlen(in), out, cap, 0);
}

#if WECOM_DOWNLOAD /* Content-Disposition is read by downloads only */

/* RFC 5987 ext-value: charset'language'pct-encoded, UTF-8 only. Decoded
 * into out; 0 on success. */
static int decode_ext(const char *v, size_t n, char *out, size_t cap)
{
    const char *q1 = memchr(v, '\'', n), *q2, *p, *end = v + n;
    size_t k = 0;
    if (q1 == NULL || !wecom__text_ieq(v, (size_t)(q1 - v), "utf-8"))
        return -1;
    q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1));
    if (q2 == NULL)
        return -1;
    for (p = q2 + 1; p < end && k < cap - 1; p++) {
        int hi, lo;
        if (*p == '%' && end - p >= 3 && (hi = wecom__text_hexval(p[1])) >= 0 &&
            (lo = wecom__text_hexval(p[2])) >= 0) {
            char c = (char)(hi * 16 + lo);
            p += 2;
            if (is_control((unsigned char)c))
                continue; /* %00 would cut the name short, %0A split it */
            out[k++] = c;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
    return 0;
}

/* A quoted-string or token value, unquoted into out. */
static void decode_plain(const char *v, size_t n, char *out, size_t cap)
{
    size_t i, k = 0;
    if (n >= 2 && v[0] == '"') {
        for (i = 1; i < n && v[i] != '"' && k < cap - 1; i++) {
            if (v[i] == '\\' && i + 1 < n)
                i++;
            out[k++] = v[i];
        }
    } else {
        for (i = 0; i < n && k < cap - 1; i++)
            out[k++] = v[i];
    }
    out[k] = '\0';
}

/* The end of the parameter value starting at s (a quoted string may hold
 * ';'). */
static const char *value_end(const char *s)
{
    if (*s == '"') {
        for (s++; *s != '\0' && *s != '"'; s++)
            if (*s == '\\' && s[1] != '\0')
                s++;
        return *s == '"' ? s + 1 : s;
    }
    return s + strcspn(s, ";");
}

void wecom__filename_from_disposition(const char *value, char *out,
                                     size_t cap)
{
    char raw[WECOM_FILENAME_MAX * 4 + 1];
    int have_ext = 0, have_plain = 0;
    char plain[WECOM_FILENAME_MAX * 4 + 1];
    const char *s = value;

    if (cap == 0)
        return;
    out[0] = '\0';
    if (value == NULL)
        return;
    plain[0] = raw[0] = '\0';
    s += strcspn(s, ";"); /* skip the disposition type */
    while (*s == ';') {
        const char *name, *eq, *v, *vend;
        size_t name_len;
        s++;
        while (*s == ' ' || *s == '\t')
            s++;
        name = s;
        eq = s + strcspn(s, "=;");
        if (*eq != '=') {
            s = eq;
            continue;
        }
        name_len = (size_t)(eq - name);
        while (name_len > 0 && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t'))
            name_len--;
        v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        vend = value_end(v);
        s = vend + strcspn(vend, ";");
        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
            vend--;
        if (wecom__text_ieq(name, name_len, "filename*") && !have_ext)
            have_ext = decode_ext(v, (size_t)(vend - v), raw, sizeof raw) == 0;
        else if (wecom__text_ieq(name, name_len, "filename") && !have_plain) {
            decode_plain(v, (size_t)(vend - v), plain, sizeof plain);
            have_plain = 1;
        }
    }
    if (!have_ext) {
        if (!have_plain)
            return;
        memcpy(raw, plain, sizeof raw);
    }
    last_component(raw, strlen(raw), out, cap, 1);
    /* A name like ".profile" would land as a hidden file, or overwrite one. */
    if (out[0] == '.')
        out[0] = '_';
}

#endif /* WECOM_DOWNLOAD */
