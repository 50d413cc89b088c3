/* SPDX-License-Identifier: MIT */
/*
 * Checking a file before a byte of it is sent: size, magic bytes for the
 * kind, and for voice the AMR duration. A metered uplink should not pay
 * for an upload WeCom is going to refuse.
 */
#include <stdio.h>
#include <string.h>

#include "amr.h"
#include "wecom/media.h"

/* Arrays, not pointers: no relocation for each in a shared library. */
static const char KIND_NAMES[][6] = { "auto", "image", "voice", "video",
                                      "file" };

void wecom_limits_default(wecom_limits_t *lim)
{
    if (lim == NULL)
        return;
    lim->min_bytes = WECOM_LIMIT_MIN_BYTES;
    lim->image_bytes = WECOM_LIMIT_IMAGE_BYTES;
    lim->voice_bytes = WECOM_LIMIT_VOICE_BYTES;
    lim->video_bytes = WECOM_LIMIT_VIDEO_BYTES;
    lim->file_bytes = WECOM_LIMIT_FILE_BYTES;
    lim->voice_ms = WECOM_LIMIT_VOICE_MS;
}

const char *wecom_kind_name(wecom_kind_t kind)
{
    if ((unsigned)kind < sizeof KIND_NAMES / sizeof KIND_NAMES[0])
        return KIND_NAMES[kind];
    return "unknown";
}

wecom_err_t wecom_kind_parse(const char *name, wecom_kind_t *kind)
{
    unsigned i;
    if (name == NULL || kind == NULL)
        return WECOM_ERR_INVALID_ARG;
    for (i = 0; i < sizeof KIND_NAMES / sizeof KIND_NAMES[0]; i++) {
        if (strcmp(name, KIND_NAMES[i]) == 0) {
            *kind = (wecom_kind_t)i;
            return WECOM_OK;
        }
    }
    return WECOM_ERR_INVALID_ARG;
}

static wecom_format_t sniff(const unsigned char *b, size_t n)
{
    /* Each format's magic bytes and where they start. ISO base media
     * (MP4): the first box is ftyp (size, then the type). */
    static const struct {
        unsigned char at, len;
        char bytes[10];
        unsigned char format;
    } MAGIC[] = {
        { 0, 3, "\xFF\xD8\xFF", WECOM_FORMAT_JPEG },
        { 0, 8, "\x89PNG\r\n\x1A\n", WECOM_FORMAT_PNG },
        { 0, WECOM_AMR_WB_MAGIC_LEN, WECOM_AMR_WB_MAGIC, WECOM_FORMAT_AMR_WB },
        { 0, WECOM_AMR_MAGIC_LEN, WECOM_AMR_MAGIC, WECOM_FORMAT_AMR },
        { 4, 4, "ftyp", WECOM_FORMAT_MP4 },
    };
    size_t k;
    for (k = 0; k < sizeof MAGIC / sizeof MAGIC[0]; k++)
        if (n >= (size_t)MAGIC[k].at + MAGIC[k].len &&
            memcmp(b + MAGIC[k].at, MAGIC[k].bytes, MAGIC[k].len) == 0)
            return (wecom_format_t)MAGIC[k].format;
    return WECOM_FORMAT_OTHER;
}

static wecom_kind_t kind_of(wecom_format_t f)
{
    switch (f) {
    case WECOM_FORMAT_JPEG:
    case WECOM_FORMAT_PNG:
        return WECOM_KIND_IMAGE;
    case WECOM_FORMAT_AMR:
    case WECOM_FORMAT_AMR_WB:
        return WECOM_KIND_VOICE;
    case WECOM_FORMAT_MP4:
        return WECOM_KIND_VIDEO;
    default:
        return WECOM_KIND_FILE;
    }
}

static uint64_t max_bytes(const wecom_limits_t *lim, wecom_kind_t k)
{
    switch (k) {
    case WECOM_KIND_IMAGE: return lim->image_bytes;
    case WECOM_KIND_VOICE: return lim->voice_bytes;
    case WECOM_KIND_VIDEO: return lim->video_bytes;
    default: return lim->file_bytes;
    }
}

static wecom_err_t refuse(wecom_check_t *out, wecom_err_t err,
                          uint64_t actual, uint64_t limit)
{
    out->actual = actual;
    out->limit = limit;
    return err;
}

/* Read the first bytes: as many as the scratch holds, or the file has. */
static int read_head(const wecom_reader_t *r, uint64_t size,
                     unsigned char *scratch, size_t len)
{
    size_t want = size < len ? (size_t)size : len, have = 0;
    while (have < want) {
        int n = r->read_at(r->ctx, have, scratch + have, want - have);
        if (n < 0)
            return n;
        if (n == 0)
            return WECOM_ERR_MEDIA_LENGTH;
        have += (size_t)n;
    }
    return (int)have;
}

