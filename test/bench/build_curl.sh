#!/bin/sh
# SPDX-License-Identifier: MIT
# The curl an integrator would otherwise ship, for test/bench/table.py:
# Debian 12's curl 7.88 source built as Buildroot builds it, static
# libcurl over the system's mbedTLS, HTTP(S) only, no compression or IDN.
# The source package comes from the Debian archive apt already uses,
# through a private apt configuration that leaves the system's sources
# alone.
#
#   test/bench/build_curl.sh [DIR]   (default build-curl; prints the binary)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$(mkdir -p "${1:-$TOP/build-curl}" && cd "${1:-$TOP/build-curl}" && pwd)
BIN="$DIR/prefix/bin/curl"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

cd "$DIR"
if ! ls curl_*.orig.tar.gz >/dev/null 2>&1; then
    MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    mkdir -p apt/lists/partial apt/cache/archives/partial
    echo "deb-src $MIRROR bookworm main" > apt/src.list
    O="-o Dir::Etc::SourceList=$DIR/apt/src.list -o Dir::Etc::SourceParts=/dev/null"
    O="$O -o Dir::State::Lists=$DIR/apt/lists -o Dir::Cache=$DIR/apt/cache"
    # shellcheck disable=SC2086
    apt-get $O update >&2
    # shellcheck disable=SC2086
    apt-get $O source --download-only curl >&2
fi
rm -rf src && mkdir src && tar xzf curl_*.orig.tar.gz -C src --strip-components=1
cd src
./configure --prefix="$DIR/prefix" --disable-shared --enable-static \
    --with-mbedtls --without-zlib --without-brotli --without-zstd \
    --without-libpsl --without-libidn2 --without-nghttp2 --without-librtmp \
    --without-libssh2 --disable-ldap --disable-ldaps --disable-rtsp \
    --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
    --disable-imap --disable-smb --disable-smtp --disable-gopher \
    --disable-mqtt --disable-ftp --disable-file --disable-manual \
    --without-ca-path --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt >&2
make -j"$(nproc)" >&2
make install >&2
echo "$BIN"
