# SPDX-License-Identifier: MIT
SUMMARY = "jsmn: a minimalistic JSON tokenizer in one C header"
HOMEPAGE = "https://github.com/zserge/jsmn"
SECTION = "libs"
LICENSE = "MIT"
# md5 of LICENSE in the v1.1.0 tarball (the same file as Debian's
# jsmn_1.1.0.orig.tar.gz, whose sha256 matches the one below).
LIC_FILES_CHKSUM = "file://LICENSE;md5=5adc94605a1f7a797a9a834adbe335e3"

SRC_URI = "https://github.com/zserge/jsmn/archive/refs/tags/v${PV}.tar.gz;downloadfilename=jsmn-${PV}.tar.gz \
           file://jsmn.pc.in"
SRC_URI[sha256sum] = "5f0913a10657fe7ec8d5794ccf00a01000e3e1f2f1e1f143c34a0f7b47edcb38"

S = "${WORKDIR}/jsmn-${PV}"

# Header only: nothing to build, nothing for the target image.
do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${includedir} ${D}${libdir}/pkgconfig
    install -m 0644 ${S}/jsmn.h ${D}${includedir}/jsmn.h
    sed -e 's|@PREFIX@|${prefix}|' -e 's|@INCLUDEDIR@|${includedir}|' \
        -e 's|@VERSION@|${PV}|' ${WORKDIR}/jsmn.pc.in > ${D}${libdir}/pkgconfig/jsmn.pc
}

# Everything is development material; an empty runtime package is allowed
# so that -dev can depend on it.
ALLOW_EMPTY:${PN} = "1"
BBCLASSEXTEND = "native nativesdk"
