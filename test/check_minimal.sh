#!/bin/sh
# SPDX-License-Identifier: MIT
# configs/minimal_defconfig builds, and leaves out what it says: no
# download, gettoken or saved TLS session in the library (their functions
# are not exported, nor declared for an application), none in the tool,
# a CA file parsed whole and still verified, a smaller client.
set -eu
TOP=$1
DEFAULT_SIZE=$2 # WECOM_CLIENT_SIZE of the default build
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-minimal.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cmake -S "$TOP" -B "$WORK/b" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DWECOM_WERROR=ON -DWECOM_BUILD_TESTS=OFF \
    -DWECOM_KCONFIG="$TOP/configs/minimal_defconfig" >/dev/null
cmake --build "$WORK/b" >/dev/null
nm -D --defined-only "$WORK/b/libwecom-media.so" | awk '{print $NF}' > "$WORK/syms"
grep -qx wecom_media_upload "$WORK/syms"
for f in wecom_media_download wecom_token_fetch wecom_client_session_save \
         wecom_client_session_load; do
    if grep -qx "$f" "$WORK/syms"; then
        echo "the minimal library still exports $f"; exit 1
    fi
done
if "$WORK/b/cli/wecom-media" download x 2> "$WORK/err"; then
    echo "the minimal tool still downloads"; exit 1
fi
grep -q "unknown command 'download'" "$WORK/err"
if "$WORK/b/cli/wecom-media" --help | grep -q '^  download'; then
    echo "the minimal tool's help still offers download"; exit 1
fi
# No error descriptions (WECOM_ERROR_TEXT=n): the tool still names the
# error, and a refused file's size and limit.
printf 'abc' > "$WORK/tiny"
printf 'T0KEN\n' > "$WORK/token"
chmod 600 "$WORK/token"
if "$WORK/b/cli/wecom-media" --token-file "$WORK/token" upload "$WORK/tiny" 2> "$WORK/err"; then
    echo "the minimal tool sent a 3-byte file"; exit 1
fi
grep -q 'WECOM_ERR_MEDIA_TOO_SMALL 3, limit 5' "$WORK/err" ||
    { echo "the minimal tool does not name the error: $(cat "$WORK/err")"; exit 1; }
# No gettoken (WECOM_TOKEN_FETCH=n): corpid and secret are refused as a
# usage error that names the sources this build has, before any request.
if WECOM_CORPSECRET=s3cr3t "$WORK/b/cli/wecom-media" --corpid ww1 \
        --base-url https://127.0.0.1:9 upload "$WORK/tiny" 2> "$WORK/err"; then
    echo "the minimal tool accepted --corpid"; exit 1
else
    ex=$?
fi
[ "$ex" -eq 2 ] || { echo "--corpid without gettoken: exit $ex, not 2"; exit 1; }
grep -q 'no gettoken (WECOM_TOKEN_FETCH)' "$WORK/err" ||
    { echo "no word of the missing gettoken: $(cat "$WORK/err")"; exit 1; }
if grep -q 's3cr3t' "$WORK/err"; then
    echo "the secret reached the error text"; exit 1
fi
for call in 'wecom_media_download(0, 0, 0)' 'wecom_token_fetch(0, 0, 0, 0, 0)' \
            'wecom_client_session_save(0, 0, 0, 0)' 'wecom_client_session_load(0, 0, 0)'; do
    printf '#include <wecom/media.h>\nint main(void) { return (int)%s; }\n' "$call" \
        > "$WORK/app.c"
    if cc -Werror=implicit-function-declaration -I"$TOP/include" -I"$WORK/b/include" \
            -c "$WORK/app.c" -o "$WORK/app.o" 2>/dev/null; then
        echo "${call%%(*} is declared in a library without it"; exit 1
    fi
done
# The CA file parsed whole (WECOM_CA_STREAM=n) and the chain verified by
# mbedTLS against it: an RSA-2048 root -> intermediate -> leaf chain
# passes with its root alone and with the system bundle plus its root,
# and is refused by the bundle alone.
MIN=$WORK
TOOL=$MIN/b/cli/wecom-media
RSA_EMULATOR_DIR=$TOP/test/arena
. "$TOP/test/arena/rsa_emulator.sh"
start_rsa_emulator minimal
trap 'rsa_emulator_stop; rm -rf "$MIN"' EXIT INT TERM
printf '%s\n' "$TOKEN" > "$WORK/token"
chmod 600 "$WORK/token"
head -c 2000 /dev/urandom > "$WORK/media.bin"
send() {
    "$TOOL" --base-url "$EMU_URL" --cacert "$1" --token-file "$WORK/token" \
        upload "$WORK/media.bin" > "$WORK/out" 2> "$WORK/err"
}
send "$EMU_CA" || { echo "its root refused the chain: $(cat "$WORK/err")"; exit 1; }
BUNDLE=/etc/ssl/certs/ca-certificates.crt
if [ -s "$BUNDLE" ]; then
    cat "$BUNDLE" "$EMU_CA" > "$WORK/bundle.pem"
    send "$WORK/bundle.pem" ||
        { echo "the bundle with its root refused the chain: $(cat "$WORK/err")"; exit 1; }
    if send "$BUNDLE"; then
        echo "the system bundle alone trusted the emulator's chain"; exit 1
    fi
    grep -q 'WECOM_ERR_TLS_CERT_UNTRUSTED' "$WORK/err" ||
        { echo "not refused as untrusted: $(cat "$WORK/err")"; exit 1; }
fi
SIZE=$(sed -n 's/^#define WECOM_CLIENT_SIZE //p' "$MIN/b/include/wecom/abi.h")
[ "$SIZE" -lt "$DEFAULT_SIZE" ] || { echo "client $SIZE >= $DEFAULT_SIZE"; exit 1; }
echo "minimal_defconfig: no download, sizeof(wecom_client_t) $SIZE (default $DEFAULT_SIZE)"
