#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Start, stop and steer a wecom_emulator from tests (module and command line).

    emu.py start --state-dir DIR [emulator options]   prints the base URL
    emu.py stop --state-dir DIR
    emu.py --state-dir DIR COMMAND ...

Commands: url, token, config [JSON], log, body N, media, media-get ID,
media-put KIND FILENAME [--content-type T] < FILE, media-replace ID < FILE,
revoke [TOKEN], expire [TOKEN], reset [--media], connections.
--state-dir may also come from $EMU_STATE_DIR. Python 3 standard library only.
"""

import argparse
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "wecom_emulator.py")
START_TIMEOUT = 20
STOP_TIMEOUT = 10


class EmuError(Exception):
    pass


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # http.client.HTTPMessage: case-insensitive get()
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Client:
    """Requests to one running emulator, verified against its own CA."""

    def __init__(self, state_dir, timeout=10):
        self.state_dir = os.path.abspath(state_dir)
        self.timeout = timeout
        url_file = os.path.join(self.state_dir, "url")
        with open(url_file) as f:
            self.base_url = f.read().strip()
        parsed = urllib.parse.urlsplit(self.base_url)
        self.scheme, self.host, self.port = parsed.scheme, parsed.hostname, parsed.port
        self.ca_file = os.path.join(self.state_dir, "ca.pem")

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        ctx.check_hostname = True
        return ctx

    def connection(self):
        """A new keep-alive connection (http.client) to the emulator."""
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=self.ssl_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """One request; on a fresh connection unless `conn` is given."""
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            if own:
                conn.close()

    def control(self, method, path, obj=None):
        body = None if obj is None else json.dumps(obj).encode("utf-8")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        reply = self.request(method, "/_emu/" + path, body, headers)
        if reply.status >= 400:
            raise EmuError("%s /_emu/%s: HTTP %d %s" % (method, path, reply.status,
                                                         reply.body.decode("utf-8", "replace")))
        return reply

    # -- the control API -------------------------------------------------------

    def config(self, knobs=None, **more):
        """Merge knobs (a dict and/or keywords); returns the whole config."""
        update = dict(knobs or {}, **more)
        if not update:
            return self.control("GET", "config").json()
        return self.control("POST", "config", update).json()

    def reset(self, media=False):
        return self.control("POST", "reset", {"media": media}).json()

    def revoke(self, token=None):
        return self.control("POST", "revoke", {} if token is None else {"token": token}).json()

    def expire(self, token=None):
        return self.control("POST", "expire", {} if token is None else {"token": token}).json()

    def tokens(self):
        return self.control("GET", "tokens").json()

    def log(self):
        return self.control("GET", "log").json()

    def request_body(self, index):
        return self.control("GET", "requests/%d/body" % index).body

    def media(self):
        return self.control("GET", "media").json()

    def media_get(self, media_id):
        return self.control("GET", "media/" + media_id).body

    def media_put(self, kind, filename, data, content_type=None):
        """Store bytes directly (no upload checks); returns the media_id."""
        headers = {"X-Kind": kind, "X-Filename": urllib.parse.quote(filename, safe="")}
        if content_type:
            headers["X-Content-Type"] = content_type
        reply = self.request("POST", "/_emu/media", data, headers)
        if reply.status != 200:
            raise EmuError("media-put: HTTP %d %s" % (reply.status, reply.body[:200]))
        return reply.json()["media_id"]

    def media_replace(self, media_id, data, keep_modified=False):
        headers = {"Content-Type": "application/octet-stream"}
        if keep_modified:
            headers["X-Keep-Modified"] = "1"   # the same Last-Modified, new bytes
        reply = self.request("PUT", "/_emu/media/" + media_id, data, headers)
        if reply.status != 200:
            raise EmuError("media-replace: HTTP %d %s" % (reply.status, reply.body[:200]))
        return reply.json()

    def connections(self):
        return self.control("GET", "connections").json()

    def gettoken(self, corpid="wwemulator", corpsecret="emulator-secret"):
        query = urllib.parse.urlencode({"corpid": corpid, "corpsecret": corpsecret})
        return self.request("GET", "/cgi-bin/gettoken?" + query).json()


def _read_pid(state_dir):
    try:
        with open(os.path.join(state_dir, "pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _is_emulator(pid):
    """True if pid is alive, not a zombie, and runs wecom_emulator.py (never kill a stranger)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read()
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and b"wecom_emulator.py" in cmdline


