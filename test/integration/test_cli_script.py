# SPDX-License-Identifier: MIT
"""A tool that scripts can rely on: exit codes that tell the cases apart,
--json for every outcome (failures included), options before or after the
command, per-command help, sizes and durations with units, -q and
--progress, --continue on a complete file, standard input spooled to its
exact length, -O's extension from the Content-Type, and the messages users
were confused by."""

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

from clitest import (CLI, CORPID, MEDIA_GET, MIB, SECRET, UPLOAD, EmulatorCase, amr, jpeg,
                     png)


def objects(stdout):
    """stdout as JSON objects, one a line (every line must be one)."""
    return [json.loads(line) for line in stdout.decode().splitlines()]


class ExitCodes(EmulatorCase):
    """Each case its own exit code, and with --json its own object."""

    def failure(self, code, *args, **kw):
        """Run with --json; the exit code must be `code` and stdout one
        failure object per file; return (objects, stderr)."""
        kw["global_args"] = ("--json",) + tuple(kw.get("global_args", ()))
        p = self.cli(*args, expect=code, **kw)
        objs = objects(p.stdout)
        for o in objs:
            self.assertEqual(o["exit"], code, o)
            for key in ("file", "error", "errcode", "errmsg", "message"):
                self.assertIn(key, o)
        return objs, p.stderr.decode()

    def test_0_success_as_json(self):
        path = self.write("a.jpg", jpeg(1000))
        p = self.cli("upload", path, global_args=("--json",))
        (o,) = objects(p.stdout)
        self.assertEqual(o["file"], path)
        self.assertEqual(o["type"], "image")
        self.assertEqual(self.client.media_get(o["media_id"]), self.read("a.jpg"))

    def test_3_media_id_lost_on_stdout(self):
        # The upload went, but its media_id could not be written: a script
        # would never learn it, so the run must not look like a success.
        path = self.write("a.jpg", jpeg(1000))
        with open("/dev/full", "wb") as full:
            p = subprocess.run([CLI, "--base-url", self.url, "--cacert", self.ca,
                                "upload", path], env=self.cli_env(), stdout=full,
                               stderr=subprocess.PIPE, timeout=20)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn(b"standard output: write error", p.stderr)

    def test_2_usage(self):
        objs, err = self.failure(2, "upload", "--no-such-option", "x.jpg")
        self.assertIn("--no-such-option", err)
        self.assertEqual(objs, [], "no file was tried: nothing to answer per file")
        p = self.cli("upload", expect=2)
        self.assertIn("no FILE", p.stderr.decode())

    def test_3_local_file(self):
        objs, err = self.failure(3, "upload", self.path("missing.jpg"))
        self.assertEqual(objs[0]["file"], self.path("missing.jpg"))
        self.assertEqual(objs[0]["error"], "local")
        self.assertIsNone(objs[0]["errcode"])
        self.assertIn("No such file", objs[0]["message"])
        self.assertEqual(self.uploads(), [])

    def test_4_network(self):
        path = self.write("a.jpg", jpeg(1000))
        objs, err = self.failure(4, "upload", path, self.write("b.jpg", jpeg(1000)),
                                 global_args=("--retry", "1", "--base-url", "https://127.0.0.1:1"))
        self.assertEqual(len(objs), 2, "one object per file")
        o = objs[0]
        self.assertEqual(objs[1]["message"], o["message"])
        self.assertEqual(o["error"], "network")
        self.assertEqual(o["code"], "WECOM_ERR_CONNECT")
        # the host, the address tried and the attempts made
        for words in ("127.0.0.1:1", "last address tried 127.0.0.1", "2 attempts"):
            self.assertIn(words, err)
            self.assertIn(words, o["message"])

    def test_5_other_errcode(self):
        self.client.config(force_errcode={"errcode": 40004, "count": 1, "path": UPLOAD})
        objs, err = self.failure(5, "upload", self.write("a.jpg", jpeg(1000)))
        self.assertEqual((objs[0]["error"], objs[0]["errcode"]), ("api", 40004))
        self.assertIn("errcode 40004", err)

    def test_6_refused_before_upload(self):
        big = self.write("big.jpg", jpeg(2 * MIB + 1))
        tiny = self.write("tiny.bin", b"12345")
        objs, err = self.failure(6, "upload", "--type", "image", big)
        self.assertEqual((objs[0]["error"], objs[0]["code"]),
                         ("refused", "WECOM_ERR_MEDIA_TOO_LARGE"))
        self.assertIn("--type file takes up to 20971520 bytes", err)
        objs, err = self.failure(6, "upload", tiny)
        self.assertIn("more than 5 bytes", err)
        self.assertEqual(self.client.log(), [], "a refused file reached the emulator")
        # the suggestion only where it would pass
        huge = self.write("huge.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(21 * MIB))
        p = self.cli("upload", "--type", "video", huge, expect=6)
        self.assertNotIn("--type file", p.stderr.decode())

    def test_7_credentials(self):
        # a fixed token WeCom calls invalid
        token = self.client.gettoken()["access_token"]
        self.never_print.add(token)
        self.client.revoke(token)
        objs, err = self.failure(7, "upload", self.write("a.jpg", jpeg(1000)),
                                 env={"WECOM_ACCESS_TOKEN": token})
        self.assertEqual((objs[0]["error"], objs[0]["errcode"]), ("credentials", 40014))
        # a wrong secret: gettoken's 40001, no upload tried
        self.client.reset()
        wrong = "wrong-secret-value"
        self.never_print.add(wrong)
        objs, err = self.failure(7, "--corpid", CORPID, "upload",
                                 self.write("b.jpg", jpeg(1000)),
                                 env={"WECOM_CORPSECRET": wrong}, token=False)
        self.assertEqual(objs[0]["error"], "credentials")
        self.assertIn("40001", err)
        self.assertEqual(self.uploads(), [])
        # 40091 and the other credential errcodes
        for code in (40091, 48002, 60020):
            with self.subTest(errcode=code):
                self.client.reset()
                self.client.config(force_errcode={"errcode": code, "count": 1, "path": UPLOAD})
                self.failure(7, "upload", self.write("c.jpg", jpeg(1000)))

    def test_8_rate_limited(self):
        self.client.config(force_errcode={"errcode": 45009, "count": 5, "path": UPLOAD})
        started = time.monotonic()
        objs, err = self.failure(8, "upload", self.write("a.jpg", jpeg(1000)))
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual((objs[0]["error"], objs[0]["errcode"]), ("rate_limited", 45009))
        self.assertIn("retrying extends the block", err)
        self.assertEqual(len(self.uploads()), 1)
        # 45033 once the retries are spent
        self.client.reset()
        self.client.config(force_errcode={"errcode": 45033, "count": 100, "path": UPLOAD})
        objs, err = self.failure(8, "upload", self.write("b.jpg", jpeg(1000)),
                                 global_args=("--retry", "1"))
        self.assertEqual(objs[0]["errcode"], 45033)
        self.assertEqual(len(self.uploads()), 2)

    def test_9_not_found(self):
        objs, err = self.failure(9, "download", "no-such-media", "-o", "x.bin")
        (o,) = objs
        self.assertEqual((o["file"], o["media_id"], o["error"], o["errcode"]),
                         ("x.bin", "no-such-media", "not_found", 40007))
        self.assertIn("three days", err)
        self.assertEqual(os.listdir(self.work), [])

    def test_several_files_each_answered(self):
        good = self.write("good.jpg", jpeg(1000))
        bad = self.write("bad.jpg", b"GIF89a" + bytes(100))
        p = self.cli("upload", "--type", "image", bad, self.path("gone.jpg"), good, expect=6,
                     global_args=("--json",))
        objs = objects(p.stdout)
        self.assertEqual([o["file"] for o in objs], [bad, self.path("gone.jpg"), good])
        self.assertEqual([o.get("error") for o in objs], ["refused", "local", None])
        self.assertEqual(self.client.media_get(objs[2]["media_id"]), self.read("good.jpg"))

    def test_hostile_errmsg_stays_one_json_line(self):
        self.client.config(force_errcode={"errcode": 40004, "count": 1, "path": UPLOAD,
                                          "errmsg": "a\"b\\c\nd\x1b[2J\u202e"})
        p = self.cli("upload", self.write("a.jpg", jpeg(1000)), expect=5,
                     global_args=("--json",))
        (o,) = objects(p.stdout)
        self.assertTrue(o["errmsg"].startswith("a\"b\\c\nd\x1b[2J"), p.stdout)
        self.assertEqual(p.stdout.count(b"\n"), 1)


class Options(EmulatorCase):
    """Options anywhere, per-command help, units."""

    def test_options_after_the_command(self):
        path = self.write("a.jpg", jpeg(1000))
        p = self.cli("upload", path, "--json", "-q")
        (o,) = objects(p.stdout)
        media_id = o["media_id"]
        # a global option after the operand, with its value
        out = self.path("out.jpg")
        p = self.cli("download", media_id, "-o", out, "--timeout", "5s", "--json")
        self.assertEqual(objects(p.stdout)[0]["file"], out)
        self.assert_file("out.jpg", self.read("a.jpg"))

    def test_base_url_after_the_operand(self):
        media_id = self.client.media_put("image", "x.jpg", jpeg(500))
        p = subprocess.run([self.cli_cmd(())[0], "download", media_id, "-o", "x.jpg",
                            "--base-url", self.url, "--cacert", self.ca],
                           cwd=self.work, env=self.cli_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.read("x.jpg"), self.client.media_get(media_id))

    def test_double_dash_and_dash(self):
        data = jpeg(800)
        self.write("--json", data)
        p = self.cli("upload", "--", "--json")
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)
        p = self.cli("upload", "--type", "image", "-", stdin=data)
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)

    def test_command_help(self):
        for args, says in ((("upload", "--help"), "wecom-media upload"),
                           (("upload", "-h"), "wecom-media upload"),
                           (("help", "download"), "wecom-media download"),
                           (("download", "-h"), "--continue"),
                           (("token", "--help"), "wecom-media token"),
                           (("help",), "Exit codes"),
                           (("--help",), "Exit codes")):
            with self.subTest(args=args):
                p = self.cli(*args)
                self.assertIn(says, p.stdout.decode())
                self.assertEqual(p.stderr, b"")
        self.assertIn("upload", self.cli("upload", "--help").stdout.decode().split("\n")[0])
        # the exit-code table is in --help
        text = self.cli("--help").stdout.decode()
        for code in range(2, 10):
            self.assertRegex(text, r"\n  %d  " % code)
        p = self.cli("help", "frobnicate", expect=2)
        self.assertIn("frobnicate", p.stderr.decode())

    def test_unknown_option_names_itself_never_its_value(self):
        for args, name in ((("upload", "--tpye=verysecretvalue", "a.jpg"), "--tpye"),
                           (("download", "ID", "--outptu=verysecretvalue"), "--outptu"),
                           (("upload", "-Z", "a.jpg"), "-Z")):
            with self.subTest(args=args):
                p = self.cli(*args, expect=2)
                err = p.stderr.decode()
                self.assertIn("'%s'" % name, err)
                self.assertNotIn("verysecretvalue", err)
                self.assertIn("--help", err)

    def test_sizes_take_suffixes(self):
        data = os.urandom(3 * MIB)
        media_id = self.client.media_put("file", "big.bin", data)
        for chunk, size in (("1M", MIB), ("1MiB", MIB), ("512k", 524288),
                            ("1048576", MIB)):
            with self.subTest(chunk=chunk):
                self.client.reset()
                self.cli("download", media_id, "-o", "big.bin", "--chunk", chunk)
                gets = self.downloads()
                self.assertEqual(gets[0]["range"], "bytes=0-%d" % (size - 1))
                self.assertEqual(len(gets), 3 * MIB // size)
                self.assert_file("big.bin", data)
        for bad in ("1X", "M", "-1", "21M", "0"):
            with self.subTest(bad=bad):
                p = self.cli("download", media_id, "-o", "b.bin", "--chunk", bad, expect=2)
                self.assertIn("--chunk", p.stderr.decode())
        # --length takes them too
        blob = os.urandom(2048)
        p = self.cli("upload", "--type", "file", "--length", "2K", "-", stdin=blob)
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), blob)

    def test_durations_take_units(self):
        path = self.write("a.jpg", jpeg(1000))
        for args in (("--timeout", "5s"), ("--timeout", "4000ms"), ("--timeout", "5"),
                     ("--max-time", "20s"), ("--retry-max-time", "500ms"),
                     ("--low-speed", "1K:30s"), ("--low-speed", "100:1500ms")):
            with self.subTest(args=args):
                self.cli("upload", path, *args)
        for args in (("--timeout", "5m"), ("--timeout", "0"), ("--max-time", "s"),
                     ("--low-speed", "1K:5x")):
            with self.subTest(args=args):
                p = self.cli("upload", path, *args, expect=2)
                self.assertIn(args[0], p.stderr.decode())

    def test_timeout_in_milliseconds_is_obeyed(self):
        # the emulator holds its answer back 3 s: 300ms ends the wait first
        self.client.config(fault={"kind": "stall", "ms": 3000, "count": 1, "path": UPLOAD})
        started = time.monotonic()
        self.cli("upload", self.write("a.jpg", jpeg(1000)), "--timeout", "300ms",
                 "--retry", "0", expect=4)
        self.assertLess(time.monotonic() - started, 2.5)


