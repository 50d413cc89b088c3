/* SPDX-License-Identifier: MIT */
/* The skeleton port of port_skeleton.c (see docs/firmware.md). */
#ifndef PORT_SKELETON_H
#define PORT_SKELETON_H

#include <wecom/port.h>

typedef struct skeleton_net {
    int sock;  /* the stack's socket handle, -1 when closed */
    int stale; /* the peer closed, or an error: reconnect before reuse */
} skeleton_net_t;

void skeleton_port_init(wecom_port_t *port, skeleton_net_t *net);

#endif
