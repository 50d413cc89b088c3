# SPDX-License-Identifier: MIT
"""A small HTTP CONNECT proxy for the tests (Python standard library).

It serves CONNECT only, on an ephemeral loopback port, one thread per
client, and can misbehave on purpose:

  mode "tunnel"   200, then relays bytes both ways until either side closes
  mode "403" / "502" / "407"
                  answers that status (with a small body) and closes
  mode "garbage"  answers something that is not HTTP, then closes
  mode "endless"  a 200 status line followed by header lines without end
  mode "silent"   reads the request and never answers (until stopped)

With auth=("user", "password") it wants Proxy-Authorization: Basic and
answers 407 to anything else. hosts maps a CONNECT host to the address it
really connects to (a name no resolver knows, so that a test can make the
client ask for one name while the server holds a certificate for another).

What each client asked is kept in .requests (request line and headers),
the accepted connections counted in .connections.

By hand:  python3 connect_proxy.py [--mode M] [--auth user:pass]
"""

import argparse
import base64
import select
import socket
import sys
import threading
import time

HEAD_MAX = 16384


class ConnectProxy:
    def __init__(self, mode="tunnel", auth=None, hosts=None, host="127.0.0.1"):
        self.mode = mode
        self.auth = auth
        self.hosts = dict(hosts or {})
        self.requests = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._socks = []
        self._srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind((host, 0))
        self._srv.listen(16)
        self._srv.settimeout(0.2)
        self.host, self.port = self._srv.getsockname()[:2]
        self.url = "http://%s:%d" % (self.host, self.port)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            try:
                s.close()
            except OSError:
                pass
        self._srv.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- serving --

    def _keep(self, s):
        with self._lock:
            self._socks.append(s)

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            self._keep(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_head(self, conn):
        conn.settimeout(10)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(4096)
            if not chunk or len(buf) > HEAD_MAX:
                return None, b""
            buf += chunk
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return {"line": lines[0], "headers": headers}, rest

    def _answer(self, conn, status, reason, extra=b""):
        body = ("%d %s\n" % (status, reason)).encode()
        conn.sendall(("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
                      "Content-Length: %d\r\n" % (status, reason, len(body))).encode()
                     + extra + b"\r\n" + body)

    def _authorized(self, req):
        if self.auth is None:
            return True
        want = base64.b64encode(("%s:%s" % self.auth).encode()).decode()
        return req["headers"].get("proxy-authorization", "") == "Basic " + want

    def _serve(self, conn):
        try:
            req, rest = self._read_head(conn)
            if req is None:
                return
            with self._lock:
                self.requests.append(req)
            parts = req["line"].split(" ")
            if len(parts) != 3 or parts[0] != "CONNECT":
                self._answer(conn, 405, "Method Not Allowed")
                return
            if self.mode == "silent":
                self._stop.wait(60)
                return
            if self.mode == "garbage":
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\x01\x02garbage\r\n\r\n")
                return
            if self.mode == "endless":
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n")
                while not self._stop.is_set():
                    conn.sendall(b"X-Padding: " + b"y" * 100 + b"\r\n")
                return
            if self.mode in ("403", "502", "407"):
                reasons = {"403": "Forbidden", "502": "Bad Gateway",
                           "407": "Proxy Authentication Required"}
                extra = b'Proxy-Authenticate: Basic realm="test"\r\n' if self.mode == "407" else b""
                self._answer(conn, int(self.mode), reasons[self.mode], extra)
                return
            if not self._authorized(req):
                self._answer(conn, 407, "Proxy Authentication Required",
                             b'Proxy-Authenticate: Basic realm="test"\r\n')
                return
            host, _, port = parts[1].rpartition(":")
            host = host.strip("[]")
            try:
                up = socket.create_connection((self.hosts.get(host, host), int(port)), timeout=10)
            except (OSError, ValueError):
                self._answer(conn, 502, "Bad Gateway")
                return
            self._keep(up)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                up.sendall(rest)
            self._relay(conn, up)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _relay(self, a, b):
        a.settimeout(None)
        b.settimeout(None)
        peers = {a: b, b: a}
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    peers[s].sendall(data)
        finally:
            b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", default="tunnel")
    ap.add_argument("--auth", help="user:password the proxy wants")
    args = ap.parse_args()
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    with ConnectProxy(args.mode, auth) as p:
        print("READY " + p.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
