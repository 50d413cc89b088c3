#!/bin/bash
# SPDX-License-Identifier: MIT
# Checks this layer in a real OpenEmbedded tree, without the network:
#
#   POKY_DIR=/path/to/poky META_OE_DIR=/path/to/meta-openembedded \
#       [BUILD_DIR=/tmp/dir] [MACHINE=qemuarm] packaging/yocto/check-in-poky.sh
#
# with both trees at the same branch (kirkstone or scarthgap). In a
# throwaway build directory (BUILD_DIR, else a new one under /tmp; it is
# kept for its logs) it adds meta-oe, meta-python, meta-networking and this
# layer, then
#   1. parses every recipe (bitbake -p);
#   2. resolves wecom-media's graph (bitbake -g wecom-media): no "Nothing
#      PROVIDES", and llhttp, jsmn and mbedtls in the task list; again with
#      PACKAGECONFIG down to the static library alone, and with the
#      mbedTLS tuning (WECOM_MBEDTLS_TUNING) on, whose patch must be the
#      one for the mbedTLS version bitbake picks;
#   3. runs yocto-check-layer on the layer (SKIP_CHECK_LAYER=1 leaves it
#      out: it parses the whole tree several times).
# bitbake refuses to run as root: run this as another user.
set -eu
: "${POKY_DIR:?POKY_DIR: the poky tree}" "${META_OE_DIR:?META_OE_DIR: the meta-openembedded tree}"
LAYER=$(cd "$(dirname "$0")" && pwd)
POKY_DIR=$(cd "$POKY_DIR" && pwd)
META_OE_DIR=$(cd "$META_OE_DIR" && pwd)
[ "$(id -u)" != 0 ] || { echo "check-in-poky.sh: bitbake does not run as root" >&2; exit 1; }
B=${BUILD_DIR:-$(mktemp -d /tmp/wecom-yocto-check.XXXXXX)}
mkdir -p "$B"
B=$(cd "$B" && pwd)
export LANG="${LANG:-en_US.UTF-8}"
case $LANG in *[Uu][Tt][Ff]-8*|*utf8*) ;; *) LANG=en_US.UTF-8 ;; esac
LOG=$B/check-in-poky.log
: > "$LOG"

say() { echo "== $*" | tee -a "$LOG"; }
fail() { echo "FAIL: $*" | tee -a "$LOG"; exit 1; }

say "poky $(git -C "$POKY_DIR" describe --always --all 2>/dev/null || echo '?'), meta-openembedded $(git -C "$META_OE_DIR" describe --always --all 2>/dev/null || echo '?'), build dir $B"
# oe-init-build-env reads the positional parameters (give it none of
# ours) and unset variables.
set --
set +u
# shellcheck disable=SC1091
. "$POKY_DIR/oe-init-build-env" "$B/build" > /dev/null
set -u
cat >> conf/local.conf <<EOF
# check-in-poky.sh: offline, nothing is built
MACHINE = "${MACHINE:-qemuarm}"
BB_NO_NETWORK = "1"
CONNECTIVITY_CHECK_URIS = ""
DL_DIR = "$B/downloads"
SSTATE_DIR = "$B/sstate-cache"
EOF
for l in meta-oe meta-python meta-networking; do
  bitbake-layers add-layer "$META_OE_DIR/$l" >> "$LOG" 2>&1 || fail "add-layer $l (see $LOG)"
done
bitbake-layers add-layer "$LAYER" >> "$LOG" 2>&1 || fail "add-layer $LAYER (see $LOG)"
bitbake-layers show-layers 2>&1 | tee -a "$LOG" | grep -q " $LAYER " || fail "layer not added"

say "1. parse every recipe: bitbake -p"
bitbake -p > parse.log 2>&1 || { tail -30 parse.log; fail "bitbake -p"; }
cat parse.log >> "$LOG"
grep -E "^(Parsing of|NOTE: Parsing of|Summary:)" parse.log || tail -3 parse.log
# Besides the host check's notice that this distribution was not among
# those the release was tested on, nothing may be an error or a warning.
NOISE='^WARNING: Host distribution .* has not been validated'
grep -E "^(ERROR|WARNING):" parse.log | grep -Ev "$NOISE" && fail "bitbake -p printed errors or warnings"

