# SPDX-License-Identifier: MIT
"""Everything the emulator remembers: knobs, tokens, media, the request log.

One lock guards all of it; each method holds it only for a dictionary
operation, never across network I/O.
"""

import copy
import hashlib
import json
import os
import secrets
import threading
import time

import mediaformat

MIB = 1048576

FAULT_KINDS = ("drop_request_after", "drop_response_after", "stall",
               "truncate_response", "garble_response",
               # hostile servers (see faults.py)
               "endless_continue", "drip", "endless_body", "close_delimited",
               "close_without_notify", "huge_json", "json_answer", "hostile_response")
GARBLE_VARIANTS = ("status", "header", "length", "binary")
HOSTILE_VARIANTS = ("huge_header", "many_headers", "huge_length", "wrong_content_range",
                    "bad_content_range", "chunk_overflow")

# The request log keeps bodies for /_emu/requests/N/body up to these sizes.
BODY_KEEP_EACH = 32 * MIB
BODY_KEEP_TOTAL = 64 * MIB
LOG_MAX_ENTRIES = 10000


def default_knobs(token_ttl=7200):
    return {
        "token_ttl": token_ttl,          # seconds a token lives, applied to every token
        "token_length": 128,             # characters in a token from gettoken (WeCom: up to 512)
        "created_at_number": False,      # upload answers created_at as a JSON number
        "media_ttl": 3 * 86400,          # a media_id lives 3 days
        "clock_offset": 0,               # seconds added to the emulator clock (media life, created_at)
        "ignore_range": False,           # media/get always answers 200 with everything
        "max_range_bytes": 20 * MIB,     # larger answers get 830002; null: no limit
        "keep_alive": True,              # false: Connection: close after every response
        "idle_timeout": 30,              # seconds a connection may wait for its next byte
        "max_body_bytes": 64 * MIB,      # larger requests get 413 before their body is read
        "error_content_type": "application/json; charset=UTF-8",  # of media/get JSON answers
        "disposition": None,             # null: WeCom's header; false: omit; string: verbatim value
        "omit_etag": False,
        "weak_etag": False,
        "omit_last_modified": False,
        "ignore_if_range": False,        # a Range applies whatever If-Range says (a careless cache)
        "partial_validators": "all",     # validators a 206 carries: "all", "last_modified", "none"
        "content_encoding": None,        # null: none; a string: Content-Encoding of media/get's 200 and 206
        "limits": {
            "min_bytes": 6,              # "larger than 5 bytes"
            "voice_max_seconds": 60,
            "max_bytes": {"image": 2 * MIB, "voice": 2 * MIB, "video": 10 * MIB, "file": 20 * MIB},
        },
        "force_errcode": [],             # queue of {"errcode", "count", "path", "errmsg"}
        "fault": [],                     # queue of {"kind", "bytes", "ms", "count", "path", "variant"}
    }


class KnobError(ValueError):
    pass


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _want(cond, name, what):
    if not cond:
        raise KnobError("knob %s must be %s" % (name, what))


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _normalize_forced(value):
    out = []
    for item in _as_list(value):
        _want(isinstance(item, dict), "force_errcode", "an object or a list of objects")
        unknown = set(item) - {"errcode", "count", "path", "errmsg"}
        _want(not unknown, "force_errcode", "without fields %s" % sorted(unknown))
        _want(_is_int(item.get("errcode")), "force_errcode.errcode", "an integer")
        count = item.get("count", 1)
        _want(_is_int(count) and count >= 1, "force_errcode.count", "an integer >= 1")
        path = item.get("path", "/cgi-bin/")
        _want(isinstance(path, str) and path.startswith("/"), "force_errcode.path", "a path prefix")
        errmsg = item.get("errmsg")
        _want(errmsg is None or isinstance(errmsg, str), "force_errcode.errmsg", "a string")
        out.append({"errcode": item["errcode"], "count": count, "path": path, "errmsg": errmsg})
    return out


