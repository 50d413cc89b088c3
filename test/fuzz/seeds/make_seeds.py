#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_multipart and fuzz_sniff (committed; run
again after changing an input layout). Layouts: see the targets' headers."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# fuzz_multipart: flags, boundary length, boundary, type index,
# name length / 4, name (NUL-padded), read chunk, reader chunk, content
RAW_B, RAW_NAME, SHRUNK = 1, 2, 4


def multipart(flags, boundary, type_idx, name, chunk, rchunk, content):
    name = name + b"\0" * (-len(name) % 4)
    return (bytes([flags, len(boundary)]) + boundary + bytes([type_idx, len(name) // 4])
            + name + bytes([chunk, rchunk]) + content)


JPEG = bytes([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]) + b"JFIF\0\1\1\0\0\1\0\1\0\0" + b"\xff\xd9"
BOUNDARY = b"wecom-media-0123456789abcdef0123456789abcdef"
write("fuzz_multipart", "jpeg", multipart(RAW_B, BOUNDARY, 0, b"photo.jpg", 3, 0, JPEG))
write("fuzz_multipart", "bytewise", multipart(RAW_B, BOUNDARY, 4, b"a.bin", 0, 0,
                                              b"\r\n--wecom-media\r\n--\r\n"))
write("fuzz_multipart", "tspecials", multipart(RAW_B | RAW_NAME, b"a(b)c=d?e/f:g,h'+_.", 1,
                                               b'my "pic"\\x.png', 200, 200, b"PNG?" * 8))
write("fuzz_multipart", "path_utf8", multipart(0, bytes(range(40)), 2,
                                               "/tmp/录音/留言.amr".encode(), 9, 5,
                                               b"#!AMR\n" + b"\x3c" + b"\0" * 31))
write("fuzz_multipart", "control", multipart(RAW_B | RAW_NAME, BOUNDARY, 3,
                                             b"evil\r\nX-Injected: 1.mp4", 50, 50, b"x" * 20))
write("fuzz_multipart", "long_name", multipart(0, b"b" * 70, 4, b"\xe5\xbd\x95" * 100, 255, 255,
                                               b"y" * 100))
write("fuzz_multipart", "shrunk", multipart(RAW_B | SHRUNK | 0x30, BOUNDARY, 4, b"gone.txt", 7, 3,
                                            b"z" * 64))

# fuzz_sniff: kind (0 auto .. 4 file; high bits: short reads), scratch
# choice, voice limit / 20 ms (0: default), size claim, then the file
def sniff(kind, mid, voice, claim, body):
    return bytes([kind, mid, voice, claim]) + body


PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + b"\0" * 17
AMR = b"#!AMR\n" + (b"\x3c" + b"\x11" * 31) * 12 + b"\x7c" * 5 + (b"\x44" + b"\0" * 5) * 3
MP4 = struct.pack(">I", 24) + b"ftypisom" + b"\0\0\2\0isomiso2" + b"\0" * 16
write("fuzz_sniff", "jpeg", sniff(0, 0, 0, 0, JPEG))
write("fuzz_sniff", "png", sniff(1, 10, 0, 0, PNG))
write("fuzz_sniff", "amr", sniff(0x10, 3, 0, 0, AMR))
write("fuzz_sniff", "amr_too_long", sniff(2, 255, 5, 0, AMR))
write("fuzz_sniff", "amr_corrupt", sniff(2, 1, 0, 0, b"#!AMR\n" + b"\x3c" + b"\0" * 31 + b"\x4c" + b"\0" * 8))
write("fuzz_sniff", "amr_cut", sniff(0, 2, 0, 0, b"#!AMR\n" + b"\x3c" + b"\0" * 20))
write("fuzz_sniff", "amr_shrunk", sniff(0x22, 7, 0, 0x84, AMR))
write("fuzz_sniff", "amr_wb", sniff(0, 0, 0, 0, b"#!AMR-WB\n" + b"\x04" * 40))
write("fuzz_sniff", "mp4", sniff(3, 0, 0, 0, MP4))
write("fuzz_sniff", "image_text", sniff(1, 0, 0, 0, b"hello, this is not an image\n" * 3))
write("fuzz_sniff", "too_large", sniff(1, 0, 0, 0xFF, PNG))
write("fuzz_sniff", "tiny", sniff(4, 0, 0, 0, b"abcde"))
