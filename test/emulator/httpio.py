# SPDX-License-Identifier: MIT
"""HTTP/1.1 on a raw socket: read a request strictly, write a response.

Written by hand instead of on http.server because the emulator must control
every byte: how many request bytes it takes before a fault closes the
connection, and exactly what (and how much) of a response goes out.

Request rules (RFC 9112), each answered with 400 and a closed connection:
request line of exactly three parts separated by single spaces; every line
ends in CRLF (bare LF refused so a client's framing bugs show); no obs-fold;
header names are tokens; Host present exactly once on HTTP/1.1; at most one
Content-Length, decimal. Heads are bounded (8 KiB request line, 64 KiB in
all, 100 fields).
"""

import http
import json
import urllib.parse

MAX_REQUEST_LINE = 8192
MAX_HEAD = 65536
MAX_HEADERS = 100
_RECV_SIZE = 65536

_TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789"
                   b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class ClientClosed(Exception):
    """The peer closed (or reset) the connection in the middle of a request."""

    def __init__(self, received=0):
        super().__init__("client closed the connection")
        self.received = received


class BudgetReached(Exception):
    """A drop_request_after fault has let through all the bytes it allows."""

    def __init__(self, received=0):
        super().__init__("request byte budget reached")
        self.received = received


class BadRequest(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Reader:
    """Buffered reads that count the bytes taken for the current request.

    `budget` (set by a drop_request_after fault) is how many bytes of the
    request may be taken before BudgetReached; the count starts at the
    request's first byte and covers head and body alike.
    """

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.consumed = 0
        self.budget = None

    def start_request(self):
        self.consumed = 0
        self.budget = None

    def _fill(self):
        data = self.sock.recv(_RECV_SIZE)
        if not data:
            raise ClientClosed(len(self.buf))
        self.buf += data

    def _take(self, n):
        if self.budget is not None and self.consumed + n > self.budget:
            raise BudgetReached(self.budget)
        data = bytes(self.buf[:n])
        del self.buf[:n]
        self.consumed += n
        return data

    def wait_for_request(self):
        """True once a byte of a next request is here; False on a clean EOF."""
        if self.buf:
            return True
        try:
            self._fill()
        except ClientClosed:
            return False
        return True

    def peek_line(self):
        """The first line of the buffered request (not consumed), or None if over-long."""
        while True:
            i = self.buf.find(b"\n", 0, MAX_REQUEST_LINE)
            if i >= 0:
                return bytes(self.buf[:i + 1])
            if len(self.buf) >= MAX_REQUEST_LINE:
                return None
            self._fill()

    def read_head(self):
        """Take the request head up to and including the empty line."""
        while True:
            # A head ends at the first empty line; "\n\n" is found too so a
            # bare-LF head is refused at once instead of waiting for CRLFCRLF.
            ends = [i for i in (self.buf.find(b"\n\r\n", 0, MAX_HEAD),
                                self.buf.find(b"\n\n", 0, MAX_HEAD)) if i >= 0]
            if ends:
                end = min(ends)
                length = end + (3 if self.buf[end + 1:end + 2] == b"\r" else 2)
                return self._take(length)
            if len(self.buf) >= MAX_HEAD:
                raise BadRequest(431, "request head over %d bytes" % MAX_HEAD)
            self._fill()

    def read_exact(self, n):
        """Take exactly n body bytes; ClientClosed if the peer stops short."""
        limit = n
        if self.budget is not None:
            limit = min(n, max(0, self.budget - self.consumed))
        while len(self.buf) < limit:
            self._fill()
        return self._take(n) if limit == n else self._take_then_stop(limit)

    def _take_then_stop(self, limit):
        self._take(limit)
        raise BudgetReached(self.consumed)

    def pending_body_bytes(self):
        return len(self.buf)


class Request:
    def __init__(self, method, target, version, header_list):
        self.method = method
        self.target = target
        self.version = version
        self.header_list = header_list     # [(name as sent, value)], in order
        self.path, _, self.query_string = target.partition("?")
        self.query = {}
        for name, value in urllib.parse.parse_qsl(self.query_string, keep_blank_values=True,
                                                  errors="replace"):
            self.query.setdefault(name, value)
        self.body = b""

    def header(self, name):
        """The field's value; repeated fields are joined with ", " (RFC 9110 5.3)."""
        values = [v for n, v in self.header_list if n.lower() == name]
        return ", ".join(values) if values else None

    def header_count(self, name):
        return sum(1 for n, _ in self.header_list if n.lower() == name)

    def wants_close(self):
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" not in tokens
        return "close" in tokens


def parse_request_line(line):
    """(method, target, version) from a raw request line; BadRequest if malformed."""
    if not line.endswith(b"\r\n"):
        raise BadRequest(400, "request line does not end in CRLF")
    parts = line[:-2].split(b" ")
    if len(parts) != 3 or not parts[0] or any(c not in _TCHAR for c in parts[0]):
        raise BadRequest(400, "malformed request line")
    method, target, version = parts
    if not target.startswith(b"/") or any(c <= 0x20 or c >= 0x7F for c in target):
        raise BadRequest(400, "request target is not an origin-form path")
    if version not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise BadRequest(505, "HTTP version %r not supported" % version)
    return method.decode("ascii"), target.decode("ascii"), version.decode("ascii")


def parse_head(head):
    lines = head.split(b"\n")
    # split() on LF leaves "" after the final LF; every other piece must end in CR.
    lines.pop()
    if lines and lines[-1] == b"\r":
        lines.pop()
    for line in lines:
        if not line.endswith(b"\r"):
            raise BadRequest(400, "header line does not end in CRLF")
    method, target, version = parse_request_line(lines[0] + b"\n")
    header_list = []
    for raw in lines[1:]:
        raw = raw[:-1]
        if b"\r" in raw or b"\0" in raw:
            raise BadRequest(400, "bare CR or NUL in a header line")
        if raw[:1] in (b" ", b"\t"):
            raise BadRequest(400, "obs-fold in headers")
        name, colon, value = raw.partition(b":")
        if not colon or not name or any(c not in _TCHAR for c in name):
            raise BadRequest(400, "malformed header line")
        header_list.append((name.decode("ascii"), value.strip(b" \t").decode("latin-1")))
        if len(header_list) > MAX_HEADERS:
            raise BadRequest(431, "more than %d header fields" % MAX_HEADERS)
    req = Request(method, target, version, header_list)
    if version == "HTTP/1.1" and req.header_count("host") != 1:
        raise BadRequest(400, "HTTP/1.1 request needs exactly one Host header")
    if req.header_count("content-length") > 1:
        raise BadRequest(400, "more than one Content-Length")
    return req


def content_length(req):
    """The declared body length, None if absent; BadRequest if not decimal."""
    value = req.header("content-length")
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        raise BadRequest(400, "Content-Length %r is not a decimal number" % value[:20])
    return int(value)


class Response:
    def __init__(self, status, body=b"", headers=None, errcode=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        self.errcode = errcode
        self.close = False        # framing is lost: the connection must close
        self.log = {}             # extra fields for this request's log entry

    def head_bytes(self, keep_alive, date):
        try:
            reason = http.HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        lines = ["HTTP/1.1 %d %s" % (self.status, reason), "Date: " + date, "Server: wecom-emulator"]
        lines += ["%s: %s" % (n, v) for n, v in self.headers]
        lines.append("Content-Length: %d" % len(self.body))
        lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def json_response(obj, status=200, content_type="application/json; charset=UTF-8"):
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    resp = Response(status, body, [("Content-Type", content_type)])
    if "errcode" in obj:
        resp.errcode = obj["errcode"]
    return resp


def text_response(status, text):
    return Response(status, (text + "\n").encode("utf-8"), [("Content-Type", "text/plain; charset=utf-8")])
