# SPDX-License-Identifier: MIT
"""The three WeCom endpoints: gettoken, media/upload and media/get.

Answers follow shared/wecom-api.md. Like WeCom, an API error is HTTP 200
with a JSON body (`errcode`, `errmsg` with a hint tail) and the same code in
the Error-Code header: a client must read the body, not the status.
"""

import email.utils
import hmac
import secrets
import time
import urllib.parse

import byterange
import mediaformat
import multipart
from httpio import Response, json_response

GETTOKEN = "/cgi-bin/gettoken"
UPLOAD = "/cgi-bin/media/upload"
MEDIA_GET = "/cgi-bin/media/get"

JSON_TYPE = "application/json; charset=UTF-8"

# Query parameters whose values never reach a log.
SECRET_PARAMS = ("access_token", "corpsecret")

_MESSAGES = {
    -1: "system busy",
    40001: "invalid credential",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40009: "invalid image size",
    40011: "invalid video size",
    40014: "invalid access_token",
    41001: "access_token missing",
    41006: "media_id missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    44001: "empty media data",
    45001: "media size out of limit",
    45007: "playing time of voice out of limit",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    48002: "api forbidden",
    60020: "not allow to access from your ip",
    830002: "range too large",
}

# 5.6.7 of RFC 8187: attr-char, what filename* may carry unescaped.
_ATTR_CHAR_EXTRA = "!#$&+-.^_`|~"


def api_error(errcode, peer, errmsg=None, content_type=JSON_TYPE):
    """WeCom's error answer: HTTP 200, JSON, and the code in Error-Code."""
    msg = errmsg or _MESSAGES.get(errcode, "error")
    hint = "%s, hint: [%d-%s], from ip: %s, more info at " \
           "https://open.work.weixin.qq.com/devtool/query?e=%d" % (
               msg, int(time.time()), secrets.token_hex(6), peer, errcode)
    resp = json_response({"errcode": errcode, "errmsg": hint}, content_type=content_type)
    # A forced errmsg may hold control bytes (a test of what the client
    # prints): the header carries it percent-encoded, the body verbatim.
    header_msg = msg if msg.isprintable() and msg.isascii() else urllib.parse.quote(msg)
    resp.headers += [("Error-Code", str(errcode)), ("Error-Msg", header_msg)]
    return resp


def api_ok(obj):
    resp = json_response(obj)
    resp.headers += [("Error-Code", "0"), ("Error-Msg", "ok")]
    return resp


def mask_target(target):
    """The request target with secret query values replaced by ***."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    pieces = []
    for piece in query.split("&"):
        name = urllib.parse.unquote_plus(piece.partition("=")[0])
        pieces.append(name + "=***" if name in SECRET_PARAMS else piece)
    return path + "?" + "&".join(pieces)


def public_query(query):
    return {k: v for k, v in query.items() if k not in SECRET_PARAMS}


def content_disposition(filename):
    """WeCom's form: RFC 8187 filename* first, then the raw UTF-8 name."""
    encoded = urllib.parse.quote(filename, safe=_ATTR_CHAR_EXTRA, encoding="utf-8")
    raw = filename.replace("\\", "\\\\").replace('"', '\\"')
    return "attachment; filename*=utf-8''%s; filename=\"%s\"" % (encoded, raw)


def framing_error(path, peer, reason):
    """The answer to a request whose body cannot be delimited."""
    if path == UPLOAD:
        resp = api_error(44001, peer)
    else:
        resp = json_response({"error": reason}, status=400)
    resp.close = True
    resp.log["reason"] = reason
    return resp


def forced(state, req, entry):
    """The answer for a request that a force_errcode knob intercepts."""
    ctype = state.knob("error_content_type") if req.path == MEDIA_GET else JSON_TYPE
    return api_error(entry["errcode"], req.peer, entry["errmsg"], ctype)


def handle(state, req):
    routes = {GETTOKEN: ("GET", gettoken), UPLOAD: ("POST", upload), MEDIA_GET: ("GET", media_get)}
    route = routes.get(req.path)
    if route is None:
        resp = json_response({"errcode": -1, "errmsg": "not found: %s" % req.path}, status=404)
        resp.log["reason"] = "unknown path"
        return resp
    method, handler = route
    if req.method != method:
        return api_error(43001 if method == "GET" else 43002, req.peer)
    return handler(state, req)


def gettoken(state, req):
    corpid = req.query.get("corpid", "")
    secret = req.query.get("corpsecret", "")
    # Missing and wrong credentials get the same answer: WeCom's 40001.
    ok = hmac.compare_digest(corpid.encode(), state.corpid.encode()) & \
        hmac.compare_digest(secret.encode(), state.corpsecret.encode())
    if not ok:
        return api_error(40001, req.peer)
    token, ttl = state.issue_token()
    return api_ok({"errcode": 0, "errmsg": "ok", "access_token": token,
                          "expires_in": int(ttl)})


