/* SPDX-License-Identifier: MIT */
/* The upload check (core/check.c, core/amr.c) on any file: the JPG, PNG,
 * AMR and MP4 sniffers and the AMR frame walk.
 *
 * Input: a kind, a scratch size and read chunking, a voice limit, a size
 * claim, then the file. Properties, each an abort when broken:
 * - the answer (return code and every field of wecom_check_t) does not
 *   depend on the scratch size (64, fuzzer-chosen, 4096 bytes: scratches
 *   allocated to the byte, so ASan sees any overrun) nor on short reads;
 * - the format is what the magic bytes say, read here from the specs;
 * - a voice's duration is 20 ms per frame of a walk written here from
 *   RFC 4867, and a walk that fails here fails there;
 * - the refusal's text (wecom_check_describe) fits any buffer given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_source.h"

#include "wecom/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);



static wecom_err_t run(const src_t *src, uint64_t claimed, wecom_kind_t kind,
                       const wecom_limits_t *lim, size_t scratch_len,
                       wecom_check_t *out)
{
    unsigned char *scratch = malloc(scratch_len);
    wecom_reader_t r;
    wecom_err_t rc;
    CHECK(scratch != NULL);
    r.read_at = src_read;
    r.ctx = (void *)src;
    r.once = 0;
    memset(out, 0xA5, sizeof *out); /* the check must fill what it reports */
    rc = wecom_media_check(&r, claimed, kind, lim, scratch, scratch_len, out);
    free(scratch);
    return rc;
}

static int same(const wecom_check_t *a, const wecom_check_t *b)
{
    return a->kind == b->kind && a->format == b->format && a->size == b->size &&
           a->duration_ms == b->duration_ms && a->actual == b->actual &&
           a->limit == b->limit;
}

/* The magic numbers, from the formats' own documents. */
static wecom_format_t oracle_format(const uint8_t *b, size_t n)
{
    static const uint8_t PNG[8] = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) /* SOI + marker */
        return WECOM_FORMAT_JPEG;
    if (n >= 8 && memcmp(b, PNG, 8) == 0)
        return WECOM_FORMAT_PNG;
    if (n >= 9 && memcmp(b, "#!AMR-WB\n", 9) == 0) /* RFC 4867 5.1 */
        return WECOM_FORMAT_AMR_WB;
    if (n >= 6 && memcmp(b, "#!AMR\n", 6) == 0)
        return WECOM_FORMAT_AMR;
    if (n >= 8 && memcmp(b + 4, "ftyp", 4) == 0) /* ISO 14496-12 4.3 */
        return WECOM_FORMAT_MP4;
    return WECOM_FORMAT_OTHER;
}

/* RFC 4867 5.3: each frame is a header byte (FT in bits 6..3) and the
 * speech bits of its mode, in whole bytes. The file is claimed bytes long
 * but only n are there (a file that shrank): only headers are read, so a
 * header past n is the first thing that can notice. Frames, or -1 when
 * corrupt, -2 when a header is missing. */
static long oracle_frames(const uint8_t *b, size_t n, uint64_t claimed)
{
    /* bits per mode, 3GPP TS 26.101 table 1a; 15 NO_DATA has none */
    static const int BITS[16] = { 95, 103, 118, 134, 148, 159, 204, 244,
                                  39, -1,  -1,  -1,  -1,  -1,  -1,  0 };
    uint64_t pos = 6;
    long frames = 0;
    while (pos < claimed) {
        int bits;
        if (pos >= n)
            return -2;
        bits = BITS[(b[pos] >> 3) & 0x0F];
        if (bits < 0)
            return -1;
        pos += 1u + (unsigned)(bits + 7) / 8u;
        if (pos > claimed)
            return -1;
        frames++;
    }
    return frames;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wecom_check_t a, b, c;
    wecom_limits_t lim;
    wecom_err_t ra, rb, rc;
    wecom_kind_t kind;
    src_t src, src_short;
    uint64_t claimed;
    size_t mid, head;
    wecom_format_t fmt;

    if (size < 4)
        return 0;
    kind = (wecom_kind_t)(data[0] % 5u);
    mid = 64u + (size_t)data[1] * 15u;
    wecom_limits_default(&lim);
    if (data[2] != 0)
        lim.voice_ms = (uint32_t)data[2] * 20u; /* long voices, in small files */
    src.p = data + 4;
    src.n = size - 4;
    src.max_chunk = SIZE_MAX;
    src_short = src;
    src_short.max_chunk = 1u + (data[0] >> 3);
    /* the size taken before the check: as read, or larger (a file that
     * shrank since, or one past a limit) */
    claimed = src.n;
    if (data[3] & 0x80)
        claimed += (uint64_t)(data[3] & 0x7F) << ((data[3] & 1) ? 16 : 0);

    ra = run(&src, claimed, kind, &lim, 64, &a);
    rb = run(&src, claimed, kind, &lim, 4096, &b);
    rc = run(&src_short, claimed, kind, &lim, mid, &c);
    CHECK(ra == rb && ra == rc);
    CHECK(same(&a, &b) && same(&a, &c));
    CHECK(ra == WECOM_OK || ra < 0);
    CHECK(a.size == claimed);
    {
        /* the refusal's one-line text: NUL-terminated within any cap */
        char msg[160];
        size_t cap = 1u + data[1] % sizeof msg;
        memset(msg, 'x', sizeof msg);
        CHECK(wecom_check_describe(ra, &a, msg, cap) == msg);
        CHECK(memchr(msg, '\0', cap) != NULL);
    }

    if (claimed <= lim.min_bytes) {
        CHECK(ra == WECOM_ERR_MEDIA_TOO_SMALL);
        return 0;
    }
    head = src.n < 64 ? src.n : 64;
    if (src.n < (claimed < 64 ? claimed : 64)) {
        /* the head itself is cut short */
        CHECK(ra == WECOM_ERR_MEDIA_LENGTH);
        return 0;
    }
    fmt = oracle_format(data + 4, head);
    CHECK(a.format == fmt);
    if (kind == WECOM_KIND_AUTO)
        CHECK(a.kind == (fmt == WECOM_FORMAT_JPEG || fmt == WECOM_FORMAT_PNG
                             ? WECOM_KIND_IMAGE
                         : fmt == WECOM_FORMAT_AMR || fmt == WECOM_FORMAT_AMR_WB
                             ? WECOM_KIND_VOICE
                         : fmt == WECOM_FORMAT_MP4 ? WECOM_KIND_VIDEO
                                                   : WECOM_KIND_FILE));
    else
        CHECK(a.kind == kind);

    if (a.kind == WECOM_KIND_VOICE && fmt == WECOM_FORMAT_AMR &&
        claimed <= lim.voice_bytes) {
        long frames = oracle_frames(data + 4, src.n, claimed);
        if (frames == -2) {
            CHECK(ra == WECOM_ERR_MEDIA_LENGTH);
        } else if (frames == -1) {
            CHECK(ra == WECOM_ERR_MEDIA_AMR_CORRUPT);
        } else {
            uint64_t ms = (uint64_t)frames * 20u;
            CHECK(a.duration_ms == ms);
            CHECK(ra == (ms > lim.voice_ms ? WECOM_ERR_MEDIA_VOICE_TOO_LONG
                                           : WECOM_OK));
        }
    } else {
        CHECK(a.duration_ms == 0);
    }
    return 0;
}
