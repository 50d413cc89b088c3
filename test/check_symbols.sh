#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared library exports the public API and nothing else: the
# functions its installed headers declare (each marked WECOM_API) are
# exactly its defined dynamic symbols, both ways. A function declared in a
# public header without WECOM_API is an error too: it would be hidden.
set -eu
SO=$1
shift
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-symbols.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Declarations, with comments and preprocessor lines left out and each
# declaration joined onto one line (they end at ';').
for h in "$@"; do
    sed -e 's:/\*.*\*/::g' -e '/\/\*/,/\*\//d' -e '/^#/d' "$h"
done | tr '\n' ' ' | tr ';' '\n' > "$WORK/decls"
grep -o 'WECOM_API [^(]*(' "$WORK/decls" | sed 's/.*[ *]\(wecom_[a-z0-9_]*\)($/\1/' \
    | sort -u > "$WORK/declared"
# Every prototype of a wecom_ function, marked or not.
grep -v 'typedef\|(\*' "$WORK/decls" | grep -o '[ *]wecom_[a-z0-9_]* *(' \
    | sed 's/^[ *]//; s/ *($//' | sort -u > "$WORK/prototypes"
nm -D --defined-only "$SO" | awk '{print $NF}' | sort -u > "$WORK/exported"
status=0
if ! cmp -s "$WORK/declared" "$WORK/prototypes"; then
    echo "declared in a public header without WECOM_API:"
    comm -13 "$WORK/declared" "$WORK/prototypes"
    status=1
fi
if [ -n "$(comm -13 "$WORK/declared" "$WORK/exported")" ]; then
    echo "exported but not in the public headers:"
    comm -13 "$WORK/declared" "$WORK/exported"
    status=1
fi
if [ -n "$(comm -23 "$WORK/declared" "$WORK/exported")" ]; then
    echo "declared public but not exported:"
    comm -23 "$WORK/declared" "$WORK/exported"
    status=1
fi
[ $status -eq 0 ] && echo "$(wc -l < "$WORK/exported") exported symbols = the public API"
exit $status
