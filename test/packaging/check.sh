#!/bin/sh
# SPDX-License-Identifier: MIT
# What the Buildroot and Yocto recipes (packaging/) rely on, checked here
# without either tree:
#   1. every -D option and CONFIG_WECOM_* setting they pass exists, and every
#      Buildroot Config.in option maps to one, and the Yocto layer keeps OE's
#      conventions and its llhttp matches Buildroot's (check_recipes.py; the
#      check in a real tree is packaging/yocto/check-in-poky.sh);
#   2. for armhf and aarch64, shared and static: a build with exactly the
#      recipes' flags (prefix /usr, lib, Release, the example toolchain file,
#      no tests, and no emulator: nothing may run a target program while
#      configuring), installed into a DESTDIR, stages exactly the files the
#      recipes package (manifest.py), every installed header compiles on its
#      own, and a program links against the staged tree and runs under qemu;
#   3. the jsmn recipe's install step, run on Debian's jsmn 1.1.0 source (the
#      upstream tarball), gives a staging tree the project builds against;
#   4. the Buildroot option that tunes mbedTLS, its hook run on Debian's
#      mbedTLS 2.28 and 3.6 sources (mbedtls_hook.sh).
# (packaging/buildroot/check-in-buildroot.sh runs the external tree in a
# real Buildroot tree.)
#
#   test/packaging/check.sh BUILD      (dirs BUILD-armhf-recipe-*, ...)
# The sysroots are BUILD-armhf/sysroot and BUILD-aarch64/sysroot, made by
# cross.sh when missing. Manifests and sizes go to BUILD-armhf-recipe-*/.
set -eu
B=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/test/packaging
BB=$(ls "$TOP"/packaging/yocto/recipes-connectivity/wecom-media/wecom-media_*.bb)
# The flags both recipes pass (check_recipes.py holds them to it); the rest
# is what Buildroot's cmake-package and Yocto's cmake class pass themselves.
RECIPE_FLAGS="-DWECOM_BUILD_TESTS=OFF"
CLASS_FLAGS="-DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF"

echo "== recipe options"
# shellcheck disable=SC2086
python3 "$HERE/check_recipes.py" "$TOP" $RECIPE_FLAGS

