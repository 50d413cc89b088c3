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
#      PROVIDES", and llhttp, jsmn and mbedtls in the task list; then, on
#      the recipe alone (bitbake -e -b), PACKAGECONFIG down to the static
#      library still makes the wecom-media package, and the mbedTLS tuning
#      (WECOM_MBEDTLS_TUNING) takes the patch for the mbedTLS version the
#      graph took;
#   3. runs yocto-check-layer on the layer (CHECK_LAYER=full, the default:
#      it parses the whole tree and computes the signatures of every world
#      task several times, hours on two cores); CHECK_LAYER=quick runs its
#      test cases except the three over world signatures, in the build
#      directory of 1 and 2 (minutes); CHECK_LAYER=skip leaves it out.
# bitbake refuses to run as root: run this as another user.
set -eu
: "${POKY_DIR:?POKY_DIR: the poky tree}" "${META_OE_DIR:?META_OE_DIR: the meta-openembedded tree}"
LAYER=$(cd "$(dirname "$0")" && pwd)
POKY_DIR=$(cd "$POKY_DIR" && pwd)
META_OE_DIR=$(cd "$META_OE_DIR" && pwd)
[ "$(id -u)" != 0 ] || { echo "check-in-poky.sh: bitbake does not run as root" >&2; exit 1; }
CHECK_LAYER=${CHECK_LAYER:-full}
case $CHECK_LAYER in full|quick|skip) ;; *) echo "CHECK_LAYER: full, quick or skip" >&2; exit 2 ;; esac
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
  grep -E "^NOTE: (PN build list|Task dependencies) saved" "$1/g.log"
  echo "$(wc -l < "$1/pn-buildlist") recipes in pn-buildlist, among them wecom-media llhttp jsmn mbedtls"
}

say "2. bitbake -g wecom-media"
graph . "default PACKAGECONFIG"
grep -q '"wecom-media.do_prepare_recipe_sysroot" -> "llhttp.do_populate_sysroot"' task-depends.dot \
  || fail "wecom-media's sysroot does not take llhttp"
# Which layer's llhttp bitbake takes (its file in the graph).
echo "llhttp: $(grep -m1 -o '"llhttp.do_compile" \[label="[^"]*' task-depends.dot | sed 's/.*\\n//')" | tee -a "$LOG"

# The variants below change local.conf, which would make bitbake parse the
# whole tree again: -b parses the one recipe (with its bbappends) instead.
WM=$(ls "$LAYER"/recipes-connectivity/wecom-media/wecom-media_*.bb)
say "2b. bitbake -e -b wecom-media with PACKAGECONFIG = \"download\" (static library, no CLI)"
cp conf/local.conf conf/local.conf.base
echo 'PACKAGECONFIG:pn-wecom-media = "download"' >> conf/local.conf
bitbake -e -b "$WM" > env-static.txt 2>&1 || { tail -20 env-static.txt; fail "bitbake -e -b wecom-media (static)"; }
grep -q '^ALLOW_EMPTY:wecom-media="1"' env-static.txt || fail "static build: the wecom-media package would be empty and not made"
grep -q '^EXTRA_OECMAKE=.*-DWECOM_BUILD_SHARED=OFF' env-static.txt || fail "static build: WECOM_BUILD_SHARED not OFF"
grep -q '^EXTRA_OECMAKE=.*-DWECOM_BUILD_CLI=OFF' env-static.txt || fail "static build: WECOM_BUILD_CLI not OFF"
echo "static: ALLOW_EMPTY:wecom-media=\"1\", -DWECOM_BUILD_SHARED=OFF -DWECOM_BUILD_CLI=OFF" | tee -a "$LOG"

say "2c. mbedtls without and with WECOM_MBEDTLS_TUNING = \"1\" (tinfoil)"
cp conf/local.conf.base conf/local.conf
# The mbedtls recipe the graph took. bitbake -e -b does not apply
# bbappends on scarthgap, so tinfoil parses that one recipe with the
# bbappends BBFILES brings for it (no parse of the whole tree).
MB=$(grep -m1 -o '"mbedtls.do_compile" \[label="[^"]*' task-depends.dot | sed 's/.*\\n//')
tuned() { # WECOM_MBEDTLS_TUNING value, as local.conf would set it ("": unset)
  PYTHONPATH="$POKY_DIR/bitbake/lib" python3 - "$MB" "$1" <<'PY'
import fnmatch, glob, os, sys
import bb.tinfoil
fn, tuning = sys.argv[1], sys.argv[2]
with bb.tinfoil.Tinfoil(output=sys.stderr) as t:
    t.logger.setLevel(40)
    t.prepare(config_only=True, quiet=2)
    if tuning:
        t.config_data.setVar("WECOM_MBEDTLS_TUNING", tuning)
    appends = []
    for pat in (t.config_data.getVar("BBFILES") or "").split():
        if pat.endswith(".bbappend"):
            for f in sorted(glob.glob(pat)):
                b = os.path.basename(f)[:-len(".bbappend")]
                if fnmatch.fnmatch(os.path.basename(fn)[:-3], b.replace("%", "*")):
                    appends.append(f)
    d = t.parse_recipe_file(fn, appendlist=appends)
    print("PV=" + d.getVar("PV"))
    print("APPENDS=" + " ".join(appends))
    print("SRC_URI=" + " ".join(d.getVar("SRC_URI").split()))
PY
}
tuned "" > mbedtls-plain.txt 2>&1 || { tail -20 mbedtls-plain.txt; fail "tinfoil: $MB"; }
grep -q '^SRC_URI=.*wecom' mbedtls-plain.txt && fail "mbedtls is changed without WECOM_MBEDTLS_TUNING"
tuned 1 > mbedtls-tuned.txt 2>&1 || { tail -20 mbedtls-tuned.txt; fail "tinfoil: $MB (tuned)"; }
MPV=$(sed -n 's/^PV=//p' mbedtls-tuned.txt)
case $MPV in 2.*) WANT=mbedtls-2 ;; *) WANT=mbedtls-3 ;; esac
grep -q "^APPENDS=.*mbedtls-tuning/mbedtls_%.bbappend" mbedtls-tuned.txt || fail "BBFILES does not bring mbedtls-tuning/ with WECOM_MBEDTLS_TUNING = 1"
grep '^SRC_URI=' mbedtls-tuned.txt | grep -q "file://$WANT/0001-" || fail "mbedtls $MPV: SRC_URI lacks $WANT's patch"
grep '^SRC_URI=' mbedtls-tuned.txt | grep -q "wecom_mbedtls_gmtime.c" || fail "mbedtls $MPV: no wecom_mbedtls_gmtime.c"
echo "mbedtls $MPV ($MB): untouched by default; with the tuning $(sed -n 's/^SRC_URI=//p' mbedtls-tuned.txt)" | tee -a "$LOG"

