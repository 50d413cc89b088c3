# Example CMake toolchain file: 32-bit ARM Linux, hard float (armhf).
#
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-armhf.cmake \
#         -DCMAKE_SYSROOT=/path/to/armhf/sysroot
#
# The build needs nothing beyond what any plain toolchain file gives
# (Buildroot's and Yocto's own work the same way): the compiler, a sysroot,
# and find_* confined to it. No path of the build machine is named here;
# the sysroot comes from the command line (CMAKE_SYSROOT is passed on to
# CMake's own compile checks by CMake itself).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)

# Debian's cross compiler (crossbuild-essential-armhf); override with
# -DWECOM_CROSS_PREFIX=... for another toolchain's triplet.
if(NOT WECOM_CROSS_PREFIX)
  set(WECOM_CROSS_PREFIX arm-linux-gnueabihf-)
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
  find_program(WECOM_QEMU NAMES qemu-arm qemu-arm-static)
  if(WECOM_QEMU)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${WECOM_QEMU} -L ${CMAKE_SYSROOT})
  endif()
endif()
