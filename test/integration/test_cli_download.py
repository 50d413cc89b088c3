# SPDX-License-Identifier: MIT
"""wecom-media download against the emulator: whole and ranged fetches,
resume, a server that ignores Range or changes the medium, API errors,
dropped connections at every stage, server-supplied names, and WeCom's
range limit (830002).

Every run of the tool goes through EmulatorCase.cli, which fails the test
if a token or secret shows in its output."""

import json
import os
import re
import signal
import tempfile
import time
import unittest

from clitest import CORPID, GETTOKEN, MIB, SECRET, EmulatorCase, jpeg



def set_durable(info_path, n):
    """Rewrite the durable= line of a .part.info."""
    with open(info_path) as f:
        text = f.read()
    with open(info_path, "w") as f:
        f.write(re.sub(r"^durable=\d+$", "durable=%d" % n, text, flags=re.M))

class DownloadCase(EmulatorCase):

    def put(self, data, name="m.bin", kind="file"):
        return self.client.media_put(kind, name, data)

    def fault(self, *entries):
        self.client.config(fault=[dict(e, path="/cgi-bin/media/get") for e in entries])


class Download(DownloadCase):

    def test_round_trip(self):
        data = jpeg(100000)
        media_id = self.cli("upload", self.write("a.jpg", data)).stdout.decode().strip()
        p = self.cli("download", media_id, "-o", "back.jpg")
        self.assert_file("back.jpg", data)
        self.assertEqual(p.stdout.decode().strip(), "back.jpg")
        # -o - : standard output, byte for byte, nothing else on it
        p = self.cli("download", media_id, "-o", "-")
        self.assertEqual(p.stdout, data)
        # -O : the server's name, in the current directory
        sub = self.path("o")
        os.mkdir(sub)
        p = self.cli("download", media_id, "-O", cwd=sub, global_args=("--json",))
        out = json.loads(p.stdout)
        self.assertEqual(out["file"], "a.jpg")
        self.assertEqual(out["size"], len(data))
        self.assertEqual(out["content_type"], "image/jpeg")
        self.assertEqual(os.listdir(sub), ["a.jpg"])
        with open(os.path.join(sub, "a.jpg"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(sorted(os.listdir(self.work)), ["a.jpg", "back.jpg", "o"])

    def test_chunks_on_one_connection(self):
        data = os.urandom(5 * MIB)
        media_id = self.put(data)
        before = self.handshakes()
        self.cli("download", media_id, "-o", "m.bin", "--chunk", "262144")
        self.assertEqual(self.cli_handshakes(before), 1, "20 ranges, one TLS handshake")
        self.assert_file("m.bin", data)
        gets = self.downloads()
        self.assertEqual(len(gets), 20)
        self.assertEqual([g["range"] for g in gets],
                         ["bytes=%d-%d" % (i, i + 262143) for i in range(0, 5 * MIB, 262144)])
        self.assertEqual({g["status"] for g in gets}, {206})
        self.assertEqual(len({g["connection"] for g in gets}), 1)

    def test_api_error_leaves_nothing(self):
        for ctype in (None, "text/plain", "text/plain; charset=utf-8"):
            with self.subTest(error_content_type=ctype):
                if ctype:
                    self.client.config(error_content_type=ctype)
                p = self.cli("download", "no-such-media", "-o", "x.bin", expect=9)
                self.assertIn("errcode 40007", p.stderr.decode())
                self.assertEqual(os.listdir(self.work), [])
                p = self.cli("download", "no-such-media", "-O", expect=9)
                self.assertIn("errcode 40007", p.stderr.decode())
                self.assertEqual(os.listdir(self.work), [])
                p = self.cli("download", "no-such-media", "-o", "-", expect=9)
                self.assertEqual(p.stdout, b"", "an API error went to stdout as data")
                p = self.cli("download", "no-such-media", "-o", "x.bin", "--chunk", "1000",
                             expect=9)
                self.assertEqual(os.listdir(self.work), [])

    def test_small_json_looking_medium_is_still_a_medium(self):
        # a medium that is itself a small JSON document (with errcode!)
        data = b'{"errcode":40007,"errmsg":"this is the file"}\n'
        media_id = self.client.media_put("file", "e.json", data,
                                         content_type="application/json")
        self.cli("download", media_id, "-o", "e.json")
        self.assert_file("e.json", data)

    def test_server_ignoring_range(self):
        data = os.urandom(700000)
        media_id = self.put(data)
        self.client.config(ignore_range=True)
        self.cli("download", media_id, "-o", "a.bin", "--chunk", "100000")
        self.assert_file("a.bin", data)
        self.assertEqual({g["status"] for g in self.downloads()}, {200})
        self.write("b.bin.part", data[:300000])
        self.cli("download", media_id, "-o", "b.bin", "--continue")
        self.assert_file("b.bin", data)
        # and resuming after a drop, from a server that ignores Range
        self.client.reset()
        self.client.config(ignore_range=True)
        self.fault({"kind": "drop_response_after", "bytes": 400000, "count": 1})
        self.cli("download", media_id, "-o", "c.bin")
        self.assert_file("c.bin", data)

    def test_stdout_survives_a_drop(self):
        data = os.urandom(600000)
        media_id = self.put(data)
        self.fault({"kind": "drop_response_after", "bytes": 300000, "count": 1})
        p = self.cli("download", media_id, "-o", "-")
        self.assertEqual(p.stdout, data)
        self.assertEqual(len(self.downloads()), 2)

    def test_token_refreshed_mid_download(self):
        data = os.urandom(500000)
        media_id = self.put(data)
        self.client.config(force_errcode={"errcode": 42001, "count": 1,
                                          "path": "/cgi-bin/media/get"})
        self.cli("--corpid", CORPID, "download", media_id, "-o", "t.bin",
                 env={"WECOM_CORPSECRET": SECRET}, token=False, global_args=("-v",))
        self.assert_file("t.bin", data)
        self.assertEqual(len(self.requests(GETTOKEN)), 2)


class Resume(DownloadCase):

    def interrupted_run(self, data, name, at=300000, knobs=None):
        """A first download of `data` that dies after `at` bytes, leaving
        NAME.part (and what the tool keeps beside it)."""
        media_id = self.put(data)
        self.client.reset()
        if knobs:
            self.client.config(**knobs)
        # the first range comes whole, then every answer dies in its head
        self.fault({"kind": "stall", "ms": 0, "count": 1},
                   {"kind": "drop_response_after", "bytes": 20, "count": 100})
        p = self.cli("download", media_id, "-o", name, "--chunk", str(at), expect=4)
        self.assertIn("kept for --continue", p.stderr.decode())
        self.assertEqual(os.path.getsize(self.path(name + ".part")), at)
        self.client.reset()
        if knobs:
            self.client.config(**knobs)
        return media_id

    def test_continue_from_part(self):
        data = os.urandom(600000)
        media_id = self.interrupted_run(data, "m.bin", at=250000)
        self.assertTrue(os.path.exists(self.path("m.bin.part.info")))
        self.cli("download", media_id, "-o", "m.bin", "--continue")
        self.assert_file("m.bin", data)
        gets = self.downloads()
        self.assertEqual([g["range"] for g in gets], ["bytes=250000-"])
        self.assertEqual(gets[0]["status"], 206)
        self.assertTrue((gets[0]["if_range"] or "").startswith('"'), gets[0]["if_range"])

    def test_continue_without_part_fetches_all(self):
        data = os.urandom(100000)
        media_id = self.put(data)
        self.cli("download", media_id, "-o", "n.bin", "--continue")
        self.assert_file("n.bin", data)

    def test_complete_part(self):
        data = os.urandom(400000)
        media_id = self.interrupted_run(data, "n.bin")
        with open(self.path("n.bin.part"), "ab") as f:
            f.write(data[300000:])          # the rest came, the rename did not
        set_durable(self.path("n.bin.part.info"), 400000)  # and was synced
        for ext in (".part", ".part.info"):  # the same, for the next case
            with open(self.path("n.bin" + ext), "rb") as f:
                self.write("i.bin" + ext, f.read())
        self.cli("download", media_id, "-o", "n.bin", "--continue")
        self.assert_file("n.bin", data)
        gets = self.downloads()
        self.assertEqual([(g["range"], g["status"]) for g in gets],
                         [("bytes=400000-", 416)])
        # a complete .part, from a server that ignores Range
        self.client.config(ignore_range=True)
        self.cli("download", media_id, "-o", "i.bin", "--continue")
        self.assert_file("i.bin", data)

    def test_bytes_past_the_checkpoint_are_fetched_again(self):
        # A power cut on vfat: the .part kept its new length, not its
        # data. Only what the .part.info vouches for as synced is kept.
        data = os.urandom(600000)
        media_id = self.interrupted_run(data, "p.bin", at=250000)
        with open(self.path("p.bin.part.info")) as f:
            self.assertIn("durable=250000\n", f.read())
        with open(self.path("p.bin.part"), "ab") as f:
            f.write(bytes(100000))          # zeros where the data never landed
        p = self.cli("download", media_id, "-o", "p.bin", "--continue")
        self.assertIn("last 100000 bytes were not yet on storage", p.stderr.decode())
        self.assert_file("p.bin", data)
        self.assertEqual(self.downloads()[0]["range"], "bytes=250000-")
        # an info that vouches for more than the medium is not ours
        media_id = self.interrupted_run(data, "q.bin", at=250000)
        set_durable(self.path("q.bin.part.info"), 600001)
        p = self.cli("download", media_id, "-o", "q.bin", "--continue")
        self.assertIn("downloading from the start", p.stderr.decode())
        self.assert_file("q.bin", data)

    def test_checkpoints_while_running(self):
        # Killed outright (no chance to record anything at the end), a
        # run has left checkpoints every WECOM_CLI_DOWNLOAD_SYNC_BYTES.
        data = os.urandom(5 << 20)
        media_id = self.put(data)
        head = self.response_head_length(media_id)
        self.client.config(fault={"kind": "stall", "bytes": head + (4 << 20) + 5000,
                                  "ms": 10000, "count": 1})
        proc = self.start_cli("download", media_id, "-o", "k.bin")
        try:
            self.wait_for_size("k.bin.part", (4 << 20) + 5000)
        finally:
            proc.kill()
            proc.communicate()
        with open(self.path("k.bin.part.info")) as f:
            durable = int(re.search(r"^durable=(\d+)$", f.read(), re.M).group(1))
        self.assertGreaterEqual(durable, 2 << 20)
        self.assertLessEqual(durable, os.path.getsize(self.path("k.bin.part")))
        self.client.reset()
        self.cli("download", media_id, "-o", "k.bin", "--continue")
        self.assert_file("k.bin", data)
        self.assertEqual(self.downloads()[0]["range"], "bytes=%d-" % durable)

    def test_part_without_info_starts_again(self):
        # A .part with no .part.info (another tool's, or a crash before the
        # first bytes were recorded): nothing shows its bytes belong to the
        # medium as it is now, so they are not trusted.
        old, new = os.urandom(600000), os.urandom(600000)
        media_id = self.put(new)
        self.write("w.bin.part", old[:250000])
        p = self.cli("download", media_id, "-o", "w.bin", "--continue")
        self.assertIn("downloading from the start", p.stderr.decode())
        self.assert_file("w.bin", new)
        self.assertIn(self.downloads()[0]["range"], (None, "bytes=0-"))
        # a .part.info written for another medium is no better
        self.interrupted_run(old, "x.bin", at=250000)
        other_data = os.urandom(1000)
        other = self.put(other_data)
        p = self.cli("download", other, "-o", "x.bin", "--continue")
        self.assertIn("downloading from the start", p.stderr.decode())
        self.assert_file("x.bin", other_data)

    def test_info_saved_before_any_failure(self):
        # the .part.info exists as soon as bytes are in the .part, 0600,
        # with the validators a later --continue needs
        data = os.urandom(600000)
        media_id = self.put(data)
        head = self.response_head_length(media_id)
        self.client.config(fault={"kind": "stall", "bytes": head + 100000,
                                  "ms": 10000, "count": 1})
        proc = self.start_cli("download", media_id, "-o", "s.bin")
        try:
            self.wait_for_size("s.bin.part", 100000)
            deadline = time.monotonic() + 10
            while not os.path.exists(self.path("s.bin.part.info")):
                self.assertLess(time.monotonic(), deadline, "no .part.info while running")
                time.sleep(0.01)
            with open(self.path("s.bin.part.info")) as f:
                info = f.read()
            self.assertIn("total=600000", info)
            self.assertIn('etag="', info)
            self.assertIn("last_modified=", info)
            self.assertEqual(os.stat(self.path("s.bin.part.info")).st_mode & 0o777, 0o600)
            self.assertEqual(os.stat(self.path("s.bin.part")).st_mode & 0o777, 0o600)
        finally:
            started = time.monotonic()
            code = self.interrupt(proc, signal.SIGTERM)
        # a clean cancel, long before the 10 s stall or --timeout ends
        self.assertEqual(code, 143)
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(os.path.exists(self.path("s.bin.part.info")))
        self.assertGreaterEqual(os.path.getsize(self.path("s.bin.part")), 100000)

    def test_ctrl_c_exit_code(self):
        data = os.urandom(600000)
        media_id = self.put(data)
        head = self.response_head_length(media_id)
        self.client.config(fault={"kind": "stall", "bytes": head + 100000,
                                  "ms": 10000, "count": 1})
        proc = self.start_cli("download", media_id, "-o", "i.bin")
        self.wait_for_size("i.bin.part", 100000)
        self.assertEqual(self.interrupt(proc, signal.SIGINT), 130)
        self.client.reset()
        p = self.cli("download", media_id, "-o", "i.bin", "--continue")
        self.assert_file("i.bin", data)
        self.assertEqual(self.downloads()[0]["range"], "bytes=100000-")

    def test_continue_with_last_modified_only(self):
        # no ETag: Last-Modified is kept and sent as If-Range
        data = os.urandom(600000)
        media_id = self.interrupted_run(data, "d.bin", knobs={"omit_etag": True})
        with open(self.path("d.bin.part.info")) as f:
            self.assertIn("last_modified=", f.read())
        self.cli("download", media_id, "-o", "d.bin", "--continue")
        self.assert_file("d.bin", data)
        first = self.downloads()[0]
        self.assertEqual((first["range"], first["status"]), ("bytes=300000-", 206))
        self.assertRegex(first["if_range"] or "", r"GMT$")

    def test_continue_without_any_validator_says_so(self):
        data = os.urandom(600000)
        knobs = {"omit_etag": True, "omit_last_modified": True}
        media_id = self.interrupted_run(data, "v.bin", knobs=knobs)
        p = self.cli("download", media_id, "-o", "v.bin", "--continue",
                     global_args=("-v",))
        self.assertIn("cannot be proven to belong to the same version", p.stderr.decode())
        self.assert_file("v.bin", data)

    def test_part_longer_than_the_medium(self):
        # a .part (from another tool, or a run whose .part.info is gone)
        # holding more than the medium has: it cannot be a prefix of it
        data = os.urandom(100000)
        media_id = self.put(data)
        self.write("l.bin.part", os.urandom(300000))
        p = self.cli("download", media_id, "-o", "l.bin", "--continue", expect=None)
        self.assert_file("l.bin", data, "--continue exited %d: %s" % (
            p.returncode, p.stderr.decode().strip()))

    def test_changed_medium_with_strong_etag(self):
        old = os.urandom(800000)
        for new_size in (900000, 100000):
            with self.subTest(new_size=new_size):
                media_id = self.interrupted_run(old, "s%d.bin" % new_size)
                new = os.urandom(new_size)
                self.client.media_replace(media_id, new)
                p = self.cli("download", media_id, "-o", "s%d.bin" % new_size, "--continue")
                self.assertIn("changed on the server", p.stderr.decode())
                self.assert_file("s%d.bin" % new_size, new, "old 300000 bytes + new")
                first = self.downloads()[0]
                self.assertEqual(first["range"], "bytes=300000-")
                self.assertTrue((first["if_range"] or "").startswith('"'),
                                "resumed without If-Range: %r" % first["if_range"])

    def test_changed_medium_without_strong_etag(self):
        old = os.urandom(800000)
        for knobs in ({"omit_etag": True}, {"weak_etag": True}):
            for new_size in (900000, 100000):
                name = "%s-%d.bin" % (list(knobs)[0], new_size)
                with self.subTest(knobs=knobs, new_size=new_size):
                    media_id = self.interrupted_run(old, name, knobs=knobs)
                    new = os.urandom(new_size)
                    self.client.media_replace(media_id, new)
                    p = self.cli("download", media_id, "-o", name, "--continue")
                    self.assertIn("changed on the server", p.stderr.decode())
                    self.assert_file(name, new)

    def test_cache_that_ignores_if_range(self):
        # A 206 to a changed medium of the same size, from a server or
        # cache that ignores If-Range: without the ETag asked for (no
        # validator, or only the unchanged Last-Modified) it is never
        # joined to the old head.
        for partial in ("none", "last_modified"):
            with self.subTest(partial_validators=partial):
                name = "i-%s.bin" % partial
                old = os.urandom(800000)
                media_id = self.interrupted_run(old, name)
                with open(self.path(name + ".part.info")) as f:
                    self.assertIn('etag="', f.read())
                new = os.urandom(len(old))
                self.client.media_replace(media_id, new,
                                          keep_modified=partial == "last_modified")
                self.client.config(ignore_if_range=True, partial_validators=partial)
                p = self.cli("download", media_id, "-o", name, "--continue",
                             global_args=("-v",))
                self.assert_file(name, new, "old 300000 bytes + new")
                err = p.stderr.decode()
                self.assertIn("starting again from 0", err)
                self.assertIn("300000 bytes held are of ETag", err)
                gets = self.downloads()
                self.assertEqual([(g["range"], g["status"]) for g in gets],
                                 [("bytes=300000-", 206), (None, 200)])
                self.assertTrue((gets[0]["if_range"] or "").startswith('"'))

    def test_changed_medium_after_ctrl_c(self):
        # What a user does: Ctrl-C in the middle, and --continue later,
        # by when the medium has changed.
        for new_size in (900000, 100000):
            with self.subTest(new_size=new_size):
                self.client.reset()
                old = os.urandom(600000)
                media_id = self.put(old)
                head = self.response_head_length(media_id)
                name = "c%d.bin" % new_size
                self.client.config(fault={"kind": "stall", "bytes": head + 200000,
                                          "ms": 10000, "count": 1})
                proc = self.start_cli("download", media_id, "-o", name)
                self.wait_for_size(name + ".part", 200000)
                self.interrupt(proc, signal.SIGINT)
                self.assertFalse(os.path.exists(self.path(name)))
                self.client.reset()
                new = os.urandom(new_size)
                self.client.media_replace(media_id, new)
                p = self.cli("download", media_id, "-o", name, "--continue", expect=None)
                self.assert_file(name, new, "never the old medium's head joined to the "
                                 "new; --continue exited %d: %s" % (
                                     p.returncode, p.stderr.decode().strip()))


class FaultMatrix(DownloadCase):
    """A 5 MiB medium; the connection dies at about twenty places in the
    response: every run must still end with an identical file, resumed from
    the last byte written."""

    def test_drops_anywhere(self):
        data = os.urandom(5 * MIB)
        media_id = self.put(data, "five.bin")
        head = self.response_head_length(media_id)
        total = head + len(data)
        offsets = [1, 17, head // 2, head - 2, head - 1, head, head + 1, head + 100,
                   head + 16383, 65536, MIB, 2 * MIB + 7, 3 * MIB, 4 * MIB,
                   total - 100000, total - 16385, total - 4097, total - 2, total - 1]
        for i, at in enumerate(offsets):
            with self.subTest(at=at, body_bytes=at - head):
                self.client.reset()
                self.fault({"kind": "drop_response_after", "bytes": at, "count": 1})
                name = "f%d.bin" % i
                self.cli("download", media_id, "-o", name)
                self.assert_file(name, data, "dropped at %d" % at)
                gets = self.downloads()
                self.assertEqual(len(gets), 2)
                self.assertEqual(gets[0]["fault"], "drop_response_after")
                if at > head:
                    # resumed from exactly the last byte written
                    self.assertEqual(gets[1]["range"], "bytes=%d-" % (at - head))
                else:
                    self.assertIn(gets[1]["range"], (None, "bytes=0-"))
                os.unlink(self.path(name))

    def test_drops_while_chunked(self):
        data = os.urandom(MIB)
        media_id = self.put(data)
        for at in (10, 150, 70000, 262144 + 150):
            with self.subTest(at=at):
                self.client.reset()
                self.fault({"kind": "stall", "ms": 0, "count": 1},
                           {"kind": "drop_response_after", "bytes": at, "count": 1})
                self.cli("download", media_id, "-o", "c.bin", "--chunk", "262144")
                self.assert_file("c.bin", data)
                os.unlink(self.path("c.bin"))

    def test_truncated(self):
        data = os.urandom(MIB)
        media_id = self.put(data)
        for cut in (0, 1, 500000, MIB - 1):
            with self.subTest(cut=cut):
                self.client.reset()
                self.fault({"kind": "truncate_response", "bytes": cut, "count": 1})
                self.cli("download", media_id, "-o", "t.bin")
                self.assert_file("t.bin", data)
                os.unlink(self.path("t.bin"))

    def test_stalls_mid_body_resume(self):
        data = os.urandom(MIB)
        media_id = self.put(data)
        # stalls mid-body past --timeout: each retry resumes where it was
        self.fault({"kind": "stall", "bytes": 100000, "ms": 3000, "count": 2})
        self.cli("download", media_id, "-o", "r.bin", timeout="1")
        self.assert_file("r.bin", data)
        self.assertEqual(len(self.downloads()), 3)

    def test_stalls_without_progress_give_up_and_continue_later(self):
        data = os.urandom(MIB)
        media_id = self.put(data)
        # the first range comes, then the server stalls before answering
        self.fault({"kind": "stall", "ms": 0, "count": 1},
                   {"kind": "stall", "ms": 3000, "count": 10})
        p = self.cli("download", media_id, "-o", "s.bin", "--chunk", "200000",
                     timeout="1", expect=4)
        err = p.stderr.decode()
        self.assertIn("timeout", err)
        self.assertIn("kept for --continue", err)
        self.assertFalse(os.path.exists(self.path("s.bin")))
        self.assertEqual(os.path.getsize(self.path("s.bin.part")), 200000)
        self.client.reset()
        self.cli("download", media_id, "-o", "s.bin", "--continue")
        self.assert_file("s.bin", data)
        self.assertEqual(self.downloads()[0]["range"], "bytes=200000-")

    def test_garbled_answers(self):
        data = os.urandom(300000)
        media_id = self.put(data)
        for variant in ("status", "header", "length", "binary"):
            with self.subTest(variant=variant):
                self.client.reset()
                self.fault({"kind": "garble_response", "variant": variant, "count": 1})
                p = self.cli("download", media_id, "-o", "g.bin", expect=None)
                # retried to success, or a clean network/protocol error
                self.assertIn(p.returncode, (0, 4), p.stderr)
                if p.returncode == 0:
                    self.assert_file("g.bin", data)
                    os.unlink(self.path("g.bin"))
                else:
                    self.assertEqual(os.listdir(self.work), [])
                    self.assertTrue(p.stderr.decode().rstrip("\n").isprintable())


class Names(DownloadCase):
    """Server-supplied names with -O stay in the directory."""

    def cases(self, absolute):
        # a name without an extension gets its Content-Type's (audio/amr)
        fallback = self.media_id[:64] + ".amr"
        return [
            # RFC 6266 / 5987: filename* preferred
            ("attachment; filename*=UTF-8''%E6%B5%8B%E8%AF%95.xlsx; filename=\"x.xlsx\"",
             "测试.xlsx"),
            ("attachment; filename=\"fallback.txt\"; filename*=UTF-8''pref.txt", "pref.txt"),
            ("attachment; filename*=utf-8''report%20final.pdf", "report final.pdf"),
            ("attachment; filename*=UTF-8'zh-CN'%E6%8A%A5%E5%91%8A.txt", "报告.txt"),
            ("attachment; filename*=ISO-8859-1''caf%E9.txt; filename=\"cafe.txt\"",
             "cafe.txt"),
            ("attachment; filename=plain.txt", "plain.txt"),
            ("attachment; filename=\"say \\\"hi\\\".txt\"", 'say "hi".txt'),
            ("attachment; filename=\"门铃 留言.amr\"", "门铃 留言.amr"),
            # hostile or odd
            ("attachment; filename=\"../../etc/passwd\"", "passwd.amr"),
            ("attachment; filename=\"%s\"" % absolute, os.path.basename(absolute)),
            ("attachment; filename*=UTF-8''..%2F..%2Fup.txt", "up.txt"),
            ("attachment; filename*=UTF-8''%2Ftmp%2Fabs.txt", "abs.txt"),
            ("attachment; filename=\"..\\\\..\\\\win.txt\"", "win.txt"),
            ("attachment; filename=\"..\"", fallback),
            ("attachment; filename=\".\"", fallback),
            ("attachment; filename*=UTF-8''%2E%2E", fallback),
            ("attachment; filename=\"\"", fallback),
            ("attachment; filename=\"dir/\"", fallback),
            ("attachment", fallback),
            (False, fallback),
            ("attachment; filename=\".bashrc\"", lambda n: "bashrc" in n),
            ("attachment; filename*=UTF-8''a%0D%0Ab%07%00.txt", "ab.txt"),
            ("attachment; filename=\"tab\there.txt\"", "tabhere.txt"),
            ("attachment; filename=\"voice\"", "voice.amr"),
            ("attachment; filename=\"%s.amr\"" % ("长" * 120),     # 364 bytes
             lambda n: n.startswith("长" * 50)),
        ]

    def tree(self):
        """Every path under the test's own directory."""
        found = set()
        for top, dirs, files in os.walk(self.work):
            for name in dirs + files:
                found.add(os.path.relpath(os.path.join(top, name), self.work))
        return found

    def test_names_stay_inside(self):
        # Only the test's own tree is watched (other tests, compilers and
        # users write to the system's temporary directory meanwhile); the
        # tool gets a private TMPDIR inside it, and the hostile absolute
        # name points there too.
        data = b"#!AMR\n" + bytes([0x3C]) + bytes(31) * 1 + bytes([0x3C]) + bytes(31)
        self.media_id = self.put(data, "v.amr", "voice")
        box = self.path("box")         # every -O runs in a directory of box
        os.mkdir(box)
        private_tmp = self.path("tmp")
        os.mkdir(private_tmp)
        absolute = os.path.join(private_tmp, "wecom-e2e-abs-%s.txt" % os.urandom(6).hex())
        for i, (value, want) in enumerate(self.cases(absolute)):
            with self.subTest(disposition=value):
                self.client.config(disposition=value)
                d = os.path.join(box, "d%02d" % i)
                os.mkdir(d)
                before = self.tree()
                p = self.cli("download", self.media_id, "-O", cwd=d,
                             env={"TMPDIR": private_tmp})
                got = os.listdir(d)
                self.assertEqual(len(got), 1, got)
                name = got[0]
                self.assertNotIn(name, (".", ".."))
                self.assertFalse(name.startswith("."), "a hidden file: %r" % name)
                self.assertNotIn("/", name)
                self.assertFalse(any(ord(c) < 0x20 or ord(c) == 0x7F for c in name), name)
                self.assertLessEqual(len(name.encode()), 255)
                self.assertEqual(p.stdout.decode().rstrip("\n"), name)
                if callable(want):
                    self.assertTrue(want(name), name)
                else:
                    self.assertEqual(name, want)
                with open(os.path.join(d, name), "rb") as f:
                    self.assertEqual(f.read(), data)
                self.assertEqual(self.tree() - before,
                                 {os.path.relpath(os.path.join(d, name), self.work)},
                                 "something was created outside the directory given")
                self.assertEqual(before - self.tree(), set(), "something was removed")
                self.assertFalse(os.path.exists(absolute), "wrote to an absolute path")


class RangeLimit(DownloadCase):
    """WeCom answers 830002 to more than max_range_bytes in one answer;
    the tool must then fetch the medium in ranges it accepts."""

    def test_falls_back_to_twenty_mebibyte_ranges(self):
        # the limit halved after the 20 MiB ranges is accepted
        data = os.urandom(11 * MIB)
        media_id = self.put(data)
        self.client.config(max_range_bytes=10 * MIB)
        self.cli("download", media_id, "-o", "big.bin")
        self.assert_file("big.bin", data)

    def test_small_server_limit_without_chunk(self):
        data = os.urandom(3 * MIB)
        media_id = self.put(data)
        self.client.config(max_range_bytes=MIB)
        p = self.cli("download", media_id, "-o", "m.bin", expect=None)
        ranges = [(g["range"], g["errcode"]) for g in self.downloads()]
        self.assertEqual(p.returncode, 0, "requests: %r\nstderr: %s" % (
            ranges, p.stderr.decode()))
        self.assert_file("m.bin", data)

    def test_small_server_limit_with_too_large_chunk(self):
        data = os.urandom(3 * MIB)
        media_id = self.put(data)
        self.client.config(max_range_bytes=MIB)
        p = self.cli("download", media_id, "-o", "m.bin", "--chunk", str(2 * MIB),
                     expect=None)
        ranges = [(g["range"], g["errcode"]) for g in self.downloads()]
        self.assertEqual(p.returncode, 0, "requests: %r\nstderr: %s" % (
            ranges, p.stderr.decode()))
        self.assert_file("m.bin", data)


if __name__ == "__main__":
    unittest.main()
