#!/bin/sh
# SPDX-License-Identifier: MIT
# The external tree in a real Buildroot tree, for armhf, without network:
#   1. Buildroot's utils/check-package on every file of the external tree;
#   2. an external toolchain made of Debian's cross compiler
#      (crossbuild-essential-armhf), so that no compiler is built;
#   3. every source the build needs, from Debian's source packages (a
#      private apt configuration; the system's apt sources are left alone)
#      and from llhttp's git history: put into the download directory when
#      the bytes are those the tree's .hash names, else unpacked and named
#      by <PKG>_OVERRIDE_SRCDIR in the output directory's local.mk;
#   4. make wecom-media (mbedtls, jsmn, llhttp, host-pkgconf with it), with
#      every download command set to fail, then the licence hashes
#      (make legal-info for the three packages of the image's TLS client);
#   5. the tool from Buildroot's target directory, under qemu-arm, uploads a
#      file to the emulator (test/emulator/) and downloads it back, identical.
#
#   BUILDROOT_DIR=/path/to/buildroot LLHTTP_GIT=/path/to/llhttp.git \
#       packaging/buildroot/check-in-buildroot.sh [WORKDIR]
#
# BUILDROOT_DIR: a Buildroot tree (tried with the 2025.02.x branch).
# LLHTTP_GIT: a clone of github.com/nodejs/llhttp (its release/v9.2.1 tag
#   gives the published tarball byte for byte); not needed when
#   WORKDIR/dl/llhttp/ already holds it.
# WORKDIR (default build-buildroot): toolchain, sources, output (out/).
# TUNE=1 also turns on BR2_PACKAGE_WECOM_MEDIA_MBEDTLS_TUNE.
# Needs: crossbuild-essential-armhf, qemu-user, python3-magic and flake8
# (for check-package), and Buildroot's host tools (wget, cpio, rsync, bc,
# unzip, file, patch).
set -eu
: "${BUILDROOT_DIR:?set BUILDROOT_DIR to a Buildroot tree}"
BR=$(cd "$BUILDROOT_DIR" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
EXT=$TOP/packaging/buildroot
W=$(mkdir -p "${1:-$TOP/build-buildroot}" && cd "${1:-$TOP/build-buildroot}" && pwd)
O=$W/out
DL=$W/dl
SRC=$W/src
TC=$W/toolchain
TRIPLE=arm-linux-gnueabihf
TUNE=${TUNE:-0}

# Buildroot's own scripts run with the system's python3 when the first one
# on the PATH lacks check-package's modules.
PY=python3
$PY -c 'import magic, flake8' 2>/dev/null || PY=/usr/bin/python3

echo "== 1. check-package on the external tree ($(git -C "$BR" describe --tags 2>/dev/null || echo "$BR"))"
# shellcheck disable=SC2046
(cd "$TOP" && $PY "$BR/utils/check-package" -b $(find packaging/buildroot -type f | sort))

echo "== 2. external toolchain from Debian's $TRIPLE-gcc"
# Buildroot wants a sysroot with usr/include and the C library's lib/, found
# from the compiler's libc.a. Debian's cross compiler keeps headers and
# libraries in /usr/$TRIPLE/{include,lib}, its tool directory, which GCC
# searches even with --sysroot. GCC finds its parts relative to its own
# binary, so a copy (hard links where possible) of the compiler, its
# private directory and the assembler and linker, with Debian's headers
# and libraries moved into $TRIPLE/sysroot/{usr/include,lib}, is a
# toolchain of Buildroot's shape. Buildroot only reads it.
# Buildroot refuses a compiler configured --with-sysroot=/ (a distribution
# toolchain: without --sysroot it would read the build machine's
# /usr/include and /usr/lib). The drivers here are wrappers that always
# give the copy's own sysroot first (Buildroot's wrapper gives staging
# after it, which wins) and report that sysroot in "-v": no compile
# through them sees the build machine's headers or libraries.
GCCV=$($TRIPLE-gcc -dumpversion)
SYS=$TC/$TRIPLE/sysroot
if [ ! -x "$TC/bin/$TRIPLE-gcc.real" ]; then
  rm -rf "$TC"
  mkdir -p "$TC/bin" "$TC/lib/gcc-cross/$TRIPLE" "$SYS/usr"
  lnk() { cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }
  for f in "/usr/bin/$TRIPLE"-*; do
    lnk "$(readlink -f "$f")" "$TC/bin/${f##*/}"
  done
  lnk "/usr/lib/gcc-cross/$TRIPLE/$GCCV" "$TC/lib/gcc-cross/$TRIPLE/"
  lnk "/usr/$TRIPLE/bin" "$TC/$TRIPLE/bin"
  lnk "/usr/$TRIPLE/lib" "$SYS/lib"
  lnk "/usr/$TRIPLE/include" "$SYS/usr/include"
  # GCC's links to its runtime (libstdc++.so, ...) follow it to the sysroot.
  for l in "$TC/lib/gcc-cross/$TRIPLE/$GCCV"/*.so; do
    t=$(readlink "$l" || true)
    case $t in */$TRIPLE/lib/*) ln -sfn "../../../../$TRIPLE/sysroot/lib/${t##*/}" "$l" ;; esac
  done
  # glibc's linker scripts (libc.so) name /usr/$TRIPLE/lib/...; inside a
  # sysroot they must name /lib/... (sed -i writes new files: the system's
  # stay as they are).
  for f in "$SYS"/lib/*.so; do
    if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" != '177ELF' ] && grep -q "/usr/$TRIPLE/lib/" "$f"; then
      sed -i "s|/usr/$TRIPLE/lib/|/lib/|g" "$f"
    fi
  done
  for drv in gcc g++ cpp; do
    mv "$TC/bin/$TRIPLE-$drv" "$TC/bin/$TRIPLE-$drv.real"
    cat > "$TC/bin/$TRIPLE-$drv" <<EOF
#!/bin/sh
# Debian's $TRIPLE-$drv with this toolchain's sysroot.
sys="$SYS"
if [ "\$*" = -v ]; then
  "\$0.real" --sysroot="\$sys" -v 2>&1 | sed "s|--with-sysroot=/ |--with-sysroot=\$sys |" >&2
  exit 0
fi
exec "\$0.real" --sysroot="\$sys" "\$@"
EOF
    chmod +x "$TC/bin/$TRIPLE-$drv"
  done
fi
LIBC=$(readlink -f "$("$TC/bin/$TRIPLE-gcc" -print-file-name=libc.a)")
[ "$LIBC" = "$SYS/lib/libc.a" ] || { echo "the toolchain copy finds libc.a at $LIBC"; exit 1; }
echo 'int main(void) { return 0; }' | "$TC/bin/$TRIPLE-gcc" -x c - -o "$W/toolchain-test"
GLIBC=$(sed -n 's/^#define[ \t]*__GLIBC_MINOR__[ \t]*\([0-9]*\).*/2.\1/p' "$SYS/usr/include/features.h")
HDRS=$(awk '/LINUX_VERSION_CODE/{c=$3; printf "%d_%d", c/65536, (c/256)%256}' "$SYS/usr/include/linux/version.h")
echo "   gcc $GCCV, glibc $GLIBC, kernel headers $HDRS: $TC"

