#!/bin/sh
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

# Headers and pkg-config are usable as installed.
cat > "$STAGE/use.c" <<'C'
#include <wecom/media.h>
#include <wecom/posix.h>
static wecom_client_t c;
int main(void) { return wecom_strerror(WECOM_ERR_TIMEOUT)[0] == '\0' || sizeof c == 0; }
C
# pkg-config writes a space in a path as "\\ "
INC=$(PKG_CONFIG_PATH="$LIBDIR/pkgconfig" pkg-config --variable=includedir wecom-media | sed 's/\\ / /g')
cc -I"$INC" -c "$STAGE/use.c" -o "$STAGE/use.o"
test -f "$LIBDIR/cmake/wecom-media/wecom-media-config.cmake"
echo "installed under DESTDIR with prefix '$PREFIX': tool runs, headers compile"
