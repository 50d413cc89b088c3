# SPDX-License-Identifier: MIT
"""WeCom's size and format rules for each kind of temporary media.

Sizes and codes follow shared/wecom-api.md; the limits come from the
emulator's `limits` knob so tests can lower them instead of building
megabyte-sized files.
"""

import amr

KINDS = ("image", "voice", "video", "file")

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# The code WeCom answers when a file of this kind is over its size limit.
# Voice has no code of its own and gets the generic "invalid file size".
_TOO_BIG = {
    "image": (40009, "invalid image size"),
    "voice": (40006, "invalid file size"),
    "video": (40011, "invalid video size"),
    "file": (45001, "media size out of limit"),
}


def is_mp4(data):
    # ISO BMFF starts with a box of type 'ftyp' (ISO/IEC 14496-12 4.3); its
    # 32-bit size field occupies the first four bytes.
    return data[4:8] == b"ftyp"


def check(kind, data, limits):
    """(errcode, errmsg, reason) for the first rule `data` breaks, or None."""
    size = len(data)
    if size == 0:
        return 44001, "empty media data", "0-byte file"
    if size < limits["min_bytes"]:
        return 40006, "invalid file size", "%d bytes is under the minimum %d" % (
            size, limits["min_bytes"])
    if size > limits["max_bytes"][kind]:
        code, msg = _TOO_BIG[kind]
        return code, msg, "%d bytes is over the %s limit %d" % (size, kind, limits["max_bytes"][kind])
    if kind == "image" and not (data.startswith(JPEG_MAGIC) or data.startswith(PNG_MAGIC)):
        return 40004, "invalid media type", "image is neither JPEG nor PNG"
    if kind == "video" and not is_mp4(data):
        return 40004, "invalid media type", "video has no ftyp box at offset 4"
    if kind == "voice":
        try:
            ms = amr.duration_ms(data)
        except amr.AmrError as e:
            return 40004, "invalid media type", str(e)
        if ms > limits["voice_max_seconds"] * 1000:
            return 45007, "playing time of voice out of limit", "voice lasts %d ms" % ms
    return None


def content_type(kind, data):
    """The Content-Type a download of this medium is served with."""
    if kind == "image":
        return "image/png" if data.startswith(PNG_MAGIC) else "image/jpeg"
    return {"voice": "audio/amr", "video": "video/mp4"}.get(kind, "application/octet-stream")