echo "== 3. sources, from Debian's source packages and llhttp's git history"
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
# The suite whose mbedTLS has the tree's major version; trixie for the
# rest (host-tar: Buildroot wants tar >= 1.35, which bookworm lacks).
MBV=$(sed -n 's/^MBEDTLS_VERSION = //p' "$BR/package/mbedtls/mbedtls.mk")
case $MBV in 2.*) MBSUITE=bookworm ;; *) MBSUITE=trixie ;; esac
# fetch SUITE PKG...: Debian's upstream tarballs into src/SUITE/.
fetch() {
  suite=$1; shift
  a=$W/apt-$suite
  mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$SRC/$suite" "$DL"
  echo "deb-src $mirror $suite main" > "$a/src.list"
  ao="-o Dir::Etc::SourceList=$a/src.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$a/lists -o Dir::Cache=$a/cache"
  need=""
  for p in "$@"; do
    [ -n "$(find "$SRC/$suite" -name "${p}_*.orig.tar.*")" ] || need="$need $p"
  done
  [ -n "$need" ] || return 0
  # shellcheck disable=SC2086
  apt-get -q $ao update >/dev/null
  # Only the upstream tarballs are needed (a Debian part may be gone).
  # shellcheck disable=SC2086
  (cd "$SRC/$suite" || exit 1; apt-get -q $ao source --download-only $need >/dev/null 2>&1 || true)
}
fetch "$MBSUITE" mbedtls
fetch trixie jsmn pkgconf tar
: > "$W/local.mk"
# place PKG UPPER SUITE: the tree's tarball name and hash; Debian's
# upstream tarball goes to dl/ when it is those bytes, else its unpacked
# tree is named in local.mk (a host package takes its target's).
place() {
  pkg=$1 var=$2 suite=$3
  orig=$(find "$SRC/$suite" -name "${pkg}_*.orig.tar.*" | sort | head -1)
  [ -n "$orig" ] || { echo "no Debian source of $pkg in $suite"; exit 1; }
  ver=$(sed -n "s/^${var}_VERSION = //p" "$BR/package/$pkg/$pkg.mk")
  src=$(sed -n "s/^${var}_SOURCE = //p" "$BR/package/$pkg/$pkg.mk" | sed "s/\$(${var}_VERSION)/$ver/")
  [ -n "$src" ] || src=$pkg-$ver.tar.gz
  want=$(awk -v f="$src" '$1=="sha256" && $3==f {print $2}' "$BR/package/$pkg/$pkg.hash")
  have=$(sha256sum "$orig" | cut -d' ' -f1)
  if [ "$have" = "$want" ]; then
    mkdir -p "$DL/$pkg" && cp "$orig" "$DL/$pkg/$src"
    echo "   $pkg $ver: Debian's ${orig##*/} is $src (sha256 as in $pkg.hash) -> dl/$pkg/"
  else
    rm -rf "${SRC:?}/$pkg" && mkdir -p "$SRC/$pkg"
    tar -xf "$orig" -C "$SRC/$pkg" --strip-components=1
    echo "${var}_OVERRIDE_SRCDIR = $SRC/$pkg" >> "$W/local.mk"
    echo "   $pkg: the tree wants $src ($ver); Debian's ${orig##*/} differs -> ${var}_OVERRIDE_SRCDIR"
  fi
}
place mbedtls MBEDTLS "$MBSUITE"
place jsmn JSMN trixie
place pkgconf PKGCONF trixie
place tar TAR trixie
LLV=$(sed -n 's/^LLHTTP_VERSION = //p' "$EXT/package/llhttp/llhttp.mk")
LLT=$DL/llhttp/llhttp-$LLV.tar.gz
if [ ! -f "$LLT" ]; then
  : "${LLHTTP_GIT:?set LLHTTP_GIT to a clone of nodejs/llhttp, or put llhttp-$LLV.tar.gz into $DL/llhttp/}"
  mkdir -p "$DL/llhttp"
  # GitHub's tarball of a tag: git archive's tar, gzip -n.
  git -C "$LLHTTP_GIT" archive --format=tar --prefix="llhttp-release-v$LLV/" "release/v$LLV" \
    | gzip -n > "$LLT.tmp" && mv "$LLT.tmp" "$LLT"