def start(state_dir, args=(), timeout=START_TIMEOUT, python=None):
    """Launch an emulator in the background; returns (Client, Popen) once it is ready."""
    state_dir = os.path.abspath(state_dir)
    os.makedirs(state_dir, exist_ok=True)
    port_file = os.path.join(state_dir, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    with open(os.path.join(state_dir, "emulator.out"), "ab") as out, \
            open(os.path.join(state_dir, "emulator.err"), "ab") as err:
        proc = subprocess.Popen([python or sys.executable, EMULATOR, "--state-dir", state_dir,
                                 *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                close_fds=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not os.path.exists(port_file):
        if proc.poll() is not None:
            raise EmuError("emulator exited with %d: %s" % (proc.returncode, _tail(state_dir)))
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(5)
            raise EmuError("emulator not ready after %d s: %s" % (timeout, _tail(state_dir)))
        time.sleep(0.05)
    return Client(state_dir), proc


def _tail(state_dir):
    try:
        with open(os.path.join(state_dir, "emulator.err"), "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace")
    except OSError:
        return ""


def stop(state_dir, proc=None, timeout=STOP_TIMEOUT):
    """SIGTERM the emulator of state_dir (SIGKILL after `timeout`); its exit code if known."""
    pid = _read_pid(os.path.abspath(state_dir)) or (proc.pid if proc else None)
    if pid is None:
        return None
    if proc is None and not _is_emulator(pid):
        return None
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    if proc is not None:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(5)
    deadline = time.monotonic() + timeout
    while _is_emulator(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    return None


def _parser():
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    common.add_argument("--state-dir", default=argparse.SUPPRESS,
                        help="the emulator's state directory (or $EMU_STATE_DIR)")
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], parents=[common],
                                allow_abbrev=False,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, help_text):
        return sub.add_parser(name, help=help_text, parents=[common], allow_abbrev=False)

    add("start", "launch the emulator; extra options go to it; prints the base URL")
    add("stop", "SIGTERM the emulator (pid file in the state dir)")
    add("url", "print the base URL")
    add("token", "print a fresh access token from gettoken")
    c = add("config", "merge a JSON object of knobs (none: show); prints the config")
    c.add_argument("json", nargs="?")
    add("log", "print the request log as JSON")
    b = add("body", "write the body of logged request N to stdout")
    b.add_argument("index", type=int)
    add("media", "list stored media as JSON")
    g = add("media-get", "write a stored medium's bytes to stdout")
    g.add_argument("media_id")
    m = add("media-put", "store stdin as a medium; prints its media_id")
    m.add_argument("kind", choices=("image", "voice", "video", "file"))
    m.add_argument("filename")
    m.add_argument("--content-type")
    r = add("media-replace", "replace a stored medium's bytes with stdin")
    r.add_argument("media_id")
    for name in ("revoke", "expire"):
        t = add(name, "%s one token, or all" % name)
        t.add_argument("token", nargs="?")
    z = add("reset", "knobs back to defaults; clears faults and the log")
    z.add_argument("--media", action="store_true", help="forget stored media too")
    add("connections", "print connection and handshake counters")
    return p


def _print_json(obj):
    print(json.dumps(obj, ensure_ascii=False, indent=1))


def main(argv=None):
    args, extra = _parser().parse_known_args(argv)
    state_dir = getattr(args, "state_dir", None) or os.environ.get("EMU_STATE_DIR")
    if not state_dir:
        print("emu.py: --state-dir or $EMU_STATE_DIR is required", file=sys.stderr)
        return 2
    if extra and args.command != "start":
        print("emu.py: unknown arguments %s" % " ".join(extra), file=sys.stderr)
        return 2
    if extra[:1] == ["--"]:
        extra = extra[1:]
    try:
        return _run(args, state_dir, extra)
    except (EmuError, OSError, ValueError, http.client.HTTPException) as e:
        print("emu.py: %s" % e, file=sys.stderr)
        return 1


def _run(args, state_dir, extra):
    cmd = args.command
    if cmd == "start":
        client, _ = start(state_dir, extra)
        print(client.base_url)
        return 0
    if cmd == "stop":
        stop(state_dir)
        return 0
    client = Client(state_dir)
    if cmd == "url":
        print(client.base_url)
    elif cmd == "token":
        answer = client.gettoken()
        if answer.get("errcode") != 0:
            raise EmuError("gettoken: %s" % answer)
        print(answer["access_token"])
    elif cmd == "config":
        _print_json(client.config(json.loads(args.json) if args.json else None))
    elif cmd == "log":
        _print_json(client.log())
    elif cmd == "body":
        sys.stdout.buffer.write(client.request_body(args.index))
    elif cmd == "media":
        _print_json(client.media())
    elif cmd == "media-get":
        sys.stdout.buffer.write(client.media_get(args.media_id))
    elif cmd == "media-put":
        print(client.media_put(args.kind, args.filename, sys.stdin.buffer.read(), args.content_type))
    elif cmd == "media-replace":
        _print_json(client.media_replace(args.media_id, sys.stdin.buffer.read()))
    elif cmd in ("revoke", "expire"):
        _print_json(getattr(client, cmd)(args.token))
    elif cmd == "reset":
        _print_json(client.reset(args.media))
    elif cmd == "connections":
        _print_json(client.connections())
    return 0


if __name__ == "__main__":
    sys.exit(main())
