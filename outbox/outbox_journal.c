/* SPDX-License-Identifier: MIT */
/*
 * The outbox's journal, results.log: one line per outcome, appended with
 * one write and fsync'd. Each line is a flat JSON object followed by
 * " crc=XXXXXXXX", the CRC-32 of the object's bytes, so that a line a
 * power cut tore or a flash bit flipped is recognised and skipped, never
 * half-believed. A line the reader cannot trust costs at most a duplicate
 * upload (recovery then finds no record of the item and sends it again).
 */
#include <string.h>

#include "json.h"
#include "outbox_internal.h"
#include "text.h"

#if WECOM_OUTBOX

#define CRC_TAIL " crc=" /* then 8 hex digits */
#define CRC_TAIL_LEN (sizeof CRC_TAIL - 1 + 8)
#define DUP_TRUE "\"maybe_duplicate\":true}"
#define DUP_FALSE "\"maybe_duplicate\":false}"

/* A done or failed line's fixed parts with the longest media_id take
 * some 500 bytes; name and errmsg are cut to fit the rest. A line that
 * could not be written at all would leave its item to be sent again on
 * every start, so the floor is a build error. */
#if WECOM_OUTBOX_LINE_MAX < 1024 || WECOM_MEDIA_ID_MAX > 256
#error "WECOM_OUTBOX_LINE_MAX must be at least 1024 (and WECOM_MEDIA_ID_MAX at most 256)"
#endif

uint32_t wecom__crc32(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        crc ^= b[i];
        for (k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len, i;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

/* One byte as JSON needs it written: \" \\ or \u00XX; 0 when as is. */
static size_t escape_byte(unsigned char c, int raw_ok, char *out)
{
    if (raw_ok && c >= 0x20 && c != '"' && c != '\\')
        return 0;
    out[0] = '\\';
    if (raw_ok && (c == '"' || c == '\\')) {
        out[1] = (char)c;
        return 2;
    }
    out[1] = 'u';
    wecom__text_hex(out + 2, c, 4);
    return 6;
}

/* ,"key": the start of each field after the first. */
static void put_key(wecom__text_t *t, const char *key)
{
    wecom__text_put(t, ",\"");
    wecom__text_put(t, key);
    wecom__text_put(t, "\":");
}

/* A field whose value is s as a JSON string, quotes included, in at most
 * room bytes of t: cut on a character boundary when longer. Bytes that
 * are not UTF-8 become \u00XX, so the line stays valid JSON whatever a
 * name holds. */
static void put_field_str(wecom__text_t *t, const char *key, const char *s,
                       size_t room)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), used = 2;
    put_key(t, key);
    wecom__text_put(t, "\"");
    while (n > 0) {
        char esc[6];
        size_t len = utf8_seq(p, n), step = len > 0 ? len : 1;
        size_t elen = len <= 1 ? escape_byte(*p, len == 1, esc) : 0;
        size_t plen = elen > 0 ? elen : len;
        if (used + plen > room)
            break;
        if (elen > 0)
            wecom__text_put_n(t, esc, elen);
        else
            wecom__text_put_n(t, p, len);
        used += plen;
        p += step;
        n -= step;
    }
    wecom__text_put(t, "\"");
}

/* A field whose value is the number v. */
static void put_field_i64(wecom__text_t *t, const char *key, int64_t v)
{
    put_key(t, key);
    if (v < 0) {
        wecom__text_put(t, "-");
        wecom__text_put_u64(t, (uint64_t)0 - (uint64_t)v);
    } else {
        wecom__text_put_u64(t, (uint64_t)v);
    }
}

static void put_tail(wecom__text_t *t)
{
    char crc_hex[8];
    wecom__text_hex(crc_hex, wecom__crc32(t->buf, t->len), sizeof crc_hex);
    wecom__text_put(t, CRC_TAIL);
    wecom__text_put_n(t, crc_hex, sizeof crc_hex);
    wecom__text_put(t, "\n");
}

wecom_err_t wecom__journal_format(const wecom_outbox_result_t *r, char *buf,
                                  size_t cap, size_t *len)
{
    wecom__text_t t;
    /* The fixed parts take at most some 330 bytes with the largest
     * numbers and media_id; name and errmsg share what is left. */
    size_t fixed = 330 + strlen(r->media_id) + strlen(r->type);
    size_t room = cap > fixed ? (cap - fixed) / 2 : 0;

    wecom__text_init(&t, buf, cap, 0);
    wecom__text_put(&t, "{\"id\":\"");
    wecom__text_put(&t, r->id);
    wecom__text_put(&t, r->status == WECOM_OUTBOX_DONE ? "\",\"status\":\"done\""
                                                       : "\",\"status\":\"failed\"");
    if (r->status == WECOM_OUTBOX_DONE) {
        put_field_str(&t, "media_id", r->media_id, sizeof r->media_id * 2);
        put_field_i64(&t, "created_at", r->created_at);
        put_field_i64(&t, "expires_at", r->expires_at);
    } else {
        put_field_str(&t, "err", wecom_errname(r->err), 64);
        put_field_i64(&t, "errcode", r->errcode);
        put_field_str(&t, "errmsg", r->errmsg, room);
    }
    put_field_str(&t, "type", r->type, 32);
    put_key(&t, "size");
    wecom__text_put_u64(&t, r->size);
    put_field_str(&t, "name", r->name, room);
    put_field_i64(&t, "at", r->at);
    wecom__text_put(&t, ",");
    wecom__text_put(&t, r->maybe_duplicate ? DUP_TRUE : DUP_FALSE);
    put_tail(&t);
    *len = t.len;
    return wecom__text_status(&t, WECOM_ERR_BUFFER_TOO_SMALL);
}

