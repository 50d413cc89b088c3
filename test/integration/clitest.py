# SPDX-License-Identifier: MIT
"""What the end-to-end tests of the wecom-media tool share: an emulator per
test class, a runner for the tool that checks no secret ever shows in its
output, counters of what the emulator saw, and small media files of each
kind.

The tool's path comes from $WECOM_CLI (ctest sets it to
$<TARGET_FILE:wecom-media>); a test run without it is an error, never a
silent run of some other wecom-media found on PATH.

Every test class starts its own emulator on an ephemeral port in its own
temporary directory, and every test works in its own temporary directory,
so any number of these run in parallel.
"""

import hashlib
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))
import emu  # noqa: E402

CLI = os.environ.get("WECOM_CLI", "")
CORPID = "wwemulator"
SECRET = "emulator-secret"
MIB = 1048576

UPLOAD = "/cgi-bin/media/upload"
MEDIA_GET = "/cgi-bin/media/get"
GETTOKEN = "/cgi-bin/gettoken"


def check_cli():
    if not CLI or not os.access(CLI, os.X_OK):
        raise RuntimeError(
            "set WECOM_CLI to the wecom-media binary to test (ctest does); got %r" % CLI)


def process_ended(pidfile):
    """Whether the process whose pid pidfile holds has ended (gone, or a
    zombie nobody has waited for yet), a moment after the caller's run."""
    with open(pidfile) as f:
        pid = int(f.read())
    time.sleep(0.2)
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def fifo_opened(path):
    """Plant a FIFO at path with a writer blocked on it (a daemon thread:
    it may stay blocked for ever). The Event returned is set once anyone
    opens the FIFO for reading, which releases the writer."""
    os.mkfifo(path, 0o600)
    opened = threading.Event()

    def writer():
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError:
            return
        opened.set()
        os.close(fd)
    threading.Thread(target=writer, daemon=True).start()
    time.sleep(0.2)
    return opened


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# -- media of each kind ------------------------------------------------------

def jpeg(size):
    head = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
    return (head + os.urandom(size))[:size - 2] + b"\xff\xd9"


def png(size):
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13)
    return (head + os.urandom(size))[:size]


# Speech bytes after the one-byte header, by AMR-NB frame type (15: NO_DATA).
AMR_PAYLOAD = [12, 13, 15, 17, 19, 20, 26, 31, 5, -1, -1, -1, -1, -1, -1, 0]


def amr(frames, frame_type=7):
    """An AMR-NB file of `frames` frames of one type (each 20 ms)."""
    frame = bytes([(frame_type << 3) | 0x04]) + os.urandom(AMR_PAYLOAD[frame_type])
    return b"#!AMR\n" + frame * frames


def mp4(size):
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return (head + os.urandom(size))[:size]


# -- the test base -----------------------------------------------------------

