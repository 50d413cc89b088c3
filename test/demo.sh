#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: start the local WeCom emulator, upload a sample image with
# wecom-media, download it back by its media_id and compare the bytes.
set -eu

BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
CLI="$BUILD/cli/wecom-media"
EMU="$TOP/test/emulator/emu.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-demo.XXXXXX")

cleanup() {
    python3 "$EMU" stop --state-dir "$WORK/emu" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# A token for this run only; the CLI reads it from the environment.
WECOM_ACCESS_TOKEN=demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export WECOM_ACCESS_TOKEN

echo "== starting the local WeCom emulator"
URL=$(python3 "$EMU" start --state-dir "$WORK/emu" --token "$WECOM_ACCESS_TOKEN")
echo "   $URL (its CA: $WORK/emu/ca.pem)"

echo "== making a sample image"
python3 - "$WORK/sample.png" <<'PY'
import struct, sys, zlib
w = h = 96
rows = b"".join(b"\0" + bytes(v for x in range(w)
                              for v in (x * 2 % 256, y * 2 % 256, (x + y) % 256))
               for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
SIZE=$(wc -c < "$WORK/sample.png" | tr -d ' ')
echo "   sample.png, $SIZE bytes"

OPTS="--base-url $URL --cacert $WORK/emu/ca.pem"
echo "== wecom-media upload sample.png"
MEDIA_ID=$("$CLI" $OPTS upload "$WORK/sample.png")
echo "media_id: $MEDIA_ID"

echo "== wecom-media download $MEDIA_ID -o back.png"
"$CLI" $OPTS download "$MEDIA_ID" -o "$WORK/back.png" >/dev/null

if cmp -s "$WORK/sample.png" "$WORK/back.png"; then
    echo "outcome: OK, downloaded $SIZE bytes, identical to what was uploaded"
else
    echo "outcome: FAILED, the downloaded file differs" >&2
    exit 1
fi
