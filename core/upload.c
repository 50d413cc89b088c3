/* SPDX-License-Identifier: MIT */
/*
 * Upload: check the file, frame it as multipart with an exact length, and
 * send it through the client's buffer; retry what is worth retrying.
 */
#include <string.h>

#include "api.h"
#include "retry.h"
#include "filename.h"
#include "text.h"

static const char *part_type(wecom_kind_t kind, wecom_format_t format)
{
    switch (kind) {
    case WECOM_KIND_IMAGE:
        return format == WECOM_FORMAT_PNG ? "image/png" : "image/jpeg";
    case WECOM_KIND_VOICE:
        return "audio/amr";
    case WECOM_KIND_VIDEO:
        return "video/mp4";
    default:
        return "application/octet-stream";
    }
}

static const char *default_name(wecom_kind_t kind, wecom_format_t format)
{
    switch (kind) {
    case WECOM_KIND_IMAGE:
        return format == WECOM_FORMAT_PNG ? "image.png" : "image.jpg";
    case WECOM_KIND_VOICE:
        return "voice.amr";
    case WECOM_KIND_VIDEO:
        return "video.mp4";
    default:
        return "file.bin";
    }
}

/* A boundary of 128 random bits, which no file will contain by chance. */
static wecom_err_t make_boundary(wecom__client_t *c, char *out, size_t cap)
{
    unsigned char rnd[16];
    char hex[2 * sizeof rnd];
    wecom__text_t t;
    size_t i;
    if (c->port->entropy(c->port->sys_ctx, rnd, sizeof rnd) != 0)
        return WECOM_ERR_ENTROPY;
    for (i = 0; i < sizeof rnd; i++)
        wecom__text_hex(hex + 2 * i, rnd[i], 2);
    wecom__text_init(&t, out, cap, 1);
    wecom__text_put(&t, "wecom-media-");
    wecom__text_put_n(&t, hex, sizeof hex);
    return wecom__text_status(&t, WECOM_ERR_BUFFER_TOO_SMALL);
}

typedef struct {
    const wecom_upload_t *up;
    uint64_t head_len;
} progress_map_t;

/* Progress in bytes of the file, not of the multipart body. */
static int file_progress(void *ctx, uint64_t done, uint64_t total)
{
    const progress_map_t *pm = ctx;
    uint64_t file_done = done > pm->head_len ? done - pm->head_len : 0;
    (void)total;
    if (file_done > pm->up->length)
        file_done = pm->up->length;
    return pm->up->progress(pm->up->progress_ctx, file_done, pm->up->length);
}

/* The characters WeCom's media_ids are made of (URL-safe base64 and a
 * few more): an id goes into a download URL and onto a terminal, so
 * anything else is refused rather than passed on. */
static int media_id_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
           ch == '~' || ch == '@';
}

/* The top-level "media_id", checked on its raw text: a valid id needs no
 * JSON escape, so one written with escapes (\u0000, \u001b) is refused
 * as well as one with a stray byte, an empty one or an over-long one.
 * Its key must stand as written too: "media_id" in its 8 bytes, as any
 * escape would make it longer (and the parse lets no second key of that
 * name through). */
static wecom_err_t read_media_id(const wecom_json_t *j, char *out, size_t cap)
{
    int v = wecom__json_find(j, "media_id");
    const char *s;
    size_t n, x;
    out[0] = '\0';
    if (v <= 0 /* absent (0 is the root) */ ||
        j->tok[v - 1].end - j->tok[v - 1].start != 8 ||
        j->tok[v].type != JSMN_STRING)
        return WECOM_ERR_JSON_FIELD;
    s = j->js + j->tok[v].start;
    n = (size_t)(j->tok[v].end - j->tok[v].start);
    if (n == 0 || n >= cap)
        return WECOM_ERR_MEDIA_ID;
    for (x = 0; x < n; x++)
        if (!media_id_char_ok(s[x]))
            return WECOM_ERR_MEDIA_ID;
    memcpy(out, s, n);
    out[n] = '\0';
    return WECOM_OK;
}

static wecom_err_t read_answer(wecom__client_t *c,
                               const wecom_http_response_t *resp,
                               wecom_upload_result_t *res)
{
    wecom_json_t j;
    wecom_err_t rc;
    res->api.http_status = resp->status;
    rc = wecom__api_answer(c, &j, &res->api);
    if (rc == WECOM_ERR_JSON_PARSE && resp->status != 200)
        return WECOM_ERR_HTTP_STATUS;
    if (rc != WECOM_OK)
        return rc;
    rc = read_media_id(&j, res->media_id, sizeof res->media_id);
    if (rc != WECOM_OK)
        return rc;
    (void)wecom__json_string(&j, "type", res->type, sizeof res->type);
    /* created_at: a string in the documentation, a number elsewhere. */
    (void)wecom__json_digits(&j, "created_at", res->created_at,
                            sizeof res->created_at);
    return WECOM_OK;
}