def _normalize_faults(value):
    out = []
    for item in _as_list(value):
        _want(isinstance(item, dict), "fault", "an object or a list of objects")
        unknown = set(item) - {"kind", "bytes", "ms", "count", "path", "variant", "body", "revoke"}
        _want(not unknown, "fault", "without fields %s" % sorted(unknown))
        kind = item.get("kind")
        _want(kind in FAULT_KINDS, "fault.kind", "one of %s" % ", ".join(FAULT_KINDS))
        nbytes, ms = item.get("bytes"), item.get("ms")
        needs_bytes = kind in ("drop_request_after", "drop_response_after", "truncate_response")
        _want(nbytes is None and not needs_bytes or _is_int(nbytes) and nbytes >= 0,
              "fault.bytes", "an integer >= 0%s" % (" (required for %s)" % kind if needs_bytes else ""))
        _want(ms is None and kind != "stall" or _is_int(ms) and 0 <= ms <= 300000,
              "fault.ms", "an integer 0..300000%s" % (" (required for stall)" if kind == "stall" else ""))
        if kind == "drip":
            nbytes = 1 if nbytes is None else nbytes
            ms = 1000 if ms is None else ms
            _want(nbytes >= 1 and ms >= 1, "fault.bytes/ms", "at least 1 byte every 1 ms or more")
        if kind == "huge_json":
            nbytes = 10 * MIB if nbytes is None else nbytes
            _want(64 <= nbytes <= 256 * MIB, "fault.bytes", "an integer 64..256 MiB for huge_json")
        fault_body = item.get("body")
        _want(fault_body is None and kind != "json_answer" or isinstance(fault_body, str),
              "fault.body", "a string%s" % (" (required for json_answer)" if kind == "json_answer" else ""))
        count = item.get("count", 1)
        _want(_is_int(count) and count >= 1, "fault.count", "an integer >= 1")
        path = item.get("path", "/")
        _want(isinstance(path, str) and path.startswith("/"), "fault.path", "a path prefix")
        if kind == "hostile_response":
            variant = item.get("variant")
            _want(variant in HOSTILE_VARIANTS, "fault.variant",
                  "one of %s" % ", ".join(HOSTILE_VARIANTS))
        else:
            variant = item.get("variant", "status")
            _want(variant in GARBLE_VARIANTS, "fault.variant", "one of %s" % ", ".join(GARBLE_VARIANTS))
        entry = {"kind": kind, "bytes": nbytes, "ms": ms, "count": count, "path": path,
                 "variant": variant}
        if fault_body is not None:
            entry["body"] = fault_body
        revoke = item.get("revoke", False)
        _want(isinstance(revoke, bool), "fault.revoke", "true or false")
        if revoke:
            entry["revoke"] = True
        out.append(entry)
    return out


def _check_limits(limits):
    _want(_is_int(limits["min_bytes"]) and limits["min_bytes"] >= 0, "limits.min_bytes", "an integer >= 0")
    _want(_is_num(limits["voice_max_seconds"]) and limits["voice_max_seconds"] >= 0,
          "limits.voice_max_seconds", "a number >= 0")
    for kind in mediaformat.KINDS:
        v = limits["max_bytes"][kind]
        _want(_is_int(v) and v >= 0, "limits.max_bytes.%s" % kind, "an integer >= 0")


_SCALARS = {
    "token_ttl": (lambda v: _is_num(v) and v >= 0, "a number >= 0"),
    "token_length": (lambda v: _is_int(v) and 16 <= v <= 4096, "an integer 16..4096"),
    "created_at_number": (lambda v: isinstance(v, bool), "true or false"),
    "media_ttl": (lambda v: _is_num(v) and v >= 0, "a number >= 0"),
    "clock_offset": (_is_num, "a number"),
    "ignore_range": (lambda v: isinstance(v, bool), "true or false"),
    "max_range_bytes": (lambda v: v is None or _is_int(v) and v >= 1, "null or an integer >= 1"),
    "keep_alive": (lambda v: isinstance(v, bool), "true or false"),
    "idle_timeout": (lambda v: _is_num(v) and 0 < v <= 600, "a number in (0, 600]"),
    "max_body_bytes": (lambda v: _is_int(v) and 0 <= v <= 1024 * MIB, "an integer 0..1 GiB"),
    "error_content_type": (lambda v: isinstance(v, str) and "\r" not in v and "\n" not in v,
                           "a header value"),
    "disposition": (lambda v: v is None or v is False or isinstance(v, str) and "\r" not in v
                    and "\n" not in v, "null, false or a header value"),
    "omit_etag": (lambda v: isinstance(v, bool), "true or false"),
    "weak_etag": (lambda v: isinstance(v, bool), "true or false"),
    "omit_last_modified": (lambda v: isinstance(v, bool), "true or false"),
    "ignore_if_range": (lambda v: isinstance(v, bool), "true or false"),
    "partial_validators": (lambda v: v in ("all", "last_modified", "none"),
                           '"all", "last_modified" or "none"'),
    "content_encoding": (lambda v: v is None or isinstance(v, str) and "\r" not in v
                         and "\n" not in v, "null or a header value"),
}