class EmulatorCase(unittest.TestCase):
    """A test class with its own emulator on an ephemeral port."""

    emulator_args = []

    @classmethod
    def setUpClass(cls):
        check_cli()
        cls.state = tempfile.mkdtemp(prefix="wecom-e2e-emu-")
        cls.token = "tok" + secrets.token_urlsafe(48)
        # Every token and secret this class ever sees: none may be printed.
        cls.never_print = {cls.token, SECRET}
        # Everything the tool printed in this class, scanned again at the
        # end for every token the emulator ever issued (tearDownClass).
        cls.printed = []
        cls.client, cls.proc = emu.start(cls.state, ["--token", cls.token] + cls.emulator_args)
        with open(os.path.join(cls.state, "url")) as f:
            cls.url = f.read().strip()
        cls.ca = os.path.join(cls.state, "ca.pem")

    @classmethod
    def tearDownClass(cls):
        try:
            leaks = cls.scan_for_secrets()
        finally:
            emu.stop(cls.state, cls.proc)
        try:
            if leaks:
                raise AssertionError("a token or secret was printed or logged: %s" % leaks)
        finally:
            shutil.rmtree(cls.state, ignore_errors=True)

    @classmethod
    def scan_for_secrets(cls):
        """Every token the emulator issued in this class (gettoken's too)
        and the secret, against everything the tool printed (less the
        stdout a test allowed to show a token) and the emulator's logs.
        Returns where each hit was."""
        try:
            secrets_ = set(cls.client.tokens()) | cls.never_print
        except Exception:  # an emulator without /_emu/tokens: the known ones
            secrets_ = set(cls.never_print)
        streams = list(cls.printed)
        for name in ("requests.log", "emulator.out", "emulator.err"):
            try:
                with open(os.path.join(cls.state, name), "rb") as f:
                    streams.append(("emulator " + name, f.read(), ()))
            except OSError:
                pass
        hits = []
        for where, data, allow in streams:
            for s in secrets_:
                if s and s not in allow and s.encode() in data:
                    hits.append("%s (%d bytes)" % (where, len(data)))
                    break
        return hits

    def setUp(self):
        self.client.reset(media=True)
        self.work = tempfile.mkdtemp(prefix="wecom-e2e-work-")
        self.addCleanup(shutil.rmtree, self.work, True)

    # -- files in the test's own directory --

    def path(self, name):
        return os.path.join(self.work, name)

    def write(self, name, data):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def assert_file(self, name, data, msg=None):
        """FILE holds exactly `data`, and neither FILE.part nor its .info
        is left beside it."""
        self.assertTrue(os.path.exists(self.path(name)), msg or "%s missing" % name)
        got = self.read(name)
        if got != data:
            self.fail("%s: %d bytes (sha256 %s), expected %d (sha256 %s)%s" % (
                name, len(got), sha256(got)[:16], len(data), sha256(data)[:16],
                ": " + msg if msg else ""))
        for extra in (".part", ".part.info"):
            self.assertFalse(os.path.exists(self.path(name + extra)),
                             "%s%s left behind%s" % (name, extra, ": " + msg if msg else ""))

    # -- the tool --

    def assert_no_secret(self, *streams, allow=()):
        for secret in self.never_print:
            if secret in allow:
                continue
            for stream in streams:
                if secret.encode() in stream:
                    self.fail("a token or secret was printed: %r" % stream[:300])

    def cli_cmd(self, args, global_args=(), timeout="10"):
        return [CLI, "--base-url", self.url, "--cacert", self.ca, "--timeout", timeout,
                *global_args, *args]

    def cli_env(self, env=None, token=True):
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
        if token:
            full_env["WECOM_ACCESS_TOKEN"] = self.token
        full_env.update(env or {})
        return full_env

    def cli(self, *args, env=None, stdin=None, cwd=None, token=True, expect=0,
            global_args=(), timeout="10", allow_stdout=(), preexec_fn=None):
        """Run the tool against the emulator; check its exit code and that
        no token or secret appears in what it printed (stdout may show the
        ones in allow_stdout: `wecom-media token` prints its token)."""
        cmd = self.cli_cmd(args, global_args, timeout)
        run = dict(cwd=cwd or self.work, env=self.cli_env(env, token),
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180,
                   preexec_fn=preexec_fn)
        if isinstance(stdin, (bytes, bytearray)):
            run["input"] = stdin
        else:
            run["stdin"] = stdin if stdin is not None else subprocess.DEVNULL
        p = subprocess.run(cmd, **run)
        what = "wecom-media %s" % " ".join(args)[:80]
        self.printed.append((what + " stderr", p.stderr, ()))
        # `token --show` prints a token on stdout by design; whatever else
        # a test allowed there is taken out before the scan.
        if "--show" not in args:
            out = p.stdout
            for s in allow_stdout:
                out = out.replace(s.encode(), b"")
            self.printed.append((what + " stdout", out, ()))
        self.assert_no_secret(p.stderr)
        self.assert_no_secret(p.stdout, allow=allow_stdout)
        if expect is not None and p.returncode != expect:
            self.fail("wecom-media %s exited %d, expected %d\nstdout: %r\nstderr: %s" % (
                " ".join(args), p.returncode, expect, p.stdout[:300],
                p.stderr.decode(errors="replace")))
        return p

    def cli_at_once(self, args, env, count, label):
        """count runs of the tool started together; each must exit 0.
        Their (stdout, stderr) in start order, kept for the secret scan."""
        procs = [subprocess.Popen(self.cli_cmd(args), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
                 for _ in range(count)]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            self.printed.append((label, out + err, ()))
            self.assertEqual(proc.returncode, 0, err)
            results.append((out, err))
        return results

    def start_cli(self, *args, cwd=None, global_args=()):
        """The tool in the background (for interrupting it)."""
        return subprocess.Popen(self.cli_cmd(args, global_args), cwd=cwd or self.work,
                                env=self.cli_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def interrupt(self, proc, sig=signal.SIGINT):
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        self.printed.append(("interrupted wecom-media", out + err, ()))
        self.assert_no_secret(out, err)
        return proc.returncode

    def wait_for_size(self, name, size, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if os.path.getsize(self.path(name)) >= size:
                    return
            except OSError:
                pass
            time.sleep(0.01)
        self.fail("%s never reached %d bytes" % (name, size))

    # -- what the emulator saw --

    def requests(self, path):
        return [e for e in self.client.log() if e["path"] == path]

    def uploads(self):
        return self.requests(UPLOAD)

    def downloads(self):
        return self.requests(MEDIA_GET)

    def handshakes(self):
        """A counter snapshot (taking it costs one handshake of its own)."""
        return self.client.connections()

    def cli_handshakes(self, before):
        """TLS handshakes since `before` that were not the control API's
        own: the handshake of this snapshot is taken off."""
        after = self.client.connections()
        return after["handshakes"] - before["handshakes"] - 1

    def response_head_length(self, media_id):
        """Bytes of the head the emulator sends for a whole download."""
        ctx = ssl.create_default_context(cafile=self.ca)
        host, port = self.url.split("//")[1].rsplit(":", 1)
        with socket.create_connection((host, int(port))) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                s.sendall(("GET %s?access_token=%s&media_id=%s HTTP/1.1\r\n"
                           "Host: %s\r\n\r\n" % (MEDIA_GET, self.token, media_id,
                                                 host)).encode())
                buf = b""
                while b"\r\n\r\n" not in buf:
                    buf += s.recv(4096)
        self.client.reset()  # that request is not the test's (knobs reset too)
        return buf.index(b"\r\n\r\n") + 4
