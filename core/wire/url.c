/* SPDX-License-Identifier: MIT */
/* Base URL parsing (see url.h). */
#include <string.h>

#include "url.h"

static wecom_err_t copy_span(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return WECOM_ERR_BUFFER_TOO_SMALL;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return WECOM_OK;
}

static int host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
}

wecom_err_t wecom__url_parse(const char *url, char *host, size_t host_cap,
                            uint16_t *port, char *path, size_t path_cap)
{
    static const char SCHEME[] = "https://";
    const char *p, *h, *hend, *after;
    size_t i, plen;
    wecom_err_t rc;

    if (url == NULL || strncmp(url, SCHEME, sizeof SCHEME - 1) != 0)
        return WECOM_ERR_INVALID_ARG;
    p = url + sizeof SCHEME - 1;
    if (*p == '[') {
        h = p + 1;
        hend = strchr(h, ']');
        if (hend == NULL)
            return WECOM_ERR_INVALID_ARG;
        after = hend + 1;
    } else {
        h = p;
        hend = h + strcspn(h, ":/?#");
        after = hend;
        if (memchr(h, ':', (size_t)(hend - h)) != NULL)
            return WECOM_ERR_INVALID_ARG;
    }
    if (hend == h)
        return WECOM_ERR_INVALID_ARG;
    for (i = 0; h + i < hend; i++)
        if (!host_char_ok(h[i]))
            return WECOM_ERR_INVALID_ARG; /* userinfo, spaces, controls */
    rc = copy_span(host, host_cap, h, (size_t)(hend - h));
    if (rc != WECOM_OK)
        return rc;

    *port = 443;
    if (*after == ':') {
        unsigned long v = 0;
        after++;
        if (*after < '0' || *after > '9')
            return WECOM_ERR_INVALID_ARG;
        while (*after >= '0' && *after <= '9') {
            v = v * 10 + (unsigned long)(*after++ - '0');
            if (v > 65535)
                return WECOM_ERR_INVALID_ARG;
        }
        if (v == 0)
            return WECOM_ERR_INVALID_ARG;
        *port = (uint16_t)v;
    }
    if (*after != '\0' && *after != '/')
        return WECOM_ERR_INVALID_ARG; /* a query or fragment has no place */
    plen = strlen(after);
    while (plen > 0 && after[plen - 1] == '/')
        plen--;
    for (i = 0; i < plen; i++)
        if ((unsigned char)after[i] <= ' ' || after[i] == '?' ||
            after[i] == '#' || (unsigned char)after[i] == 0x7f)
            return WECOM_ERR_INVALID_ARG;
    return copy_span(path, path_cap, after, plen);
}
