#!/bin/sh
# SPDX-License-Identifier: MIT
# What a device that only uploads links of the library: docs/firmware.md's
# push_photo() in a program of its own, linked at -Os against
# libwecom-media.a with --gc-sections (mbedTLS and libc shared, as they are
# not ours). Prints the bytes each of our objects (and llhttp, compiled in)
# keeps in the program (code, read-only data and data, not the unwind
# tables), from the linker's map; then the program's own `size` with and
# without --gc-sections.
#
#   test/bench/size_linked.sh [BUILD_DIR] [KCONFIG]
#   (default: build-size-linked, made here; KCONFIG e.g. configs/minimal_defconfig)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP/build-size-linked}
KCONFIG=${2:-$TOP/.config}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
case $KCONFIG in /*) ;; *) KCONFIG=$PWD/$KCONFIG ;; esac
CC=${CC:-cc}
cmake -S "$TOP" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DWECOM_BUILD_TESTS=OFF -DWECOM_BUILD_CLI=OFF -DWECOM_BUILD_SHARED=OFF \
    -DWECOM_KCONFIG="$KCONFIG" >/dev/null
cmake --build "$BUILD" --target wecom_media_static >/dev/null
LIB=$BUILD/libwecom-media.a
APP=$BUILD/size_linked
mkdir -p "$APP"
cat > "$APP/app.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wecom/media.h>
#include <wecom/posix.h>

static wecom_client_t client;

static int push_photo(const char *path, const char *token,
                      char media_id[WECOM_MEDIA_ID_MAX])
{
    wecom_port_t port;  wecom_posix_net_t net;  wecom_client_config_t cfg = {0};
    wecom_reader_t r;  wecom_posix_fd_t f;  wecom_upload_result_t res;
    wecom_err_t rc;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) return -1;
    wecom_posix_port_init(&port, &net);
    cfg.port = &port;
    rc = wecom_client_init(&client, &cfg);
    if (rc == WECOM_OK) rc = wecom_client_set_token(&client, token);
    if (rc == WECOM_OK) {
        wecom_upload_t up = { WECOM_KIND_IMAGE, NULL, 0, "photo.jpg", NULL, 0, NULL, NULL };
        wecom_posix_reader(&r, &f, fd);
        up.reader = &r;
        up.length = (uint64_t)st.st_size;
        rc = wecom_media_upload(&client, &up, &res);
        if (rc == WECOM_OK) memcpy(media_id, res.media_id, WECOM_MEDIA_ID_MAX);
    }
    wecom_client_free(&client);
    wecom_posix_net_free(&net);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    char id[WECOM_MEDIA_ID_MAX];
    int rc;
    if (argc != 3) return 2;
    rc = push_photo(argv[1], argv[2], id);
    if (rc != 0) { fprintf(stderr, "%s\n", wecom_strerror(rc)); return 1; }
    puts(id);
    return 0;
}
C
MBEDTLS="-lmbedtls -lmbedx509 -lmbedcrypto"
$CC -Os -std=c99 -D_POSIX_C_SOURCE=200809L -I"$TOP/include" -I"$BUILD/include" -c "$APP/app.c" -o "$APP/app.o"
$CC -o "$APP/upload_gc" "$APP/app.o" -Wl,--gc-sections "$LIB" $MBEDTLS
$CC -o "$APP/upload_all" "$APP/app.o" "$LIB" $MBEDTLS
# The same link from the archive's objects by path, for the map: inside
# the archive a member is known by its file name alone, here by its path.
OBJS=$(find "$BUILD/CMakeFiles/wecom_objs.dir" "$BUILD/CMakeFiles/wecom_llhttp_src.dir" \
    -name '*.o' 2>/dev/null | sort)
$CC -o "$APP/upload_map" "$APP/app.o" -Wl,--gc-sections -Wl,-Map="$APP/upload.map" \
    $OBJS $LIB $MBEDTLS

# The map names each input section kept, its size and its object; a long
# section name puts the address and size on the next line.
echo "== upload-only program, --gc-sections: bytes kept per object"
echo "   (code, read-only data and data; not the unwind tables)"
awk -v build="$BUILD/CMakeFiles/" '
    function hex(h,   v, i) {
        v = 0; h = tolower(substr(h, 3))
        for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
        return v
    }
    /^Discarded input sections/ { skip = 1; next } /^Linker script and memory map/ { skip = 0; next }
    skip { next }
    /^ \.(text|rodata|data)[^ ]*$/ { pend = 1; next }
    pend && $1 ~ /^0x/ && NF == 3 { size = $2; obj = $3; pend = 0 }
    /^ \.(text|rodata|data)[^ ]* +0x/ { size = $3; obj = $4 }
    obj != "" {
        if (index(obj, build) == 1) {
            sub(build, "", obj); sub(/^wecom_objs\.dir\//, "", obj)
            sub(/^wecom_llhttp_src\.dir\/.*\//, "llhttp/", obj); sub(/\.o$/, "", obj)
            kept[obj] += hex(size)
        }
        obj = ""; next
    }
    { pend = 0 }
    END {
        for (o in kept) {
            printf "%7d  %s\n", kept[o], o | "sort -k2"
            if (o ~ /^llhttp\//) ll += kept[o]; else t += kept[o]
        }
        close("sort -k2")
        printf "%7d  total of core/, outbox/, port/ (%.1f KiB); llhttp %d\n", t, t / 1024, ll
    }' "$APP/upload.map"
echo "== the program from libwecom-media.a (ours, llhttp, main, C runtime):"
size "$APP/upload_all" "$APP/upload_gc" | sed "s|$APP/||"
