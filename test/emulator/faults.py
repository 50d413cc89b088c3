# SPDX-License-Identifier: MIT
"""What the response-side faults do to the bytes on the wire.

drop_request_after is handled while the request is read (httpio.Reader's
budget); the other kinds change how a finished response is written.
Every kind but stall leaves the connection unusable: the caller closes it
without a TLS close_notify, as a cut network would, except close_delimited,
json_answer and huge_json, which end it cleanly (close_notify, then FIN).

The hostile-server kinds, each bounded here so a test never hangs the
emulator (HOSTILE_SECONDS at most, or until the client goes):

  endless_continue      "100 Continue" heads without end, never an answer
                        (ms: pause between heads, default none)
  drip                  the response, `bytes` bytes every `ms` ms
                        (default 1 byte a second)
  endless_body          a head without length or chunking, then body bytes
                        without end
  close_delimited       the response without Content-Length: the body runs
                        to the close, which is clean (close_notify)
  close_without_notify  the same, but the connection ends with a bare TCP
                        FIN, no close_notify (both: with `bytes`, only that
                        many body bytes before the close)
  huge_json             HTTP 200, application/json, a `bytes`-byte JSON
                        error object (default 10 MiB)
  json_answer           HTTP 200, application/json, exactly `body`
  hostile_response      a canned malicious response, by `variant` (HOSTILE)
"""

import os
import re
import time

# send() results besides True (the connection survives) and False (cut it).
CLEAN_CLOSE = "clean_close"

HOSTILE_SECONDS = 120
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_MIB = 1048576


def _hostile(variant):
    if variant == "huge_header":      # a 1 MiB header line
        return b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * _MIB + b"\r\nContent-Length: 0\r\n\r\n"
    if variant == "many_headers":     # 100,000 header lines
        return b"HTTP/1.1 200 OK\r\n" + b"X-H: v\r\n" * 100000 + b"Content-Length: 0\r\n\r\n"
    if variant == "huge_length":      # 2^63-1 announced, 4 KiB sent
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Length: 9223372036854775807\r\n\r\n" + b"L" * 4096)
    if variant == "wrong_content_range":   # a range nobody asked for
        return (b"HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Range: bytes 5-14/100\r\nContent-Length: 10\r\n\r\n0123456789")
    if variant == "bad_content_range":     # not a range at all
        return (b"HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Range: bytes x-y/z\r\nContent-Length: 10\r\n\r\n0123456789")
    if variant == "chunk_overflow":        # a chunk size past 64 bits
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n" + b"a" * 100)
    raise ValueError(variant)


def _close_delimited(head):
    """The head without Content-Length, announcing the close."""
    head = re.sub(rb"\r\nContent-Length: \d+", b"", head)
    return re.sub(rb"\r\nConnection: [a-z-]+", b"\r\nConnection: close", head)


def _json_head(length):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % length)


def _send_hostile(sock, head, body, fault, stop_event):
    """The hostile-server kinds; None for any other kind."""
    kind = fault["kind"] if fault else None
    until = time.monotonic() + HOSTILE_SECONDS
    if kind == "endless_continue":
        pause = (fault["ms"] or 0) / 1000.0
        while time.monotonic() < until and not stop_event.is_set():
            sock.sendall(_CONTINUE * (1 if pause else 16))
            if pause:
                stop_event.wait(pause)
        return False
    if kind == "drip":
        whole, step = head + body, fault["bytes"]
        for at in range(0, len(whole), step):
            if time.monotonic() >= until or stop_event.is_set():
                return False
            sock.sendall(whole[at:at + step])
            stop_event.wait(fault["ms"] / 1000.0)
        return True
    if kind == "endless_body":
        sock.sendall(_close_delimited(head))
        chunk = os.urandom(65536)
        while time.monotonic() < until and not stop_event.is_set():
            sock.sendall(chunk)
        return False
    if kind in ("close_delimited", "close_without_notify"):
        cut = len(body) if fault["bytes"] is None else fault["bytes"]
        sock.sendall(_close_delimited(head) + body[:cut])
        return CLEAN_CLOSE if kind == "close_delimited" else False
    if kind == "huge_json":
        prefix, suffix = b'{"errcode":40007,"errmsg":"', b'"}'
        filler = fault["bytes"] - len(prefix) - len(suffix)
        sock.sendall(_json_head(fault["bytes"]) + prefix)
        block = b"x" * 65536
        while filler > 0:
            sock.sendall(block[:filler])
            filler -= len(block)
        sock.sendall(suffix)
        return CLEAN_CLOSE
    if kind == "json_answer":
        data = fault["body"].encode("utf-8")
        sock.sendall(_json_head(len(data)) + data)
        return CLEAN_CLOSE
    if kind == "hostile_response":
        sock.sendall(_hostile(fault["variant"]))
        return False
    return None

_GARBLED = {
    # The status code is not three digits.
    "status": b"HTTP/1.1 2OO OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    # A header line without a colon.
    "header": b"HTTP/1.1 200 OK\r\nContent-Type application/json\r\nContent-Length: 2\r\n\r\n{}",
    # A Content-Length that is not a number.
    "length": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1x2\r\n\r\n{}",
}


def garbled(variant):
    if variant == "binary":
        # Not HTTP at all; the NUL and high bytes trip naive line readers.
        return b"\x00\xff\xfe" + os.urandom(61)
    return _GARBLED[variant]


def _send_prefix(sock, chunks, n):
    for chunk in chunks:
        if n <= 0:
            return
        sock.sendall(chunk[:n])
        n -= len(chunk)


def send(sock, head, body, fault, stop_event):
    """Write a response as `fault` dictates: True if the connection survives,
    CLEAN_CLOSE if it is to end cleanly, False if it is to be cut."""
    outcome = _send_hostile(sock, head, body, fault, stop_event)
    if outcome is not None:
        return outcome
    kind = fault["kind"] if fault else None
    if kind == "drop_response_after":
        _send_prefix(sock, (head, body), fault["bytes"])
        return False
    if kind == "truncate_response":
        # The head still announces the full Content-Length.
        sock.sendall(head)
        _send_prefix(sock, (body,), fault["bytes"])
        return False
    if kind == "garble_response":
        sock.sendall(garbled(fault["variant"]))
        return False
    if kind == "stall":
        split = fault["bytes"] or 0
        whole = head + body if split else b""
        if split:
            sock.sendall(whole[:split])
        stop_event.wait(fault["ms"] / 1000.0)
        if split:
            sock.sendall(whole[split:])
            return True
    sock.sendall(head)
    if body:
        sock.sendall(body)
    return True
