#!/bin/sh
# SPDX-License-Identifier: MIT
# What each feature costs in the library's own code: the objects of core/,
# outbox/ and port/ at -Os (as test/bench/size.sh counts them), built with the
# defaults, with each Kconfig feature turned off alone, and with
# configs/minimal_defconfig. Text as size(1) counts it (code, read-only
# data and unwind tables), and the same without the unwind tables
# (.eh_frame), which cmake -DWECOM_UNWIND_TABLES=OFF leaves out.
#
#   test/bench/size_features.sh [BUILD_ROOT]   (default: build-size-features)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${1:-$TOP/build-size-features}
mkdir -p "$ROOT"
ROOT=$(cd "$ROOT" && pwd)

# text_of DIR: "text without-unwind" summed over DIR's library objects.
text_of() {
    objs=$(find "$1/CMakeFiles/wecom_objs.dir" -name '*.o' | sort)
    # shellcheck disable=SC2086
    size -A $objs | awk '
        $1 ~ /^\.text/ || $1 ~ /^\.rodata/ { t += $2 }
        $1 == ".eh_frame" { e += $2 }
        END { printf "%d %d\n", t + e, t }'
}

# measure LABEL DIR KCONFIG: builds ROOT/DIR with that .config, prints a row.
measure() {
    label=$1 dir=$ROOT/$2 kconfig=$3
    cmake -S "$TOP" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
        -DWECOM_BUILD_TESTS=OFF -DWECOM_BUILD_CLI=OFF -DWECOM_BUILD_SHARED=OFF \
        -DWECOM_KCONFIG="$kconfig" >/dev/null
    cmake --build "$dir" --target wecom_objs >/dev/null
    # shellcheck disable=SC2046
    set -- "$label" $(text_of "$dir")
    if [ -z "${BASE:-}" ]; then
        BASE=$3
    fi
    awk -v n="$1" -v t="$2" -v c="$3" -v b="$BASE" 'BEGIN {
        printf "| %s | %d B (%.1f KiB) | %d B (%.1f KiB) | %+d B |\n",
               n, t, t / 1024, c, c / 1024, c - b }'
}

echo "== the library's own text at -Os by configuration ($(${CC:-cc} --version | head -1))"
echo
echo "| configuration | text | without unwind tables | change (without unwind tables) |"
echo "| --- | --- | --- | --- |"
: > "$ROOT/default.config"
measure defaults default "$ROOT/default.config"
for f in DOWNLOAD OUTBOX PROXY CA_STREAM TOKEN_FETCH SESSION_SAVE ERROR_TEXT CHECK_AMR CHECK_MP4; do
    printf 'CONFIG_WECOM_%s=n\n' "$f" > "$ROOT/no_$f.config"
    if [ "$f" = SESSION_SAVE ]; then
        echo 'CONFIG_WECOM_CLI_SESSION_CACHE=n' >> "$ROOT/no_$f.config"
    fi
    measure "WECOM_$f=n" "no_$f" "$ROOT/no_$f.config"
done
measure configs/minimal_defconfig minimal "$TOP/configs/minimal_defconfig"
