#!/bin/sh
# SPDX-License-Identifier: MIT
# The Buildroot option BR2_PACKAGE_WECOM_MEDIA_MBEDTLS_TUNE, run as
# Buildroot runs it, on real mbedTLS sources: its post-patch hook on
# Buildroot's mbedtls package, taken from wecom-media.mk and run twice
# (a rerun must change nothing), then
#   - the overlay is named once, in the config header this mbedTLS reads
#     (include/mbedtls/config.h in 2.28, mbedtls_config.h in 3.x);
#   - a program including <mbedtls/ssl.h> sees the overlay's settings;
#   - library/platform_util.c, with the UTC conversion appended, compiles.
#
#   test/packaging/mbedtls_hook.sh WORKDIR mbedtls_X.orig.tar.* ...
set -eu
W=$1; shift
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MK=$TOP/packaging/buildroot/package/wecom-media/wecom-media.mk
mkdir -p "$W"
W=$(cd "$W" && pwd)
# Buildroot's definitions the hook uses; the package infrastructure is not
# needed for a hook ($(@D) is the mbedtls build directory).
cat > "$W/hook.mk" <<EOF
BR2_EXTERNAL_WECOM_MEDIA_PATH := $TOP/packaging/buildroot
BR2_PACKAGE_WECOM_MEDIA_MBEDTLS_TUNE := y
SED := sed -i -e
INSTALL := install
cmake-package :=
qstrip = \$(strip \$(subst ",,\$(1)))
define sep


endef
include $MK
%/.stamp_patched:
	\$(if \$(MBEDTLS_POST_PATCH_HOOKS),,\$(error wecom-media.mk adds no MBEDTLS_POST_PATCH_HOOKS))
	\$(foreach hook,\$(MBEDTLS_POST_PATCH_HOOKS),\$(call \$(hook))\$(sep))
EOF
for tarball in "$@"; do
  D=$W/$(basename "$tarball" | sed 's/\.orig\.tar\..*//')
  rm -rf "$D" && mkdir -p "$D"
  tar -xf "$tarball" -C "$D" --strip-components=1
  for _ in 1 2; do
    rm -f "$D/.stamp_patched"
    make -s -f "$W/hook.mk" "$D/.stamp_patched" >/dev/null
  done
  if [ -f "$D/include/mbedtls/mbedtls_config.h" ]; then H=mbedtls_config.h; else H=config.h; fi
  n=$(grep -c '^#define MBEDTLS_USER_CONFIG_FILE "wecom_mbedtls_config.h"' "$D/include/mbedtls/$H" || true)
  [ "$n" = 1 ] || { echo "$(basename "$D"): the overlay is named $n times in include/mbedtls/$H"; exit 1; }
  [ "$(grep -c 'wecom_mbedtls_gmtime.c:' "$D/library/platform_util.c")" = 1 ] \
    || { echo "$(basename "$D"): the UTC conversion is not appended exactly once"; exit 1; }
  printf '%s\n' '#include <mbedtls/ssl.h>' \
    '#if !defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) || MBEDTLS_SSL_OUT_CONTENT_LEN != 4096' \
    '#error the overlay is not in effect' '#endif' \
    '#if defined(MBEDTLS_SSL_SRV_C) || !defined(MBEDTLS_PLATFORM_GMTIME_R_ALT)' \
    '#error the overlay is not in effect' '#endif' \
    | cc -std=c99 -I"$D/include" -fsyntax-only -x c - \
    || { echo "$(basename "$D"): <mbedtls/ssl.h> does not carry the overlay"; exit 1; }
  cc -std=c99 -I"$D/include" -I"$D/library" -fsyntax-only "$D/library/platform_util.c" \
    || { echo "$(basename "$D"): platform_util.c with the UTC conversion does not compile"; exit 1; }
  echo "mbedTLS tuning hook on $(basename "$D"): overlay named in include/mbedtls/$H, in effect, platform_util.c compiles"
done
