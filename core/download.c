/* SPDX-License-Identifier: MIT */
/*
 * Download: one or more ranged GETs on a kept connection, each answer
 * checked against what was asked and what is already written, the body
 * streamed to the writer as it arrives.
 *
 * WeCom answers errors with a JSON body, possibly with status 200. What
 * is media and what is an answer is decided by one rule,
 * wecom__json_answer_classify() in json.c: until it can tell, the body is held
 * in the JSON buffer. An answer of any kind writes nothing; a medium that
 * only had to be looked at is then written as usual.
 */
#include <string.h>

#include "api.h"
#include "retry.h"
#include "filename.h"
#include "range.h"
#include "text.h"

#if WECOM_DOWNLOAD /* config.h: a device may build without downloads */

/* WAIT: no final head yet, so no body byte may come. */
enum mode { WAIT, MEDIA, HOLD, DISCARD };

typedef struct {
    wecom__client_t *c;
    const wecom_download_t *dl;
    wecom_download_result_t *res;
    uint64_t pos;       /* absolute offset of the next byte to write */
    uint64_t first;     /* range asked: first byte */
    uint64_t last;      /* and last (WECOM_RANGE_UNKNOWN: to the end) */
    int asked_range;
    uint64_t skip;      /* body bytes to drop: the server ignored Range */
    uint64_t body_end;  /* absolute offset this body ends at, if known */
    enum mode mode;
    int whole;          /* this response carries the rest of the medium */
    int done;           /* every byte is written */
    int have_total;
    uint64_t max;       /* most bytes the medium may have */
    int overflow;       /* a held body did not fit the JSON buffer */
    const char *validator; /* what this request's If-Range carries (or would,
                              had it fitted), or NULL */
    int validator_is_date;
    const wecom_http_response_t *resp; /* the response being read */
} dl_t;

/* A strong entity tag: quoted, without W/, of etagc characters only (so
 * that a value from a state file cannot smuggle a header line). */
static int is_strong_etag(const char *v)
{
    size_t n = strlen(v), i;
    if (n < 2 || v[0] != '"' || v[n - 1] != '"')
        return 0;
    for (i = 1; i + 1 < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch == '"' || ch < 0x21 || ch == 0x7F)
            return 0;
    }
    return 1;
}

/* An IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": what servers send in
 * Last-Modified and the one date form If-Range may carry (RFC 9110
 * 5.6.7, 13.1.5). */
static int is_http_date(const char *v)
{
    static const char form[] = "Aaa, 00 Aaa 0000 00:00:00 GMT";
    size_t i;
    if (strlen(v) != sizeof form - 1)
        return 0;
    for (i = 0; form[i] != '\0'; i++) {
        char f = form[i], c = v[i];
        int letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if ((f == 'A' || f == 'a') ? !letter
            : f == '0'             ? !(c >= '0' && c <= '9')
                                   : c != f)
            return 0;
    }
    return 1;
}

/* What If-Range carries: a strong ETag when there is one (this call's,
 * else the caller's), else a Last-Modified date; never a weak tag. */
static void pick_validator(dl_t *d)
{
    const char *given = d->dl->if_range != NULL ? d->dl->if_range : "";
    const char *etag = is_strong_etag(d->res->etag) ? d->res->etag
                       : is_strong_etag(given)      ? given
                                                    : NULL;
    const char *date = is_http_date(d->res->last_modified) ? d->res->last_modified
                       : is_http_date(given)               ? given
                                                           : NULL;
    d->validator = etag != NULL ? etag : date;
    d->validator_is_date = etag == NULL && date != NULL;
}

/* A response carries the validator this request's If-Range names. */
static int validator_matches(const dl_t *d, const wecom_http_response_t *r)
{
    if (d->validator_is_date)
        return strcmp(r->last_modified, d->validator) == 0;
    return is_strong_etag(r->etag) && strcmp(r->etag, d->validator) == 0;
}

/* The total this response tells, checked against the cap and what is
 * known. */
