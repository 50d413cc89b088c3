#!/bin/sh
# SPDX-License-Identifier: MIT
# Install into a staging DESTDIR under an unusual prefix, then run the
# installed tool (it must find its shared library there) and build a
# program against the installed headers with pkg-config.
set -eu
BUILD=$1
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/wecom-install.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
PREFIX=/opt/wecom\ media
DESTDIR="$STAGE" cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null
ROOT="$STAGE$PREFIX"
LIBDIR=$(ls -d "$ROOT"/lib* | head -1)

# The tool runs from its staged place, with no LD_LIBRARY_PATH.
"$ROOT/bin/wecom-media" --version | grep -q '^wecom-media '
if [ -e "$LIBDIR/libwecom-media.so" ]; then
    ldd "$ROOT/bin/wecom-media" | grep libwecom-media | grep -qF "$ROOT/" \
        || { echo "the installed tool does not load the installed library"; exit 1; }
    readelf -d "$LIBDIR/libwecom-media.so" | grep -q 'SONAME.*libwecom-media.so.[0-9]'
fi

# The installed headers are the public API only, and none of them pulls in
# a dependency's header: an application needs no mbedTLS, llhttp or jsmn.
INCDIR=$(ls -d "$ROOT"/include)
ls "$INCDIR/wecom" | sort | tr '\n' ' ' > "$STAGE/headers"
[ "$(cat "$STAGE/headers")" = "abi.h build_config.h config.h error.h media.h outbox.h port.h posix.h " ] \
    || { echo "installed headers: $(cat "$STAGE/headers")"; exit 1; }

cat > "$STAGE/use.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <wecom/media.h>
#include <wecom/posix.h>
static wecom_client_t c; /* in .bss, sized by the installed abi.h */
int main(void)
{
    static wecom_posix_net_t net;
    static wecom_port_t port;
    wecom_client_config_t cfg;
    wecom_err_t rc;
    memset(&cfg, 0, sizeof cfg);
    wecom_posix_port_init(&port, &net);
    cfg.port = &port;
    cfg.base_url = "http://plain.example"; /* refused: https only */
    rc = wecom_client_init(&c, &cfg);
    printf("%s %zu\n", wecom_errname(rc), sizeof c);
    wecom_posix_net_free(&net);
    return rc == WECOM_ERR_INVALID_ARG ? 0 : 1;
}
C
# pkg-config writes a space in a path as "\\ "
pc() { PKG_CONFIG_PATH="$LIBDIR/pkgconfig" pkg-config "$@"; }
INC=$(pc --variable=includedir wecom-media | sed 's/\\ / /g')
cc -I"$INC" -M "$STAGE/use.c" > "$STAGE/deps"
if grep -E 'mbedtls|llhttp|jsmn' "$STAGE/deps"; then
    echo "the installed headers include a dependency's header"; exit 1
fi
# Dependencies that live outside the linker's default path (make
# test-mbedtls3 builds against a private prefix) are found where the build
# found them, and taken static as the build took them; otherwise a
# consumer would link the system's other mbedTLS.
DEP_L="" BSTATIC="" BDYNAMIC=""
for d in $(printf '%s' "${WECOM_DEP_LIBDIRS:-}" | tr ':' ' '); do
    DEP_L="$DEP_L -L$d"
done
if [ -n "$DEP_L" ]; then
    BSTATIC=-Wl,-Bstatic BDYNAMIC=-Wl,-Bdynamic
fi
# Built and run against the installed tree, static and shared, through
# pkg-config (its paths carry the space, so they are taken apart here).
LIBS_STATIC=$(pc --static --libs-only-l wecom-media)
# shellcheck disable=SC2086
cc -I"$INC" "$STAGE/use.c" -o "$STAGE/use-static" "$LIBDIR/libwecom-media.a" \
    $DEP_L $BSTATIC $(echo "$LIBS_STATIC" | sed 's/-lwecom-media//') $BDYNAMIC
"$STAGE/use-static" > /dev/null
if [ -e "$LIBDIR/libwecom-media.so" ]; then
    cc -I"$INC" "$STAGE/use.c" -o "$STAGE/use-shared" -L"$LIBDIR" \
        $(pc --libs-only-l wecom-media) -Wl,-rpath,"$LIBDIR"
    ldd "$STAGE/use-shared" | grep -qF "$LIBDIR/libwecom-media.so" \
        || { echo "the program does not load the installed library"; exit 1; }
    "$STAGE/use-shared" > /dev/null
fi

# And through find_package, both targets, in a project of its own.
test -f "$LIBDIR/cmake/wecom-media/wecom-media-config.cmake"
mkdir "$STAGE/app"
cp "$STAGE/use.c" "$STAGE/app/use.c"
cat > "$STAGE/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(wecom-media @VERSION@ CONFIG REQUIRED)
add_executable(use_static use.c)
target_link_libraries(use_static PRIVATE wecom::media_static)
if(DEP_DIRS) # dependencies from a private prefix, static as the build took them
  target_link_directories(use_static PRIVATE ${DEP_DIRS})
  target_link_options(use_static PRIVATE -Wl,-Bstatic)
  set_target_properties(use_static PROPERTIES SKIP_BUILD_RPATH ON) # not that prefix's libc
  set(CMAKE_C_STANDARD_LIBRARIES -Wl,-Bdynamic) # libc and libgcc_s as usual
endif()
if(TARGET wecom::media)
  add_executable(use_shared use.c)
  target_link_libraries(use_shared PRIVATE wecom::media)
endif()
CM
VERSION=$(sed -n 's/^#define WECOM_VERSION_STRING "\(.*\)"/\1/p' "$INCDIR/wecom/media.h")
sed -i "s/@VERSION@/$VERSION/" "$STAGE/app/CMakeLists.txt"
if [ -n "$DEP_L" ]; then
    cmake -S "$STAGE/app" -B "$STAGE/app/b" -DCMAKE_PREFIX_PATH="$ROOT" \
        -DDEP_DIRS="$(printf '%s' "$WECOM_DEP_LIBDIRS" | tr ':' ';')" >/dev/null
else
    cmake -S "$STAGE/app" -B "$STAGE/app/b" -DCMAKE_PREFIX_PATH="$ROOT" >/dev/null
fi
cmake --build "$STAGE/app/b" >/dev/null
"$STAGE/app/b/use_static" > /dev/null
if [ -e "$STAGE/app/b/use_shared" ]; then
    LD_LIBRARY_PATH="$LIBDIR" "$STAGE/app/b/use_shared" > /dev/null
fi
# Semantic versioning: a later major (or, before 1.0, minor) is refused.
mkdir "$STAGE/newer"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(newer C)\nfind_package(wecom-media 99.0 CONFIG REQUIRED)\n' \
    > "$STAGE/newer/CMakeLists.txt"
if cmake -S "$STAGE/newer" -B "$STAGE/newer/b" -DCMAKE_PREFIX_PATH="$ROOT" >/dev/null 2>&1; then
    echo "find_package(wecom-media 99.0) accepted version $VERSION"; exit 1
fi
echo "installed under DESTDIR with prefix '$PREFIX': tool runs; an application" \
     "builds and runs against it (pkg-config, find_package; static, shared)" \
     "without mbedTLS, llhttp or jsmn headers"
