# SPDX-License-Identifier: MIT
"""Duration of an AMR-NB file in the RFC 4867 section 5 storage format.

WeCom refuses voice over 60 s (45007), and the length of AMR is only known by
walking every frame: there is no header field that holds it.
"""

MAGIC = b"#!AMR\n"
FRAME_MS = 20

# Bytes per frame including the one-byte header, by frame type (FT).
# FT 0-7 are the eight speech modes (4.75 .. 12.2 kbit/s), FT 8 is comfort
# noise (SID), FT 15 is NO_DATA. FT 9-14 are reserved or other codecs' SID
# and never appear in a valid AMR-NB file.
_FRAME_BYTES = {0: 13, 1: 14, 2: 16, 3: 18, 4: 20, 5: 21, 6: 27, 7: 32, 8: 6, 15: 1}


class AmrError(ValueError):
    pass


def duration_ms(data):
    """Milliseconds of audio in `data`, a whole .amr file; AmrError if malformed."""
    if not data.startswith(MAGIC):
        raise AmrError("not AMR-NB: missing #!AMR\\n header")
    pos = len(MAGIC)
    frames = 0
    # Each step consumes at least one byte, so the walk ends within len(data) steps.
    while pos < len(data):
        frame_type = (data[pos] >> 3) & 0x0F
        size = _FRAME_BYTES.get(frame_type)
        if size is None:
            raise AmrError("invalid frame type %d at offset %d" % (frame_type, pos))
        if pos + size > len(data):
            raise AmrError("truncated frame at offset %d" % pos)
        pos += size
        frames += 1
    return frames * FRAME_MS
