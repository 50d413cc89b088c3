# SPDX-License-Identifier: MIT
"""A strict RFC 7578 multipart/form-data parser for the upload endpoint.

Every refusal raises MultipartError, which the upload handler turns into
WeCom's 44001 ("empty media data": what WeCom answers to a body it cannot
use). The rules are stricter than RFC 2046 allows a receiver to be, on
purpose: the emulator is the reference for a client that must frame its
upload byte-exactly, so anything a careful sender never produces is refused.

Rules (each one is a test in test_emulator.py):
  R1  The request's Content-Type is multipart/form-data with exactly one
      `boundary` parameter, 1-70 characters of RFC 2046 bchars, not ending in
      a space, as a token or a quoted-string.
  R2  The body starts with `--boundary CRLF`. RFC 2046 permits a preamble and
      transport padding; RFC 7578 senders never need them, so both are refused.
  R3  Every delimiter is `CRLF --boundary` followed by CRLF (another part) or
      `--` (the end). Anything else after the boundary (padding, a longer
      boundary, a lone `-`) is a broken delimiter: RFC 2046 forbids the
      boundary from appearing inside a part, so it is never part content.
  R4  After the close delimiter only an optional CRLF may follow (no epilogue).
  R5  Part headers are `Name: value` lines ending in CRLF, no obs-fold, no bare
      CR or LF, at most 8 KiB per part, values in UTF-8; no header twice.
  R6  Every part has `Content-Disposition: form-data` with a `name`
      parameter (RFC 7578 4.2). Parameter syntax is RFC 9110 5.6.6: token or
      quoted-string values, no whitespace around `=`, no parameter twice.
  R7  `filename*` (RFC 2231/5987) is refused: WeCom answers 44001 to it.
  R8  Exactly one part is named "media", and it has a non-empty `filename`.
  R9  If that part has WeCom's `filelength=N` disposition parameter, N is
      decimal and equals the part's length in bytes.
  R10 Content-Transfer-Encoding other than "binary" is refused: RFC 7578 4.7
      forbids senders to use it, and a base64 part would store the wrong bytes.
  R11 At most 16 parts.
Body framing (Content-Length present and exact, no chunked encoding) is
checked before this module sees the body.
"""

MAX_PARTS = 16
MAX_PART_HEADER_BYTES = 8192
MAX_BOUNDARY = 70

_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789"
                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_BCHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "'()+_,-./:=? ")


class MultipartError(ValueError):
    """The body is refused; str(e) says which rule it broke."""


class Part:
    def __init__(self, name, filename, filelength, content_type, data):
        self.name = name
        self.filename = filename
        self.filelength = filelength
        self.content_type = content_type
        self.data = data


def _is_token(s):
    return bool(s) and all(c in _TCHAR for c in s)