static wecom_err_t note_total(dl_t *d, uint64_t total)
{
    wecom_download_result_t *res = d->res;
    if (total > d->max)
        return WECOM_ERR_DOWNLOAD_TOO_LARGE;
    if (d->have_total && res->total != total)
        return WECOM_ERR_REMOTE_CHANGED;
    if (!d->have_total && d->dl->known_total != 0 && d->dl->known_total != total)
        return WECOM_ERR_REMOTE_CHANGED;
    res->total = total;
    d->have_total = 1;
    return WECOM_OK;
}

/* Validators: the first response's are kept; a later one must agree,
 * and so must what the caller saw before a resume. */
static wecom_err_t note_validators(dl_t *d, const wecom_http_response_t *r)
{
    wecom_download_result_t *res = d->res;
    const char *given = d->dl->if_range != NULL ? d->dl->if_range : "";
    if (res->etag[0] != '\0' && r->etag[0] != '\0' &&
        strcmp(res->etag, r->etag) != 0)
        return WECOM_ERR_REMOTE_CHANGED;
    if (is_strong_etag(given) && r->etag[0] != '\0' && strcmp(given, r->etag) != 0)
        return WECOM_ERR_REMOTE_CHANGED;
    if (res->last_modified[0] != '\0' && r->last_modified[0] != '\0' &&
        strcmp(res->last_modified, r->last_modified) != 0)
        return WECOM_ERR_REMOTE_CHANGED;
    if (is_http_date(given) && r->last_modified[0] != '\0' &&
        strcmp(given, r->last_modified) != 0)
        return WECOM_ERR_REMOTE_CHANGED;
    res->dropped |= r->dropped;
    if (res->etag[0] == '\0')
        memcpy(res->etag, r->etag, sizeof res->etag);
    if (res->last_modified[0] == '\0')
        memcpy(res->last_modified, r->last_modified, sizeof res->last_modified);
    if (res->content_type[0] == '\0')
        memcpy(res->content_type, r->content_type, sizeof res->content_type);
    if (res->filename[0] == '\0')
        wecom__filename_from_disposition(r->content_disposition, res->filename,
                                        sizeof res->filename);
    return WECOM_OK;
}

static wecom_err_t on_200(dl_t *d, const wecom_http_response_t *r)
{
    wecom_err_t rc;
    /* The whole medium from byte 0: Range ignored, or not asked. Bytes
     * already held are dropped from the front, never written twice. To an
     * If-Range a 200 says "changed", unless it shows the same validator
     * (a server that ignores Range). */
    if (d->pos > 0 && d->validator != NULL && !validator_matches(d, r))
        return WECOM_ERR_REMOTE_CHANGED;
    if (r->content_length >= 0) {
        rc = note_total(d, (uint64_t)r->content_length);
        if (rc != WECOM_OK)
            return rc;
        if (d->pos > (uint64_t)r->content_length)
            return WECOM_ERR_REMOTE_CHANGED;
        d->body_end = (uint64_t)r->content_length;
    } else {
        d->body_end = WECOM_RANGE_UNKNOWN;
    }
    d->skip = d->pos;
    d->whole = 1;
    return note_validators(d, r);
}

static wecom_err_t on_206(dl_t *d, const wecom_http_response_t *r)
{
    wecom_content_range_t cr;
    wecom_err_t rc = wecom__content_range_parse(r->content_range, &cr);
    if (rc != WECOM_OK || cr.unsatisfied || !d->asked_range)
        return WECOM_ERR_RANGE_MISMATCH;
    /* It must start where we asked, end no later, and say so truly. */
    if (cr.first != d->first || cr.first != d->pos ||
        (d->last != WECOM_RANGE_UNKNOWN && cr.last > d->last) ||
        (r->content_length >= 0 &&
         (uint64_t)r->content_length != cr.last - cr.first + 1))
        return WECOM_ERR_RANGE_MISMATCH;
    /* A piece joins the bytes held only when it shows their version: a
     * server or cache that ignores If-Range sends a 206 whatever the
     * medium is now, with no ETag or only a Last-Modified. */
    if (d->validator != NULL && !validator_matches(d, r))
        return WECOM_ERR_REMOTE_CHANGED;
    if (cr.last >= d->max)
        return WECOM_ERR_DOWNLOAD_TOO_LARGE;
    if (cr.total != WECOM_RANGE_UNKNOWN) {
        rc = note_total(d, cr.total);
        if (rc != WECOM_OK)
            return rc;
    }
    d->skip = 0;
    d->body_end = cr.last + 1;
    d->whole = cr.total != WECOM_RANGE_UNKNOWN && cr.last + 1 == cr.total;
    return note_validators(d, r);
}

