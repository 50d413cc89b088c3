#!/bin/sh
# SPDX-License-Identifier: MIT
# One configuration: every setting include/wecom/config.h gives a default
# (#ifndef WECOM_X / #define WECOM_X value) has a Kconfig symbol with the
# same default, and every Kconfig symbol has that default in config.h.
# A bool's y is 1; a string keeps its quotes.
set -eu
TOP=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-config.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
awk '/^#ifndef WECOM_/ && $2 != "WECOM_CONFIG_H" { name = $2; next }
     name != "" && $1 == "#define" && $2 == name {
         v = $0; sub(/^#define [A-Z0-9_]+ /, "", v); print name " " v }
     { name = "" }' "$TOP/include/wecom/config.h" | sort > "$WORK/header"
awk '/^config WECOM_/ { name = $2; type = ""; next }
     name != "" && /^\t(int|bool|string|hex)/ { type = $1 }
     name != "" && /^\tdefault / {
         v = $0; sub(/^\tdefault /, "", v)
         if (type == "bool") v = (v == "y") ? "1" : "0"
         print name " " v; name = "" }
     /^choice/ { name = "" }' "$TOP/Kconfig" | sort > "$WORK/kconfig"
# A choice's member has no default line of its own: the choice names it.
awk '/^choice/ { c = 1 } c && /^\tdefault WECOM_/ { print $2 " 1" } /^endchoice/ { c = 0 }' \
    "$TOP/Kconfig" >> "$WORK/kconfig"
sort -o "$WORK/kconfig" "$WORK/kconfig"
if ! diff "$WORK/header" "$WORK/kconfig" > "$WORK/diff"; then
    echo "config.h (<) and Kconfig (>) disagree:"
    grep '^[<>]' "$WORK/diff"
    exit 1
fi
echo "$(wc -l < "$WORK/header") settings: one default each, the same in config.h and Kconfig"
