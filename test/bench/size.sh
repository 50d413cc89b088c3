#!/bin/sh
# SPDX-License-Identifier: MIT
# The library's own code size at -Os, without its dependencies (mbedTLS,
# llhttp compiled in from sources, libc): text, data and bss per object
# of core/, outbox/ and port/, and the total. `size` counts read-only
# data and the unwind tables (.eh_frame) as text: the last line says how
# much of the text each is (cmake -DWECOM_UNWIND_TABLES=OFF in BUILD_DIR
# leaves the tables out).
#
#   test/bench/size.sh [BUILD_DIR]   (default: build-size, made here)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP/build-size}
cmake -S "$TOP" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DWECOM_BUILD_TESTS=OFF -DWECOM_BUILD_CLI=OFF >/dev/null
cmake --build "$BUILD" --target wecom_objs >/dev/null
OBJS=$(find "$BUILD/CMakeFiles/wecom_objs.dir" -name '*.o' | sort)
echo "== library objects at -Os ($(${CC:-cc} --version | head -1))"
size $OBJS | sed "s|$BUILD/CMakeFiles/wecom_objs.dir/||"
size $OBJS | awk 'NR > 1 { t += $1; d += $2; b += $3 }
    END { printf "total: text %d bytes (%.1f KiB), data %d, bss %d\n", t, t / 1024, d, b }'
size -A $OBJS | awk '$1 ~ /^\.text/ { c += $2 } $1 ~ /^\.rodata/ { r += $2 }
    $1 == ".eh_frame" { e += $2 }
    END { printf "of the text: code %d, read-only data %d, unwind tables %d\n", c, r, e }'