static wecom_err_t on_416(dl_t *d, const wecom_http_response_t *r)
{
    wecom_content_range_t cr;
    wecom_err_t rc = wecom__content_range_parse(r->content_range, &cr);
    /* Only a Range can be unsatisfiable. */
    if (rc != WECOM_OK || !cr.unsatisfied || !d->asked_range)
        return WECOM_ERR_RANGE_MISMATCH;
    /* More held than the medium has: what we hold is not its prefix. */
    if (cr.total < d->pos)
        return WECOM_ERR_REMOTE_CHANGED;
    rc = note_total(d, cr.total);
    if (rc != WECOM_OK)
        return rc;
    /* Asked from the end of what we hold: nothing is missing. */
    if (cr.total != d->pos)
        return WECOM_ERR_RANGE_MISMATCH;
    d->done = 1;
    return WECOM_OK;
}

static int settle(dl_t *d, int complete, const unsigned char *rest,
                  size_t rest_len);

/* No coding, or identity: what the request asked for. A coded body
 * (gzip from a proxy, say) is never the medium's bytes. */
static int is_identity(const char *coding)
{
    return coding[0] == '\0' || wecom__text_ieq(coding, strlen(coding), "identity");
}

static int dl_headers(void *ctx, const wecom_http_response_t *r)
{
    dl_t *d = ctx;
    d->resp = r;
    d->c->json_len = 0;
    d->overflow = 0;
    if ((r->status == 200 || r->status == 206) && !is_identity(r->content_encoding))
        return WECOM_ERR_CONTENT_ENCODING;
    /* 206 and 416 answer our Range: never an API error. */
    if (r->status == 206) {
        d->mode = MEDIA;
        return on_206(d, r);
    }
    if (r->status == 416) {
        d->mode = DISCARD;
        return on_416(d, r);
    }
    d->mode = HOLD;
    return settle(d, 0, NULL, 0);
}

/* Media bytes of the current body: drop the skipped front, write the
 * rest, never past where this body must end. */
static int put_media(dl_t *d, const unsigned char *p, size_t n)
{
    const wecom_download_t *dl = d->dl;
    int rc;
    if (n == 0)
        return 0; /* nothing to skip or write, and p may be NULL */
    if (d->skip > 0) {
        size_t k = d->skip < n ? (size_t)d->skip : n;
        d->skip -= k;
        p += k;
        n -= k;
    }
    if (n == 0)
        return 0;
    if (d->body_end != WECOM_RANGE_UNKNOWN && n > d->body_end - d->pos)
        return WECOM_ERR_SIZE_MISMATCH;
    if (n > d->max - d->pos) /* a body without length that goes on */
        return WECOM_ERR_DOWNLOAD_TOO_LARGE;
    rc = dl->writer->write(dl->writer->ctx, p, n);
    if (rc != 0)
        return rc;
    d->pos += n;
    d->res->written += n;
    if (dl->progress != NULL &&
        dl->progress(dl->progress_ctx, d->pos, d->have_total ? d->res->total : 0) != 0)
        return WECOM_ERR_CANCELLED;
    return 0;
}

/* A held 200 turned out to be media (the rule gives no other status
 * that verdict): check it as such and write what was held. */
static int become_media(dl_t *d)
{
    const wecom_http_response_t *r = d->resp;
    wecom_err_t rc;
    if (r->status != 200)
        return WECOM_ERR_HTTP_STATUS;
    rc = on_200(d, r);
    if (rc != WECOM_OK)
        return rc;
    d->mode = MEDIA;
    return put_media(d, (const unsigned char *)d->c->json, d->c->json_len);
}