class Output(EmulatorCase):
    """-q and --progress."""

    def test_quiet_prints_results_only(self):
        media_id = self.client.media_put("file", "f.bin", os.urandom(300000))
        p = self.cli("-q", "download", media_id, "-o", "f.bin")
        self.assertEqual(p.stderr, b"")
        self.assertEqual(p.stdout.decode().strip(), "f.bin")
        p = self.cli("upload", "-q", self.write("a.jpg", jpeg(1000)))
        self.assertEqual(p.stderr, b"")
        self.assertRegex(p.stdout.decode(), r"^[A-Za-z0-9_-]+\n$")
        # errors still show
        p = self.cli("upload", "-q", self.path("missing.jpg"), expect=3)
        self.assertIn("missing.jpg", p.stderr.decode())
        self.assertEqual(p.stdout, b"")

    def test_progress_into_a_log(self):
        media_id = self.client.media_put("file", "f.bin", os.urandom(2 * MIB))
        p = self.cli("download", media_id, "-o", "f.bin", "--progress")
        err = p.stderr.decode()
        self.assertNotIn("\r", err)
        lines = err.splitlines()
        self.assertGreaterEqual(len(lines), 1, err)
        for line in lines:
            self.assertRegex(line, r"^wecom-media: \S+: [0-9.]+ of [0-9.]+ KiB \(\d+%\)$")
        self.assertTrue(lines[-1].endswith("of 2048.0 KiB (100%)"), lines[-1])
        # without --progress, a log gets nothing
        p = self.cli("download", media_id, "-o", "g.bin")
        self.assertEqual(p.stderr, b"")
        p = self.cli("upload", self.write("a.jpg", jpeg(100000)), "--progress")
        self.assertRegex(p.stderr.decode(), r"a\.jpg: [0-9.]+ of 97\.7 KiB \(100%\)\n$")

    def test_progress_lines_every_few_seconds(self):
        media_id = self.client.media_put("file", "f.bin", os.urandom(600000))
        # a slow server: 100000 bytes a second, some six seconds in all
        self.client.config(fault={"kind": "drip", "bytes": 100000, "ms": 1000, "count": 1,
                                  "path": MEDIA_GET})
        p = self.cli("download", media_id, "-o", "f.bin", "--progress")
        lines = p.stderr.decode().splitlines()
        # at the start, about every 3 s, and at the end
        self.assertGreaterEqual(len(lines), 3, lines)
        self.assertLessEqual(len(lines), 5, lines)
        self.assertNotIn("\r", p.stderr.decode())