# bitbake -g NAME in directory DIR, then check its task list.
graph() { # dir label
  ( cd "$1" && bitbake -g wecom-media ) > "$1/g.log" 2>&1 || { tail -30 "$1/g.log"; fail "$2: bitbake -g wecom-media"; }
  cat "$1/g.log" >> "$LOG"
  grep -q "Nothing PROVIDES" "$1/g.log" && fail "$2: Nothing PROVIDES"
  grep -E "^(ERROR|WARNING):" "$1/g.log" | grep -Ev "$NOISE" && fail "$2: bitbake -g printed errors or warnings"
  for pn in wecom-media llhttp jsmn mbedtls cmake-native; do
    grep -q "^$pn\$" "$1/pn-buildlist" || fail "$2: $pn is not in pn-buildlist"
  done
  tail -2 "$1/g.log"
}

say "2. bitbake -g wecom-media"
graph . "default PACKAGECONFIG"
grep -q '"wecom-media.do_prepare_recipe_sysroot" -> "llhttp.do_populate_sysroot"' task-depends.dot \
  || fail "wecom-media's sysroot does not take llhttp"
LLHTTP=$(bitbake-layers show-recipes llhttp 2>/dev/null | sed -n 's/^  \([a-z-]*\) *\([^ ]*\).*/\1 \2/p' | head -1)
echo "llhttp from: $LLHTTP" | tee -a "$LOG"

say "2b. bitbake -g with PACKAGECONFIG = \"download\" (static library, no CLI)"
cp conf/local.conf conf/local.conf.base
echo 'PACKAGECONFIG:pn-wecom-media = "download"' >> conf/local.conf
bitbake -e wecom-media > env-static.txt 2>&1 || fail "bitbake -e wecom-media (static)"
grep -q '^ALLOW_EMPTY:wecom-media="1"' env-static.txt || fail "static build: the wecom-media package would be empty and not made"
grep -q '^EXTRA_OECMAKE=.*-DWECOM_BUILD_SHARED=OFF' env-static.txt || fail "static build: WECOM_BUILD_SHARED not OFF"
mkdir -p g-static && graph g-static "static PACKAGECONFIG"

say "2c. bitbake -g with WECOM_MBEDTLS_TUNING = \"1\""
cp conf/local.conf.base conf/local.conf
echo 'WECOM_MBEDTLS_TUNING = "1"' >> conf/local.conf
bitbake -e mbedtls > env-mbedtls.txt 2>&1 || fail "bitbake -e mbedtls (tuned)"
MPV=$(sed -n 's/^PV="\(.*\)"/\1/p' env-mbedtls.txt)
case $MPV in 2.*) WANT=mbedtls-2 ;; *) WANT=mbedtls-3 ;; esac
grep '^SRC_URI=' env-mbedtls.txt | grep -q "file://$WANT/0001-" || fail "mbedtls $MPV: SRC_URI lacks $WANT's patch"
grep '^SRC_URI=' env-mbedtls.txt | grep -q "wecom_mbedtls_gmtime.c" || fail "mbedtls $MPV: no wecom_mbedtls_gmtime.c"
echo "mbedtls $MPV takes $WANT/ and the overlay" | tee -a "$LOG"
mkdir -p g-tuned && graph g-tuned "mbedTLS tuning on"
cp conf/local.conf.base conf/local.conf

if [ "${SKIP_CHECK_LAYER:-0}" = 1 ]; then
  say "3. yocto-check-layer: skipped (SKIP_CHECK_LAYER=1)"
else
  say "3. yocto-check-layer"
  # In a build directory of its own, whose bblayers.conf has poky's layers
  # only: it adds the dependencies, takes the signatures, adds this layer
  # and compares. The dependencies are given, and not tested themselves.
  cp conf/local.conf "$B/local.conf.check"
  set --
  set +u
  # shellcheck disable=SC1091
  . "$POKY_DIR/oe-init-build-env" "$B/build-check-layer" > /dev/null
  set -u
  grep -v '^INHERIT' "$B/local.conf.check" > conf/local.conf
  yocto-check-layer --no-auto-dependency --output-log "$B/check-layer.log" \
    --dependency "$META_OE_DIR/meta-oe" "$META_OE_DIR/meta-python" "$META_OE_DIR/meta-networking" \
    -- "$LAYER" > "$B/check-layer.out" 2>&1 && rc=0 || rc=$?
  cat "$B/check-layer.out" >> "$LOG"
  grep -E "^(INFO: )?(test_|Ran |OK|FAILED)" "$B/check-layer.out" || true
  sed -n '/Summary of results/,$p' "$B/check-layer.out"
  [ "$rc" = 0 ] || fail "yocto-check-layer exited $rc (see $B/check-layer.log)"
fi
say "all passed; logs in $B"
