# SPDX-License-Identifier: MIT
# The library's sources and include folders, and nothing else: no compiler
# flags, no dependency discovery (lwIP's src/Filelists.cmake does the
# same). A firmware build system may include this file, or read it, and
# compile the sources with its own rules. Paths are under WECOM_ROOT_DIR,
# the project's top folder, which defaults to the folder above this file.
#
# Beside the include folders below, the sources need the generated
# wecom/build_config.h and wecom/abi.h (CMakeLists.txt makes them from
# Kconfig and cmake/wecom_abi.cmake) and the headers of mbedTLS, llhttp
# and jsmn. The layers are those of DESIGN.md: wire/ is pure and knows
# no platform, tls/ alone uses mbedTLS, outbox/ uses the public API.

if(NOT DEFINED WECOM_ROOT_DIR)
  get_filename_component(WECOM_ROOT_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
endif()

# core/wire/: HTTP framing over llhttp, JSON over jsmn, multipart, URL,
# Range, file names, the bounded text builder.
set(WECOM_WIRE_SOURCES
  ${WECOM_ROOT_DIR}/core/wire/filename.c
  ${WECOM_ROOT_DIR}/core/wire/http_exchange.c
  ${WECOM_ROOT_DIR}/core/wire/http_request.c
  ${WECOM_ROOT_DIR}/core/wire/http_response.c
  ${WECOM_ROOT_DIR}/core/wire/json.c
  ${WECOM_ROOT_DIR}/core/wire/multipart.c
  ${WECOM_ROOT_DIR}/core/wire/range.c
  ${WECOM_ROOT_DIR}/core/wire/text.c
  ${WECOM_ROOT_DIR}/core/wire/url.c)

# core/tls/: the TLS session, the CA store, the proxy tunnel, saved sessions.
set(WECOM_TLS_SOURCES
  ${WECOM_ROOT_DIR}/core/tls/castore.c
  ${WECOM_ROOT_DIR}/core/tls/proxy.c
  ${WECOM_ROOT_DIR}/core/tls/session.c
  ${WECOM_ROOT_DIR}/core/tls/tls.c)

# core/: the client and its calls.
set(WECOM_CORE_SOURCES
  ${WECOM_ROOT_DIR}/core/amr.c
  ${WECOM_ROOT_DIR}/core/api_call.c
  ${WECOM_ROOT_DIR}/core/cancel.c
  ${WECOM_ROOT_DIR}/core/check.c
  ${WECOM_ROOT_DIR}/core/client.c
  ${WECOM_ROOT_DIR}/core/download.c
  ${WECOM_ROOT_DIR}/core/error.c
  ${WECOM_ROOT_DIR}/core/memio.c
  ${WECOM_ROOT_DIR}/core/retry.c
  ${WECOM_ROOT_DIR}/core/token.c
  ${WECOM_ROOT_DIR}/core/upload.c)

# outbox/: store-and-forward on the public API.
set(WECOM_OUTBOX_SOURCES
  ${WECOM_ROOT_DIR}/outbox/outbox.c
  ${WECOM_ROOT_DIR}/outbox/outbox_drain.c
  ${WECOM_ROOT_DIR}/outbox/outbox_journal.c)

# port/posix/: the POSIX port (Kconfig's WECOM_PORT_POSIX).
set(WECOM_PORT_POSIX_SOURCES
  ${WECOM_ROOT_DIR}/port/posix/arena.c
  ${WECOM_ROOT_DIR}/port/posix/entropy.c
  ${WECOM_ROOT_DIR}/port/posix/fd.c
  ${WECOM_ROOT_DIR}/port/posix/fs.c
  ${WECOM_ROOT_DIR}/port/posix/net.c
  ${WECOM_ROOT_DIR}/port/posix/port.c)

# Everything but the port, which the build picks.
set(WECOM_LIBRARY_SOURCES ${WECOM_WIRE_SOURCES} ${WECOM_TLS_SOURCES}
    ${WECOM_CORE_SOURCES} ${WECOM_OUTBOX_SOURCES})

# The public headers' folder (installed), and the private ones (never).
set(WECOM_PUBLIC_INCLUDE_DIR ${WECOM_ROOT_DIR}/include)
set(WECOM_PRIVATE_INCLUDE_DIRS
  ${WECOM_ROOT_DIR}/core
  ${WECOM_ROOT_DIR}/core/tls
  ${WECOM_ROOT_DIR}/core/wire
  ${WECOM_ROOT_DIR}/outbox)
