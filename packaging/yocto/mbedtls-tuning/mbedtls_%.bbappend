# SPDX-License-Identifier: MIT
# meta-networking's mbedtls with wecom-media's configuration overlay
# (packaging/mbedtls/ of the wecom-media sources): read only when
# WECOM_MBEDTLS_TUNING = "1" (conf/layer.conf). No source is edited in a
# task: the fetcher puts the two files in the tree, and a patch (one for
# 2.28, one for 3.x; checked against 2.28.10 and 3.6.6) names the overlay
# in the installed configuration header and compiles the gmtime_r.
FILESEXTRAPATHS:prepend := "${THISDIR}:${THISDIR}/../../mbedtls:"

WECOM_MBEDTLS_PATCHDIR = "${@'mbedtls-2' if d.getVar('PV').startswith('2.') else 'mbedtls-3'}"
SRC_URI += "file://${WECOM_MBEDTLS_PATCHDIR}/0001-wecom-media-configuration-overlay-and-gmtime.patch \
            file://wecom_mbedtls_config.h;subdir=git/include/mbedtls \
            file://wecom_mbedtls_gmtime.c;subdir=git/library \
            "
