#!/bin/sh
# SPDX-License-Identifier: MIT
# What the outbox costs: one `wecom-media queue add` of a 200 KB picture
# (fsyncs, write calls, bytes written, as strace counts them; the spool's
# bytes on disk), its upload from the outbox (fsyncs, journal bytes; the
# emulator stands in for WeCom), and with --crash the crash test's figures (items, kills,
# duplicate uploads) from test/integration/test_cli_outbox.py.
#
#   test/bench/outbox_cost.sh PATH/TO/wecom-media [--crash]
set -eu
CLI=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-outbox-cost.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/shot.jpg" <<'PY'
import os, sys
head = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
open(sys.argv[1], "wb").write(head + os.urandom(200 * 1024 - len(head) - 2) + b"\xff\xd9")
PY
"$CLI" queue status --spool "$WORK/spool" >/dev/null # the spool exists: not counted
SIZE=$(wc -c < "$WORK/shot.jpg")
if command -v strace >/dev/null 2>&1; then
    strace -f -o "$WORK/trace" -e trace=fsync,fdatasync,sync_file_range,write,pwrite64,renameat,renameat2,rename \
        "$CLI" queue add --spool "$WORK/spool" "$WORK/shot.jpg" >/dev/null
    # The id printed on stdout (fd 1) is not the outbox's cost.
    awk -v size="$SIZE" '
        / fsync\(| fdatasync\(/ { fsyncs++ }
        / (write|pwrite64)\([0-9]+,/ { split($0, a, "[(,]"); if (a[2] != 1 && a[2] != 2) {
              writes++; n = $NF; bytes += n } }
        / rename/ { renames++ }
        END { printf "enqueue of a %d-byte picture: %d fsync(s), %d rename(s), %d write call(s), %d bytes written (%.2f%% over the picture)\n",
                     size, fsyncs, renames, writes, bytes, (bytes - size) * 100.0 / size }' "$WORK/trace"
else
    "$CLI" queue add --spool "$WORK/spool" "$WORK/shot.jpg" >/dev/null
    echo "strace not installed: fsyncs not counted (the code makes two: the item's and q/'s)"
fi
echo "spool on disk: $(du -sk "$WORK/spool" | cut -f1) KiB for $(ls "$WORK/spool/q" | wc -l) item(s) of $SIZE bytes"
# Uploading it (against the emulator): fsyncs and journal bytes per item.
if command -v strace >/dev/null 2>&1; then
    EMU="$TOP/test/emulator/emu.py"
    URL=$(python3 "$EMU" start --state-dir "$WORK/emu" --token outbox-cost-token)
    WECOM_ACCESS_TOKEN=outbox-cost-token strace -f -o "$WORK/trace2" -e trace=fsync,fdatasync,write \
        "$CLI" --base-url "$URL" --cacert "$WORK/emu/ca.pem" queue run --once \
        --spool "$WORK/spool" >/dev/null || echo "queue run failed"
    python3 "$EMU" stop --state-dir "$WORK/emu" >/dev/null
    # The rest are the tool's own caches (TLS session, token), not the outbox's.
    echo "upload of it from the outbox: $(grep -c 'fsync(' "$WORK/trace2") fsync(s) in all" \
         "(4 the outbox's: the receipt, inflight/ after the move, results.log, inflight/ after the delete);" \
         "results.log $(wc -c < "$WORK/spool/results.log") bytes"
fi
if [ "${2:-}" = "--crash" ]; then
    cd "$TOP/test/integration"
    WECOM_CLI=$CLI PYTHONDONTWRITEBYTECODE=1 python3 -W ignore::ResourceWarning \
        -m unittest test_cli_outbox.OutboxCrash 2>&1 | grep -E '^OutboxCrash|^(OK|FAILED)'
fi
