# SPDX-License-Identifier: MIT
"""wecom-media upload against the emulator: what arrives, what is refused
before a byte is sent, retries, tokens and secrets.

Every run of the tool goes through EmulatorCase.cli, which fails the test
if a token or secret shows in its output."""

import json
import os
import resource
import subprocess
import time
import unittest

from clitest import (CORPID, GETTOKEN, MIB, SECRET, UPLOAD, EmulatorCase, amr, jpeg, mp4,
                     png, sha256)


def fd_limit(n):
    """preexec_fn: at most n open files, so a descriptor leaked per file
    makes a later file fail with EMFILE."""
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return apply


class UploadKinds(EmulatorCase):
    """Each kind arrives byte for byte; output forms; sizes; pipes."""

    def kinds(self):
        return {
            "photo.jpg": (jpeg(30000), "image", "image/jpeg"),
            "shot.png": (png(20000), "image", "image/png"),
            "clip.amr": (amr(500), "voice", "audio/amr"),
            "movie.mp4": (mp4(40000), "video", "video/mp4"),
            "report.pdf": (b"%PDF-1.7\n" + os.urandom(5000), "file",
                           "application/octet-stream"),
        }

    def test_each_kind_arrives_intact_on_one_connection(self):
        files = self.kinds()
        paths = [self.write(name, data) for name, (data, _, _) in files.items()]
        before = self.handshakes()
        p = self.cli("upload", *paths)
        self.assertEqual(self.cli_handshakes(before), 1, "several files, one TLS handshake")
        self.assertEqual(self.handshakes()["api_connections"] - before["api_connections"], 1)
        ids = p.stdout.decode().splitlines()
        self.assertEqual(len(ids), len(files), p.stdout)
        self.assertEqual(p.stderr, b"", "a progress bar or chatter on a pipe")
        stored = {m["media_id"]: m for m in self.client.media()}
        log = self.uploads()
        self.assertEqual(len(log), len(files))
        # stdout order is the command line's order
        for media_id, entry, (name, (data, kind, ctype)) in zip(ids, log, files.items()):
            self.assertEqual(self.client.media_get(media_id), data, name)
            self.assertEqual(stored[media_id]["kind"], kind, name)
            self.assertEqual(stored[media_id]["filename"], name)
            self.assertEqual(entry["media_id"], media_id, name)
            self.assertEqual(entry["query"]["type"], kind, name)
            self.assertEqual(entry["part_content_type"], ctype, name)
            self.assertEqual(entry["filelength"], len(data), name)
            self.assertIsNone(entry["transfer_encoding"], name)

    def test_each_kind_with_its_type_given(self):
        by_kind = {}
        for name, (data, kind, _) in self.kinds().items():
            by_kind.setdefault(kind, []).append((self.write(name, data), data))
        for kind, entries in by_kind.items():
            p = self.cli("upload", "--type", kind, *[path for path, _ in entries])
            ids = p.stdout.decode().splitlines()
            self.assertEqual(len(ids), len(entries), kind)
            for media_id, (path, data) in zip(ids, entries):
                self.assertEqual(self.client.media_get(media_id), data, path)
        self.assertEqual(sorted(e["query"]["type"] for e in self.uploads()),
                         ["file", "image", "image", "video", "voice"])

    def check_json_lines(self, out, paths):
        lines = out.decode().splitlines()
        self.assertEqual(len(lines), len(paths), out)
        stored = {m["media_id"]: m for m in self.client.media()}
        for line, path in zip(lines, paths):
            obj = json.loads(line)
            self.assertEqual(obj["type"], "image")
            self.assertIn(obj["media_id"], stored)
            with open(path, "rb") as f:
                self.assertEqual(self.client.media_get(obj["media_id"]), f.read())
            self.assertIsInstance(obj["created_at"], str, line)
            self.assertRegex(obj["created_at"], r"\A[0-9]{9,12}\Z")
            self.assertEqual(int(obj["created_at"]), stored[obj["media_id"]]["created_at"])

    def test_json_output(self):
        paths = [self.write("a.jpg", jpeg(1000)), self.write("b.png", png(1200))]
        p = self.cli("upload", *paths, global_args=("--json",))
        self.check_json_lines(p.stdout, paths)

    def test_json_created_at_sent_as_a_number(self):
        paths = [self.write("a.jpg", jpeg(1000))]
        self.client.config(created_at_number=True)
        p = self.cli("upload", *paths, global_args=("--json",))
        self.check_json_lines(p.stdout, paths)

    def test_twenty_mebibytes(self):
        data = os.urandom(20 * MIB)
        path = self.write("big.bin", data)
        media_id = self.cli("upload", "--type", "file", path).stdout.decode().strip()
        stored = {m["media_id"]: m for m in self.client.media()}[media_id]
        self.assertEqual(stored["size"], 20971520)
        self.assertEqual(stored["sha256"], sha256(data))
        self.assertEqual(self.uploads()[0]["part_size"], 20971520)

    def test_pipe_with_length(self):
        data = os.urandom(300000)
        path = self.write("src.bin", data)
        with subprocess.Popen(["cat", path], stdout=subprocess.PIPE) as cat:
            p = self.cli("upload", "--type", "file", "--length", str(len(data)), "-",
                         stdin=cat.stdout)
        media_id = p.stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), data)
        self.assertTrue(self.uploads()[0]["filename"], "a pipe still gets a file name")
        # --name names what comes from a pipe
        p = self.cli("upload", "--type", "file", "--length", str(len(data)),
                     "--name", "从管道.bin", "-", stdin=data)
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)
        self.assertEqual(self.uploads()[1]["filename"], "从管道.bin")

    def test_pipe_without_or_beyond_its_length(self):
        data = os.urandom(300000)
        # without --length it is spooled, then sent with its exact length
        p = self.cli("upload", "--type", "file", "-", stdin=data)
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)
        self.assertEqual(self.uploads()[0]["part_size"], len(data))
        self.client.reset(media=True)
        # the pipe ends before the length given: refused, nothing stored
        p = self.cli("upload", "--type", "file", "--length", str(len(data) + 1000), "-",
                     stdin=data, expect=3)
        self.assertIn("length", p.stderr.decode())
        self.assertEqual(p.stdout, b"")
        self.assertEqual(self.client.media(), [])
        self.assertNotIn("answered", [e["outcome"] for e in self.uploads()])