/* The whole body went out and then the answer failed to come: WeCom may
 * have stored the file, and a retry would store it again (a copy the
 * caller never learns of, sent over a metered link). Every transport
 * failure that is worth a retry before that point is one here, and so are
 * the time limits. */
static int answer_lost(wecom_err_t rc)
{
    return wecom__api_retryable(rc, NULL) || rc == WECOM_ERR_TIMEOUT ||
           rc == WECOM_ERR_TOO_SLOW || rc == WECOM_ERR_DEADLINE;
}

static wecom_err_t upload(wecom__client_t *c, const wecom_upload_t *up,
                          wecom_upload_result_t *res)
{
    char name[WECOM_FILENAME_MAX + 1];
    char boundary[48];
    progress_map_t pm;
    wecom_http_request_t req;
    wecom_http_response_t resp;
    wecom_http_sink_t sink;
    wecom_kind_t kind;
    wecom_err_t rc;
    wecom__retry_t retry;
    unsigned attempt;

    if (up == NULL || res == NULL || up->reader == NULL ||
        up->reader->read_at == NULL || (unsigned)up->kind > WECOM_KIND_FILE)
        return WECOM_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    if (c->token[0] == '\0' && c->provider == NULL)
        return WECOM_ERR_INVALID_ARG;

    if (!up->no_check) {
        rc = wecom_media_check(up->reader, up->length, up->kind, up->limits,
                               c->io, sizeof c->io, &res->check);
        if (rc != WECOM_OK)
            return rc;
    } else {
        res->check.kind = up->kind == WECOM_KIND_AUTO ? WECOM_KIND_FILE : up->kind;
        res->check.size = up->length;
    }
    kind = res->check.kind;

    wecom__filename_clean(up->filename, name, sizeof name);
    if (name[0] == '\0')
        memcpy(name, default_name(kind, res->check.format),
               strlen(default_name(kind, res->check.format)) + 1);
    rc = make_boundary(c, boundary, sizeof boundary);
    if (rc == WECOM_OK)
        rc = wecom__multipart_init(&c->multipart, boundary, name,
                                  part_type(kind, res->check.format),
                                  up->reader, up->length);
    if (rc != WECOM_OK)
        return rc;

    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.target = c->target;
    req.headers = c->multipart.header;
    req.body_read = wecom__multipart_read;
    req.body_ctx = &c->multipart;
    req.body_len = wecom__multipart_length(&c->multipart);
    if (up->progress != NULL) {
        pm.up = up;
        pm.head_len = c->multipart.head_len;
        req.progress = file_progress;
        req.progress_ctx = &pm;
    }

    wecom__retry_init(&retry);
    /* A pipe is read once: neither a refresh nor a retry can resend it. */
    retry.no_repeat = up->reader->once;
    for (attempt = 1;; attempt++) {
        rc = wecom__api_target(c, "/cgi-bin/media/upload", "type",
                               wecom_kind_name(kind));
        if (rc != WECOM_OK)
            return rc;
        wecom__api_json_sink(c, &sink);
        memset(&res->api, 0, sizeof res->api);
        res->attempts = attempt;
        rc = wecom__http_exchange(&c->http, &req, &resp, &sink);
        if (rc == WECOM_OK)
            rc = read_answer(c, &resp, res);
        else if (c->http.request_sent && answer_lost(rc))
            return WECOM_ERR_UPLOAD_UNCONFIRMED; /* never sent twice */
        /* After a refresh the target is rebuilt with the new token. */
        if (!wecom__retry_next(c, &retry, &rc, &res->api))
            return rc;
    }
}

wecom_err_t wecom_media_upload(wecom_client_t *client, const wecom_upload_t *up,
                               wecom_upload_result_t *res)
{
    wecom__client_t *c = wecom__client(client);
    wecom_err_t rc = wecom__client_may_call(c, 0);
    int was;
    if (rc != WECOM_OK)
        return rc;
    was = wecom__client_enter(c, WECOM__IN_CALL);
    rc = upload(c, up, res);
    wecom__client_leave(c, was);
    return rc;
}
