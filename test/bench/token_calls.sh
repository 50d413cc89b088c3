#!/bin/sh
# SPDX-License-Identifier: MIT
# gettoken calls for N uploads in N consecutive processes of the tool
# (a camera that runs it every few minutes), with the token cache and
# without it (--no-token-cache), against the local emulator. WeCom blocks
# callers that call gettoken too often: the first figure should be 1.
#   sh test/bench/token_calls.sh BUILD_DIR [N]
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:?usage: token_calls.sh BUILD_DIR [N]}
N=${2:-100}
CLI=$BUILD/cli/wecom-media
EMU=$TOP/test/emulator/emu.py
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-token-calls.XXXXXX")
trap 'python3 "$EMU" stop --state-dir "$WORK/emu" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
URL=$(python3 "$EMU" start --state-dir "$WORK/emu")
# A small JPEG: the SOI/APP0 head, some bytes, EOI.
printf '\377\330\377\340\000\020JFIF\000\001\001\000\000\001\000\001\000\000' > "$WORK/a.jpg"
head -c 2000 /dev/urandom >> "$WORK/a.jpg"
printf '\377\331' >> "$WORK/a.jpg"

gettokens() {
    python3 "$EMU" --state-dir "$WORK/emu" log |
        python3 -c 'import json,sys; print(sum(e["path"] == "/cgi-bin/gettoken" for e in json.load(sys.stdin)))'
}

run() { # label, extra option or ""
    python3 "$EMU" --state-dir "$WORK/emu" reset >/dev/null
    rm -rf "$WORK/cache"
    t0=$(date +%s%N)
    i=0
    while [ $i -lt "$N" ]; do
        env -i PATH="$PATH" XDG_CACHE_HOME="$WORK/cache" WECOM_CORPSECRET=emulator-secret \
            "$CLI" --base-url "$URL" --cacert "$WORK/emu/ca.pem" --corpid wwemulator $2 \
            upload "$WORK/a.jpg" >/dev/null
        i=$((i + 1))
    done
    t1=$(date +%s%N)
    echo "$1: $N uploads in $N processes: $(gettokens) gettoken call(s), $(( (t1 - t0) / 1000000 )) ms"
}
run "token cache" ""
run "--no-token-cache" "--no-token-cache"