def _merge_limits(current, update):
    _want(isinstance(update, dict), "limits", "an object")
    merged = copy.deepcopy(current)
    for key, value in update.items():
        if key == "max_bytes":
            _want(isinstance(value, dict) and set(value) <= set(mediaformat.KINDS),
                  "limits.max_bytes", "an object with keys among %s" % ", ".join(mediaformat.KINDS))
            merged["max_bytes"].update(value)
        elif key in ("min_bytes", "voice_max_seconds"):
            merged[key] = value
        else:
            raise KnobError("unknown knob limits.%s" % key)
    _check_limits(merged)
    return merged


class Medium:
    def __init__(self, kind, filename, content_type, data, created_at):
        self.kind = kind
        self.filename = filename
        self.content_type = content_type
        self.created_at = created_at      # emulator clock, whole seconds
        self.set_data(data, created_at)

    def set_data(self, data, modified_at):
        self.data = bytes(data)
        self.modified_at = int(modified_at)
        self.sha1 = hashlib.sha1(self.data).hexdigest()
        self.sha256 = hashlib.sha256(self.data).hexdigest()

    def describe(self, media_id):
        return {"media_id": media_id, "kind": self.kind, "filename": self.filename,
                "content_type": self.content_type, "size": len(self.data),
                "sha256": self.sha256, "created_at": self.created_at}


def new_media_id():
    # Real ids are ~64 URL-safe characters; the leading digit mimics them.
    return "3" + secrets.token_urlsafe(48)[:63]


def new_token(length):
    return secrets.token_urlsafe(length)[:length]


