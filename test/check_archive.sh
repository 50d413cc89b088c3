#!/bin/sh
# SPDX-License-Identifier: MIT
# The static library holds no two members of one name. `ar x` (and a
# firmware build that unpacks the archive to relink its objects) keeps
# only the last of a name, so a second http.c.o or api.c.o, the library's
# beside llhttp's, would silently lose one of the two.
# Usage: check_archive.sh AR ARCHIVE
set -eu
AR=$1
LIB=$2
dups=$("$AR" t "$LIB" | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "members of one name in $LIB:"
    echo "$dups"
    exit 1
fi
echo "$("$AR" t "$LIB" | wc -l) members in $LIB, no two of one name"