/* Ask the rule what the held response is, and act on it: 0 while it
 * cannot tell, or once it is media (the held bytes, then rest, written);
 * otherwise the error, with nothing written. */
static int settle(dl_t *d, int complete, const unsigned char *rest,
                  size_t rest_len)
{
    wecom__client_t *c = d->c;
    const wecom_http_response_t *r = d->resp;
    wecom_answer_in_t in;
    wecom_answer_t v;
    wecom_json_t j;
    int64_t code;
    int rc;
    in.status = r->status;
    in.content_type = r->content_type;
    /* A Content-Disposition too long to keep (or sent twice) was still
     * sent: the answer is the medium, whatever its first bytes. */
    in.content_disposition = (r->dropped & WECOM_HTTP_DROPPED_DISPOSITION) != 0
                                 ? "attachment" : r->content_disposition;
    in.body = c->json;
    in.len = c->json_len;
    in.complete = complete;
    in.overflow = d->overflow;
    v = wecom__json_answer_classify(&in, &j, &code);
    if (v == WECOM_ANSWER_UNDECIDED)
        return 0;
    if (v == WECOM_ANSWER_MEDIA) {
        rc = become_media(d);
        return rc != 0 ? rc : put_media(d, rest, rest_len);
    }
    /* An error of some kind: the status goes with it. */
    d->res->api.http_status = r->status;
    if (v == WECOM_ANSWER_API_ERROR) {
        /* errcode again, with errmsg (scrubbed of the token) */
        rc = wecom__api_answer(c, &j, &d->res->api);
        return rc == WECOM_ERR_API ? rc : WECOM_ERR_API_MALFORMED;
    }
    if (v == WECOM_ANSWER_PAGE)
        return WECOM_ERR_HTML_ANSWER;
    return v == WECOM_ANSWER_MALFORMED ? WECOM_ERR_API_MALFORMED
                                       : WECOM_ERR_HTTP_STATUS;
}

static int dl_body(void *ctx, const unsigned char *p, size_t n)
{
    dl_t *d = ctx;
    wecom__client_t *c = d->c;
    size_t k;
    if (d->mode == WAIT)
        return WECOM_ERR_HTTP_PARSE; /* body bytes of no response we know */
    if (d->mode == DISCARD)
        return 0;
    if (d->mode == MEDIA)
        return put_media(d, p, n);
    k = sizeof c->json - c->json_len;
    if (k > n)
        k = n;
    memcpy(c->json + c->json_len, p, k);
    c->json_len += k;
    if (k < n)
        d->overflow = 1; /* never an answer's size: the rule decides now */
    return settle(d, 0, p + k, n - k);
}

