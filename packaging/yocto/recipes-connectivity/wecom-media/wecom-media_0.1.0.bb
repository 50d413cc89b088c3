# SPDX-License-Identifier: MIT
SUMMARY = "WeCom temporary-media client for constrained Linux devices"
DESCRIPTION = "Uploads and downloads WeCom temporary media over HTTPS \
(mbedTLS) in a fixed amount of memory: a C library and the wecom-media tool."
SECTION = "libs/network"
HOMEPAGE = "https://github.com/wecom-media/wecom-media"

LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=8fb03c124c9e043f430db178087f040d"

# The project's public repository and the commit this recipe builds; a
# release moves SRCREV (and PV) to its tag's commit. To build a working
# checkout instead (a developer's override, in local.conf):
#   INHERIT += "externalsrc"
#   EXTERNALSRC:pn-wecom-media = "/path/to/wecom-media"
#   EXTERNALSRC_BUILD:pn-wecom-media = "${WORKDIR}/build"
SRC_URI = "git://github.com/wecom-media/wecom-media.git;protocol=https;branch=main"
SRCREV = "b68349503cd67161931a0283a8812ee837f7a67d"
S = "${WORKDIR}/git"

inherit cmake pkgconfig

DEPENDS = "mbedtls llhttp jsmn"

# cli:       the wecom-media tool, packaged apart in ${PN}-cli
# shared:    libwecom-media.so (else the static library only)
# download:  fetching media back (media/get); off, the library shrinks
# check-amr: walk an AMR voice's frames (length limit) before upload
# check-mp4: check that a video is MP4 before upload
# progress:  the tool's progress bar
PACKAGECONFIG ??= "cli shared download check-amr check-mp4 progress"
PACKAGECONFIG[cli] = "-DWECOM_BUILD_CLI=ON,-DWECOM_BUILD_CLI=OFF"
PACKAGECONFIG[shared] = "-DWECOM_BUILD_SHARED=ON,-DWECOM_BUILD_SHARED=OFF"
PACKAGECONFIG[download] = ",,"
PACKAGECONFIG[check-amr] = ",,"
PACKAGECONFIG[check-mp4] = ",,"
PACKAGECONFIG[progress] = ",,"
# Kconfig switches, y or n as in a .config.
WECOM_DOWNLOAD = "${@bb.utils.contains('PACKAGECONFIG', 'download', 'y', 'n', d)}"
WECOM_CHECK_AMR = "${@bb.utils.contains('PACKAGECONFIG', 'check-amr', 'y', 'n', d)}"
WECOM_CHECK_MP4 = "${@bb.utils.contains('PACKAGECONFIG', 'check-mp4', 'y', 'n', d)}"
WECOM_CLI_PROGRESS = "${@bb.utils.contains('PACKAGECONFIG', 'progress', 'y', 'n', d)}"

# The library's Kconfig settings a device integrator changes (set them in
# local.conf or a bbappend); those not named keep their defaults
# (include/wecom/config.h). docs/firmware.md says what each costs.
WECOM_IO_BUF_SIZE ?= "16384"
WECOM_DEFAULT_CA_FILE ?= "/etc/ssl/certs/ca-certificates.crt"

WECOM_KCONFIG = "${WORKDIR}/wecom.config"
EXTRA_OECMAKE += "-DWECOM_BUILD_TESTS=OFF -DWECOM_KCONFIG=${WECOM_KCONFIG}"

do_configure:prepend() {
    printf '%s\n' \
        'CONFIG_WECOM_IO_BUF_SIZE=${WECOM_IO_BUF_SIZE}' \
        'CONFIG_WECOM_DOWNLOAD=${WECOM_DOWNLOAD}' \
        'CONFIG_WECOM_CHECK_AMR=${WECOM_CHECK_AMR}' \
        'CONFIG_WECOM_CHECK_MP4=${WECOM_CHECK_MP4}' \
        'CONFIG_WECOM_CLI_PROGRESS=${WECOM_CLI_PROGRESS}' \
        'CONFIG_WECOM_DEFAULT_CA_FILE="${WECOM_DEFAULT_CA_FILE}"' \
        > ${WECOM_KCONFIG}
}

# An image can take the library alone; the tool comes with ${PN}-cli.
PACKAGES =+ "${PN}-cli"
FILES:${PN}-cli = "${bindir}/wecom-media"
RRECOMMENDS:${PN} = "ca-certificates"
# Without "shared" the library is static (${PN}-staticdev) and ${PN} holds
# no file; it is still made, so that ${PN}-dev (which depends on it) and an
# image's IMAGE_INSTALL += "wecom-media" keep working.
ALLOW_EMPTY:${PN} = "1"
RRECOMMENDS:${PN}-cli = "ca-certificates"
