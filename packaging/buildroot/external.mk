# SPDX-License-Identifier: MIT
include $(sort $(wildcard $(BR2_EXTERNAL_WECOM_MEDIA_PATH)/package/*/*.mk))
