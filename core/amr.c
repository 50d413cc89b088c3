/* SPDX-License-Identifier: MIT */
/* AMR duration by walking frame headers (see amr.h). */
#include "amr.h"

#if WECOM_CHECK_AMR /* config.h: the voice check may be left out */

/* Bytes of speech data after the one-byte header, by frame type (FT).
 * 0-7 are the AMR modes 4.75 to 12.2 kbit/s, 8 is SID (comfort noise),
 * 15 NO_DATA. 9-11 are SIDs of other codecs and 12-14 reserved: none
 * belongs in an AMR-NB file, so they are refused (-1). */
static const int FRAME_BYTES[16] = { 12, 13, 15, 17, 19, 20, 26, 31,
                                     5,  -1, -1, -1, -1, -1, -1, 0 };

wecom_err_t wecom__amr_duration(const wecom_reader_t *r, uint64_t size,
                               unsigned char *scratch, size_t scratch_len,
                               uint64_t *duration_ms)
{
    uint64_t pos = WECOM_AMR_MAGIC_LEN, frames = 0;
    uint64_t buf_start = 0, buf_end = 0;

    while (pos < size) {
        unsigned char hdr;
        int ft, n;
        if (pos < buf_start || pos >= buf_end) {
            uint64_t want = size - pos;
            if (want > scratch_len)
                want = scratch_len;
            n = r->read_at(r->ctx, pos, scratch, (size_t)want);
            if (n < 0)
                return n;
            if (n == 0)
                return WECOM_ERR_MEDIA_LENGTH;
            buf_start = pos;
            buf_end = pos + (uint64_t)n;
        }
        hdr = scratch[pos - buf_start];
        ft = (hdr >> 3) & 0x0F;
        /* The padding bits are not checked: a writer that sets them
         * still makes a file decoders (and WeCom) take. */
        if (FRAME_BYTES[ft] < 0)
            return WECOM_ERR_MEDIA_AMR_CORRUPT;
        pos += 1u + (unsigned)FRAME_BYTES[ft];
        if (pos > size)
            return WECOM_ERR_MEDIA_AMR_CORRUPT; /* last frame cut off */
        frames++;
    }
    *duration_ms = frames * 20u;
    return WECOM_OK;
}

#endif /* WECOM_CHECK_AMR */