def _quoted_string(value, i):
    """Parse the quoted-string starting at value[i] == '"'; return (text, next index)."""
    out = []
    i += 1
    while i < len(value):
        c = value[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\":
            if i + 1 >= len(value):
                break
            out.append(value[i + 1])
            i += 2
            continue
        # qdtext: HTAB, SP, visible ASCII except DQUOTE and backslash, obs-text.
        if c != "\t" and (ord(c) < 0x20 or ord(c) == 0x7F):
            raise MultipartError("control character in quoted-string")
        out.append(c)
        i += 1
    raise MultipartError("unterminated quoted-string")


def parse_params(value):
    """Split 'main; a=1; b="x y"' into ('main', {'a': '1', 'b': 'x y'}).

    Parameter names are lower-cased (they are case-insensitive); the main
    value is returned as written.
    """
    semi = value.find(";")
    main = (value if semi < 0 else value[:semi]).strip(" \t")
    params = {}
    i = len(value) if semi < 0 else semi
    n = len(value)
    while i < n:  # every pass consumes at least the ';'
        if value[i] != ";":
            raise MultipartError("expected ';' between parameters")
        i += 1
        while i < n and value[i] in " \t":
            i += 1
        if i >= n or value[i] == ";":
            continue  # RFC 9110 allows empty parameters
        start = i
        while i < n and value[i] in _TCHAR:
            i += 1
        name = value[start:i].lower()
        if not name or i >= n or value[i] != "=":
            raise MultipartError("malformed parameter near %r" % value[start:start + 20])
        i += 1
        if i < n and value[i] == '"':
            text, i = _quoted_string(value, i)
        else:
            start = i
            while i < n and value[i] in _TCHAR:
                i += 1
            text = value[start:i]
            if not text:
                raise MultipartError("parameter %s has no value" % name)
        if name in params:
            raise MultipartError("parameter %s given twice" % name)
        params[name] = text
        while i < n and value[i] in " \t":
            i += 1
    return main, params


def boundary_of(content_type):
    """The boundary from a request Content-Type header value (rule R1)."""
    if content_type is None:
        raise MultipartError("no Content-Type")
    main, params = parse_params(content_type)
    if main.lower() != "multipart/form-data":
        raise MultipartError("Content-Type is %r, not multipart/form-data" % main)
    boundary = params.get("boundary")
    if boundary is None:
        raise MultipartError("multipart/form-data without a boundary parameter")
    if not 1 <= len(boundary) <= MAX_BOUNDARY or boundary.endswith(" ") \
            or any(c not in _BCHARS for c in boundary):
        raise MultipartError("boundary is not 1-70 RFC 2046 bchars")
    return boundary


def _parse_part_headers(block):
    headers = {}
    for line in block.split(b"\r\n") if block else ():
        if b"\r" in line or b"\n" in line:
            raise MultipartError("bare CR or LF in part headers")
        if line[:1] in (b" ", b"\t"):
            raise MultipartError("obs-fold in part headers")
        name, colon, value = line.partition(b":")
        try:
            name = name.decode("ascii")
            value = value.strip(b" \t").decode("utf-8")
        except UnicodeDecodeError:
            raise MultipartError("part header is not UTF-8") from None
        if not colon or not _is_token(name):
            raise MultipartError("malformed part header line %r" % line[:40])
        key = name.lower()
        if key in headers:
            raise MultipartError("part header %s given twice" % name)
        headers[key] = value
    return headers


def _make_part(headers, data):
    disposition = headers.get("content-disposition")
    if disposition is None:
        raise MultipartError("part without Content-Disposition")
    kind, params = parse_params(disposition)
    if kind.lower() != "form-data":
        raise MultipartError("Content-Disposition is %r, not form-data" % kind)
    if "name" not in params:
        raise MultipartError("Content-Disposition without name")
    if "filename*" in params:
        raise MultipartError("filename* is not accepted (WeCom answers 44001)")
    cte = headers.get("content-transfer-encoding")
    if cte is not None and cte.lower() != "binary":
        raise MultipartError("Content-Transfer-Encoding %r" % cte)
    filelength = params.get("filelength")
    if filelength is not None:
        if not filelength.isascii() or not filelength.isdigit():
            raise MultipartError("filelength %r is not a decimal number" % filelength)
        filelength = int(filelength)
    return Part(params["name"], params.get("filename"), filelength,
                headers.get("content-type"), data)


def parse_body(body, boundary):
    """All parts of `body` (rules R2-R6, R10, R11)."""
    dash = b"--" + boundary.encode("ascii")
    delimiter = b"\r\n" + dash
    if not body.startswith(dash + b"\r\n"):
        if body.startswith(dash + b"--"):
            raise MultipartError("body has no parts")
        raise MultipartError("body does not start with --boundary CRLF")
    pos = len(dash) + 2
    parts = []
    while True:
        if len(parts) == MAX_PARTS:
            raise MultipartError("more than %d parts" % MAX_PARTS)
        if body.startswith(b"\r\n", pos):
            header_block, content_start = b"", pos + 2
        else:
            end = body.find(b"\r\n\r\n", pos, pos + MAX_PART_HEADER_BYTES + 4)
            if end < 0:
                raise MultipartError("part headers unterminated or over %d bytes"
                                     % MAX_PART_HEADER_BYTES)
            header_block, content_start = body[pos:end], end + 4
        headers = _parse_part_headers(header_block)
        content_end = body.find(delimiter, content_start)
        if content_end < 0:
            raise MultipartError("missing close delimiter")
        parts.append(_make_part(headers, body[content_start:content_end]))
        after = content_end + len(delimiter)
        follow = body[after:after + 2]
        if follow == b"--":
            if body[after + 2:] not in (b"", b"\r\n"):
                raise MultipartError("bytes after the close delimiter")
            return parts
        if follow != b"\r\n":
            raise MultipartError("broken delimiter: boundary followed by %r" % follow)
        pos = after + 2


def media_part(parts):
    """The one part named "media", checked against rules R8 and R9."""
    media = [p for p in parts if p.name == "media"]
    if not media:
        raise MultipartError("no part named media")
    if len(media) > 1:
        raise MultipartError("more than one part named media")
    part = media[0]
    if not part.filename:
        raise MultipartError("media part without a filename")
    if part.filelength is not None and part.filelength != len(part.data):
        raise MultipartError("filelength %d but the part holds %d bytes"
                             % (part.filelength, len(part.data)))
    return part
