# SPDX-License-Identifier: MIT
SUMMARY = "llhttp: the HTTP/1.x parser of Node.js, in plain C"
DESCRIPTION = "llhttp is a port of http_parser to llparse: a fast HTTP/1.x \
request and response parser generated as C, with no dependencies."
HOMEPAGE = "https://github.com/nodejs/llhttp"
SECTION = "libs"
LICENSE = "MIT"
# md5 of LICENSE-MIT in the release/v9.2.1 tarball (its sha256, ebca854e...,
# is the one packaging/buildroot/package/llhttp/llhttp.hash records).
LIC_FILES_CHKSUM = "file://LICENSE-MIT;md5=f5e274d60596dd59be0a1d1b19af7978"

# The release/v* tags carry the generated C sources and a CMake build (the
# plain v* tags hold the TypeScript generator only). The sha256 is the one
# published for this tarball, the same as in the Buildroot package
# (packaging/buildroot/package/llhttp/llhttp.hash).
SRC_URI = "https://github.com/nodejs/llhttp/archive/refs/tags/release/v${PV}.tar.gz;downloadfilename=llhttp-release-v${PV}.tar.gz"
SRC_URI[sha256sum] = "3c163891446e529604b590f9ad097b2e98b5ef7e4d3ddcf1cf98b62ca668f23e"

S = "${WORKDIR}/llhttp-release-v${PV}"

# meta-networking has its own llhttp from its 2026 master on (none on
# kirkstone or scarthgap). Where both exist, meta-networking's is the one
# to build: this layer's lower BBFILE_PRIORITY (conf/layer.conf) already
# makes it so, and DEFAULT_PREFERENCE keeps it so in a stack that raises
# this layer to meta-networking's priority. Alone, this recipe is used.
DEFAULT_PREFERENCE = "-1"

inherit cmake

# The shared library (llhttp's own default), as meta-networking builds it.
EXTRA_OECMAKE += "-DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF"

BBCLASSEXTEND = "native nativesdk"
