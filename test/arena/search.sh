#!/bin/sh
# SPDX-License-Identifier: MIT
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
RSA_EMULATOR_DIR=$HERE
. "$HERE/rsa_emulator.sh"
start_rsa_emulator arena
URL=$EMU_URL
head -c $((MIB * 1048576)) /dev/urandom > "$WORK/m.bin"
CA=$EMU_CA
if [ -n "${3:-}" ]; then
    cat "$3" "$EMU_CA" > "$WORK/bundle.pem"
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
