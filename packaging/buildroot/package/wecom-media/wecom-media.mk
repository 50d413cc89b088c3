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

# getrandom() comes from the C library (glibc >= 2.25, musl >= 1.1.20),
# whose version Buildroot does not know for an external toolchain: say so
# plainly here rather than as a compile error in the middle of the build.
define WECOM_MEDIA_CHECK_GETRANDOM
	printf '#include <sys/random.h>\nint main(void) { char b; return (int)getrandom(&b, 1, 0); }\n' \
		> $(@D)/buildroot-getrandom.c
	$(TARGET_CC) $(TARGET_CFLAGS) $(TARGET_LDFLAGS) $(@D)/buildroot-getrandom.c \
		-o $(@D)/buildroot-getrandom || { \
		echo "wecom-media needs getrandom() in the C library: glibc >= 2.25 or musl >= 1.1.20"; \
		exit 1; }
endef
WECOM_MEDIA_PRE_CONFIGURE_HOOKS += WECOM_MEDIA_CHECK_GETRANDOM

# The project's mbedTLS configuration (packaging/mbedtls/), applied to
# Buildroot's own mbedtls package after its sources are patched. The
# overlay is named at the top of the config header this mbedTLS has
# (mbedtls_config.h in 3.x, config.h in 2.28), so the installed headers
# carry it: every program built against this mbedTLS sees its options.
ifeq ($(BR2_PACKAGE_WECOM_MEDIA_MBEDTLS_TUNE),y)
WECOM_MEDIA_MBEDTLS_DIR = $(BR2_EXTERNAL_WECOM_MEDIA_PATH)/../mbedtls
define WECOM_MEDIA_MBEDTLS_TUNE
	$(INSTALL) -m 0644 $(WECOM_MEDIA_MBEDTLS_DIR)/wecom_mbedtls_config.h \
		$(@D)/include/mbedtls/wecom_mbedtls_config.h
	h=$(@D)/include/mbedtls/mbedtls_config.h; \
	test -f $$h || h=$(@D)/include/mbedtls/config.h; \
	grep -q wecom_mbedtls_config.h $$h || \
		$(SED) '1i #define MBEDTLS_USER_CONFIG_FILE "wecom_mbedtls_config.h"' $$h
	grep -q wecom_mbedtls_gmtime $(@D)/library/platform_util.c || \
		cat $(WECOM_MEDIA_MBEDTLS_DIR)/wecom_mbedtls_gmtime.c \
		>> $(@D)/library/platform_util.c
endef
# check-package disable TypoInPackageVariable
MBEDTLS_POST_PATCH_HOOKS += WECOM_MEDIA_MBEDTLS_TUNE
endif

$(eval $(cmake-package))
