"""What the end-to-end tests of the wecom-media tool share: an emulator per
test class, a runner for the tool that checks no secret ever shows in its
output, and small media files of each kind.

The tool's path comes from $WECOM_CLI (ctest sets it)."""

import hashlib
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))
import emu  # noqa: E402

CLI = os.environ.get("WECOM_CLI", "wecom-media")
CORPID = "wwemulator"
SECRET = "emulator-secret"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def jpeg(size):
    head = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
    return (head + os.urandom(size))[:size - 2] + b"\xff\xd9"


def png(size):
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13)
    return (head + os.urandom(size))[:size]


def amr(frames, frame_type=7):
    payload = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0][frame_type]
    frame = bytes([(frame_type << 3) | 0x04]) + bytes(payload)
    return b"#!AMR\n" + frame * frames


def mp4(size):
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return (head + os.urandom(size))[:size]


class EmulatorCase(unittest.TestCase):
    """A test class with its own emulator on an ephemeral port."""

    emulator_args = []

    @classmethod
    def setUpClass(cls):
        cls.state = tempfile.mkdtemp(prefix="wecom-e2e-")
        cls.token = "tok" + secrets.token_urlsafe(48)
        cls.client, cls.proc = emu.start(cls.state, ["--token", cls.token] + cls.emulator_args)
        with open(os.path.join(cls.state, "url")) as f:
            cls.url = f.read().strip()
        cls.ca = os.path.join(cls.state, "ca.pem")

    @classmethod
    def tearDownClass(cls):
        emu.stop(cls.state, cls.proc)
        shutil.rmtree(cls.state, ignore_errors=True)

    def setUp(self):
        self.client.reset()
        self.work = tempfile.mkdtemp(prefix="wecom-e2e-work-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def path(self, name):
        return os.path.join(self.work, name)

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def cli(self, *args, env=None, stdin=None, cwd=None, token=True, expect=0,
            global_args=()):
        """Run the tool against the emulator; check its exit code and that
        neither the token nor the secret appears in what it printed."""
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        if token:
            full_env["WECOM_ACCESS_TOKEN"] = self.token
        full_env.update(env or {})
        cmd = [CLI, "--base-url", self.url, "--cacert", self.ca, "--timeout", "10",
               *global_args, *args]
        p = subprocess.run(cmd, input=stdin, cwd=cwd or self.work, env=full_env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        for secret in (self.token, SECRET):
            for stream in (p.stdout, p.stderr):
                self.assertNotIn(secret.encode(), stream, "a secret was printed")
        if expect is not None and p.returncode != expect:
            self.fail("%s exited %d, expected %d\nstdout: %r\nstderr: %s" % (
                " ".join(args), p.returncode, expect, p.stdout[:300],
                p.stderr.decode(errors="replace")))
        return p

    def uploads(self):
        return [e for e in self.client.log() if e["path"] == "/cgi-bin/media/upload"]

    def downloads(self):
        return [e for e in self.client.log() if e["path"] == "/cgi-bin/media/get"]

    def response_head_length(self, media_id):
        """Bytes of the head the emulator sends for a whole download."""
        ctx = ssl.create_default_context(cafile=self.ca)
        host, port = self.url.split("//")[1].rsplit(":", 1)
        with socket.create_connection((host, int(port))) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                s.sendall(("GET /cgi-bin/media/get?access_token=%s&media_id=%s HTTP/1.1\r\n"
                           "Host: %s\r\n\r\n" % (self.token, media_id, host)).encode())
                buf = b""
                while b"\r\n\r\n" not in buf:
                    buf += s.recv(4096)
        return buf.index(b"\r\n\r\n") + 4
