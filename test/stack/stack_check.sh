#!/bin/sh
# The stack an upload and a download take, measured: transfer_probe runs
# them (1 MiB each way, against the emulator serving an RSA-2048 chain) on
# a thread whose stack was painted, and counts the bytes touched beyond
# what an idle thread touches. Fails when that is over BOUND.
#
#   test/stack/stack_check.sh PROBE BOUND [EMULATOR COMMAND...]
#
# README states the figure; test/stack/stack_usage.py lists the frames.
set -eu

PROBE=$1
BOUND=$2
shift 2
HERE=$(cd "$(dirname "$0")/../arena" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-stack.XXXXXX")
TOKEN=stack-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
EMU_PID=""

cleanup() {
    [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

python3 "$HERE/rsa_emulator.py" --state-dir "$WORK/emu" --token "$TOKEN" > "$WORK/emu.out" 2>&1 &
EMU_PID=$!
i=0
while [ ! -s "$WORK/emu/port" ]; do
    i=$((i + 1))
    [ $i -le 300 ] && kill -0 "$EMU_PID" 2>/dev/null || { cat "$WORK/emu.out" >&2; exit 1; }
    sleep 0.1
done
head -c 1048576 /dev/urandom > "$WORK/m.bin"
out=$("$@" "$PROBE" --stack 262144 "$(cat "$WORK/emu/url")" "$WORK/emu/ca.pem" "$TOKEN" "$WORK/m.bin")
echo "$out"
used=$(echo "$out" | sed -n 's/^stack_used=\([0-9]*\).*/\1/p')
[ -n "$used" ] || { echo "no figure from the probe" >&2; exit 1; }
if [ "$used" -gt "$BOUND" ]; then
    echo "an upload and a download took $used bytes of stack, over the bound of $BOUND:" \
         "find the new large frame (test/stack/stack_usage.py) or raise WECOM_STACK_BOUND" >&2
    exit 1
fi
echo "stack high-water mark of an upload and a download: $used bytes (bound $BOUND)"