static wecom_err_t request_once(dl_t *d, uint64_t chunk)
{
    wecom__client_t *c = d->c;
    wecom_download_result_t *res = d->res;
    wecom_http_request_t req;
    wecom_http_response_t resp;
    wecom_http_sink_t sink;
    wecom__text_t h;
    wecom_err_t rc;

    rc = wecom__api_target(c, "/cgi-bin/media/get", "media_id", d->dl->media_id);
    if (rc != WECOM_OK)
        return rc;

    d->first = d->pos;
    d->last = WECOM_RANGE_UNKNOWN;
    if (chunk != 0) {
        d->last = d->pos + chunk - 1;
        if (d->have_total && d->last >= d->res->total)
            d->last = d->res->total - 1;
    }
    d->asked_range = d->pos > 0 || chunk != 0;
    d->validator = NULL;
    wecom__text_init(&h, c->headers, sizeof c->headers, 1);
    if (d->asked_range) {
        wecom__range_header(&h, d->first, d->last);
        if ((rc = wecom__text_status(&h, WECOM_ERR_BUFFER_TOO_SMALL)) != WECOM_OK)
            return rc;
        /* If-Range: should the medium have changed, the server sends it
         * whole instead of a piece of something else. One that does not
         * fit is left out (the header stays as it was); the answer must
         * still show it. */
        pick_validator(d);
        if (d->validator != NULL) {
            size_t before = h.len;
            wecom__text_put(&h, "If-Range: ");
            wecom__text_put(&h, d->validator);
            wecom__text_put(&h, "\r\n");
            if (h.overflow)
                c->headers[before] = '\0';
        }
    }

    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = c->target;
    req.headers = c->headers[0] != '\0' ? c->headers : NULL;
    sink.on_headers = dl_headers;
    sink.on_body = dl_body;
    sink.ctx = d;
    d->mode = WAIT;
    d->whole = 0;
    d->skip = 0;
    res->requests++;
    memset(&res->api, 0, sizeof res->api);
    rc = wecom__http_exchange(&c->http, &req, &resp, &sink);
    if (rc != WECOM_OK)
        return rc;
    if (d->mode == HOLD) { /* dl_headers saw this response: d->resp is it */
        rc = settle(d, 1, NULL, 0);
        if (rc != WECOM_OK)
            return rc;
    }
    if (d->done)
        return WECOM_OK;
    if (d->body_end != WECOM_RANGE_UNKNOWN && d->pos != d->body_end)
        return WECOM_ERR_SIZE_MISMATCH;
    if (d->whole) {
        if (!d->have_total) { /* a body that ran to the close */
            res->total = d->pos;
            d->have_total = 1;
        }
        d->done = 1;
    } else if (d->have_total && d->pos >= res->total) {
        d->done = 1;
    }
    return WECOM_OK;
}

static wecom_err_t download(wecom__client_t *c, const wecom_download_t *dl,
                            wecom_download_result_t *res)
{
    dl_t d;
    uint64_t chunk;
    wecom__retry_t retry;
    wecom_err_t rc;

    if (dl == NULL || res == NULL ||
        dl->media_id == NULL || dl->media_id[0] == '\0' || dl->writer == NULL ||
        dl->writer->write == NULL)
        return WECOM_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    memset(&d, 0, sizeof d);
    d.c = c;
    d.dl = dl;
    d.res = res;
    d.pos = dl->offset;
    d.max = dl->max_bytes != 0 ? dl->max_bytes : WECOM_MEDIA_MAX_BYTES;
    if (d.pos > d.max)
        return WECOM_ERR_DOWNLOAD_TOO_LARGE;
    chunk = dl->chunk > WECOM_RANGE_MAX_BYTES ? WECOM_RANGE_MAX_BYTES : dl->chunk;

    wecom__retry_init(&retry);
    while (!d.done) {
        uint64_t before = d.pos;
        rc = request_once(&d, chunk);
        if (rc == WECOM_OK) {
            wecom__retry_progress(&retry, 0);
            continue;
        }
        if (rc == WECOM_ERR_API && res->api.errcode == 830002 &&
            (chunk == 0 || chunk / 2 >= WECOM_RANGE_MIN_BYTES)) {
            /* Over the server's range limit: WeCom's documented 20 MB
             * first, then halves, down to a floor. */
            chunk = chunk == 0 || chunk > WECOM_RANGE_MAX_BYTES ? WECOM_RANGE_MAX_BYTES
                                                                : chunk / 2;
            continue;
        }
        /* A body cut without TLS close_notify is a drop like any other
         * (retryable): what was written stays, the rest is asked for by
         * range. Progress resets the failure count (retry.c). */
        if (d.pos != before)
            wecom__retry_progress(&retry, 1);
        if (!wecom__retry_next(c, &retry, &rc, &res->api))
            return rc;
    }
    return WECOM_OK;
}

wecom_err_t wecom_media_download(wecom_client_t *client, const wecom_download_t *dl,
                                 wecom_download_result_t *res)
{
    wecom__client_t *c = wecom__client(client);
    wecom_err_t rc = wecom__client_may_call(c, 0);
    int was;
    if (rc != WECOM_OK)
        return rc;
    was = wecom__client_enter(c, WECOM__IN_CALL);
    rc = download(c, dl, res);
    wecom__client_leave(c, was);
    return rc;
}

#endif /* WECOM_DOWNLOAD */
