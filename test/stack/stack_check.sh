#!/bin/sh
# SPDX-License-Identifier: MIT
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
RSA_EMULATOR_DIR=$HERE
. "$HERE/rsa_emulator.sh"
start_rsa_emulator stack
head -c 1048576 /dev/urandom > "$WORK/m.bin"
out=$("$@" "$PROBE" --stack 262144 "$EMU_URL" "$EMU_CA" "$TOKEN" "$WORK/m.bin")
echo "$out"
used=$(echo "$out" | sed -n 's/^stack_used=\([0-9]*\).*/\1/p')
[ -n "$used" ] || { echo "no figure from the probe" >&2; exit 1; }
if [ "$used" -gt "$BOUND" ]; then
    echo "an upload and a download took $used bytes of stack, over the bound of $BOUND:" \
         "find the new large frame (test/stack/stack_usage.py) or raise WECOM_STACK_BOUND" >&2
    exit 1
fi
echo "stack high-water mark of an upload and a download: $used bytes (bound $BOUND)"
