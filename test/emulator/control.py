# SPDX-License-Identifier: MIT
"""The /_emu/ control API: knobs, faults, tokens, stored media, the request log.

Control requests need no token, are never logged, and never meet a fault or
a forced errcode, so a test can always ask what happened.
"""

import base64
import binascii
import json
import re
import urllib.parse

import mediaformat
import state as state_mod
from httpio import Response, json_response

PREFIX = "/_emu/"

_BODY_PATH = re.compile(r"/_emu/requests/(-?[0-9]{1,9})/body\Z")
_MEDIA_PATH = re.compile(r"/_emu/media/([A-Za-z0-9_-]{1,256})\Z")


class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _json_body(req):
    if not req.body:
        return {}
    try:
        value = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ControlError(400, "body is not JSON: %s" % e) from None
    if not isinstance(value, dict):
        raise ControlError(400, "body must be a JSON object")
    return value


def _check_filename(name):
    if not isinstance(name, str) or not name or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise ControlError(400, "filename must be a non-empty string without control characters")
    return name


def _store(st, req):
    """POST /_emu/media: store bytes directly, skipping every upload check."""
    if (req.header("content-type") or "").lower().startswith("application/json"):
        spec = _json_body(req)
        kind, filename = spec.get("kind"), spec.get("filename")
        content_type = spec.get("content_type")
        try:
            data = base64.b64decode(spec.get("content_b64", ""), validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ControlError(400, "content_b64 is not base64") from None
    else:
        kind = req.header("x-kind")
        # Header values are Latin-1 on the wire, so the name travels percent-encoded.
        filename = urllib.parse.unquote(req.header("x-filename") or "", errors="strict")
        content_type = req.header("x-content-type")
        data = req.body
    if kind not in mediaformat.KINDS:
        raise ControlError(400, "kind must be one of %s" % ", ".join(mediaformat.KINDS))
    if content_type is not None and (not isinstance(content_type, str) or "\r" in content_type
                                     or "\n" in content_type):
        raise ControlError(400, "content_type must be a header value")
    media_id, created = st.store_media(kind, _check_filename(filename), data, content_type)
    return {"media_id": media_id, "created_at": created, "size": len(data)}


def _raw(data):
    return Response(200, data, [("Content-Type", "application/octet-stream")])


def _route(st, req):
    path, method = req.path, req.method
    if path == "/_emu/config":
        if method == "GET":
            return st.config()
        if method == "POST":
            try:
                return st.update_config(_json_body(req))
            except state_mod.KnobError as e:
                raise ControlError(400, str(e)) from None
    elif path in ("/_emu/revoke", "/_emu/expire") and method == "POST":
        token = _json_body(req).get("token")
        if token is not None and not isinstance(token, str):
            raise ControlError(400, "token must be a string")
        new_state = "revoked" if path.endswith("revoke") else "expired"
        return {"count": st.mark_tokens(token, new_state)}
    elif path == "/_emu/reset" and method == "POST":
        st.reset(media=bool(_json_body(req).get("media")))
        return st.config()
    elif path == "/_emu/tokens" and method == "GET":
        return st.token_list()
    elif path == "/_emu/log" and method == "GET":
        return st.log_entries()
    elif path == "/_emu/connections" and method == "GET":
        return st.counters_snapshot()
    elif path == "/_emu/media":
        if method == "GET":
            return st.list_media()
        if method == "POST":
            return _store(st, req)
    elif _BODY_PATH.match(path) and method == "GET":
        found, body = st.request_body(int(_BODY_PATH.match(path).group(1)))
        if not found:
            raise ControlError(404, "no such request")
        if body is None:
            raise ControlError(410, "body not kept (over the size kept)")
        return _raw(body)
    elif _MEDIA_PATH.match(path) and method in ("GET", "PUT"):
        media_id = _MEDIA_PATH.match(path).group(1)
        if method == "GET":
            medium = st.any_media(media_id)
            if medium is None:
                raise ControlError(404, "no such media_id")
            return _raw(medium.data)
        keep = req.header("x-keep-modified") == "1"
        medium = st.replace_media(media_id, req.body, keep_modified=keep)
        if medium is None:
            raise ControlError(404, "no such media_id")
        return medium.describe(media_id)
    else:
        raise ControlError(404, "no control endpoint %s %s" % (method, path))
    raise ControlError(405, "method %s not allowed on %s" % (method, path))


def handle(st, req):
    try:
        result = _route(st, req)
    except ControlError as e:
        return json_response({"error": str(e)}, status=e.status)
    except UnicodeDecodeError:
        return json_response({"error": "X-Filename is not percent-encoded UTF-8"}, status=400)
    return result if isinstance(result, Response) else json_response(result)