summary=""
for ARCH in armhf aarch64; do
  case $ARCH in
    armhf) TRIPLE=arm-linux-gnueabihf QEMU=qemu-arm ABI="-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64" ;;
    aarch64) TRIPLE=aarch64-linux-gnu QEMU=qemu-aarch64 ABI="" ;;
  esac
  command -v $QEMU >/dev/null || QEMU=$QEMU-static
  SYSROOT=$(mkdir -p "$B-$ARCH" && cd "$B-$ARCH" && pwd)/sysroot
  CROSS_SYSROOT_ONLY=1 sh "$HERE/cross.sh" "$ARCH" stable "$B-$ARCH"
  for LINK in shared static; do
    D=$B-$ARCH-recipe-$LINK
    STAGE=$(mkdir -p "$D" && cd "$D" && pwd)/stage
    echo "== $ARCH $LINK: build with the recipes' flags, install into DESTDIR"
    rm -rf "$STAGE"
    # The .config fragment the recipes write, with their default values.
    printf '%s\n' 'CONFIG_WECOM_IO_BUF_SIZE=16384' 'CONFIG_WECOM_DOWNLOAD=y' \
      'CONFIG_WECOM_CHECK_AMR=y' 'CONFIG_WECOM_CHECK_MP4=y' 'CONFIG_WECOM_CLI_PROGRESS=y' \
      'CONFIG_WECOM_DEFAULT_CA_FILE="/etc/ssl/certs/ca-certificates.crt"' > "$D/recipe.config"
    SHARED=ON; [ $LINK = shared ] || SHARED=OFF
    rm -rf "$D/build"
    # shellcheck disable=SC2086
    cmake -S "$TOP" -B "$D/build" -G Ninja \
      -DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/toolchain-$ARCH.cmake" -DCMAKE_SYSROOT="$SYSROOT" \
      -DCMAKE_C_FLAGS="$ABI" $CLASS_FLAGS $RECIPE_FLAGS -DCMAKE_CROSSCOMPILING_EMULATOR= \
      -DWECOM_KCONFIG="$D/recipe.config" -DWECOM_BUILD_SHARED=$SHARED -DWECOM_BUILD_CLI=ON >/dev/null
    cmake --build "$D/build" -j "${JOBS:-2}" >/dev/null
    DESTDIR="$STAGE" cmake --install "$D/build" >/dev/null
    python3 "$HERE/manifest.py" "$STAGE" "$D/build" "$BB" $LINK cli "$D/manifest.txt"

    # Every installed header stands on its own (none needs one left out).
    for h in "$STAGE"/usr/include/wecom/*.h; do
      echo "#include <wecom/$(basename "$h")>" | $TRIPLE-gcc --sysroot="$SYSROOT" $ABI \
        -I"$STAGE/usr/include" -std=c99 -Wall -Werror -fsyntax-only -x c - \
        || { echo "installed header $(basename "$h") does not compile alone"; exit 1; }
    done

    # A program built against the staged tree, as an application recipe
    # would: pkg-config from the staged .pc (--static for the static one).
    cat > "$D/use.c" <<'C'
#include <stdio.h>
#include <wecom/media.h>
int main(void) { puts(wecom_strerror(WECOM_ERR_TIMEOUT)); return 0; }
C
    PCF="--libs"; [ $LINK = shared ] || PCF="--libs --static"
    # shellcheck disable=SC2086
    LIBS=$(PKG_CONFIG_SYSROOT_DIR="$STAGE" PKG_CONFIG_LIBDIR="$STAGE/usr/lib/pkgconfig" \
           pkg-config $PCF wecom-media)
    CFL=$(PKG_CONFIG_SYSROOT_DIR="$STAGE" PKG_CONFIG_LIBDIR="$STAGE/usr/lib/pkgconfig" \
           pkg-config --cflags wecom-media)
    # shellcheck disable=SC2086
    $TRIPLE-gcc --sysroot="$SYSROOT" $ABI $CFL "$D/use.c" $LIBS -o "$D/use"
    $QEMU -L "$SYSROOT" -E LD_LIBRARY_PATH="$STAGE/usr/lib" "$D/use" | grep -q .
    # The staged tool finds its library by its RUNPATH alone.
    $QEMU -L "$SYSROOT" "$STAGE/usr/bin/wecom-media" --version | grep -q '^wecom-media '

    if [ $LINK = shared ]; then
      SO=$(ls "$STAGE"/usr/lib/libwecom-media.so.*.* | head -1)
      TEXT=$($TRIPLE-size "$SO" | awk 'NR==2{print $1}')
      summary="$summary$ARCH: text of $(basename "$SO") = $TEXT bytes (Release, default settings)
"
    else
      TEXT=$($TRIPLE-size -t "$STAGE/usr/lib/libwecom-media.a" | awk 'END{print $1}')
      summary="$summary$ARCH: text of libwecom-media.a (all objects) = $TEXT bytes
"
    fi
  done
done

echo "== what each device option costs: the static library's text, the client's size"
# One build per setting turned off (as the recipes write it), the library
# only, Release. Download off must take wecom_media_download out.
for ARCH in armhf aarch64; do
  case $ARCH in
    armhf) TRIPLE=arm-linux-gnueabihf ABI="-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64" ;;
    aarch64) TRIPLE=aarch64-linux-gnu ABI="" ;;
  esac
  SYSROOT=$(cd "$B-$ARCH" && pwd)/sysroot
  D=$B-$ARCH-recipe-options
  mkdir -p "$D"
  for SET in default WECOM_DOWNLOAD=n WECOM_CHECK_AMR=n WECOM_CHECK_MP4=n WECOM_IO_BUF_SIZE=4096 \
             "WECOM_DOWNLOAD=n WECOM_CHECK_AMR=n WECOM_CHECK_MP4=n WECOM_IO_BUF_SIZE=4096"; do
    : > "$D/opt.config"
    for kv in $SET; do [ "$kv" = default ] || echo "CONFIG_$kv" >> "$D/opt.config"; done
    rm -rf "$D/build"
    # shellcheck disable=SC2086
    cmake -S "$TOP" -B "$D/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/toolchain-$ARCH.cmake" \
      -DCMAKE_SYSROOT="$SYSROOT" -DCMAKE_C_FLAGS="$ABI" $CLASS_FLAGS $RECIPE_FLAGS \
      -DCMAKE_CROSSCOMPILING_EMULATOR= -DWECOM_KCONFIG="$D/opt.config" \
      -DWECOM_BUILD_SHARED=OFF -DWECOM_BUILD_CLI=OFF >/dev/null 2>&1
    cmake --build "$D/build" -j "${JOBS:-2}" >/dev/null
    TEXT=$($TRIPLE-size -t "$D/build/libwecom-media.a" | awk 'END{print $1}')
    CSIZE=$(sed -n 's/^#define WECOM_CLIENT_SIZE \([0-9]*\).*/\1/p' "$D"/build/include/wecom/*.h | head -1)
    HAS_DL=$($TRIPLE-nm -g --defined-only "$D/build/libwecom-media.a" 2>/dev/null | grep -c ' T wecom_media_download$' || true)
    case $SET in *WECOM_DOWNLOAD=n*) [ "$HAS_DL" = 0 ] || { echo "download off left wecom_media_download in"; exit 1; } ;; esac
    summary="$summary$ARCH: $SET: library text $TEXT bytes, sizeof(wecom_client_t) ${CSIZE:-?}
"
  done
done

