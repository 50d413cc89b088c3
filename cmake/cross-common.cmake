# SPDX-License-Identifier: MIT
# What the example toolchain files (toolchain-armhf.cmake,
# toolchain-aarch64.cmake) share; each sets CMAKE_SYSTEM_PROCESSOR,
# WECOM_CROSS_DEFAULT_PREFIX and WECOM_QEMU_ARCH, then includes this.
# Debian's cross compiler for the architecture; override with
# -DWECOM_CROSS_PREFIX=... for another toolchain's triplet.
if(NOT WECOM_CROSS_PREFIX)
  set(WECOM_CROSS_PREFIX ${WECOM_CROSS_DEFAULT_PREFIX})
endif()
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${WECOM_CROSS_PREFIX}gcc)
endif()

# Headers, libraries and CMake/pkg-config packages from the sysroot only;
# programs (the compiler, pkg-config, python3 for the tests) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (used for llhttp when no CMake package is found) looks in the
# sysroot's multiarch and plain directories only.
if(CMAKE_SYSROOT)
  string(REGEX REPLACE "-$" "" _wecom_triplet "${WECOM_CROSS_PREFIX}")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
  set(ENV{PKG_CONFIG_LIBDIR} "${CMAKE_SYSROOT}/usr/lib/${_wecom_triplet}/pkgconfig:${CMAKE_SYSROOT}/usr/lib/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
endif()

# ctest runs the target's programs under qemu-user (package qemu-user or
# qemu-user-static), which loads their libraries from the sysroot. Nothing
# runs a target program at configure time.
if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR AND CMAKE_SYSROOT)
  find_program(WECOM_QEMU NAMES qemu-${WECOM_QEMU_ARCH} qemu-${WECOM_QEMU_ARCH}-static)
  if(WECOM_QEMU)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${WECOM_QEMU} -L ${CMAKE_SYSROOT})
  endif()
endif()
