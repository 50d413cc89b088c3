/* SPDX-License-Identifier: MIT */
/* multipart/form-data with a precomputed length (see multipart.h). */
#include <string.h>

#include "text.h"
#include "multipart.h"

static int boundary_ok(const char *b)
{
    size_t n = strlen(b), i;
    if (n == 0 || n > WECOM_BOUNDARY_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=?", c) != NULL))
            return 0;
    }
    return 1;
}

/* A header value must not carry a control byte: a CR or LF would end the
 * line and let a name or type write headers of its own. */
static int text_ok(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* RFC 2046 lets a boundary hold ( ) , / : = ?, which RFC 2045 calls
 * tspecials: in the Content-Type parameter such a value must be quoted. */
static int needs_quotes(const char *b)
{
    return strpbrk(b, "(),/:=?") != NULL;
}

wecom_err_t wecom__multipart_init(wecom_multipart_t *m, const char *boundary,
                                 const char *name, const char *part_type,
                                 const wecom_reader_t *r, uint64_t file_len)
{
    wecom__text_t o;
    const char *s, *quote;
    if (m == NULL || boundary == NULL || name == NULL || part_type == NULL ||
        r == NULL || !boundary_ok(boundary) ||
        strlen(name) > WECOM_FILENAME_MAX || !text_ok(name) ||
        part_type[0] == '\0' || !text_ok(part_type))
        return WECOM_ERR_INVALID_ARG;
    memset(m, 0, sizeof *m);
    m->reader = r;
    m->file_len = file_len;

    wecom__text_init(&o, m->head, sizeof m->head, 0);
    wecom__text_put(&o, "--");
    wecom__text_put(&o, boundary);
    /* WeCom wants the UTF-8 name as is in filename="..." (it answers
     * 44001 to RFC 2231's filename*=); only " and \ need escaping. */
    wecom__text_put(&o, "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"");
    for (s = name; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            wecom__text_put_n(&o, "\\", 1);
        wecom__text_put_n(&o, s, 1);
    }
    wecom__text_put(&o, "\"; filelength=");
    wecom__text_put_u64(&o, file_len);
    wecom__text_put(&o, "\r\nContent-Type: ");
    wecom__text_put(&o, part_type);
    wecom__text_put(&o, "\r\n\r\n");
    m->head_len = o.len;
    if (o.overflow)
        return WECOM_ERR_INVALID_ARG;

    wecom__text_init(&o, m->tail, sizeof m->tail, 0);
    wecom__text_put(&o, "\r\n--");
    wecom__text_put(&o, boundary);
    wecom__text_put(&o, "--\r\n");
    m->tail_len = o.len;

    wecom__text_init(&o, m->header, sizeof m->header, 1);
    /* Without the boundary parameter WeCom answers 44001. */
    quote = needs_quotes(boundary) ? "\"" : "";
    wecom__text_put(&o, "Content-Type: multipart/form-data; boundary=");
    wecom__text_put(&o, quote);
    wecom__text_put(&o, boundary);
    wecom__text_put(&o, quote);
    wecom__text_put(&o, "\r\n");
    return wecom__text_status(&o, WECOM_ERR_INVALID_ARG);
}

uint64_t wecom__multipart_length(const wecom_multipart_t *m)
{
    return m->head_len + m->file_len + m->tail_len;
}

static size_t copy_from(const unsigned char *src, size_t src_len,
                        uint64_t off, unsigned char *buf, size_t len)
{
    size_t n = src_len - (size_t)off;
    if (n > len)
        n = len;
    memcpy(buf, src + off, n);
    return n;
}

int wecom__multipart_read(void *ctx, uint64_t offset, unsigned char *buf,
                         size_t len)
{
    wecom_multipart_t *m = ctx;
    uint64_t file_end = m->head_len + m->file_len;
    if (len > 0x7fffffff)
        len = 0x7fffffff;
    if (offset < m->head_len)
        return (int)copy_from(m->head, m->head_len, offset, buf, len);
    if (offset < file_end) {
        uint64_t left = file_end - offset;
        int n = m->reader->read_at(m->reader->ctx, offset - m->head_len, buf,
                                   left < len ? (size_t)left : len);
        /* A file that shrank after its length was taken must not let the
         * tail slide into its place: the body would be short. */
        return n == 0 ? WECOM_ERR_MEDIA_LENGTH : n;
    }
    if (offset < file_end + m->tail_len)
        return (int)copy_from(m->tail, m->tail_len, offset - file_end, buf, len);
    return 0;
}
