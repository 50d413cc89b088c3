#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A local stand-in for qyapi.weixin.qq.com, for wecom-media's tests.

    wecom_emulator.py --state-dir DIR [--host 127.0.0.1] [--port 0]
                      [--corpid wwemulator] [--corpsecret emulator-secret]
                      [--token TOKEN] [--token-ttl 7200] [--plain]

Serves HTTPS with a CA made for this run (DIR/ca.pem), writes the bound
port to DIR/port and prints `READY https://HOST:PORT`, then runs until
SIGTERM or SIGINT. See README.md beside this file for the control API.
Python 3 standard library only.
"""

import argparse
import email.utils
import itertools
import os
import signal
import socket
import ssl
import sys
import threading
import time

import api
import certs
import control
import faults
import httpio
import state as state_mod

HANDSHAKE_TIMEOUT = 10        # seconds for a TLS handshake
MAX_CONNECTIONS = 256         # concurrent; more are closed at once
MAX_REQUESTS_PER_CONNECTION = 100000
LINGER_SECONDS = 2            # how long a closing connection drains the peer's bytes
LINGER_MAX_BYTES = 128 * 1048576

# What to do with a connection after a request.
KEEP, CLOSE, ABORT = "keep", "close", "abort"


def _write_atomically(path, text):
    # A reader polling for the file sees it whole or not at all.
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _log_entry(conn_id, seq, st, method, target):
    entry = dict.fromkeys((
        "index", "time", "connection", "seq", "method", "path", "target", "query",
        "header_names", "content_type", "content_length", "transfer_encoding", "body_length",
        "range", "if_range", "status", "errcode", "outcome", "fault", "forced_errcode",
        "token_state", "kind", "filename", "filelength", "part_content_type", "part_size",
        "media_id", "reason"))
    path, _, _ = target.partition("?")
    entry.update(time=st.now(), connection=conn_id, seq=seq, method=method, path=path,
                 target=api.mask_target(target), body_length=0)
    return entry


def _declared_length(req):
    try:
        return httpio.content_length(req)
    except httpio.BadRequest:
        return None


def _describe_request(entry, req):
    entry.update(query=api.public_query(req.query),
                 header_names=[name for name, _ in req.header_list],
                 content_type=req.header("content-type"),
                 content_length=_declared_length(req),
                 transfer_encoding=req.header("transfer-encoding"),
                 range=req.header("range"), if_range=req.header("if-range"))


class Emulator:
    def __init__(self, st, tls_context):
        self.state = st
        self.tls_context = tls_context
        self.stop = threading.Event()
        self._conn_ids = itertools.count(1)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    # -- accepting -------------------------------------------------------------

    def serve(self, listener):
        listener.settimeout(0.25)  # how quickly a stop signal is noticed
        while not self.stop.is_set():
            try:
                sock, addr = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                self.stop.wait(0.05)  # e.g. EMFILE: back off instead of spinning
                continue
            self.state.count("accepted")
            if not self._slots.acquire(blocking=False):
                self.state.count("refused")
                sock.close()
                continue
            threading.Thread(target=self._connection, args=(sock, addr), daemon=True).start()

    def _connection(self, raw, addr):
        conn_id = next(self._conn_ids)
        self.state.count("active")
        sock, how = raw, ABORT
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(HANDSHAKE_TIMEOUT)
            if self.tls_context is not None:
                sock = self.tls_context.wrap_socket(raw, server_side=True,
                                                    do_handshake_on_connect=False)
                try:
                    sock.do_handshake()
                except (ssl.SSLError, OSError):
                    self.state.count("handshake_failures")
                    return
                self.state.count("handshakes")
                if sock.session_reused:
                    self.state.count("resumed")
            how = self._requests(sock, conn_id, addr[0])
        except (OSError, ssl.SSLError):
            how = ABORT
        finally:
            if how == CLOSE:
                self._close_gracefully(sock)
            else:
                sock.close()
            self.state.count("active", -1)
            self._slots.release()

    def _requests(self, sock, conn_id, peer):
        reader = httpio.Reader(sock)
        api_seen = False
        for seq in range(1, MAX_REQUESTS_PER_CONNECTION + 1):
            sock.settimeout(self.state.knob("idle_timeout"))
            try:
                if not reader.wait_for_request():
                    return CLOSE
            except socket.timeout:
                return CLOSE  # an idle keep-alive connection is closed, as nginx does
            how, was_api = self._one_request(sock, reader, conn_id, seq, peer)
            if was_api and not api_seen:
                api_seen = True
                self.state.count("api_connections")
                # the client's protocol, not the control API's (Python's)
                if getattr(sock, "version", None) and sock.version() == "TLSv1.3":
                    self.state.count("api_tls13")
            if how != KEEP:
                return how
        return CLOSE

    @staticmethod
    def _close_gracefully(sock):
        """close_notify, FIN, then drain what the peer still sends.

        Closing with unread bytes queued makes the kernel send RST, which can
        destroy the response before the client reads it; draining (bounded
        in time and bytes) avoids that.
        """
        try:
            sock.settimeout(0.2)
            if isinstance(sock, ssl.SSLSocket):
                try:
                    sock.unwrap()
                    # unwrap() leaves the plain socket; recv below reads it raw.
                except (ssl.SSLError, OSError):
                    pass
            sock.shutdown(socket.SHUT_WR)
            drained = 0
            deadline = time.monotonic() + LINGER_SECONDS
            while time.monotonic() < deadline and drained < LINGER_MAX_BYTES:
                try:
                    data = socket.socket.recv(sock, 65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass
        finally:
            sock.close()

    # -- one request -------------------------------------------------------------

    def _one_request(self, sock, reader, conn_id, seq, peer):
        """Read, answer and log one request; returns (KEEP|CLOSE|ABORT, was_api)."""
        st = self.state
        reader.start_request()
        try:
            line = reader.peek_line()
        except httpio.ClientClosed:
            return ABORT, False
        if line is None:
            return self._reply_bad(sock, httpio.BadRequest(414, "request line too long")), False
        try:
            method, target, _ = httpio.parse_request_line(line)
        except httpio.BadRequest as e:
            return self._reply_bad(sock, e), False

        path = target.partition("?")[0]
        if path.startswith(control.PREFIX):
            return self._control_request(sock, reader, peer), False

        st.count("api_requests")
        fault = st.take_fault(path)
        entry = _log_entry(conn_id, seq, st, method, target)
        entry["fault"] = fault["kind"] if fault else None
        if fault and fault["kind"] == "drop_request_after":
            reader.budget = fault["bytes"]
        head_length = None  # known once the head is read
        try:
            req = httpio.parse_head(reader.read_head())
            head_length = reader.consumed
            req.peer = peer
            _describe_request(entry, req)
            resp = self._framing_problem(req)
            if resp is None:
                self._maybe_continue(sock, req, fault)
                req.body = reader.read_exact(httpio.content_length(req) or 0)
                entry["body_length"] = len(req.body)
                if fault and fault["kind"] == "drop_request_after":
                    # The whole request fit in the budget: it is still never answered.
                    raise httpio.BudgetReached(reader.consumed)
                resp = self._api_response(req, entry)
        except httpio.BudgetReached as e:
            body_bytes = 0 if head_length is None else e.received - head_length
            entry.update(outcome="dropped", body_length=body_bytes)
            st.add_log(entry, None)
            return ABORT, True
        except httpio.ClientClosed as e:
            entry.update(outcome="client_closed", body_length=0 if head_length is None else e.received)
            st.add_log(entry, None)
            return ABORT, True
        except socket.timeout:
            entry.update(outcome="timeout")
            st.add_log(entry, None)
            return ABORT, True
        except httpio.BadRequest as e:
            resp = httpio.json_response({"error": e.reason}, status=e.status)
            resp.close = True
            resp.log["reason"] = e.reason
            req = None

        keep = (not resp.close and req is not None and not req.wants_close()
                and st.knob("keep_alive"))
        entry.update(resp.log)
        entry.update(status=resp.status, errcode=resp.errcode, outcome="answered")
        # Logged before the response goes out: a test that has read the answer
        # must find the entry.
        st.add_log(entry, req.body if req is not None else None)
        response_fault = fault if fault and fault["kind"] != "drop_request_after" else None
        if fault and fault.get("revoke") and req is not None:
            # Revoked as this response goes out: the client's next request
            # (a resume, a retry) meets 40014.
            st.mark_tokens(req.query.get("access_token"), "revoked")
        # A HEAD answer announces the length of what GET would send, and sends none of it.
        payload = b"" if req is not None and req.method == "HEAD" else resp.body
        survived = faults.send(sock, resp.head_bytes(keep, email.utils.formatdate(usegmt=True)),
                               payload, response_fault, self.stop)
        if survived == faults.CLEAN_CLOSE:
            return CLOSE, True
        if not survived:
            return ABORT, True
        return (KEEP if keep else CLOSE), True

    def _framing_problem(self, req):
        """An answer for a request whose body cannot be read as declared, or None."""
        if req.header("transfer-encoding") is not None:
            # Only Content-Length framing is accepted; WeCom refuses chunked
            # uploads with 44001.
            return api.framing_error(req.path, req.peer, "Transfer-Encoding is not accepted")
        length = httpio.content_length(req)
        if length is None and req.method in ("POST", "PUT"):
            return api.framing_error(req.path, req.peer, "no Content-Length")
        if length is not None and length > self.state.knob("max_body_bytes"):
            resp = httpio.Response(413, b"<html><body>413 Request Entity Too Large</body></html>\n",
                                   [("Content-Type", "text/html")])
            resp.close = True
            resp.log["reason"] = "Content-Length %d over max_body_bytes" % length
            return resp
        return None

    @staticmethod
    def _maybe_continue(sock, req, fault):
        # RFC 9110 10.1.1: a client that sent Expect: 100-continue waits for
        # this interim answer (or a timeout) before the body.
        if (req.header("expect") or "").lower() == "100-continue" and req.version == "HTTP/1.1" \
                and not (fault and fault["kind"] == "drop_request_after"):
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _api_response(self, req, entry):
        forced = self.state.take_forced(req.path)
        if forced is not None:
            entry["forced_errcode"] = forced["errcode"]
            return api.forced(self.state, req, forced)
        return api.handle(self.state, req)

    def _control_request(self, sock, reader, peer):
        try:
            req = httpio.parse_head(reader.read_head())
            req.peer = peer
            if req.header("transfer-encoding") is not None:
                raise httpio.BadRequest(400, "Transfer-Encoding is not accepted")
            length = httpio.content_length(req) or 0
            if length > self.state.knob("max_body_bytes"):
                raise httpio.BadRequest(413, "body over max_body_bytes")
            req.body = reader.read_exact(length)
        except httpio.ClientClosed:
            return ABORT
        except httpio.BadRequest as e:
            return self._reply_bad(sock, e)
        resp = control.handle(self.state, req)
        keep = not req.wants_close() and self.state.knob("keep_alive")
        sock.sendall(resp.head_bytes(keep, email.utils.formatdate(usegmt=True)) + resp.body)
        return KEEP if keep else CLOSE

    @staticmethod
    def _reply_bad(sock, error):
        resp = httpio.json_response({"error": error.reason}, status=error.status)
        sock.sendall(resp.head_bytes(False, email.utils.formatdate(usegmt=True)) + resp.body)
        return CLOSE


def _seconds(text):
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return int(value) if value.is_integer() else value


def _parse_args(argv):
    p = argparse.ArgumentParser(description="Local WeCom temporary-media API emulator.")
    p.add_argument("--state-dir", required=True, help="where certificates, port and logs go")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--corpid", default="wwemulator")
    p.add_argument("--corpsecret", default="emulator-secret")
    p.add_argument("--token", help="an access token valid from the start")
    p.add_argument("--token-ttl", type=_seconds, default=7200, help="seconds a token lives")
    p.add_argument("--plain", action="store_true", help="serve plain HTTP instead of HTTPS")
    return p.parse_args(argv)


def _tls_context(state_dir):
    certs.make_certificates(state_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(state_dir, certs.SERVER_CERT),
                        os.path.join(state_dir, certs.SERVER_KEY))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def main(argv=None):
    args = _parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    for stale in ("port", "url", "pid"):
        try:
            os.remove(os.path.join(state_dir, stale))
        except FileNotFoundError:
            pass

    tls = None if args.plain else _tls_context(state_dir)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(128)
    port = listener.getsockname()[1]

    st = state_mod.State(state_dir, args.corpid, args.corpsecret, args.token_ttl, args.token)
    emulator = Emulator(st, tls)
    signal.signal(signal.SIGTERM, lambda *_: emulator.stop.set())
    signal.signal(signal.SIGINT, lambda *_: emulator.stop.set())

    host = "[%s]" % args.host if ":" in args.host else args.host
    url = "%s://%s:%d" % ("http" if args.plain else "https", host, port)
    _write_atomically(os.path.join(state_dir, "pid"), "%d\n" % os.getpid())
    _write_atomically(os.path.join(state_dir, "url"), url + "\n")
    _write_atomically(os.path.join(state_dir, "port"), "%d\n" % port)
    print("READY " + url, flush=True)
    try:
        emulator.serve(listener)
    finally:
        listener.close()
        for name in ("port", "url", "pid"):
            try:
                os.remove(os.path.join(state_dir, name))
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
