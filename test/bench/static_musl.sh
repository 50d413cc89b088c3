#!/bin/sh
# SPDX-License-Identifier: MIT
# wecom-media linked statically against musl libc and an mbedTLS built
# for it with the project's configuration: the build with the smallest
# peak RSS (make bench measures it beside the others).
#
#   test/bench/static_musl.sh DIR      builds DIR/obj/cli/wecom-media, prints its path
#
# Why musl: a static glibc program carries some 650 KB of libc (the
# resolver's NSS and dlopen machinery, locales, iconv tables) that the
# kernel maps at run time with the program's own pages, so a static glibc
# wecom-media peaks at about 1.3 MiB even with a tuned mbedTLS; on musl
# the whole tool is about 375 KB of text and peaks near 430 KiB.
#
# mbedTLS: Debian's 2.28 source through test/arena/mbedtls.sh (the
# project's packaging/mbedtls/wecom_mbedtls_config.h, no server side, as
# on a device), compiled by musl-gcc with -ffunction-sections
# -fdata-sections so that --gc-sections keeps only what the tool calls.
# Its source tarball is copied from WECOM_MBEDTLS_SRC (a directory,
# default: build-arena/mbedtls/src, where make test-arena put it) when
# there is one; otherwise mbedtls.sh fetches it once. llhttp is compiled
# from its C sources; jsmn's one header is copied into DIR, since musl-gcc
# must not be pointed at /usr/include (glibc's headers).
set -eu

DIR=$(mkdir -p "$1" && cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${WECOM_MBEDTLS_SRC:-$TOP/build-arena/mbedtls/src}
JSMN_H=${JSMN_H:-/usr/include/jsmn.h}

if ! command -v musl-gcc >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            musl-tools >&2
    else
        echo "static_musl.sh: musl-gcc is needed: sudo apt-get install -y musl-tools" >&2
        exit 1
    fi
fi

mkdir -p "$DIR/mbedtls/src" "$DIR/jsmn"
if ! ls "$DIR"/mbedtls/src/mbedtls_*.orig.tar.* >/dev/null 2>&1; then
    for t in "$SRC"/mbedtls_*.orig.tar.*; do
        [ -f "$t" ] && cp "$t" "$DIR/mbedtls/src/" && break
    done
fi
CC=musl-gcc CFLAGS="-ffunction-sections -fdata-sections" WECOM_MBEDTLS_TEST_SERVER=0 \
    sh "$TOP/test/arena/mbedtls.sh" "$DIR/mbedtls" >&2
cp "$JSMN_H" "$DIR/jsmn/jsmn.h"

CC=musl-gcc CFLAGS="-ffunction-sections -fdata-sections" \
    cmake -S "$TOP" -B "$DIR/obj" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DWECOM_MBEDTLS_STATIC=ON -DWECOM_STATIC_CLI=ON -DWECOM_BUILD_SHARED=OFF \
    -DWECOM_BUILD_TESTS=OFF -DCMAKE_PREFIX_PATH="$DIR/mbedtls/prefix" \
    -DWECOM_JSMN_INCLUDE_DIR="$DIR/jsmn" >&2
cmake --build "$DIR/obj" --target wecom-media >&2
echo "$DIR/obj/cli/wecom-media"
