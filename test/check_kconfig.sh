#!/bin/sh
# SPDX-License-Identifier: MIT
# A Kconfig .config reaches the build: its CONFIG_WECOM_* values become
# wecom/build_config.h, "n" or "is not set" makes a bool 0, and the library builds
# with a small I/O buffer taken from it.
set -eu
TOP=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-kconfig.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/.config" <<'CFG'
# a menuconfig-style .config
CONFIG_WECOM_IO_BUF_SIZE=4096
CONFIG_WECOM_LIMIT_IMAGE_BYTES=10485760
CONFIG_WECOM_DEFAULT_CA_FILE="/etc/device/ca.pem"
CONFIG_WECOM_SOMETHING_OFF=n
# CONFIG_WECOM_NOT_SET is not set
CONFIG_OTHER_PROJECT=y
CFG
cmake -S "$TOP" -B "$WORK/b" -G Ninja -DWECOM_KCONFIG="$WORK/.config" \
    -DWECOM_BUILD_TESTS=OFF -DWECOM_BUILD_CLI=OFF >/dev/null
H="$WORK/b/include/wecom/build_config.h"
grep -qx '#define WECOM_IO_BUF_SIZE 4096' "$H"
grep -qx '#define WECOM_LIMIT_IMAGE_BYTES 10485760' "$H"
grep -qx '#define WECOM_DEFAULT_CA_FILE "/etc/device/ca.pem"' "$H"
# a bool turned off either way is 0, so a default of 1 can be overridden
grep -qx '#define WECOM_SOMETHING_OFF 0' "$H"
grep -qx '#define WECOM_NOT_SET 0' "$H"
! grep -q 'OTHER_PROJECT' "$H"
cmake --build "$WORK/b" --target wecom_media_static >/dev/null
cat > "$WORK/t.c" <<'C'
#include <stdio.h>
#include <wecom/media.h>
int main(void)
{
    wecom_limits_t l;
    wecom_limits_default(&l);
    /* the client the library measured holds the smaller buffer */
    printf("%d %llu %s\n", WECOM_IO_BUF_SIZE,
           (unsigned long long)l.image_bytes, WECOM_DEFAULT_CA_FILE);
    return sizeof(wecom_client_t) < 16384 ? 0 : 1;
}
C
cc -I"$TOP/include" -I"$WORK/b/include" "$WORK/t.c" "$WORK/b/libwecom-media.a" \
    -lmbedtls -lmbedx509 -lmbedcrypto -o "$WORK/t"
OUT=$("$WORK/t")
[ "$OUT" = "4096 10485760 /etc/device/ca.pem" ] || { echo "got: $OUT"; exit 1; }
echo "a .config sets the build: $OUT"
