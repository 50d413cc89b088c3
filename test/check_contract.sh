#!/bin/sh
# SPDX-License-Identifier: MIT
# Every function the public headers declare (WECOM_API) has its CASE in
# test/unit/test_contract.c, which calls it with NULL and with clients and
# outboxes that were never set up: a new public function without one is
# an error here. Usage: check_contract.sh TEST_SOURCE HEADER... |
# --self-test TEST_SOURCE HEADER...
set -eu
if [ "$1" = --self-test ]; then
    # A header with one more function must be caught, and only it named.
    shift
    src=$1
    shift
    d=$(mktemp -d "${TMPDIR:-/tmp}/wecom-contract.XXXXXX")
    trap 'rm -rf "$d"' EXIT
    printf '/* a planted function */\nWECOM_API int wecom_planted_fn(\n    void *p);\n' \
        > "$d/planted.h"
    if out=$(sh "$0" "$src" "$@" "$d/planted.h" 2>&1); then
        echo "self-test: a function without a case passed" >&2; exit 1
    fi
    printf '%s\n' "$out" | grep -qx '  wecom_planted_fn' \
        || { echo "self-test: the planted function was not named" >&2; exit 1; }
    [ "$(printf '%s\n' "$out" | grep -c '^  wecom_')" = 1 ] \
        || { echo "self-test: more than the planted function named" >&2; exit 1; }
    echo "self-test: the planted function without a case is found"
    exit 0
fi
SRC=$1
shift
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-contract.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# The declarations, as test/check_symbols.sh reads them: comments and
# preprocessor lines left out, each declaration on one line.
for h in "$@"; do
    sed -e 's:/\*.*\*/::g' -e '/\/\*/,/\*\//d' -e '/^#/d' "$h"
done | tr '\n' ' ' | tr ';' '\n' > "$WORK/decls"
grep -o 'WECOM_API [^(]*(' "$WORK/decls" | sed 's/.*[ *]\(wecom_[a-z0-9_]*\)($/\1/' \
    | sort -u > "$WORK/declared"
sed -n 's/^ *CASE(\(wecom_[a-z0-9_]*\)),.*$/\1/p' "$SRC" | sort -u > "$WORK/cases"
[ -s "$WORK/declared" ] || { echo "no WECOM_API declaration found" >&2; exit 1; }
missing=$(comm -23 "$WORK/declared" "$WORK/cases")
if [ -n "$missing" ]; then
    echo "public functions without a CASE in $SRC:" >&2
    printf '  %s\n' $missing >&2
    exit 1
fi
extra=$(comm -13 "$WORK/declared" "$WORK/cases")
if [ -n "$extra" ]; then
    echo "CASEs for functions the headers do not declare:" >&2
    printf '  %s\n' $extra >&2
    exit 1
fi
echo "$(wc -l < "$WORK/cases") public functions, each with its case"
