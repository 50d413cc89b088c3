#!/bin/sh
# SPDX-License-Identifier: MIT
# Static analysis of core/, outbox/, port/ and cli/: cppcheck and clang-tidy-14,
# both on the compile commands of a CMake build. Any finding fails.
#   sh test/lint/lint.sh [BUILD_DIR] [JOBS]
# Findings, one a line (file:line: check: message), go to
# BUILD_DIR/lint-findings.txt as well as the terminal.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build-lint}
jobs=${2:-$(nproc 2>/dev/null || echo 2)}
tidy=${CLANG_TIDY:-clang-tidy-14}
out=$build/lint-findings.txt

now() { date +%s; }
t0=$(now)
# Tests off: only what ships is analysed, and cmocka is not needed.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DWECOM_BUILD_TESTS=OFF >/dev/null
# The project's own files only (not llhttp's sources), for both tools.
python3 - "$build" <<'PY'
import json, os, sys
root = os.getcwd() + "/"
mine = []
for e in json.load(open(os.path.join(sys.argv[1], "compile_commands.json"))):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if f.startswith(root) and f[len(root):].split("/")[0] in ("core", "outbox", "port", "cli"):
        mine.append(dict(e, file=f))
os.makedirs(os.path.join(sys.argv[1], "lint"), exist_ok=True)
json.dump(mine, open(os.path.join(sys.argv[1], "lint", "compile_commands.json"), "w"), indent=1)
open(os.path.join(sys.argv[1], "lint-files.txt"), "w").write("".join(e["file"] + "\n" for e in mine))
PY
: > "$out"
status=0

t=$(now)
echo "== cppcheck $(cppcheck --version | cut -d' ' -f2) ($(wc -l < "$build/lint-files.txt") files)"
if ! cppcheck --project="$build/lint/compile_commands.json" \
    --std=c99 --library=posix --enable=warning,style,performance,portability \
    --inline-suppr --suppressions-list=test/lint/cppcheck.supp \
    --error-exitcode=1 -q -j "$jobs" \
    --template='{file}:{line}: cppcheck-{id}: {message}' 2> "$build/cppcheck.txt"; then
  status=1
fi
sed "s|^$PWD/||" "$build/cppcheck.txt" | sort -u | tee -a "$out"
echo "   $(($(now) - t)) s"

t=$(now)
echo "== $tidy"
# One process per file, $jobs at a time; the config is ./.clang-tidy.
if ! xargs -P "$jobs" -n 1 "$tidy" -p "$build/lint" --quiet \
    < "$build/lint-files.txt" > "$build/clang-tidy.txt" 2> "$build/clang-tidy.err"; then
  status=1
fi
# "file:line:col: error: message [check,-warnings-as-errors]"
#   -> "file:line: check: message"
sed -n "s#^$PWD/##; s#^\([^:]*\):\([0-9]*\):[0-9]*: \(warning\|error\): \(.*\) \[\([^],]*\)[^]]*\]\$#\1:\2: \5: \4#p" \
  "$build/clang-tidy.txt" | sort -u | tee -a "$out"
if [ "$status" != 0 ] && ! grep -q . "$build/clang-tidy.txt"; then
  cat "$build/clang-tidy.err" >&2
fi
echo "   $(($(now) - t)) s"

n=$(grep -c . "$out" || true)
echo "== lint: $n finding(s) in $(($(now) - t0)) s${n:+ (list: $out)}"
[ "$status" = 0 ] && [ "$n" = 0 ]
