"""wecom-media download against the emulator: whole and ranged fetches,
resume, a server that ignores Range or changes the medium, API errors,
dropped connections at every stage, and server-supplied names."""

import json
import os
import unittest

from clitest import EmulatorCase, jpeg


class Download(EmulatorCase):

    def put(self, data, name="m.bin", kind="file"):
        return self.client.media_put(kind, name, data)

    def assert_clean(self, name, data):
        self.assertEqual(self.read(name), data)
        self.assertFalse(os.path.exists(self.path(name + ".part")))
        self.assertFalse(os.path.exists(self.path(name + ".part.info")))

    def test_round_trip(self):
        data = jpeg(100000)
        media_id = self.cli("upload", self.write("a.jpg", data)).stdout.decode().strip()
        self.cli("download", media_id, "-o", "back.jpg")
        self.assert_clean("back.jpg", data)
        p = self.cli("download", media_id, "-o", "-")
        self.assertEqual(p.stdout, data)
        sub = self.path("o")
        os.mkdir(sub)
        p = self.cli("download", media_id, "-O", cwd=sub, global_args=("--json",))
        self.assertEqual(json.loads(p.stdout)["file"], "a.jpg")
        self.assertEqual(os.listdir(sub), ["a.jpg"])

    def test_chunks_on_one_connection(self):
        data = os.urandom(5 * 1048576)
        media_id = self.put(data)
        before = self.client.connections()["api_connections"]
        self.cli("download", media_id, "-o", "m.bin", "--chunk", "262144")
        self.assert_clean("m.bin", data)
        gets = self.downloads()
        self.assertEqual(len(gets), 20)
        self.assertEqual(gets[0]["range"], "bytes=0-262143")
        self.assertEqual(gets[19]["range"], "bytes=4980736-5242879")
        self.assertEqual(self.client.connections()["api_connections"] - before, 1)

    def test_api_error_leaves_nothing(self):
        for ctype in (None, "text/plain"):
            if ctype:
                self.client.config(error_content_type=ctype)
            p = self.cli("download", "no-such-media", "-o", "x.bin", expect=5)
            self.assertIn("errcode 40007", p.stderr.decode())
            self.assertEqual(os.listdir(self.work), [])

    def test_server_ignoring_range(self):
        data = os.urandom(700000)
        media_id = self.put(data)
        self.client.config(ignore_range=True)
        self.cli("download", media_id, "-o", "a.bin", "--chunk", "100000")
        self.assert_clean("a.bin", data)
        self.write("b.bin.part", data[:300000])
        self.cli("download", media_id, "-o", "b.bin", "--continue")
        self.assert_clean("b.bin", data)

    def test_continue_from_part(self):
        data = os.urandom(600000)
        media_id = self.put(data)
        self.write("m.bin.part", data[:250000])
        self.cli("download", media_id, "-o", "m.bin", "--continue")
        self.assert_clean("m.bin", data)
        self.assertEqual(self.downloads()[0]["range"], "bytes=250000-")
        # already complete: 416 says so, and the file is put in place
        self.client.reset()
        self.write("n.bin.part", data)
        self.cli("download", media_id, "-o", "n.bin", "--continue")
        self.assert_clean("n.bin", data)

    def test_changed_medium_is_never_mixed(self):
        old = os.urandom(800000)
        media_id = self.put(old)
        # a first run dies half way, leaving .part and .part.info
        # (the first answer goes through: a stall of 0 ms takes that turn)
        self.client.config(fault=[
            {"kind": "stall", "ms": 0, "count": 1, "path": "/cgi-bin/media/get"},
            {"kind": "drop_response_after", "bytes": 50, "count": 10,
             "path": "/cgi-bin/media/get"}])
        self.cli("download", media_id, "-o", "m.bin", "--chunk", "300000", expect=4)
        self.assertEqual(os.path.getsize(self.path("m.bin.part")), 300000)
        info = open(self.path("m.bin.part.info")).read()
        self.assertIn("total=800000", info)
        self.assertIn('etag="', info)
        # the medium changes; --continue must not join the two
        self.client.reset()
        new = os.urandom(900000)
        self.client.media_replace(media_id, new)
        p = self.cli("download", media_id, "-o", "m.bin", "--continue")
        self.assertIn("changed on the server", p.stderr.decode())
        self.assert_clean("m.bin", new)
        self.assertTrue(self.downloads()[0]["if_range"].startswith('"'))


