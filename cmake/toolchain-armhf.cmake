# SPDX-License-Identifier: MIT
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

# Debian's cross compiler (crossbuild-essential-armhf) unless
# -DWECOM_CROSS_PREFIX=... names another triplet; ctest runs the tests under qemu-arm.
set(WECOM_CROSS_DEFAULT_PREFIX arm-linux-gnueabihf-)
set(WECOM_QEMU_ARCH arm)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
