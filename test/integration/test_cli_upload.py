"""wecom-media upload against the emulator: what arrives, what is refused
before a byte is sent, retries, tokens and secrets."""

import json
import os
import unittest

from clitest import CORPID, SECRET, EmulatorCase, amr, jpeg, mp4, png, sha256


class Upload(EmulatorCase):

    def test_each_kind_arrives_intact(self):
        files = {
            "photo.jpg": (jpeg(30000), "image", "image/jpeg"),
            "shot.png": (png(20000), "image", "image/png"),
            "clip.amr": (amr(500), "voice", "audio/amr"),
            "movie.mp4": (mp4(40000), "video", "video/mp4"),
            "report.pdf": (b"%PDF-1.7\n" + os.urandom(5000), "file", "application/octet-stream"),
        }
        paths = [self.write(name, data) for name, (data, _, _) in files.items()]
        before = self.client.connections()["api_connections"]
        p = self.cli("upload", *paths)
        ids = p.stdout.decode().split()
        self.assertEqual(len(ids), len(files))
        # several files, one connection
        self.assertEqual(self.client.connections()["api_connections"] - before, 1)
        stored = {m["media_id"]: m for m in self.client.media()}
        for media_id, (name, (data, kind, ctype)) in zip(ids, files.items()):
            self.assertEqual(self.client.media_get(media_id), data, name)
            self.assertEqual(stored[media_id]["kind"], kind)
            self.assertEqual(stored[media_id]["filename"], name)
        parts = {e["filename"]: e["part_content_type"] for e in self.uploads()}
        for name, (_, _, ctype) in files.items():
            self.assertEqual(parts[name], ctype)

    def test_json_output_and_created_at_forms(self):
        path = self.write("a.jpg", jpeg(1000))
        p = self.cli("upload", path, global_args=("--json",))
        out = json.loads(p.stdout)
        self.assertEqual(out["type"], "image")
        self.assertTrue(out["created_at"].isdigit())
        self.assertEqual(self.client.media_get(out["media_id"]), self.read("a.jpg"))
        self.client.config(created_at_number=True)
        out2 = json.loads(self.cli("upload", path, global_args=("--json",)).stdout)
        self.assertTrue(out2["created_at"].isdigit())

    def test_refused_before_sending(self):
        long_voice = amr(3001, 15)       # 3001 NO_DATA frames: 60.02 s
        cases = [
            ("tiny.jpg", b"\xff\xd8\xff\xe0\x00", "image", "more than 5"),
            ("big.jpg", jpeg(2 * 1048576 + 1), "image", "2097153 bytes is over the limit of 2097152"),
            ("fake.jpg", b"GIF89a" + bytes(100), "image", "JPG or PNG"),
            ("voice.wav", b"RIFF\x00\x00\x00\x00WAVE" + bytes(100), "voice", "AMR"),
            ("wide.amr", b"#!AMR-WB\n" + bytes(100), "voice", "AMR-WB"),
            ("long.amr", long_voice, "voice", "60020 ms is over the limit of 60000 ms"),
            ("clip.mov", b"\x00\x00\x00\x14moov" + bytes(100), "video", "MP4"),
            ("huge.bin", b"x" * (20 * 1048576 + 1), "file", "20971521 bytes is over the limit of 20971520"),
        ]
        for name, data, kind, says in cases:
            path = self.write(name, data)
            p = self.cli("upload", "--type", kind, path, expect=3)
            self.assertIn(says, p.stderr.decode(), name)
            self.assertEqual(p.stdout, b"")
        self.assertEqual(self.uploads(), [], "the emulator received an upload")
        # 3000 frames are exactly 60 s and go
        self.cli("upload", "--type", "voice", self.write("ok.amr", amr(3000, 15)))

    def test_no_check_sends_and_wecom_refuses(self):
        path = self.write("fake.jpg", b"GIF89a" + bytes(100))
        p = self.cli("upload", "--type", "image", "--no-check", path, expect=5)
        self.assertIn("errcode 40004", p.stderr.decode())
        self.assertEqual(len(self.uploads()), 1)

    def test_twenty_mebibytes(self):
        data = os.urandom(20 * 1048576)
        path = self.write("big.bin", data)
        media_id = self.cli("upload", "--type", "file", path).stdout.decode().strip()
        stored = {m["media_id"]: m for m in self.client.media()}[media_id]
        self.assertEqual(stored["size"], len(data))
        self.assertEqual(stored["sha256"], sha256(data))

    def test_names(self):
        data = jpeg(500)
        self.cli("upload", self.write("测试 图片.jpg", data))
        sub = os.path.join(self.work, "dir")
        os.mkdir(sub)
        with open(os.path.join(sub, 'say "cheese".jpg'), "wb") as f:
            f.write(data)
        self.cli("upload", os.path.join(sub, 'say "cheese".jpg'))
        self.cli("upload", "--name", "门铃/快照.jpg", self.write("x.jpg", data))
        names = [e["filename"] for e in self.uploads()]
        self.assertEqual(names, ["测试 图片.jpg", 'say "cheese".jpg', "快照.jpg"])

    def test_pipe_with_length(self):
        data = os.urandom(300000)
        p = self.cli("upload", "--type", "file", "--length", str(len(data)), "-", stdin=data)
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)
        # without a length a pipe is refused, and nothing is sent
        self.cli("upload", "--type", "file", "-", stdin=data, expect=2)
        self.assertEqual(len(self.uploads()), 1)

    def test_dropped_mid_body_is_retried_whole(self):
        data = os.urandom(2 * 1048576)
        path = self.write("d.bin", data)
        self.client.config(fault={"kind": "drop_request_after", "bytes": 1048576,
                                  "count": 1, "path": "/cgi-bin/media/upload"})
        media_id = self.cli("upload", "--type", "file", path).stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), data)
        outcomes = [e["outcome"] for e in self.uploads()]
        self.assertEqual(outcomes, ["dropped", "answered"])

    def test_dropped_every_time_then_next_file_works(self):
        bad = self.write("a.bin", os.urandom(200000))
        good = self.write("b.bin", os.urandom(200000))
        self.client.config(fault={"kind": "drop_request_after", "bytes": 100000,
                                  "count": 4, "path": "/cgi-bin/media/upload"})
        p = self.cli("upload", "--type", "file", bad, good, expect=4)
        self.assertIn("connection closed", p.stderr.decode())
        ids = p.stdout.decode().split()
        self.assertEqual(len(ids), 1)  # the second file went through
        self.assertEqual(self.client.media_get(ids[0]), self.read("b.bin"))

    def test_busy_retried_rate_limit_not(self):
        path = self.write("a.jpg", jpeg(1000))
        self.client.config(force_errcode={"errcode": -1, "count": 1})
        self.cli("upload", path)
        self.assertEqual(len(self.uploads()), 2)
        self.client.reset()
        self.client.config(force_errcode={"errcode": 45009, "count": 1})
        p = self.cli("upload", path, expect=5)
        self.assertIn("errcode 45009", p.stderr.decode())
        self.assertEqual(len(self.uploads()), 1)

    def test_revoked_token(self):
        self.client.revoke(self.token)
        try:
            p = self.cli("upload", self.write("a.jpg", jpeg(1000)), expect=5)
            self.assertIn("errcode 40014", p.stderr.decode())
        finally:
            self.__class__.token = self.client.gettoken()["access_token"]

    def test_secret_never_on_the_command_line(self):
        for opt in ("--secret", "--corpsecret"):
            p = self.cli(opt, "s3cr3t-value", "upload", "x", expect=2)
            self.assertIn("visible to every user", p.stderr.decode())
            self.assertNotIn(b"s3cr3t-value", p.stderr)

    def test_token_command_and_corpid(self):
        env = {"WECOM_CORPSECRET": SECRET}
        p = self.cli("--corpid", CORPID, "token", env=env, token=False)
        fetched = p.stdout.decode().strip()
        self.assertTrue(len(fetched) > 16)
        # that token works
        path = self.write("a.jpg", jpeg(1000))
        p = self.cli("upload", path, token=False, env={"WECOM_ACCESS_TOKEN": fetched})
        self.assertTrue(p.stdout.strip())
        # --corpid for the upload itself, and a token revoked mid-run is refetched
        self.client.expire()
        self.cli("--corpid", CORPID, "upload", path, path, env=env, token=False)
        secret_file = self.write("secret", (SECRET + "\n").encode())
        self.cli("--corpid", CORPID, "--secret-file", secret_file, "upload", path, token=False)
        p = self.cli("--corpid", CORPID, "token", env={"WECOM_CORPSECRET": "wrong"},
                     token=False, expect=5)
        self.assertIn("errcode 40001", p.stderr.decode())
        self.__class__.token = self.client.gettoken()["access_token"]


if __name__ == "__main__":
    unittest.main()
