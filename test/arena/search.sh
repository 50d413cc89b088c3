#!/bin/sh
# The smallest static arena on which mbedTLS completes a handshake over an
# RSA-2048 chain and a 20 MiB upload and download (binary search, to 64
# bytes). Needs an mbedTLS built with packaging/mbedtls/wecom_mbedtls_config.h
# (make test-arena builds one).
#
#   test/arena/search.sh BUILD_DIR [MIB [BUNDLE]]
#
# With BUNDLE (a CA file such as /etc/ssl/certs/ca-certificates.crt), the
# client trusts that file with the test root appended, as a device that
# ships the system bundle would.
#
# Prints "smallest arena: N bytes" last; exits 1 if even 1 MiB fails or
# the figure is over the arena the tool hands over (WECOM_CLI_MBEDTLS_ARENA
# of BUILD_DIR, as include/wecom/abi.h records it).
set -eu

BUILD=$(cd "$1" && pwd)
MIB=${2:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE=$BUILD/test/arena/transfer_probe
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-arena.XXXXXX")
TOKEN=arena-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
EMU_PID=""

cleanup() {
    [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

python3 "$HERE/rsa_emulator.py" --state-dir "$WORK/emu" --token "$TOKEN" > "$WORK/emu.out" 2>&1 &
EMU_PID=$!
i=0
while [ ! -s "$WORK/emu/port" ]; do
    i=$((i + 1))
    [ $i -le 300 ] && kill -0 "$EMU_PID" 2>/dev/null || { cat "$WORK/emu.out" >&2; exit 1; }
    sleep 0.1
done
URL=$(cat "$WORK/emu/url")
head -c $((MIB * 1048576)) /dev/urandom > "$WORK/m.bin"
CA=$WORK/emu/ca.pem
if [ -n "${3:-}" ]; then
    cat "$3" "$WORK/emu/ca.pem" > "$WORK/bundle.pem"
    CA=$WORK/bundle.pem
fi

fits() { "$PROBE" --arena "$1" "$URL" "$CA" "$TOKEN" "$WORK/m.bin" 2>/dev/null; }

hi=1048576
if ! fits $hi; then
    "$PROBE" --arena $hi "$URL" "$CA" "$TOKEN" "$WORK/m.bin" || true
    echo "an upload and download of $MIB MiB fails even with a 1 MiB arena" >&2
    exit 1
fi
lo=4096 # fails: less than one record buffer
while [ $((hi - lo)) -gt 64 ]; do
    mid=$(((lo + hi) / 2))
    if fits $mid; then hi=$mid; else lo=$mid; fi
done
CLI_ARENA=$(sed -n 's/^#if WECOM_CLI_MBEDTLS_ARENA != \([0-9]*\)$/\1/p' "$BUILD/include/wecom/abi.h")
echo "RSA-2048 chain (root, intermediate, leaf), $MIB MiB up and down," \
     "trusting $(grep -c 'BEGIN CERTIFICATE' "$CA") root(s)"
echo "smallest arena: $hi bytes ($(awk "BEGIN { printf \"%.1f\", $hi / 1024 }") KiB; the tool's: ${CLI_ARENA:-?})"
if [ -n "$CLI_ARENA" ] && [ "$hi" -gt "$CLI_ARENA" ]; then
    echo "more than the tool's arena: raise WECOM_CLI_MBEDTLS_ARENA" >&2
    exit 1
fi
