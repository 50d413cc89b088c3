/* SPDX-License-Identifier: MIT */
/* The POSIX port as a whole: transport, monotonic clock, sleep, entropy. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <string.h>
#include <time.h>

#include "posix_internal.h"
#include "wecom/posix.h"

static uint64_t sys_now_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The backoff between retries: a cancel on the transport ends it early. */
static void sys_sleep_ms(void *ctx, uint32_t ms)
{
    wecom_posix_net_t *net = ctx;
    struct timespec d;
    if (net != NULL) {
        wecom__posix_sleep(net, ms);
        return;
    }
    d.tv_sec = (time_t)(ms / 1000u);
    d.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
}

void wecom_posix_port_init(wecom_port_t *port, wecom_posix_net_t *net)
{
    if (port == NULL || net == NULL)
        return;
    memset(port, 0, sizeof *port);
    wecom_posix_transport(&port->transport, net);
    port->now_ms = sys_now_ms;
    port->entropy = wecom_posix_entropy;
    port->sleep_ms = sys_sleep_ms;
    port->sys_ctx = net; /* sleep_ms watches its cancel */
}
