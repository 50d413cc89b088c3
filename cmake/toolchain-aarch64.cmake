# SPDX-License-Identifier: MIT
# Example CMake toolchain file: 64-bit ARM Linux (aarch64).
#
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake \
#         -DCMAKE_SYSROOT=/path/to/aarch64/sysroot
#
# The build needs nothing beyond what any plain toolchain file gives
# (Buildroot's and Yocto's own work the same way): the compiler, a sysroot,
# and find_* confined to it. No path of the build machine is named here;
# the sysroot comes from the command line (CMAKE_SYSROOT is passed on to
# CMake's own compile checks by CMake itself).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

# Debian's cross compiler (crossbuild-essential-arm64) unless
# -DWECOM_CROSS_PREFIX=... names another triplet; ctest runs the tests under qemu-aarch64.
set(WECOM_CROSS_DEFAULT_PREFIX aarch64-linux-gnu-)
set(WECOM_QEMU_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