echo "== jsmn recipe: its install step on Debian's jsmn 1.1.0 source, then the project against it"
J=$(mkdir -p "$B-armhf-jsmn" && cd "$B-armhf-jsmn" && pwd)
SYSROOT=$(cd "$B-armhf" && pwd)/sysroot
if [ ! -f "$J/src/jsmn_1.1.0.orig.tar.gz" ]; then
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
  mkdir -p "$J/apt/lists/partial" "$J/apt/cache/archives/partial" "$J/src"
  echo "deb-src $mirror trixie main" > "$J/apt/src.list"
  O="-o Dir::Etc::SourceList=$J/apt/src.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$J/apt/lists -o Dir::Cache=$J/apt/cache"
  # shellcheck disable=SC2086
  apt-get -q $O update >/dev/null
  # Only the upstream tarball is needed (the Debian part may be gone).
  # shellcheck disable=SC2086
  (cd "$J/src" && apt-get -q $O source --download-only jsmn >/dev/null 2>&1 || true)
fi
# The tarball is the upstream v1.1.0 one the recipe fetches: same sha256.
want=$(sed -n 's/^SRC_URI\[sha256sum\] = "\(.*\)"/\1/p' "$TOP"/packaging/yocto/recipes-support/jsmn/jsmn_*.bb)
echo "$want  $J/src/jsmn_1.1.0.orig.tar.gz" | sha256sum -c -
rm -rf "$J/work" "$J/stage" && mkdir -p "$J/work"
tar -xzf "$J/src/jsmn_1.1.0.orig.tar.gz" -C "$J/work"
want=$(sed -n 's/.*LICENSE;md5=\([0-9a-f]*\).*/\1/p' "$TOP"/packaging/yocto/recipes-support/jsmn/jsmn_*.bb)
echo "$want  $J/work/jsmn-1.1.0/LICENSE" | md5sum -c -
# A staging tree: the armhf sysroot without Debian's jsmn (hard links).
rm -rf "$J/build"
cp -al "$SYSROOT" "$J/stage"
rm -f "$J/stage/usr/include/jsmn.h"
cp "$TOP/packaging/yocto/recipes-support/jsmn/files/jsmn.pc.in" "$J/work/"
# The recipe's do_install, as bitbake would run it.
sed -n '/^do_install() {/,/^}/p' "$TOP"/packaging/yocto/recipes-support/jsmn/jsmn_*.bb \
  | sed -e '1d;$d' -e "s|\${D}|$J/stage|g; s|\${S}|$J/work/jsmn-1.1.0|g; s|\${WORKDIR}|$J/work|g" \
        -e 's|${includedir}|/usr/include|g; s|${libdir}|/usr/lib|g; s|${prefix}|/usr|g; s|${PV}|1.1.0|g' \
  > "$J/do_install.sh"
sh -e "$J/do_install.sh"
test -f "$J/stage/usr/include/jsmn.h" && test -f "$J/stage/usr/lib/pkgconfig/jsmn.pc"
cmake -S "$TOP" -B "$J/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/toolchain-armhf.cmake" \
  -DCMAKE_SYSROOT="$J/stage" -DCMAKE_C_FLAGS="-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64" \
  -DWECOM_BUILD_TESTS=OFF -DWECOM_BUILD_CLI=OFF -DWECOM_BUILD_SHARED=OFF >/dev/null
grep -qx "WECOM_JSMN_INCLUDE_DIR:PATH=$J/stage/usr/include" "$J/build/CMakeCache.txt" \
  || { echo "the project did not take jsmn.h from the recipe's staging"; exit 1; }
cmake --build "$J/build" -j "${JOBS:-2}" >/dev/null
echo "jsmn as the recipe installs it (and as Buildroot's jsmn package does: /usr/include/jsmn.h): the project builds"

echo "== Buildroot's mbedTLS option: its hook on Debian's mbedTLS 2.28 and 3.6 sources"
M=$(mkdir -p "$B-mbedtls-hook" && cd "$B-mbedtls-hook" && pwd)
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
for suite in bookworm trixie; do
  if [ -z "$(find "$M/src-$suite" -name 'mbedtls_*.orig.tar.*' 2>/dev/null)" ]; then
    mkdir -p "$M/apt-$suite/lists/partial" "$M/apt-$suite/cache/archives/partial" "$M/src-$suite"
    echo "deb-src $mirror $suite main" > "$M/apt-$suite/src.list"
    O="-o Dir::Etc::SourceList=$M/apt-$suite/src.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$M/apt-$suite/lists -o Dir::Cache=$M/apt-$suite/cache"
    # shellcheck disable=SC2086
    apt-get -q $O update >/dev/null
    # shellcheck disable=SC2086
    (cd "$M/src-$suite" && apt-get -q $O source --download-only mbedtls >/dev/null 2>&1 || true)
  fi
done
# shellcheck disable=SC2046
sh "$HERE/mbedtls_hook.sh" "$M/work" $(find "$M"/src-* -name 'mbedtls_*.orig.tar.*' | sort)

echo "== sizes"
printf '%s' "$summary" | tee "$B-armhf-recipe-sizes.txt"
