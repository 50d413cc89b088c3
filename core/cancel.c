/* SPDX-License-Identifier: MIT */
/*
 * Cancel from outside (see wecom/media.h): a flag the client looks at
 * before every wait, and the port's hook that wakes the wait in progress.
 * Both are safe from a signal handler: a store to a volatile sig_atomic_t
 * and, on POSIX, one write() to a pipe.
 */
#include "api.h"

void wecom_client_cancel(wecom_client_t *client)
{
    wecom__client_t *c = wecom__client(client);
    const wecom_port_t *port;
    if (!wecom__client_ready(c))
        return;
    port = c->port;
    c->tls.cancelled = 1;
    if (port != NULL && port->transport.cancel != NULL)
        port->transport.cancel(port->transport.ctx);
}

void wecom_client_cancel_clear(wecom_client_t *client)
{
    wecom__client_t *c = wecom__client(client);
    const wecom_port_t *port;
    if (wecom__client_may_call(c, 0) != WECOM_OK)
        return;
    port = c->port;
    c->tls.cancelled = 0;
    if (port != NULL && port->transport.cancel_clear != NULL)
        port->transport.cancel_clear(port->transport.ctx);
}
