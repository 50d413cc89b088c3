#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: the figures for the closing notes, against nginx on loopback
# (a neutral HTTPS server) with a certificate made for this run.
#
#   test/bench/run.sh BUILD_DIR
#
# Prints: the AEAD floor for 20 MiB; upload and download CPU for 20 MiB
# on an open connection as ratios over that floor (the handshake's CPU
# is given on its own); heap peaks for 1 and 20 MiB; handshakes for a
# 20-chunk download; and the handshake memory figures. CPU times are the
# best of REPEATS runs (default 5): the machine is shared and noisy.
set -eu

BUILD=$(cd "${1:-build}" && pwd)
REPEATS=${REPEATS:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-bench.XXXXXX")
HERE=$(cd "$(dirname "$0")" && pwd)

cleanup() {
    sh "$HERE/nginx.sh" stop "$WORK"
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cd "$WORK"
head -c $((20 * 1048576)) /dev/urandom > m20.bin
head -c 1048576 /dev/urandom > m1.bin
PORT=$(sh "$HERE/nginx.sh" start "$WORK")
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
URL="https://localhost:$PORT"

best() { # best cpu_ms of REPEATS runs of bench_transfer "$@"; prints its last line
    i=0; bestline=""; bestms=""
    while [ $i -lt "$REPEATS" ]; do
        line=$("$BUILD/test/bench/bench_transfer" "$URL" "$WORK/cert.pem" "$@" | tail -1)
        ms=$(echo "$line" | sed 's/.*cpu_ms=\([0-9.]*\).*/\1/')
        if [ -z "$bestms" ] || awk "BEGIN { exit !($ms < $bestms) }"; then
            bestms=$ms; bestline=$line
        fi
        i=$((i + 1))
    done
    echo "$bestline"
}

echo "== memory"
"$BUILD/test/bench/bench_handshake"
echo "== AEAD floor"
FLOOR_LINE=$("$BUILD/test/bench/aead_floor" 20 "$REPEATS" | tee /dev/stderr | tail -1)
FLOOR=$(echo "$FLOOR_LINE" | sed 's/floor_ms=\([0-9.]*\).*/\1/')
echo "== transfers against nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'), best of $REPEATS"
U1=$(best upload m1.bin);            echo "$U1"
U20=$(best upload m20.bin);          echo "$U20"
D20=$(best download m20.bin 0);      echo "$D20"
D20C=$(best download m20.bin 1048576); echo "$D20C"
ms() { echo "$1" | sed 's/.*cpu_ms=\([0-9.]*\).*/\1/'; }
field() { echo "$1" | sed "s/.* $2=\([0-9]*\).*/\1/"; }
echo "== figures"
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo "upload 20 MiB:   $(ratio "$(ms "$U20")" "$FLOOR")x the AEAD floor ($(ms "$U20") ms / $FLOOR ms)"
echo "download 20 MiB: $(ratio "$(ms "$D20")" "$FLOOR")x the AEAD floor ($(ms "$D20") ms / $FLOOR ms)"
echo "upload heap peak: 1 MiB $(field "$U1" heap_peak) bytes, 20 MiB $(field "$U20" heap_peak) bytes"
echo "download heap peak: 20 MiB $(field "$D20" heap_peak) bytes; in 20 chunks $(field "$D20C" heap_peak) bytes"
echo "handshakes for a 20-chunk download: $(field "$D20C" handshakes) ($(field "$D20C" requests) requests)"
echo "connection setup: $("$BUILD/test/bench/bench_transfer" "$URL" "$WORK/cert.pem" download m1.bin 0 | head -1 | sed 's/connect //')"
echo "== a 200 KB upload from a new process: full handshake and resumed session"
sh "$HERE/session_cpu.sh" "$BUILD"
