#!/bin/sh
# SPDX-License-Identifier: MIT
# Every tracked source, header, script and build file of the project names
# its licence in its first lines: "SPDX-License-Identifier: MIT". Test
# data (HTTP and upload cases, fuzz seeds) and prose (*.md, LICENSE) are
# exempt. Usage: check_spdx.sh TOP | --self-test. TOP (a git checkout: its tracked files; a
# tree without .git: every file under it).
set -eu
if [ "$1" = --self-test ]; then
    # The check must see a planted file without the line, and only it.
    d=$(mktemp -d "${TMPDIR:-/tmp}/wecom-spdx.XXXXXX")
    trap 'rm -rf "$d"' EXIT
    printf 'int untagged;\n' > "$d/a.c"
    printf '/* SPDX-License-Identifier: MIT */\nint tagged;\n' > "$d/b.c"
    if out=$(sh "$0" "$d" 2>&1); then
        echo "self-test: an untagged file passed" >&2; exit 1
    fi
    printf '%s\n' "$out" | grep -qx '  a.c' || { echo "self-test: a.c not named" >&2; exit 1; }
    ! printf '%s\n' "$out" | grep -q 'b.c' || { echo "self-test: b.c named" >&2; exit 1; }
    echo "self-test: the planted untagged file is found"
    exit 0
fi
TOP=$1
cd "$TOP"
if [ -e .git ] && command -v git >/dev/null 2>&1; then
    list() { git ls-files; }
else
    list() { find . -type f ! -path './build*' | sed 's|^\./||'; }
fi
missing=$(list | grep -v -E \
    '^test/unit/[a-z_]+_cases/|^test/fuzz/seeds/|\.md$|^LICENSE$|(^|/)\.git(ignore|attributes)$' |
    while IFS= read -r f; do
        [ -f "$f" ] || continue
        head -n 8 "$f" | grep -q 'SPDX-License-Identifier: MIT' || printf '%s\n' "$f"
    done)
if [ -n "$missing" ]; then
    echo "no 'SPDX-License-Identifier: MIT' in the first 8 lines of:" >&2
    printf '  %s\n' $missing >&2
    exit 1
fi
echo "every tracked source names its licence"