class UploadNames(EmulatorCase):
    """The name WeCom shows is the file's, as the user wrote it."""

    def upload_name(self, path, *opts):
        self.cli("upload", *opts, path)
        return self.uploads()[-1]["filename"]

    def test_chinese_name_unchanged(self):
        data = jpeg(500)
        self.assertEqual(self.upload_name(self.write("测试 图片.jpg", data)), "测试 图片.jpg")
        self.assertEqual(self.client.media()[0]["filename"], "测试 图片.jpg")

    def test_quote_and_path_prefix(self):
        path = self.write(os.path.join("sub", "dir", 'say "cheese".jpg'), jpeg(500))
        self.assertEqual(self.upload_name(path), 'say "cheese".jpg')
        # a relative path with ../ in it: still the last component
        rel = os.path.join("sub", "..", "sub", "dir", 'say "cheese".jpg')
        p = self.cli("upload", rel)
        self.assertTrue(p.stdout.strip())
        self.assertEqual(self.uploads()[-1]["filename"], 'say "cheese".jpg')

    def test_name_option_overrides(self):
        path = self.write("x.jpg", jpeg(500))
        self.assertEqual(self.upload_name(path, "--name", "门铃快照.jpg"), "门铃快照.jpg")
        self.assertEqual(self.upload_name(path, "--name", "门铃/快照.jpg"), "快照.jpg")
        self.assertEqual(self.upload_name(path, "--name", "../../etc/x.jpg"), "x.jpg")

    def test_backslash_and_control_characters(self):
        self.assertEqual(self.upload_name(self.write("a\\b.jpg", jpeg(500))), "a\\b.jpg")
        self.assertEqual(self.upload_name(self.write("line\nbreak\r\t.jpg", jpeg(500))),
                         "linebreak.jpg")

    def test_long_name_is_bounded(self):
        path = self.write("x.jpg", jpeg(500))
        long_name = "长" * 200 + ".jpg"           # 604 bytes of UTF-8
        got = self.upload_name(path, "--name", long_name)
        self.assertLessEqual(len(got.encode()), 255)
        # cut on a character boundary, keeping the extension
        self.assertTrue(got.endswith(".jpg"), got)
        self.assertTrue(long_name.startswith(got[:-4]), "cut inside a character: %r" % got)
        self.assertEqual(len(got.encode()), 83 * 3 + 4)


