#!/bin/sh
# SPDX-License-Identifier: MIT
# Build Debian's mbedTLS source with packaging/mbedtls/wecom_mbedtls_config.h,
# the way a Buildroot or Yocto recipe would, and install it under DIR/prefix.
#
#   test/arena/mbedtls.sh DIR [SUITE]       (SUITE: bookworm, mbedTLS 2.28)
#
# WECOM_MBEDTLS_TEST_SERVER=0 leaves out the server side that the tests
# need, as a device's build would (to measure its size).
#
# The source package comes from the Debian archive apt already uses, through
# a private apt configuration (lists and cache under DIR/apt): the system's
# sources and lists are left alone. It is fetched only when DIR/src has no
# .orig tarball yet, so a second run needs no network. apt checks the
# tarball against the signed Sources index.
set -eu

DIR=$(mkdir -p "$1" && cd "$1" && pwd)
SUITE=${2:-bookworm}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CONFIG=$TOP/packaging/mbedtls/wecom_mbedtls_config.h
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

fetch() {
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
    a=$DIR/apt
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$DIR/src"
    echo "deb-src $mirror $SUITE main" > "$a/src.list"
    set -- -o Dir::Etc::SourceList="$a/src.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" -q
    apt-get "$@" update
    (cd "$DIR/src" && apt-get "$@" source --download-only mbedtls)
}

tarball() { ls "$DIR"/src/mbedtls_*.orig.tar.* 2>/dev/null | head -1; }
[ -n "$(tarball)" ] || fetch
TARBALL=$(tarball)
[ -n "$TARBALL" ] || { echo "mbedtls.sh: no mbedTLS source in $DIR/src" >&2; exit 1; }

# A fresh tree whenever the configuration or the tarball changed.
STAMP=$(cat "$CONFIG" "$TOP/packaging/mbedtls/wecom_mbedtls_gmtime.c" "$0" | cksum | cut -d' ' -f1)-$(basename "$TARBALL")-${WECOM_MBEDTLS_TEST_SERVER:-1}
if [ "$(cat "$DIR/prefix/.wecom-stamp" 2>/dev/null)" = "$STAMP" ]; then
    echo "mbedTLS with the project's configuration: up to date in $DIR/prefix"
    exit 0
fi
rm -rf "$DIR/tree" "$DIR/obj" "$DIR/prefix"
mkdir -p "$DIR/tree"
tar -xf "$TARBALL" -C "$DIR/tree" --strip-components=1

# What the recipe does: the overlay beside the default config header, named
# at its top so that the installed headers carry it (2.28: config.h, 3.x:
# mbedtls_config.h). The tests play the TLS server, so this build keeps
# the server side (WECOM_MBEDTLS_WITH_TEST_SERVER).
H=$DIR/tree/include/mbedtls/config.h
[ -f "$H" ] || H=$DIR/tree/include/mbedtls/mbedtls_config.h
cp "$CONFIG" "$DIR/tree/include/mbedtls/"
{
    [ "${WECOM_MBEDTLS_TEST_SERVER:-1}" = 0 ] || echo '#define WECOM_MBEDTLS_WITH_TEST_SERVER'
    echo '#define MBEDTLS_USER_CONFIG_FILE "wecom_mbedtls_config.h"'
    cat "$H"
} > "$H.new" && mv "$H.new" "$H"
cat "$TOP/packaging/mbedtls/wecom_mbedtls_gmtime.c" >> "$DIR/tree/library/platform_util.c"

cmake -S "$DIR/tree" -B "$DIR/obj" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$DIR/prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF \
    -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
    -DMBEDTLS_FATAL_WARNINGS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON >/dev/null
cmake --build "$DIR/obj" -j "$JOBS"
cmake --install "$DIR/obj" >/dev/null
echo "$STAMP" > "$DIR/prefix/.wecom-stamp"
echo "mbedTLS $(basename "$TARBALL" | sed 's/mbedtls_\(.*\)\.orig.*/\1/') with the project's configuration in $DIR/prefix"
