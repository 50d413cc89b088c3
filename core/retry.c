/* SPDX-License-Identifier: MIT */
/* The one retry policy (see retry.h). */
#include <string.h>

#include "api.h"
#include "retry.h"

#define RETRY_CEILING_MS 60000u

void wecom__retry_init(wecom__retry_t *s)
{
    memset(s, 0, sizeof *s);
}

void wecom__retry_progress(wecom__retry_t *s, int failed)
{
    s->failures = 0;
    s->since_ms = 0;
    s->progressed = failed != 0;
}

uint32_t wecom__retry_delay(wecom__client_t *c, unsigned n)
{
    uint32_t wait = WECOM_RETRY_BACKOFF_MS, half, r = 0;
    unsigned char b[4];
    unsigned i;
    for (i = 1; i < n && wait < RETRY_CEILING_MS; i++)
        wait *= 2;
    if (wait > RETRY_CEILING_MS)
        wait = RETRY_CEILING_MS;
    half = wait / 2;
    if (half == 0 || c->port->entropy == NULL ||
        c->port->entropy(c->port->sys_ctx, b, sizeof b) != 0)
        return wait; /* no entropy: the plain backoff, never shorter */
    r = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return wait - half + r % (half + 1);
}

static void report(wecom__client_t *c, const wecom__retry_t *s, wecom_err_t rc,
                   const wecom_api_error_t *api, uint32_t delay)
{
    if (c->on_retry != NULL)
        c->on_retry(c->on_retry_ctx, s->retries + (unsigned)s->refreshed, rc,
                    rc == WECOM_ERR_API ? api : NULL, delay);
}

static int is_refresh(wecom_err_t rc, const wecom_api_error_t *api)
{
    return rc == WECOM_ERR_API && api != NULL &&
           (api->errcode == 40014 || api->errcode == 42001);
}

int wecom__retry_next(wecom__client_t *c, wecom__retry_t *s, wecom_err_t *rc,
                      const wecom_api_error_t *api)
{
    uint64_t now;
    uint32_t delay;
    int progressed = s->progressed;
    wecom_err_t e = *rc;

    s->progressed = 0;
    if (e == WECOM_OK || s->no_repeat)
        return 0;
    if (is_refresh(e, api)) {
        /* Once per call, and not an attempt: the request never reached
         * the part of WeCom that is busy. */
        if (s->no_refresh || s->refreshed)
            return 0;
        s->refreshed = 1;
        if (wecom__token_renew(c) != 0) /* the provider, or the hook */
            return 0;
        report(c, s, e, api, 0);
        return 1;
    }
    /* 45009 (rate limited) is not retryable: a retry extends the block. */
    if (!wecom__api_retryable(e, api))
        return 0;
    if (c->retry_max == 0)
        return 0;
    /* Progress resets the failure count; the total stays bounded. */
    if ((uint64_t)s->retries >= 16u * ((uint64_t)c->retry_max + 1u))
        return 0;
    if (progressed) {
        s->retries++;
        report(c, s, e, api, 0);
        return 1;
    }
    if (++s->failures > c->retry_max)
        return 0;
    now = c->port->now_ms(c->port->sys_ctx);
    if (s->failures == 1)
        s->since_ms = now;
    delay = wecom__retry_delay(c, s->failures);
    if (c->retry_max_ms != 0 && now + delay > s->since_ms + c->retry_max_ms)
        return 0;
    /* The client's deadline would pass during the sleep: stop now, with
     * the last error, and report no retry that will not be made. */
    if (c->deadline_ms != 0 && now + delay >= c->deadline_ms)
        return 0;
    s->retries++;
    report(c, s, e, api, delay);
    if (wecom__api_backoff_ms(c, delay, rc) != WECOM_OK)
        return 0;
    return 1;
}