fi
echo "   llhttp $LLV: dl/llhttp/llhttp-$LLV.tar.gz (checked against llhttp.hash by the build)"
mkdir -p "$O" && cp "$W/local.mk" "$O/local.mk"

echo "== 4. make wecom-media (armhf, external toolchain, no download possible)"
cat > "$W/armhf_defconfig" <<EOF
BR2_arm=y
BR2_cortex_a7=y
BR2_ARM_EABIHF=y
BR2_ARM_FPU_VFPV4D16=y
BR2_DL_DIR="$DL"
BR2_WGET="false"
BR2_GIT="false"
BR2_BACKUP_SITE=""
BR2_TOOLCHAIN_EXTERNAL=y
BR2_TOOLCHAIN_EXTERNAL_CUSTOM=y
BR2_TOOLCHAIN_EXTERNAL_PREINSTALLED=y
BR2_TOOLCHAIN_EXTERNAL_PATH="$TC"
BR2_TOOLCHAIN_EXTERNAL_CUSTOM_PREFIX="$TRIPLE"
BR2_TOOLCHAIN_EXTERNAL_GCC_${GCCV}=y
BR2_TOOLCHAIN_EXTERNAL_HEADERS_${HDRS}=y
BR2_TOOLCHAIN_EXTERNAL_CUSTOM_GLIBC=y
BR2_TOOLCHAIN_EXTERNAL_CXX=y
BR2_TOOLCHAIN_EXTERNAL_OPENMP=y
# BR2_TOOLCHAIN_EXTERNAL_INET_RPC is not set
BR2_INIT_NONE=y
BR2_SYSTEM_BIN_SH_NONE=y
# BR2_PACKAGE_BUSYBOX is not set
# BR2_TARGET_ROOTFS_TAR is not set
BR2_PACKAGE_WECOM_MEDIA=y
EOF
[ "$TUNE" = 1 ] && echo "BR2_PACKAGE_WECOM_MEDIA_MBEDTLS_TUNE=y" >> "$W/armhf_defconfig"
# host-tar's configure (Buildroot builds it when the system's tar is older
# than 1.35) refuses to run as root unless told.
if [ "$(id -u)" = 0 ]; then export FORCE_UNSAFE_CONFIGURE=1; fi
make -C "$BR" O="$O" BR2_EXTERNAL="$EXT" BR2_DEFCONFIG="$W/armhf_defconfig" defconfig >/dev/null
for sym in BR2_PACKAGE_WECOM_MEDIA BR2_PACKAGE_WECOM_MEDIA_CLI BR2_PACKAGE_MBEDTLS BR2_PACKAGE_LLHTTP BR2_PACKAGE_JSMN; do
  grep -qx "$sym=y" "$O/.config" || { echo "$sym is not set after defconfig"; exit 1; }