# name, bytes, --type, what the refusal must say (limit and actual value),
# and the errcode the emulator (like WeCom) gives it with --no-check.
def refusals():
    return [
        ("empty.bin", b"", "file", ["of 0 bytes", "more than 5"], 44001),
        ("tiny.jpg", b"\xff\xd8\xff\xe0\x00", "image", ["of 5 bytes", "more than 5"], 40006),
        ("big.jpg", jpeg(2 * MIB + 1), "image",
         ["2097153 bytes", "limit of 2097152 bytes"], 40009),
        ("fake.jpg", b"GIF89a" + bytes(100), "image", ["unrecognised", "JPG or PNG"], 40004),
        ("fake.png", b"\x89PNX\r\n\x1a\n" + bytes(100), "image",
         ["unrecognised", "JPG or PNG"], 40004),
        ("voice.wav", b"RIFF\x00\x00\x00\x00WAVE" + bytes(100), "voice",
         ["unrecognised", "AMR"], 40004),
        ("wide.amr", b"#!AMR-WB\n" + bytes(100), "voice", ["AMR-WB"], 40004),
        ("long.amr", amr(3001, 15), "voice",
         ["60020 ms", "limit of 60000 ms"], 45007),
        ("huge.amr", amr(2 * MIB // 32, 7), "voice",   # 6 bytes over
         ["%d bytes" % (6 + 2 * MIB), "limit of 2097152 bytes"], 40006),
        ("clip.mov", b"\x00\x00\x00\x14moov" + bytes(100), "video",
         ["unrecognised", "MP4"], 40004),
        ("big.mp4", mp4(10 * MIB + 1), "video",
         ["10485761 bytes", "limit of 10485760 bytes"], 40011),
        ("huge.bin", b"x" * (20 * MIB + 1), "file",
         ["20971521 bytes", "limit of 20971520 bytes"], 45001),
    ]


class UploadRefusals(EmulatorCase):
    """A file WeCom would refuse is refused before a byte of it is sent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cases = refusals()

    def test_refused_before_sending(self):
        before = self.handshakes()
        for name, data, kind, says, _ in self.cases:
            with self.subTest(name=name):
                path = self.write(name, data)
                p = self.cli("upload", "--type", kind, path, expect=6)
                err = p.stderr.decode()
                self.assertIn(path, err)
                self.assertIn("not sent", err)
                for words in says:
                    self.assertIn(words, err)
                self.assertEqual(p.stdout, b"")
        self.assertEqual(self.cli_handshakes(before), 0,
                         "the tool connected although it had nothing to send")
        self.assertEqual(self.client.log(), [], "the emulator received a request")

    def test_limits_are_inclusive(self):
        accepted = [
            ("six.bin", os.urandom(6), "file"),
            ("exact.jpg", jpeg(2 * MIB), "image"),
            ("minute.amr", amr(3000, 15), "voice"),  # 3000 frames: exactly 60 s
            ("minute2.amr", amr(3000, 7), "voice"),
        ]
        for name, data, kind in accepted:
            with self.subTest(name=name):
                media_id = self.cli("upload", "--type", kind,
                                    self.write(name, data)).stdout.decode().strip()
                self.assertEqual(self.client.media_get(media_id), data)

    def test_no_check_sends_anyway(self):
        for name, data, kind, _, code in self.cases:
            with self.subTest(name=name):
                self.client.reset()
                path = self.write(name, data)
                p = self.cli("upload", "--type", kind, "--no-check", path, expect=5)
                self.assertIn("errcode %d" % code, p.stderr.decode())
                log = self.uploads()
                self.assertEqual(len(log), 1, "sent once, WeCom's refusal not retried")
                self.assertEqual(log[0]["errcode"], code)
                if data:
                    self.assertEqual(log[0]["part_size"], len(data), "sent whole")
        self.assertEqual(self.client.media(), [])

    def test_refused_file_among_good_ones(self):
        a = self.write("a.jpg", jpeg(1000))
        bad = self.write("bad.jpg", b"GIF89a" + bytes(100))
        b = self.write("b.png", png(1000))
        p = self.cli("upload", "--type", "image", a, bad, b, expect=6)
        ids = p.stdout.decode().splitlines()
        self.assertEqual(len(ids), 2)
        self.assertEqual(self.client.media_get(ids[0]), self.read("a.jpg"))
        self.assertEqual(self.client.media_get(ids[1]), self.read("b.png"))
        self.assertIn("bad.jpg", p.stderr.decode())
        self.assertEqual(len(self.uploads()), 2)

    def test_refused_files_leak_no_descriptor(self):
        bad = [self.write("bad%02d.jpg" % i, b"GIF89a" + bytes(100)) for i in range(40)]
        good = self.write("good.jpg", jpeg(1000))
        p = self.cli("upload", "--type", "image", *bad, good, expect=6,
                     preexec_fn=fd_limit(12))
        ids = p.stdout.decode().splitlines()
        self.assertEqual(len(ids), 1, p.stderr.decode()[-300:])
        self.assertEqual(self.client.media_get(ids[0]), self.read("good.jpg"))


# A body larger than what loopback's socket buffers take in (some 4 MiB
# for the sender, more for the receiver): cut at a small offset, its last
# byte is never written, so the tool knows the server did not get it all
# and sends it again. A body the buffers swallowed whole counts as sent
# (see UploadUnconfirmed).
BEYOND_BUFFERS = 12 * MIB


class UploadFaults(EmulatorCase):
    """Dropped connections, busy and rate-limited answers, bad tokens."""

    def drop_uploads(self, at, count):
        self.client.config(fault={"kind": "drop_request_after", "bytes": at,
                                  "count": count, "path": "/cgi-bin/media/upload"})

    def test_dropped_mid_body_is_retried_whole(self):
        data = os.urandom(BEYOND_BUFFERS)
        path = self.write("d.bin", data)
        self.drop_uploads(MIB, 1)
        p = self.cli("upload", "--type", "file", path, global_args=("-v",))
        media_id = p.stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), data)
        log = self.uploads()
        self.assertEqual([e["outcome"] for e in log], ["dropped", "answered"])
        self.assertLess(log[0]["body_length"], log[0]["content_length"], "not cut mid-body")
        self.assertEqual(log[1]["body_length"], log[1]["content_length"])
        self.assertEqual(log[1]["part_size"], len(data))
        self.assertEqual(log[1]["filename"], "d.bin")
        self.assertIn("2 attempt", p.stderr.decode())

    def test_retries_exhausted_then_next_command_works(self):
        path = self.write("a.bin", os.urandom(BEYOND_BUFFERS))
        self.drop_uploads(100000, 1000)
        started = time.monotonic()
        p = self.cli("upload", "--type", "file", path, expect=4)
        self.assertLess(time.monotonic() - started, 30, "retries are not bounded")
        err = p.stderr.decode()
        self.assertEqual(p.stdout, b"")
        self.assertIn("a.bin", err)
        self.assertIn("connection closed", err)
        self.assertEqual(len(err.strip().splitlines()), 1, "one clean message: %r" % err)
        self.assertTrue(err.rstrip("\n").isprintable(), "control bytes in %r" % err)
        attempts = len(self.uploads())
        self.assertGreaterEqual(attempts, 2, "never retried")
        self.assertLessEqual(attempts, 8)
        self.assertEqual(self.client.media(), [])
        # the server heals: the next command works
        self.client.reset()
        media_id = self.cli("upload", "--type", "file", path).stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), self.read("a.bin"))

    def test_failed_file_then_the_next_in_the_same_command(self):
        # how many attempts one file gets (a build setting)
        probe = self.write("probe.bin", os.urandom(BEYOND_BUFFERS))
        self.drop_uploads(1000, 1000)
        self.cli("upload", "--type", "file", probe, expect=4)
        attempts = len(self.uploads())
        # two files that fail every attempt, then one that goes; with few
        # descriptors allowed, a socket or file leaked per attempt shows
        self.client.reset()
        bad1 = self.write("bad1.bin", os.urandom(BEYOND_BUFFERS))
        bad2 = self.write("bad2.bin", os.urandom(BEYOND_BUFFERS))
        good = self.write("good.bin", os.urandom(200000))
        self.drop_uploads(100000, 2 * attempts)
        p = self.cli("upload", "--type", "file", bad1, bad2, good, expect=4,
                     preexec_fn=fd_limit(8))
        ids = p.stdout.decode().splitlines()
        self.assertEqual(len(ids), 1, p.stderr.decode())
        self.assertEqual(self.client.media_get(ids[0]), self.read("good.bin"))
        self.assertIn("bad1.bin", p.stderr.decode())
        self.assertIn("bad2.bin", p.stderr.decode())
        self.assertEqual(len(self.uploads()), 2 * attempts + 1)

    def test_busy_is_retried(self):
        data = jpeg(100000)
        path = self.write("a.jpg", data)
        self.client.config(force_errcode={"errcode": -1, "count": 1})
        media_id = self.cli("upload", path).stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), data)
        log = self.uploads()
        self.assertEqual([e["errcode"] for e in log], [-1, 0])
        self.assertEqual(log[1]["part_size"], len(data))

    def test_busy_forever_gives_up(self):
        path = self.write("a.jpg", jpeg(1000))
        self.client.config(force_errcode={"errcode": -1, "count": 1000})
        p = self.cli("upload", path, expect=5)
        self.assertIn("errcode -1", p.stderr.decode())
        self.assertLessEqual(len(self.uploads()), 8)

    def test_retry_zero_sends_one_request(self):
        path = self.write("a.jpg", jpeg(1000))
        self.client.config(force_errcode={"errcode": -1, "count": 1})
        p = self.cli("--retry", "0", "upload", path, expect=5)
        self.assertIn("errcode -1", p.stderr.decode())
        self.assertEqual([e["errcode"] for e in self.uploads()], [-1])
        # a refused connect is not tried again either
        self.client.reset()
        p = self.cli("--retry", "0", "--base-url", "https://127.0.0.1:1", "-v",
                     "upload", path, expect=4)
        self.assertNotIn("retry 1", p.stderr.decode())

    def test_verbose_names_each_retry(self):
        data = jpeg(1000)
        path = self.write("a.jpg", data)
        self.client.config(force_errcode={"errcode": -1, "count": 2})
        p = self.cli("--retry", "2", "upload", path, global_args=("-v",))
        media_id = p.stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), data)
        err = p.stderr.decode()
        self.assertRegex(err, r"retry 1 after errcode -1, in \d+ ms")
        self.assertRegex(err, r"retry 2 after errcode -1, in \d+ ms")
        self.assertNotIn("retry 3", err)
        self.assertEqual([e["errcode"] for e in self.uploads()], [-1, -1, 0])
        # one retry allowed: the second -1 is the answer
        self.client.reset()
        self.client.config(force_errcode={"errcode": -1, "count": 2})
        self.cli("--retry", "1", "upload", path, expect=5)
        self.assertEqual(len(self.uploads()), 2)

    def test_retry_options_are_checked(self):
        for opt, value in (("--retry", "-1"), ("--retry", "x"), ("--retry", "101"),
                           ("--retry-max-time", "soon")):
            with self.subTest(opt=opt, value=value):
                p = self.cli(opt, value, "upload", "a.jpg", expect=2)
                self.assertIn(opt, p.stderr.decode())

    def test_rate_limit_fails_fast(self):
        path = self.write("a.jpg", jpeg(1000))
        self.client.config(force_errcode={"errcode": 45009, "count": 1})
        started = time.monotonic()
        p = self.cli("upload", path, expect=8)
        self.assertLess(time.monotonic() - started, 3)
        self.assertIn("errcode 45009", p.stderr.decode())
        self.assertEqual(len(self.uploads()), 1, "a rate-limited call was repeated")

    def test_revoked_or_expired_token_given(self):
        for how, code in (("revoke", 40014), ("expire", 42001)):
            with self.subTest(how=how):
                token = self.client.gettoken()["access_token"]
                self.never_print.add(token)
                getattr(self.client, how)(token)
                p = self.cli("upload", self.write("a.jpg", jpeg(1000)),
                             env={"WECOM_ACCESS_TOKEN": token}, expect=7)
                self.assertIn("errcode %d" % code, p.stderr.decode())
                self.assertEqual(self.client.media(), [])

    def test_token_refreshed_and_body_sent_again_whole(self):
        data = os.urandom(500000)
        path = self.write("r.bin", data)
        for code in (42001, 40014):
            with self.subTest(errcode=code):
                self.client.reset()
                self.client.config(force_errcode={"errcode": code, "count": 1,
                                                  "path": "/cgi-bin/media/upload"})
                p = self.cli("--corpid", CORPID, "upload", "--type", "file", path,
                             env={"WECOM_CORPSECRET": SECRET}, token=False,
                             global_args=("-v",))
                media_id = p.stdout.decode().strip()
                self.assertEqual(self.client.media_get(media_id), data)
                self.assertEqual(len(self.requests(GETTOKEN)), 2, "token not fetched again")
                log = self.uploads()
                self.assertEqual([e["errcode"] for e in log], [code, 0])
                self.assertEqual(log[1]["part_size"], len(data))


class UploadUnconfirmed(EmulatorCase):
    """A body that went out whole is never sent again: when its answer is
    lost the tool says the file may have been stored, and stops."""

    def fault(self, *faults):
        self.client.config(fault=[dict(f, path=UPLOAD) for f in faults])

    def assert_unconfirmed(self, p, path):
        err = p.stderr.decode()
        self.assertIn(os.path.basename(path), err)
        self.assertIn("may have been stored", err)
        self.assertEqual(len(err.strip().splitlines()), 1, "one clean message: %r" % err)

    def test_answer_that_never_comes(self):
        path = self.write("stall.bin", os.urandom(300000))
        self.fault({"kind": "stall", "ms": 4000})
        started = time.monotonic()
        p = self.cli("upload", "--type", "file", path, timeout="1", expect=4)
        self.assertLess(time.monotonic() - started, 3.5, "waited past --timeout")
        self.assert_unconfirmed(p, path)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(len(self.uploads()), 1, "the body was sent again")
        self.assertEqual(len(self.client.media()), 1)

    def test_connection_dropped_after_the_body(self):
        path = self.write("drop.bin", os.urandom(300000))
        self.fault({"kind": "drop_response_after", "bytes": 0})
        p = self.cli("upload", "--type", "file", path, expect=4)
        self.assert_unconfirmed(p, path)
        log = self.uploads()
        self.assertEqual(len(log), 1, "the body was sent again")
        self.assertEqual(log[0]["body_length"], log[0]["content_length"])
        self.assertEqual(len(self.client.media()), 1)

    def test_kept_connection_dropped_after_the_body(self):
        # the second file goes on the connection the first one opened
        first = self.write("first.jpg", jpeg(2000))
        second = self.write("second.jpg", jpeg(2000))
        self.fault({"kind": "stall", "ms": 0, "count": 1},
                   {"kind": "drop_response_after", "bytes": 0, "count": 1})
        p = self.cli("upload", first, second, expect=4)
        ids = p.stdout.decode().splitlines()
        self.assertEqual(len(ids), 1)
        self.assertEqual(self.client.media_get(ids[0]), self.read("first.jpg"))
        self.assert_unconfirmed(p, second)
        self.assertEqual(len(self.uploads()), 2, "the second body was sent again")

    def test_failures_before_the_body_is_in_are_still_retried(self):
        data = os.urandom(BEYOND_BUFFERS)
        path = self.write("mid.bin", data)
        self.client.config(fault={"kind": "drop_request_after", "bytes": 100000,
                                  "count": 2, "path": UPLOAD})
        p = self.cli("upload", "--type", "file", path)
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)
        self.assertEqual([e["outcome"] for e in self.uploads()],
                         ["dropped", "dropped", "answered"])


# Bytes that would drive a terminal: ESC sequences (clear screen, set the
# window title), BEL, CR (overwrite the line), NUL, DEL and C1's CSI.
# A NUL ends the C string: what follows it is dropped, never shown.
HOSTILE_TEXT = "\x1b[2J\x07over\rwrite\x7f\x1b]0;pwned\x07\u009b31m\x00tail"


def terminal_safe(stream):
    """Nothing but printable text and line ends, as UTF-8 without C1."""
    text = stream.decode("utf-8")
    return all(ch == "\n" or (ch.isprintable() and not 0x80 <= ord(ch) <= 0x9f)
               for ch in text)


class TerminalTrust(EmulatorCase):
    """What the server says is shown escaped; option values never shown."""

    def test_errmsg_is_escaped(self):
        self.client.config(force_errcode={"errcode": 40004, "errmsg": HOSTILE_TEXT,
                                          "path": UPLOAD})
        p = self.cli("upload", self.write("a.jpg", jpeg(1000)), expect=5)
        self.assertTrue(terminal_safe(p.stderr), p.stderr)
        err = p.stderr.decode()
        self.assertIn("errcode 40004", err)
        self.assertIn("\\x1B[2J\\x07over\\x0Dwrite", err)
        self.assertIn("\\xC2\\x9B31m", err)

    def test_gettoken_errmsg_is_escaped(self):
        self.client.config(force_errcode={"errcode": 40001, "errmsg": HOSTILE_TEXT,
                                          "path": GETTOKEN})
        p = self.cli("--corpid", CORPID, "token", env={"WECOM_CORPSECRET": SECRET},
                     token=False, expect=7)
        self.assertTrue(terminal_safe(p.stderr), p.stderr)
        self.assertIn("\\x1B]0;pwned", p.stderr.decode())

    def test_file_name_with_controls_is_escaped(self):
        path = self.write("evil\x1b[2J\r.jpg", b"GIF89a" + bytes(100))
        p = self.cli("upload", "--type", "image", path, expect=6)
        self.assertTrue(terminal_safe(p.stderr), p.stderr)
        self.assertIn("evil\\x1B[2J\\x0D.jpg", p.stderr.decode())

    def test_json_output_escapes_controls(self):
        name = "a\x1b[2J\x7f\u009b\u202e.jpg"   # ESC, DEL, C1 CSI, RIGHT-TO-LEFT OVERRIDE
        path = self.write(name, jpeg(1000))
        p = self.cli("upload", path, global_args=("--json",))
        self.assertTrue(terminal_safe(p.stdout), p.stdout)
        self.assertNotIn(b"\xe2\x80\xae", p.stdout)
        obj = json.loads(p.stdout.decode())
        self.assertEqual(obj["file"], path)
        self.assertEqual(self.client.media_get(obj["media_id"]), self.read(name))

    def test_option_values_never_shown(self):
        value = "SECRETVALUE"
        f = self.write("a.jpg", jpeg(1000))
        cases = [
            (["--toke=" + value, "upload", f], "--toke"),     # ambiguous: --token, --token-file
            (["--tok=" + value, "upload", f], "--tok"),
            (["--json=" + value, "upload", f], "--json"),     # takes no value
            (["--nosuch=" + value, "upload", f], "--nosuch"),
            (["-vZ" + value, "upload", f], "-Z"),
            (["upload", "--bogus=" + value, f], "--bogus"),
            (["upload", "--no-check=" + value, f], "--no-check"),
            (["upload", "--t=" + value, f], None),            # --type, a bad type
            (["download", "--c=" + value, "ID"], "--c"),      # --continue, --chunk, --clobber
            (["download", "--output=" + value + "x", "--bogus=" + value, "ID"], "--bogus"),
            (["download", "--continue=" + value, "ID"], "--continue"),
            (["token", "--x=" + value], None),
        ]
        for argv, name in cases:
            with self.subTest(argv=argv):
                p = self.cli(*argv, expect=2)
                self.assertNotIn(value.encode(), p.stdout + p.stderr)
                if name is not None:
                    self.assertIn("'%s'" % name, p.stderr.decode())
        # a value given to --base-url by its abbreviation is not echoed either
        p = self.cli("--base=" + value, "upload", f, expect=2)
        self.assertNotIn(value.encode(), p.stdout + p.stderr)
        self.assertEqual(self.client.log(), [], "the tool went on after a bad option")


class Credentials(EmulatorCase):
    """Secrets stay off the command line; gettoken through --corpid."""

    def test_secret_never_on_the_command_line(self):
        value = "s3cr3t-value"
        for argv in (["--secret", value], ["--corpsecret", value],
                     ["--secret=" + value], ["--corpsecret=" + value]):
            with self.subTest(argv=argv):
                p = self.cli(*argv, "--corpid", CORPID, "upload",
                             self.write("a.jpg", jpeg(1000)), expect=2, token=False)
                self.assertIn("visible to every user", p.stderr.decode())
                self.assertNotIn(value.encode(), p.stderr + p.stdout)
        self.assertEqual(self.client.log(), [], "the tool went on with a secret in argv")

    def test_token_command_prints_a_token_that_works(self):
        p = self.cli("--corpid", CORPID, "token", "--show", env={"WECOM_CORPSECRET": SECRET},
                     token=False, allow_stdout=(), global_args=("-v",))
        fetched = p.stdout.decode().strip()
        self.assertRegex(fetched, r"\A[A-Za-z0-9_-]{16,}\Z")
        self.assertNotIn(fetched.encode(), p.stderr)
        self.never_print.add(fetched)
        self.assertEqual(self.requests(GETTOKEN)[0]["query"]["corpid"], CORPID)
        data = jpeg(1000)
        p = self.cli("upload", self.write("a.jpg", data), token=False,
                     env={"WECOM_ACCESS_TOKEN": fetched})
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)
        self.assertEqual(self.uploads()[0]["token_state"], "valid")

    def test_secret_file_and_corpid_for_upload(self):
        data = jpeg(1000)
        path = self.write("a.jpg", data)
        secret_file = self.write("secret", (SECRET + "\n").encode())
        os.chmod(secret_file, 0o600)
        p = self.cli("--corpid", CORPID, "--secret-file", secret_file, "upload", path, path,
                     token=False)
        ids = p.stdout.decode().splitlines()
        self.assertEqual(len(ids), 2)
        for media_id in ids:
            self.assertEqual(self.client.media_get(media_id), data)
        self.assertEqual(len(self.requests(GETTOKEN)), 1, "one token for the whole command")

    def test_wrong_secret(self):
        wrong = "wrong-secret-value"
        self.never_print.add(wrong)
        p = self.cli("--corpid", CORPID, "token", env={"WECOM_CORPSECRET": wrong},
                     token=False, expect=7)
        self.assertIn("errcode 40001", p.stderr.decode())
        self.assertEqual(p.stdout, b"")
        p = self.cli("--corpid", CORPID, "upload", self.write("a.jpg", jpeg(1000)),
                     env={"WECOM_CORPSECRET": wrong}, token=False, expect=7)
        self.assertIn("errcode 40001", p.stderr.decode())
        self.assertEqual(self.uploads(), [])


if __name__ == "__main__":
    unittest.main()