class FaultMatrix(EmulatorCase):
    """A 5 MiB medium; the connection dies at about twenty places in the
    response: every run must still end with an identical file."""

    def test_drops_anywhere(self):
        data = os.urandom(5 * 1048576)
        media_id = self.client.media_put("file", "five.bin", data)
        head = self.response_head_length(media_id)
        total = head + len(data)
        offsets = [1, 17, head // 2, head - 2, head - 1, head, head + 1, head + 100,
                   16384, 65536, 1048576, 2 * 1048576 + 7, 3 * 1048576, 4 * 1048576,
                   total - 100000, total - 4097, total - 2, total - 1]
        for i, at in enumerate(offsets):
            self.client.reset()
            self.client.config(fault={"kind": "drop_response_after", "bytes": at,
                                      "count": 1, "path": "/cgi-bin/media/get"})
            name = "f%d.bin" % i
            self.cli("download", media_id, "-o", name)
            self.assertEqual(self.read(name), data, "dropped at %d" % at)
            self.assertFalse(os.path.exists(self.path(name + ".part")))
            self.assertEqual(self.downloads()[0]["fault"], "drop_response_after")
            os.unlink(self.path(name))

    def test_truncated_and_stalled(self):
        data = os.urandom(1048576)
        media_id = self.client.media_put("file", "one.bin", data)
        self.client.config(fault={"kind": "truncate_response", "bytes": 500000, "count": 1})
        self.cli("download", media_id, "-o", "t.bin")
        self.assertEqual(self.read("t.bin"), data)
        # stalls mid-body past --timeout: each retry resumes where it was
        self.client.reset()
        self.client.config(fault={"kind": "stall", "bytes": 100000, "ms": 3000, "count": 2})
        self.cli("download", media_id, "-o", "r.bin", global_args=("--timeout", "1"))
        self.assertEqual(self.read("r.bin"), data)
        self.assertEqual(len(self.downloads()), 3)

    def test_stalls_without_progress_give_up_and_continue_later(self):
        data = os.urandom(1048576)
        media_id = self.client.media_put("file", "one.bin", data)
        # the first range comes, then the server stalls before answering
        self.client.config(fault=[
            {"kind": "stall", "ms": 0, "count": 1},
            {"kind": "stall", "ms": 3000, "count": 10}])
        p = self.cli("download", media_id, "-o", "s.bin", "--chunk", "200000",
                     global_args=("--timeout", "1"), expect=4)
        self.assertIn("timeout", p.stderr.decode())
        self.assertIn("kept for --continue", p.stderr.decode())
        self.assertEqual(os.path.getsize(self.path("s.bin.part")), 200000)
        self.client.reset()
        self.cli("download", media_id, "-o", "s.bin", "--continue")
        self.assertEqual(self.read("s.bin"), data)
        self.assertFalse(os.path.exists(self.path("s.bin.part")))


class Names(EmulatorCase):
    """Server-supplied names with -O stay in the directory."""

    CASES = [
        ("attachment; filename*=UTF-8''%E6%B5%8B%E8%AF%95.xlsx; filename=\"x.xlsx\"", "测试.xlsx"),
        ("attachment; filename=\"门铃 留言.amr\"", "门铃 留言.amr"),
        ("attachment; filename=\"../../etc/passwd\"", "passwd"),
        ("attachment; filename=\"/tmp/evil\"", "evil"),
        ("attachment; filename*=UTF-8''..%2F..%2Fup.txt", "up.txt"),
        ("attachment; filename=\"..\"", None),
        ("attachment; filename=\"\"", None),
        ("attachment; filename=\".bashrc\"", "_bashrc"),
        ("attachment; filename*=UTF-8''a%0D%0Ab%07.txt", "ab.txt"),
        ("attachment; filename=\"voice\"", "voice"),
    ]

    def test_names_stay_inside(self):
        media_id = self.client.media_put("voice", "v.amr", b"#!AMR\n" + bytes(32) * 3)
        parent = os.path.dirname(self.work)
        for i, (value, want) in enumerate(self.CASES):
            self.client.config(disposition=value)
            d = self.path("d%d" % i)
            os.mkdir(d)
            before = sorted(os.listdir(parent))
            self.cli("download", media_id, "-O", cwd=d)
            got = os.listdir(d)
            self.assertEqual(len(got), 1, value)
            if want is None:   # no usable name: the media_id stands in
                self.assertTrue(media_id.startswith(got[0][:20]), (value, got))
            else:
                self.assertEqual(got[0], want, value)
            self.assertEqual(sorted(os.listdir(parent)), before, value)


if __name__ == "__main__":
    unittest.main()
