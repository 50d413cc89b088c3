################################################################################
#
# llhttp
#
################################################################################

# SPDX-License-Identifier: MIT

LLHTTP_VERSION = 9.2.1
# The release/vX tags hold the generated C parser and its CMake build; the
# vX tags hold the TypeScript sources, which need Node.js and llparse to
# generate that C first.
LLHTTP_SITE = $(call github,nodejs,llhttp,release/v$(LLHTTP_VERSION))
LLHTTP_LICENSE = MIT
LLHTTP_LICENSE_FILES = LICENSE-MIT
LLHTTP_INSTALL_STAGING = YES

# The release CMake build makes the shared library, the static one, or
# both; follow the toolchain's choice (llhttp::llhttp_shared/_static).
ifeq ($(BR2_STATIC_LIBS),y)
LLHTTP_CONF_OPTS += -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON
else ifeq ($(BR2_SHARED_STATIC_LIBS),y)
LLHTTP_CONF_OPTS += -DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=ON
else
LLHTTP_CONF_OPTS += -DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF
endif

$(eval $(cmake-package))