def has_user_xattrs(directory):
    """Whether files in directory can carry user.* attributes (the tool's
    record of a complete download)."""
    probe = os.path.join(directory, ".xattr-probe")
    with open(probe, "wb"):
        pass
    try:
        os.setxattr(probe, "user.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        os.unlink(probe)


class Continue(EmulatorCase):
    """--continue on a file that is already complete does nothing."""

    def test_complete_file_is_left_alone(self):
        if not has_user_xattrs(self.work):
            self.skipTest("no user extended attributes here: no record, downloaded again")
        data = os.urandom(300000)
        media_id = self.client.media_put("file", "f.bin", data)
        self.cli("download", media_id, "-o", "f.bin")
        before = os.stat(self.path("f.bin"))
        self.client.reset()
        p = self.cli("download", media_id, "-o", "f.bin", "--continue", "--json")
        (o,) = objects(p.stdout)
        self.assertTrue(o["already_complete"])
        self.assertEqual(o["size"], len(data))
        self.assertIn("already complete", p.stderr.decode())
        after = os.stat(self.path("f.bin"))
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        gets = self.downloads()
        self.assertEqual([g["range"] for g in gets], ["bytes=%d-%d" % (len(data) - 1,
                                                                       len(data) - 1)])
        self.assert_file("f.bin", data)

    def test_a_file_that_is_not_the_medium_is_downloaded_again(self):
        data = os.urandom(300000)
        media_id = self.client.media_put("file", "f.bin", data)
        for name, held in (("short.bin", data[:1000]),
                           ("same-size.bin", data[:-1] + bytes([data[-1] ^ 1])),
                           ("long.bin", data + b"x"),
                           # the right length and last byte, a zeroed head
                           # (another tool's file, or one a power cut
                           # damaged), and no record of this tool
                           ("zeroed-head.bin", bytes(4096) + data[4096:])):
            with self.subTest(name=name):
                self.write(name, held)
                p = self.cli("download", media_id, "-o", name, "--continue")
                self.assert_file(name, data)
                self.assertNotIn("already complete", p.stderr.decode())

    def test_a_medium_changed_since_is_downloaded_again(self):
        if not has_user_xattrs(self.work):
            self.skipTest("no user extended attributes here: no record")
        old = os.urandom(300000)
        media_id = self.client.media_put("file", "f.bin", old)
        self.cli("download", media_id, "-o", "m.bin")
        # a new version of the same length and last byte: the ETag recorded
        # (sent as If-Range) no longer matches
        new = os.urandom(len(old) - 1) + old[-1:]
        self.client.media_replace(media_id, new)
        self.client.reset()
        p = self.cli("download", media_id, "-o", "m.bin", "--continue")
        self.assert_file("m.bin", new)
        self.assertNotIn("already complete", p.stderr.decode())
        self.assertTrue((self.downloads()[0]["if_range"] or "").startswith('"'))

    def test_a_complete_file_changed_since_is_downloaded_again(self):
        data = os.urandom(300000)
        media_id = self.client.media_put("file", "f.bin", data)
        self.cli("download", media_id, "-o", "c.bin")
        # its head zeroed in place afterwards: the record no longer matches
        st = os.stat(self.path("c.bin"))
        fd = os.open(self.path("c.bin"), os.O_WRONLY)
        try:
            os.pwrite(fd, bytes(4096), 0)
        finally:
            os.close(fd)
        os.utime(self.path("c.bin"), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        p = self.cli("download", media_id, "-o", "c.bin", "--continue", global_args=("-v",))
        self.assert_file("c.bin", data)
        self.assertIn("no record of this tool", p.stderr.decode())
        self.assertNotIn("already complete", p.stderr.decode())

    def test_complete_part_is_only_renamed(self):
        data = os.urandom(200000)
        media_id = self.client.media_put("file", "f.bin", data)
        # a whole .part with its info vouching for all of it (synced), as a
        # run killed before the rename may leave it
        self.cli("download", media_id, "-o", "f.bin")
        os.rename(self.path("f.bin"), self.path("f.bin.part"))
        with open(self.path("f.bin.part.info"), "w") as f:
            f.write("wecom-media part 1\nmedia_id=%s\ntotal=%d\ndurable=%d\n"
                    % (media_id, len(data), len(data)))
        os.chmod(self.path("f.bin.part.info"), 0o600)
        self.client.reset()
        p = self.cli("download", media_id, "-o", "f.bin", "--continue")
        self.assertIn("already held the whole medium", p.stderr.decode())
        self.assert_file("f.bin", data)
        self.assertEqual([g["status"] for g in self.downloads()], [416])

    def test_expired_medium_says_so(self):
        self.write("gone.bin", b"x" * 100)
        p = self.cli("download", "no-such-media", "-o", "gone.bin", "--continue", expect=9)
        self.assertIn("three days", p.stderr.decode())
        self.assertEqual(self.read("gone.bin"), b"x" * 100)


class Stdin(EmulatorCase):
    """Standard input without --length: spooled, then sent like a file."""

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="wecom-e2e-tmp-")
        # a cache directory gets the tool's other files too (TLS session)
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def test_piped_voice_clip(self):
        clip = amr(500)  # 10 s
        tmp = self.tmpdir()
        with subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as cat:
            cat.stdin.write(clip)
            cat.stdin.close()
            p = self.cli("upload", "--type", "voice", "-", stdin=cat.stdout,
                         env={"TMPDIR": tmp})
        media_id = p.stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), clip)
        (up,) = self.uploads()
        self.assertEqual((up["kind"], up["part_size"], up["filelength"]),
                         ("voice", len(clip), len(clip)))
        self.assertEqual(os.listdir(tmp), [], "the spool was left behind")
        # auto: detected from the content, like a file
        p = self.cli("upload", "-", stdin=clip, env={"TMPDIR": tmp})
        self.assertEqual(self.uploads()[-1]["kind"], "voice")

    def test_spool_is_private_and_unlinked(self):
        # in the cache directory; without one (no HOME here), in $TMPDIR
        for var in ("WECOM_CACHE_DIR", "TMPDIR"):
            with self.subTest(where=var):
                self.spool_seen_in(var)

    def spool_seen_in(self, var):
        if os.geteuid() != 0:
            self.skipTest("the tool is not dumpable: only root reads its /proc/PID/fd")
        tmp = self.tmpdir()
        proc = subprocess.Popen(self.cli_cmd(("upload", "--type", "file", "-")), cwd=self.work,
                                env=self.cli_env({var: tmp}), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proc.stdin.write(os.urandom(100000))
            proc.stdin.flush()
            found = None
            deadline = time.monotonic() + 10
            while found is None and time.monotonic() < deadline:
                for fd in os.listdir("/proc/%d/fd" % proc.pid):
                    target = os.readlink("/proc/%d/fd/%s" % (proc.pid, fd))
                    if target.startswith(tmp):
                        found = (target, os.stat("/proc/%d/fd/%s" % (proc.pid, fd)))
                time.sleep(0.02)
            self.assertIsNotNone(found, "no spool file open under TMPDIR")
            target, st = found
            self.assertTrue(target.endswith("(deleted)"), target)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
            self.assertEqual(os.listdir(tmp), [])
        finally:
            proc.stdin.close()
            out, err = proc.stdout.read(), proc.stderr.read()
            proc.wait(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        self.assert_no_secret(out, err)

    def test_pipe_over_the_limit_is_refused_unsent(self):
        tmp = self.tmpdir()
        p = self.cli("upload", "--type", "image", "-", stdin=jpeg(2 * MIB + 10), expect=6,
                     env={"TMPDIR": tmp}, global_args=("--json",))
        (o,) = objects(p.stdout)
        self.assertEqual(o["error"], "refused")
        self.assertIn("limit of 2097152 bytes", p.stderr.decode())
        self.assertEqual(self.client.log(), [], "a request reached the emulator")
        self.assertEqual(os.listdir(tmp), [])

    def test_long_voice_refused_as_it_streams(self):
        """The pipe stays open: the tool must stop on its own, once the
        clip passes 60 s, not wait for the end."""
        proc = subprocess.Popen(self.cli_cmd(("upload", "--type", "voice", "-")),
                                cwd=self.work, env=self.cli_env(), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        clip = amr(3200)  # 64 s
        try:
            proc.stdin.write(clip)
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            code = proc.wait(timeout=20)
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        out, err = proc.stdout.read(), proc.stderr.read()
        self.assertEqual(code, 6, err)
        self.assertIn("60000 ms", err.decode())
        self.assertEqual(out, b"")
        self.assertEqual(self.client.log(), [])

    def test_length_must_match_a_regular_file(self):
        data = os.urandom(5000)
        path = self.write("f.bin", data)
        for length in ("8", str(len(data) + 1)):
            with self.subTest(length=length):
                p = self.cli("upload", "--type", "file", "--length", length, path, expect=2)
                self.assertIn("differs from its size of 5000 bytes", p.stderr.decode())
        with open(path, "rb") as f:  # a regular file as standard input too
            p = self.cli("upload", "--type", "file", "--length", "8", "-", stdin=f, expect=2)
        self.assertEqual(self.client.log(), [], "a byte was sent")
        self.cli("upload", "--type", "file", "--length", "5000", path)


class Names(EmulatorCase):
    """-O: a server name without an extension gets its Content-Type's."""

    def test_extension_from_content_type(self):
        for stored, ctype, data, expected in (
                ("voice", "audio/amr", amr(50), "voice.amr"),
                ("photo", "image/jpeg", jpeg(500), "photo.jpg"),
                ("shot", "image/png; charset=binary", png(500), "shot.png"),
                ("clip", "video/mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(100), "clip.mp4"),
                ("notes.txt", "audio/amr", b"hello world", "notes.txt"),
                ("blob", "application/x-unknown", b"123456789", "blob")):
            with self.subTest(stored=stored):
                media_id = self.client.media_put("file", stored, data, content_type=ctype)
                p = self.cli("download", media_id, "-O")
                self.assertEqual(p.stdout.decode().strip(), expected)
                self.assert_file(expected, data)


class Messages(EmulatorCase):
    """What users were confused by, said plainly."""

    def test_http_base_url(self):
        p = self.cli("upload", self.write("a.jpg", jpeg(100)),
                     global_args=("--base-url", "http://127.0.0.1:1"), expect=2)
        self.assertIn("only https://", p.stderr.decode())

    def test_missing_cacert_does_not_advise_installing(self):
        p = subprocess.run([self.cli_cmd(())[0], "--base-url", self.url, "--cacert",
                            self.path("no-such.pem"), "upload", self.write("a.jpg", jpeg(100))],
                           env=self.cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 3, err)
        self.assertIn("no-such.pem", err)
        self.assertIn("No such file", err)
        self.assertNotIn("ca-certificates", err)


if __name__ == "__main__":
    unittest.main()