if [ "$CHECK_LAYER" = quick ]; then
  say "3. yocto-check-layer's own tests but those over world signatures (CHECK_LAYER=quick)"
  # Its test cases, run in this build directory (the layer is already in
  # it, and the parse cached): README, parse, environment, LAYERSERIES_COMPAT,
  # patches' Upstream-Status. Skipped: test_world, test_world_inherit_class
  # and test_signatures (bitbake -S none world, before and after adding the
  # layer: an hour or more on two cores), which CHECK_LAYER=full runs.
  PYTHONPATH="$POKY_DIR/scripts/lib:$POKY_DIR/meta/lib:$POKY_DIR/bitbake/lib" python3 - "$LAYER" "$POKY_DIR" \
      > check-layer-quick.out 2>&1 <<'PY' && rc=0 || rc=$?
import logging, os, sys
layer_dir, poky = sys.argv[1], sys.argv[2]
from checklayer import detect_layers
from checklayer.context import CheckLayerTestContext
from oeqa.utils.commands import get_bb_vars
logging.basicConfig(level=logging.INFO, stream=sys.stdout)
logger = logging.getLogger("yocto-check-layer")
layer = detect_layers([layer_dir], False)[0]
td = {"bbvars": get_bb_vars(), "builddir": os.environ["BUILDDIR"]}
tc = CheckLayerTestContext(td=td, logger=logger, layer=layer, test_software_layer_signatures=True)
# All of common.py's tests (the release has them or not) but the three.
run = ["common.CommonCheckLayer." + t for t in ("test_readme", "test_parse", "test_show_environment",
                                                "test_layerseries_compat", "test_patches_upstream_status")]
tc.loadTests([os.path.join(poky, "scripts", "lib", "checklayer", "cases")], tests=run)
r = tc.runTests()
print("Ran %d tests: %d failures, %d errors, %d skipped" % (r.testsRun, len(r.failures), len(r.errors), len(r.skipped)))
sys.exit(0 if r.wasSuccessful() and r.testsRun >= 4 else 1)
PY
  cat check-layer-quick.out >> "$LOG"
  sed -n 's/^INFO:yocto-check-layer://p' check-layer-quick.out \
    | grep -E "^(test_| \.\.\. |Ran |OK|FAILED|UNEXPECTED)" || tail -20 check-layer-quick.out
  [ "$rc" = 0 ] || fail "yocto-check-layer's tests failed (see $PWD/check-layer-quick.out)"
elif [ "$CHECK_LAYER" = skip ]; then
  say "3. yocto-check-layer: skipped (CHECK_LAYER=skip)"
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
