#!/bin/sh
# SPDX-License-Identifier: MIT
# The docs' complete C examples compile against the headers a build
# installs: every ```c block of docs/firmware.md that starts with an
# #include is compiled on its own, warnings as errors.
# Usage: check_doc_examples.sh TOP GENERATED_INCLUDE CC
set -eu
TOP=$1 GEN=$2 CC=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
awk -v dir="$WORK" '
    /^```c$/ { n++; inb = 1; f = dir "/ex" n ".c"; first = 1; next }
    /^```$/  { inb = 0; next }
    inb { if (first && $0 !~ /^#include/) { inb = 0; next }
          first = 0; print > f }
' "$TOP/docs/firmware.md"
count=0
for f in "$WORK"/ex*.c; do
    [ -f "$f" ] || continue
    count=$((count + 1))
    "$CC" -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -fsyntax-only \
        -I"$TOP/include" -I"$GEN" "$f" || {
        echo "docs/firmware.md: example $(basename "$f") does not compile" >&2; exit 1; }
done
[ "$count" -gt 0 ] || { echo "no complete C example found in docs/firmware.md" >&2; exit 1; }
echo "$count complete C example(s) of docs/firmware.md compile"