wecom_err_t wecom_media_check(const wecom_reader_t *r, uint64_t size,
                              wecom_kind_t kind, const wecom_limits_t *lim,
                              unsigned char *scratch, size_t scratch_len,
                              wecom_check_t *out)
{
    wecom_limits_t defaults;
    uint64_t cap;
    int n;

    if (r == NULL || r->read_at == NULL || out == NULL || scratch == NULL ||
        scratch_len < 64 || (unsigned)kind > WECOM_KIND_FILE)
        return WECOM_ERR_INVALID_ARG;
    if (lim == NULL) {
        wecom_limits_default(&defaults);
        lim = &defaults;
    }
    memset(out, 0, sizeof *out);
    out->size = size;
    out->kind = kind;
    if (size <= lim->min_bytes)
        return refuse(out, WECOM_ERR_MEDIA_TOO_SMALL, size, lim->min_bytes);
    /* A pipe cannot be read twice: only its size can be checked, and its
     * kind must be given (else, its format unknown, it goes as a file). */
    if (!r->once) {
        n = read_head(r, size, scratch, 64);
        if (n < 0)
            return n;
        out->format = sniff(scratch, (size_t)n);
    }
    if (kind == WECOM_KIND_AUTO)
        out->kind = kind = kind_of(out->format);
    cap = max_bytes(lim, kind);
    if (size > cap)
        return refuse(out, WECOM_ERR_MEDIA_TOO_LARGE, size, cap);
    if (r->once)
        return WECOM_OK;

    switch (kind) {
    case WECOM_KIND_IMAGE:
        if (out->format != WECOM_FORMAT_JPEG && out->format != WECOM_FORMAT_PNG)
            return WECOM_ERR_MEDIA_FORMAT;
        break;
    case WECOM_KIND_VIDEO:
#if WECOM_CHECK_MP4 /* off: a video goes as given, the server judges it */
        if (out->format != WECOM_FORMAT_MP4)
            return WECOM_ERR_MEDIA_FORMAT;
#endif
        break;
    case WECOM_KIND_VOICE:
        if (out->format == WECOM_FORMAT_AMR_WB)
            return WECOM_ERR_MEDIA_AMR_WB;
        if (out->format != WECOM_FORMAT_AMR)
            return WECOM_ERR_MEDIA_FORMAT;
#if WECOM_CHECK_AMR /* off: the AMR magic only; length and frames unchecked */
        {
            uint64_t ms = 0;
            wecom_err_t rc = wecom__amr_duration(r, size, scratch, scratch_len, &ms);
            if (rc != WECOM_OK)
                return rc;
            out->duration_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
            if (ms > lim->voice_ms)
                return refuse(out, WECOM_ERR_MEDIA_VOICE_TOO_LONG, ms,
                              lim->voice_ms);
        }
#endif
        break;
    default:
        break;
    }
    return WECOM_OK;
}

#if WECOM_ERROR_TEXT
static const char *format_name(wecom_format_t f)
{
    switch (f) {
    case WECOM_FORMAT_JPEG: return "JPEG";
    case WECOM_FORMAT_PNG: return "PNG";
    case WECOM_FORMAT_AMR: return "AMR";
    case WECOM_FORMAT_AMR_WB: return "AMR-WB";
    case WECOM_FORMAT_MP4: return "MP4";
    default: return "unrecognised";
    }
}

const char *wecom_check_describe(wecom_err_t err, const wecom_check_t *chk,
                                 char *out, size_t cap)
{
    const char *kind;
    if (out == NULL || cap == 0)
        return out != NULL ? out : "";
    if (chk == NULL) { /* no values to name: the error alone */
        snprintf(out, cap, "%s", wecom_strerror(err));
        return out;
    }
    kind = wecom_kind_name(chk->kind);
    switch (err) {
    case WECOM_ERR_MEDIA_TOO_SMALL:
        snprintf(out, cap, "file of %llu bytes: WeCom needs more than %llu bytes",
                 (unsigned long long)chk->actual, (unsigned long long)chk->limit);
        break;
    case WECOM_ERR_MEDIA_TOO_LARGE:
        snprintf(out, cap, "%s of %llu bytes is over the limit of %llu bytes",
                 kind, (unsigned long long)chk->actual,
                 (unsigned long long)chk->limit);
        break;
    case WECOM_ERR_MEDIA_VOICE_TOO_LONG:
        snprintf(out, cap, "voice of %llu ms is over the limit of %llu ms",
                 (unsigned long long)chk->actual, (unsigned long long)chk->limit);
        break;
    case WECOM_ERR_MEDIA_FORMAT:
        snprintf(out, cap, "%s content (%s) is not what WeCom takes as %s: %s",
                 kind, format_name(chk->format), kind,
                 chk->kind == WECOM_KIND_IMAGE   ? "JPG or PNG"
                 : chk->kind == WECOM_KIND_VOICE ? "AMR"
                                                 : "MP4");
        break;
    default:
        snprintf(out, cap, "%s", wecom_strerror(err));
        break;
    }
    return out;
}
#else
/* Without the error descriptions (WECOM_ERROR_TEXT off): the error's name
 * and, for a size or a length, the value and its limit
 * ("WECOM_ERR_MEDIA_TOO_LARGE 3145728, limit 2097152"): still enough for a
 * device's log. */
const char *wecom_check_describe(wecom_err_t err, const wecom_check_t *chk,
                                 char *out, size_t cap)
{
    if (out == NULL || cap == 0)
        return out != NULL ? out : "";
    if (chk != NULL && chk->limit != 0)
        snprintf(out, cap, "%s %llu, limit %llu", wecom_errname(err),
                 (unsigned long long)chk->actual, (unsigned long long)chk->limit);
    else
        snprintf(out, cap, "%s", wecom_errname(err));
    return out;
}
#endif /* WECOM_ERROR_TEXT */