done
if [ "$TUNE" = 1 ]; then
  grep -qx "BR2_PACKAGE_WECOM_MEDIA_MBEDTLS_TUNE=y" "$O/.config" || { echo "the mbedTLS option is not set"; exit 1; }
fi
# Buildroot rebuilds nothing when an option changes: mbedTLS and what links
# it are built afresh when the tuning differs from the last run's.
if [ "$(cat "$O/.wecom-tune" 2>/dev/null || echo none)" != "$TUNE" ]; then
  make -C "$O" mbedtls-dirclean wecom-media-dirclean >/dev/null
  echo "$TUNE" > "$O/.wecom-tune"
fi
make -C "$O" wecom-media > "$W/make.log" 2>&1 || { tail -40 "$W/make.log"; exit 1; }
tail -3 "$W/make.log"
make -C "$O" mbedtls-legal-info llhttp-legal-info jsmn-legal-info wecom-media-legal-info \
  > "$W/legal-info.log" 2>&1 || { tail -20 "$W/legal-info.log"; exit 1; }
echo "   licence files match the .hash files (legal-info of mbedtls, llhttp, jsmn, wecom-media)"
if [ "$TUNE" = 1 ]; then
  grep -l 'MBEDTLS_USER_CONFIG_FILE "wecom_mbedtls_config.h"' "$O"/host/*/sysroot/usr/include/mbedtls/*config.h \
    || { echo "staging's mbedTLS headers do not name the overlay"; exit 1; }
fi

echo "== 5. the target's tool under qemu-arm against the emulator"
T=$O/target
CLI=$T/usr/bin/wecom-media
QEMU=qemu-arm
command -v $QEMU >/dev/null || QEMU=qemu-arm-static
$TRIPLE-size "$T"/usr/lib/libwecom-media.so.*.* "$CLI" | tee "$W/sizes.txt"
EMU="$TOP/test/emulator/emu.py"
R=$(mktemp -d "${TMPDIR:-/tmp}/wecom-br.XXXXXX")
cleanup() { python3 "$EMU" stop --state-dir "$R/emu" >/dev/null 2>&1 || true; rm -rf "$R"; }
trap cleanup EXIT INT TERM
WECOM_ACCESS_TOKEN=br-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export WECOM_ACCESS_TOKEN
URL=$(python3 "$EMU" start --state-dir "$R/emu" --token "$WECOM_ACCESS_TOKEN")
head -c 300000 /dev/urandom > "$R/sample.bin"
OPTS="--base-url $URL --cacert $R/emu/ca.pem"
$QEMU -L "$T" "$CLI" --version
# shellcheck disable=SC2086
ID=$($QEMU -L "$T" "$CLI" $OPTS upload --type file "$R/sample.bin")
# shellcheck disable=SC2086
$QEMU -L "$T" "$CLI" $OPTS download "$ID" -o "$R/back.bin" >/dev/null
cmp "$R/sample.bin" "$R/back.bin"
echo "outcome: OK, Buildroot's armhf wecom-media uploaded 300000 bytes and downloaded them back identical"
