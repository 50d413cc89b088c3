#!/bin/sh
# SPDX-License-Identifier: MIT
# The ABI guard. An application compiled with a setting other than the
# library's fails to compile, naming the setting; one compiled against the
# headers of another build (here: abi.h with a different client size, or
# another settings stamp) gets WECOM_ERR_ABI_MISMATCH from wecom_client_init, never a silent
# mismatch. The same application built as it should be gets past the
# check.
set -eu
SRC=$1   # source tree
BUILD=$2 # build tree (libwecom-media.so, include/wecom/abi.h)
CC=${CC:-cc}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-abi.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/inc/wecom"
cp "$SRC"/include/wecom/*.h "$BUILD"/include/wecom/*.h "$WORK/inc/wecom/"
cat > "$WORK/app.c" <<'C'
#include <stdio.h>
#include <wecom/media.h>
static wecom_client_t client;
int main(void)
{
    wecom_client_config_t cfg = {0}; /* no port: an invalid argument */
    printf("%s\n", wecom_errname(wecom_client_init(&client, &cfg)));
    return 0;
}
C
# 1. A different setting: a compile-time error that names it.
if "$CC" -DWECOM_IO_BUF_SIZE=4096 -I"$WORK/inc" -c "$WORK/app.c" \
        -o "$WORK/app.o" 2> "$WORK/err"; then
    echo "an application with WECOM_IO_BUF_SIZE=4096 compiled"; exit 1
fi
grep -q 'WECOM_IO_BUF_SIZE differs from the library' "$WORK/err" \
    || { cat "$WORK/err"; exit 1; }
sed -n 's/.*#error //p' "$WORK/err" | head -1

link() { "$CC" -I"$WORK/inc" "$WORK/app.c" -o "$WORK/$1" -L"$BUILD" \
             -lwecom-media -Wl,-rpath,"$BUILD"; }
# 2. The headers as built: init gets past the guard to the argument check.
link good
[ "$("$WORK/good")" = WECOM_ERR_INVALID_ARG ] || { "$WORK/good"; exit 1; }
# 3. Headers of another build (a larger client): refused at run time.
sed -i 's/^#define WECOM_CLIENT_SIZE \([0-9]*\)/#define WECOM_CLIENT_SIZE (\1 + 64)/' \
    "$WORK/inc/wecom/abi.h"
link stale
out=$("$WORK/stale")
[ "$out" = WECOM_ERR_ABI_MISMATCH ] || { echo "stale headers gave $out"; exit 1; }
# 4. The same size but other settings baked into the headers (a stamp
# that differs): refused too.
cp "$BUILD/include/wecom/abi.h" "$WORK/inc/wecom/abi.h"
sed -i 's/^#define WECOM_ABI_STAMP \(.*\)$/#define WECOM_ABI_STAMP (\1 + 1)/' \
    "$WORK/inc/wecom/abi.h"
link stamp
out2=$("$WORK/stamp")
[ "$out2" = WECOM_ERR_ABI_MISMATCH ] || { echo "another stamp gave $out2"; exit 1; }
echo "stale headers: wecom_client_init returned $out (size) and $out2 (stamp)"
