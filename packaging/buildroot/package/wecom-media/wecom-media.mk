################################################################################
#
# wecom-media
#
################################################################################

# SPDX-License-Identifier: MIT

# Built from the tree this BR2_EXTERNAL lives in (packaging/buildroot/ of
# the wecom-media sources). A release would name its tarball here instead,
# with its sha256 in wecom-media.hash.
WECOM_MEDIA_VERSION = 0.1.0
WECOM_MEDIA_SITE = $(BR2_EXTERNAL_WECOM_MEDIA_PATH)/../..
WECOM_MEDIA_SITE_METHOD = local
# Build directories of a developer's checkout are not sources.
WECOM_MEDIA_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/build* --exclude=/.config
WECOM_MEDIA_LICENSE = MIT
WECOM_MEDIA_LICENSE_FILES = LICENSE
WECOM_MEDIA_INSTALL_STAGING = YES
WECOM_MEDIA_DEPENDENCIES = host-pkgconf mbedtls llhttp jsmn

# The library's settings reach its build as a Kconfig .config fragment
# (CMake option WECOM_KCONFIG); settings not named keep their defaults.
WECOM_MEDIA_KCONFIG = $(@D)/buildroot-wecom.config
WECOM_MEDIA_CONF_OPTS = \
	-DWECOM_BUILD_TESTS=OFF \
	-DWECOM_KCONFIG=$(WECOM_MEDIA_KCONFIG)

ifeq ($(BR2_STATIC_LIBS),y)
WECOM_MEDIA_CONF_OPTS += -DWECOM_BUILD_SHARED=OFF
else
WECOM_MEDIA_CONF_OPTS += -DWECOM_BUILD_SHARED=ON
endif

ifeq ($(BR2_PACKAGE_WECOM_MEDIA_CLI),y)
WECOM_MEDIA_CONF_OPTS += -DWECOM_BUILD_CLI=ON
else
WECOM_MEDIA_CONF_OPTS += -DWECOM_BUILD_CLI=OFF
endif

define WECOM_MEDIA_WRITE_KCONFIG
	{ \
	  echo 'CONFIG_WECOM_IO_BUF_SIZE=$(BR2_PACKAGE_WECOM_MEDIA_IO_BUF_SIZE)'; \
	  echo 'CONFIG_WECOM_DOWNLOAD=$(if $(BR2_PACKAGE_WECOM_MEDIA_DOWNLOAD),y,n)'; \
	  echo 'CONFIG_WECOM_CHECK_AMR=$(if $(BR2_PACKAGE_WECOM_MEDIA_CHECK_AMR),y,n)'; \
	  echo 'CONFIG_WECOM_CHECK_MP4=$(if $(BR2_PACKAGE_WECOM_MEDIA_CHECK_MP4),y,n)'; \
	  echo 'CONFIG_WECOM_CLI_PROGRESS=$(if $(BR2_PACKAGE_WECOM_MEDIA_CLI_PROGRESS),y,n)'; \
	  echo 'CONFIG_WECOM_DEFAULT_CA_FILE="$(call qstrip,$(BR2_PACKAGE_WECOM_MEDIA_CA_FILE))"'; \
	} > $(WECOM_MEDIA_KCONFIG)
endef
WECOM_MEDIA_PRE_CONFIGURE_HOOKS += WECOM_MEDIA_WRITE_KCONFIG

$(eval $(cmake-package))