/* An id: an item's name without the ".c" of a maybe-duplicate. */
static int is_id(const char *s)
{
    int dup;
    return wecom__item_name(s, &dup) && !dup;
}

static wecom_err_t parse_fields(const wecom_json_t *j, wecom_outbox_result_t *r)
{
    char status[8], err[48];
    int64_t size;
    int code;
    if (wecom__json_string(j, "id", r->id, sizeof r->id) != WECOM_OK || !is_id(r->id) ||
        wecom__json_string(j, "status", status, sizeof status) != WECOM_OK ||
        wecom__json_string(j, "type", r->type, sizeof r->type) != WECOM_OK ||
        wecom__json_string(j, "name", r->name, sizeof r->name) != WECOM_OK ||
        wecom__json_int(j, "size", &size) != WECOM_OK || size < 0 ||
        wecom__json_int(j, "at", &r->at) != WECOM_OK)
        return WECOM_ERR_OUTBOX_CORRUPT;
    r->size = (uint64_t)size;
    if (strcmp(status, "done") == 0) {
        r->status = WECOM_OUTBOX_DONE;
        if (wecom__json_string(j, "media_id", r->media_id, sizeof r->media_id) != WECOM_OK ||
            wecom__json_int(j, "created_at", &r->created_at) != WECOM_OK ||
            wecom__json_int(j, "expires_at", &r->expires_at) != WECOM_OK)
            return WECOM_ERR_OUTBOX_CORRUPT;
        return WECOM_OK;
    }
    if (strcmp(status, "failed") != 0 ||
        wecom__json_string(j, "err", err, sizeof err) != WECOM_OK ||
        wecom__json_int(j, "errcode", &r->errcode) != WECOM_OK ||
        wecom__json_string(j, "errmsg", r->errmsg, sizeof r->errmsg) != WECOM_OK)
        return WECOM_ERR_OUTBOX_CORRUPT;
    r->status = WECOM_OUTBOX_FAILED;
    r->err = WECOM_ERR_OUTBOX_CORRUPT;
    for (code = 0; code >= -0x7F; code--)
        if (strcmp(wecom_errname(code), err) == 0)
            r->err = code;
    return WECOM_OK;
}

wecom_err_t wecom__journal_parse(const char *line, size_t len,
                                 wecom_outbox_result_t *r)
{
    wecom_json_t j;
    uint32_t crc = 0;
    size_t body, i;

    memset(r, 0, sizeof *r);
    if (len < CRC_TAIL_LEN + 2)
        return WECOM_ERR_OUTBOX_CORRUPT;
    body = len - CRC_TAIL_LEN;
    if (memcmp(line + body, CRC_TAIL, sizeof CRC_TAIL - 1) != 0)
        return WECOM_ERR_OUTBOX_CORRUPT;
    for (i = body + sizeof CRC_TAIL - 1; i < len; i++) {
        int v = wecom__text_hexval(line[i]);
        if (v < 0)
            return WECOM_ERR_OUTBOX_CORRUPT;
        crc = (crc << 4) | (uint32_t)v;
    }
    if (crc != wecom__crc32(line, body))
        return WECOM_ERR_OUTBOX_CORRUPT;
    if (wecom__json_parse(&j, line, body) != WECOM_OK ||
        parse_fields(&j, r) != WECOM_OK)
        return WECOM_ERR_OUTBOX_CORRUPT;
    /* The formatter writes the flag last; a CRC-checked line that parses
     * strictly cannot hold this text inside a string. */
    r->maybe_duplicate = body >= sizeof DUP_TRUE - 1 &&
        memcmp(line + body - (sizeof DUP_TRUE - 1), DUP_TRUE, sizeof DUP_TRUE - 1) == 0;
    return WECOM_OK;
}

int wecom__journal_scan(const wecom_fs_t *fs, int h, unsigned char *buf,
                        size_t buflen, char *line, size_t cap,
                        wecom__line_fn fn, void *arg, uint64_t *complete)
{
    uint64_t off = 0;
    size_t used = 0;
    int overlong = 0, n, rc;

    if (complete != NULL)
        *complete = 0;
    while ((n = fs->read_at(fs->ctx, h, off, buf, buflen)) > 0) {
        int i;
        for (i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (used < cap)
                    line[used++] = (char)buf[i];
                else
                    overlong = 1;
                continue;
            }
            rc = fn(arg, line, overlong ? (size_t)-1 : used);
            if (rc != 0)
                return rc;
            used = 0;
            overlong = 0;
            if (complete != NULL)
                *complete = off + (uint64_t)i + 1;
        }
        off += (uint64_t)n;
    }
    return n < 0 ? n : 0;
}

#endif /* WECOM_OUTBOX */
