"""What the response-side faults do to the bytes on the wire.

drop_request_after is handled while the request is read (httpio.Reader's
budget); the other four kinds change how a finished response is written.
Every kind but stall leaves the connection unusable: the caller closes it
without a TLS close_notify, as a cut network would.
"""

import os

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
    """Write a response as `fault` dictates; True if the connection survives."""
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
