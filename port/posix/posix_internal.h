/* Shared between the POSIX port's files, not public. */
#ifndef WECOM_POSIX_INTERNAL_H
#define WECOM_POSIX_INTERNAL_H

#include <stdint.h>

#include "wecom/posix.h"

/* Sleep ms milliseconds, or less when net is cancelled (net.c). */
void wecom__posix_sleep(wecom_posix_net_t *net, uint32_t ms);

#endif