class State:
    def __init__(self, state_dir, corpid, corpsecret, token_ttl, preset_token):
        self.lock = threading.Lock()
        self.state_dir = state_dir
        self.corpid = corpid
        self.corpsecret = corpsecret
        self._token_ttl_default = token_ttl
        self.knobs = default_knobs(token_ttl)
        self.tokens = {}          # token -> {"issued": monotonic seconds, "state": ...}
        self.media = {}           # media_id -> Medium
        self.log = []             # request log entries (dicts)
        self.bodies = {}          # log index -> body bytes
        self._bodies_total = 0
        self.counters = {"accepted": 0, "handshakes": 0, "handshake_failures": 0,
                         "resumed": 0, "api_connections": 0, "api_tls13": 0, "api_requests": 0, "active": 0,
                         "refused": 0}
        self._log_path = os.path.join(state_dir, "requests.log")
        open(self._log_path, "w").close()
        if preset_token:
            self.tokens[preset_token] = {"issued": time.monotonic(), "state": "valid"}

    # -- clock and knobs -----------------------------------------------------

    def now(self):
        """The emulator clock: wall time shifted by the clock_offset knob."""
        return time.time() + self.knobs["clock_offset"]

    def knob(self, name):
        with self.lock:
            return copy.deepcopy(self.knobs[name])

    def config(self):
        with self.lock:
            return copy.deepcopy(self.knobs)

    def update_config(self, update):
        if not isinstance(update, dict):
            raise KnobError("config must be a JSON object")
        with self.lock:
            new = copy.deepcopy(self.knobs)
            for name, value in update.items():
                if name == "limits":
                    new["limits"] = _merge_limits(new["limits"], value)
                elif name == "force_errcode":
                    new[name] = _normalize_forced(value)
                elif name == "fault":
                    new[name] = _normalize_faults(value)
                elif name in _SCALARS:
                    check, what = _SCALARS[name]
                    _want(check(value), name, what)
                    new[name] = value
                else:
                    raise KnobError("unknown knob %s" % name)
            self.knobs = new
            return copy.deepcopy(new)

    def reset(self, media=False):
        with self.lock:
            self.knobs = default_knobs(self._token_ttl_default)
            self.log.clear()
            self.bodies.clear()
            self._bodies_total = 0
            open(self._log_path, "w").close()
            if media:
                self.media.clear()

    def _take(self, queue_name, path):
        """Consume one use of the first queued entry whose path prefix matches."""
        queue = self.knobs[queue_name]
        for i, entry in enumerate(queue):
            if path.startswith(entry["path"]):
                entry["count"] -= 1
                if entry["count"] == 0:
                    del queue[i]
                return dict(entry)
        return None

    def take_fault(self, path):
        with self.lock:
            return self._take("fault", path)

    def take_forced(self, path):
        with self.lock:
            return self._take("force_errcode", path)

    # -- tokens --------------------------------------------------------------

    def issue_token(self):
        with self.lock:
            token = new_token(self.knobs["token_length"])
            self.tokens[token] = {"issued": time.monotonic(), "state": "valid"}
            return token, self.knobs["token_ttl"]

    def token_status(self, token):
        """'missing', 'unknown', 'revoked', 'expired' or 'valid'.

        The token_ttl knob applies to every token, old ones included, so a
        test can make the token a client holds lapse mid-run.
        """
        if not token:
            return "missing"
        with self.lock:
            info = self.tokens.get(token)
            if info is None:
                return "unknown"
            if info["state"] != "valid":
                return info["state"]
            if time.monotonic() - info["issued"] > self.knobs["token_ttl"]:
                return "expired"
            return "valid"

    def token_list(self):
        """Every token issued or preset (for a test that scans output for them)."""
        with self.lock:
            return sorted(self.tokens)

    def mark_tokens(self, token, state):
        """Revoke or expire one token, or all when token is None; returns how many."""
        with self.lock:
            targets = [token] if token is not None else list(self.tokens)
            n = 0
            for t in targets:
                if t in self.tokens:
                    self.tokens[t]["state"] = state
                    n += 1
            return n

    # -- media ---------------------------------------------------------------

    def store_media(self, kind, filename, data, content_type=None):
        with self.lock:
            created = int(self.now())
            media_id = new_media_id()
            ctype = content_type or mediaformat.content_type(kind, data)
            self.media[media_id] = Medium(kind, filename, ctype, data, created)
            return media_id, created

    def live_media(self, media_id):
        """The Medium for media_id, or None when unknown or past media_ttl."""
        with self.lock:
            m = self.media.get(media_id)
            if m is None or self.now() > m.created_at + self.knobs["media_ttl"]:
                return None
            return m

    def any_media(self, media_id):
        with self.lock:
            return self.media.get(media_id)

    def replace_media(self, media_id, data, keep_modified=False):
        with self.lock:
            m = self.media.get(media_id)
            if m is None:
                return None
            # A new object, so a download in flight keeps serving the old bytes.
            fresh = Medium(m.kind, m.filename, m.content_type, b"", m.created_at)
            fresh.set_data(data, m.modified_at if keep_modified else self.now())
            self.media[media_id] = fresh
            return fresh

    def list_media(self):
        with self.lock:
            return [m.describe(mid) for mid, m in self.media.items()]

    # -- request log ---------------------------------------------------------

    def add_log(self, entry, body):
        with self.lock:
            if len(self.log) >= LOG_MAX_ENTRIES:
                return
            entry["index"] = len(self.log)
            self.log.append(entry)
            if body and len(body) <= BODY_KEEP_EACH:
                self.bodies[entry["index"]] = bytes(body)
                self._bodies_total += len(body)
                for old in sorted(self.bodies):
                    if self._bodies_total <= BODY_KEEP_TOTAL:
                        break
                    self._bodies_total -= len(self.bodies.pop(old))
            with open(self._log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def log_entries(self):
        with self.lock:
            return copy.deepcopy(self.log)

    def request_body(self, index):
        """(found, body): found is False for an unknown index, body None if not kept."""
        with self.lock:
            if index < 0:
                index += len(self.log)
            if not 0 <= index < len(self.log):
                return False, None
            if self.log[index]["body_length"] == 0:
                return True, b""
            return True, self.bodies.get(index)

    # -- counters ------------------------------------------------------------

    def count(self, name, delta=1):
        with self.lock:
            self.counters[name] += delta

    def counters_snapshot(self):
        with self.lock:
            return dict(self.counters)
