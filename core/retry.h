/* SPDX-License-Identifier: MIT */
/* The one retry policy of the library: upload, download and gettoken ask
 * it, after each failed request, whether to send it again. It owns the
 * attempt count, the backoff with jitter, the client's retry time limit
 * and deadline, and the token refresh. Not part of the public API. */
#ifndef WECOM_RETRY_H
#define WECOM_RETRY_H

#include <stdint.h>

#include "client.h"
#include "wecom/media.h"

typedef struct wecom__retry {
    unsigned failures;  /* failed requests since the last progress */
    unsigned retries;   /* requests sent again in this call */
    uint64_t since_ms;  /* when the current run of failures began */
    int refreshed;      /* the token was refreshed in this call */
    int no_refresh;     /* gettoken: there is no token to refresh */
    int no_repeat;      /* the request cannot be sent again (a pipe) */
    int progressed;     /* the last failed request moved data (download) */
} wecom__retry_t;

/* A fresh state for one call. */
void wecom__retry_init(wecom__retry_t *s);

/* A download's request moved bytes: the failure count starts again. When
 * it then failed (failed != 0), the next retry comes without a backoff. */
void wecom__retry_progress(wecom__retry_t *s, int failed);

/* What to do after a request failed with *rc (api: its errcode, or NULL):
 * 1 to send it again now (the token was refreshed, or the backoff has
 * been slept), 0 to stop with *rc. A refresh on 40014/42001 happens once
 * per call and does not count as an attempt. Retried: a dropped or
 * refused connection, a TLS setup failure, errcode -1 and 45033; never
 * 45009 or any other errcode. A cancel during the sleep sets *rc to
 * WECOM_ERR_CANCELLED. */
int wecom__retry_next(wecom__client_t *c, wecom__retry_t *s, wecom_err_t *rc,
                      const wecom_api_error_t *api);

/* The sleep before retry number n (1, 2, ...): the backoff doubles from
 * WECOM_RETRY_BACKOFF_MS up to 60 s, and is then drawn from its upper
 * half with the port's entropy ("equal jitter"), so that devices that
 * failed together do not come back together. */
uint32_t wecom__retry_delay(wecom__client_t *c, unsigned n);

#endif