def _token_error(state, req, content_type=JSON_TYPE):
    status = state.token_status(req.query.get("access_token"))
    code = {"missing": 41001, "unknown": 40014, "revoked": 40014, "expired": 42001}.get(status)
    if code is None:
        return None, status
    return api_error(code, req.peer, content_type=content_type), status


def upload(state, req):
    resp, token_state = _token_error(state, req)
    if resp is None:
        resp = _upload_checked(state, req)
    resp.log["token_state"] = token_state
    return resp


def _upload_checked(state, req):
    kind = req.query.get("type")
    if kind not in mediaformat.KINDS:
        resp = api_error(40005, req.peer)
        resp.log["reason"] = "type %r" % kind
        return resp
    try:
        boundary = multipart.boundary_of(req.header("content-type"))
        part = multipart.media_part(multipart.parse_body(req.body, boundary))
    except multipart.MultipartError as e:
        resp = api_error(44001, req.peer)
        resp.log["reason"] = str(e)
        return resp
    part_log = {"kind": kind, "filename": part.filename, "filelength": part.filelength,
                "part_content_type": part.content_type, "part_size": len(part.data)}
    problem = mediaformat.check(kind, part.data, state.knob("limits"))
    if problem is not None:
        code, msg, reason = problem
        resp = api_error(code, req.peer, msg)
        resp.log.update(part_log, reason=reason)
        return resp
    media_id, created = state.store_media(kind, part.filename, part.data)
    created_at = created if state.knob("created_at_number") else str(created)
    resp = api_ok({"errcode": 0, "errmsg": "", "type": kind, "media_id": media_id,
                   "created_at": created_at})
    resp.log.update(part_log, media_id=media_id)
    return resp


def media_get(state, req):
    knobs = state.config()
    error_type = knobs["error_content_type"]
    resp, token_state = _token_error(state, req, error_type)
    if resp is None:
        resp = _media_checked(state, req, knobs)
    resp.log["token_state"] = token_state
    return resp


def _media_checked(state, req, knobs):
    media_id = req.query.get("media_id")
    if not media_id:
        return api_error(41006, req.peer, content_type=knobs["error_content_type"])
    medium = state.live_media(media_id)
    if medium is None:
        resp = api_error(40007, req.peer, content_type=knobs["error_content_type"])
        resp.log["media_id"] = media_id
        return resp
    resp = _serve_medium(medium, req, knobs)
    resp.log["media_id"] = media_id
    return resp


def _validators(medium, knobs):
    etag = None
    if not knobs["omit_etag"]:
        etag = ('W/"%s"' if knobs["weak_etag"] else '"%s"') % medium.sha1
    last_modified = None
    if not knobs["omit_last_modified"]:
        last_modified = email.utils.formatdate(medium.modified_at, usegmt=True)
    return etag, last_modified


def _serve_medium(medium, req, knobs):
    data = medium.data
    total = len(data)
    etag, last_modified = _validators(medium, knobs)
    selection = byterange.IGNORE
    range_value = req.header("range")
    if range_value is not None and not knobs["ignore_range"]:
        if_range = req.header("if-range")
        if (if_range is None or knobs["ignore_if_range"]
                or byterange.if_range_allows(if_range, etag, last_modified)):
            selection = byterange.parse(range_value, total)
    if selection == byterange.UNSATISFIABLE:
        # Like nginx, WeCom's front end: an HTML body with the 416.
        resp = Response(416, b"<html><body>416 Requested Range Not Satisfiable</body></html>\n",
                        [("Content-Type", "text/html"), ("Content-Range", "bytes */%d" % total)])
        return resp
    first, last = (0, total - 1) if selection == byterange.IGNORE else selection
    length = last - first + 1
    limit = knobs["max_range_bytes"]
    if limit is not None and length > limit:
        return api_error(830002, req.peer, content_type=knobs["error_content_type"])
    headers = [("Content-Type", medium.content_type)]
    if knobs["disposition"] is None:
        headers.append(("Content-Disposition", content_disposition(medium.filename)))
    elif knobs["disposition"] is not False:
        headers.append(("Content-Disposition", knobs["disposition"]))
    if knobs["content_encoding"] is not None:
        headers.append(("Content-Encoding", knobs["content_encoding"]))
    partial = selection != byterange.IGNORE
    if etag is not None and (not partial or knobs["partial_validators"] == "all"):
        headers.append(("ETag", etag))
    if last_modified is not None and (not partial or knobs["partial_validators"] != "none"):
        headers.append(("Last-Modified", last_modified))
    headers.append(("Accept-Ranges", "bytes"))
    if not partial:
        return Response(200, data, headers, errcode=0)
    headers.append(("Content-Range", "bytes %d-%d/%d" % (first, last, total)))
    return Response(206, data[first:last + 1], headers, errcode=0)
