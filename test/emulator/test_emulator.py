#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of the WeCom emulator, over the wire, against a running instance.

Run from anywhere:  python3 test_emulator.py  or  python3 -m unittest test_emulator
Each class starts its own emulator on an ephemeral port in a temporary
directory and stops it afterwards.
"""

import email.utils
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import emu  # noqa: E402  (needs the path above)

TOKEN = "preset-" + "T" * 57
UPLOAD = "/cgi-bin/media/upload?access_token=%s&type=%s"
GET = "/cgi-bin/media/get?access_token=%s&media_id=%s"
MIB = 1048576

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(20))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(20))
GIF = b"GIF89a" + bytes(range(20))
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(20))

AMR_MAGIC = b"#!AMR\n"
AMR_FRAME_BYTES = {0: 13, 1: 14, 2: 16, 3: 18, 4: 20, 5: 21, 6: 27, 7: 32, 8: 6, 15: 1}


def amr(*runs):
    """An AMR-NB file from (frame_type, count) runs; each frame lasts 20 ms."""
    out = bytearray(AMR_MAGIC)
    for frame_type, count in runs:
        frame = bytes([frame_type << 3 | 0x04]) + bytes(AMR_FRAME_BYTES.get(frame_type, 1) - 1)
        out += frame * count
    return bytes(out)


def part(data, name="media", filename="a.jpg", filelength=True, content_type="image/jpeg",
         boundary=b"XyZ", disposition=None):
    """One body part, starting with its delimiter line."""
    if disposition is None:
        disposition = b'form-data; name="%s"' % name.encode()
        if filename is not None:
            disposition += b'; filename="%s"' % filename.encode("utf-8")
        if filelength:
            disposition += b"; filelength=%d" % len(data)
    head = b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n"
    if content_type:
        head += b"Content-Type: " + content_type.encode() + b"\r\n"
    return head + b"\r\n" + data + b"\r\n"


def body(*parts, boundary=b"XyZ"):
    return b"".join(parts) + b"--" + boundary + b"--\r\n"


CT = "multipart/form-data; boundary=XyZ"


class Raw:
    """A TLS connection driven byte by byte, for what http.client will not send."""

    def __init__(self, client, timeout=5):
        sock = socket.create_connection((client.host, client.port), timeout=timeout)
        self.sock = client.ssl_context().wrap_socket(sock, server_hostname=client.host)
        self.host = "%s:%d" % (client.host, client.port)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, target, headers=(), body=b"", content_length=True):
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: " + self.host]
        lines += list(headers)
        if content_length and (body or method == "POST"):
            lines.append("Content-Length: %d" % len(body))
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)

    def _recv(self):
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return b""
        return data

    def read_until_close(self, limit=32 * MIB):
        out = self.buf
        self.buf = b""
        while len(out) < limit:
            data = self._recv()
            if not data:
                break
            out += data
        return out

    def read_response(self, head_only=False):
        """(status, {lower-case name: value}, body) of the next response, or None at EOF."""
        while b"\r\n\r\n" not in self.buf:
            data = self._recv()
            if not data:
                if self.buf:
                    raise AssertionError("connection closed inside a head: %r" % self.buf[:200])
                return None
            self.buf += data
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("utf-8").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0])
        if not m:
            raise AssertionError("bad status line %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            data = self._recv()
            if not data:
                raise AssertionError("body cut at %d of %d bytes" % (len(self.buf), length))
            self.buf += data
        resp_body, self.buf = self.buf[:length], self.buf[length:]
        return int(m.group(1)), headers, resp_body

    def closed_by_peer(self):
        return self.read_until_close() == b""


class EmulatorTestCase(unittest.TestCase):
    emulator_args = ("--token", TOKEN)

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="wecom-emu-test-")
        cls.state_dir = cls._tmp.name
        cls.emu, cls._proc = emu.start(cls.state_dir, cls.emulator_args)

    @classmethod
    def tearDownClass(cls):
        code = emu.stop(cls.state_dir, cls._proc)
        cls._tmp.cleanup()
        assert code == 0, "emulator exited with %r" % code

    def setUp(self):
        self.emu.reset(media=True)

    # -- helpers -----------------------------------------------------------------

    def raw(self):
        conn = Raw(self.emu)
        self.addCleanup(conn.close)
        return conn

    def upload(self, data_body, kind="image", content_type=CT, token=TOKEN, headers=None):
        h = dict(headers or {})
        if content_type is not None:
            h["Content-Type"] = content_type
        return self.emu.request("POST", UPLOAD % (token, kind), data_body, h)

    def upload_file(self, data, kind="image", filename="a.jpg", **kw):
        return self.upload(body(part(data, filename=filename)), kind, **kw)

    def get(self, media_id, headers=None, token=TOKEN):
        return self.emu.request("GET", GET % (token, urllib.parse.quote(media_id)), None, headers)

    def assertErrcode(self, reply, code):
        self.assertEqual(reply.status, 200, reply.body[:300])
        self.assertEqual(reply.json()["errcode"], code, reply.body[:300])
        self.assertEqual(reply.headers["Error-Code"], str(code))

    def assertNothingStored(self):
        self.assertEqual(self.emu.media(), [])

    def last_log(self):
        return self.emu.log()[-1]

    def wait_log(self, predicate, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            entries = self.emu.log()
            if predicate(entries) or time.monotonic() > deadline:
                return entries
            time.sleep(0.02)


# ---------------------------------------------------------------------------------


class TokenTests(EmulatorTestCase):
    def test_gettoken_gives_a_long_urlsafe_token_that_works(self):
        answer = self.emu.gettoken()
        self.assertEqual(answer["errcode"], 0)
        self.assertEqual(answer["errmsg"], "ok")
        self.assertEqual(answer["expires_in"], 7200)
        self.assertRegex(answer["access_token"], r"\A[A-Za-z0-9_-]{64,}\Z")
        self.assertErrcode(self.get("nosuchmedia", token=answer["access_token"]), 40007)

    def test_token_length_knob(self):
        self.emu.config(token_length=512)
        self.assertEqual(len(self.emu.gettoken()["access_token"]), 512)

    def test_wrong_or_missing_credentials_get_40001(self):
        for corpid, secret in (("wwemulator", "wrong"), ("wrongcorp", "emulator-secret"),
                               ("wwemulator", "")):
            with self.subTest(corpid=corpid, secret=secret):
                self.assertEqual(self.emu.gettoken(corpid, secret)["errcode"], 40001)
        self.assertErrcode(self.emu.request("GET", "/cgi-bin/gettoken"), 40001)

    def test_preset_token_is_valid_from_the_start(self):
        self.assertErrcode(self.get("nosuchmedia"), 40007)

    def test_token_expires_after_token_ttl(self):
        self.emu.config(token_ttl=1)
        answer = self.emu.gettoken()
        self.assertEqual(answer["expires_in"], 1)
        token = answer["access_token"]
        self.assertErrcode(self.get("nosuchmedia", token=token), 40007)
        time.sleep(1.2)
        self.assertErrcode(self.get("nosuchmedia", token=token), 42001)
        self.assertErrcode(self.upload_file(JPEG, token=token), 42001)
        self.assertEqual(self.last_log()["token_state"], "expired")

    def test_revoked_token_gets_40014(self):
        token = self.emu.gettoken()["access_token"]
        other = self.emu.gettoken()["access_token"]
        self.assertEqual(self.emu.revoke(token), {"count": 1})
        self.assertErrcode(self.get("x", token=token), 40014)
        self.assertErrcode(self.upload_file(JPEG, token=token), 40014)
        self.assertErrcode(self.get("x", token=other), 40007)

    def test_expire_endpoint_gets_42001(self):
        token = self.emu.gettoken()["access_token"]
        self.emu.expire(token)
        self.assertErrcode(self.get("x", token=token), 42001)

    def test_missing_and_unknown_tokens(self):
        self.assertErrcode(self.emu.request("GET", "/cgi-bin/media/get?media_id=x"), 41001)
        self.assertErrcode(self.get("x", token=""), 41001)
        self.assertErrcode(self.get("x", token="not-a-token"), 40014)
        self.assertErrcode(self.upload_file(JPEG, token=""), 41001)
        self.assertErrcode(self.upload_file(JPEG, token="not-a-token"), 40014)
        self.assertNothingStored()

    def test_token_and_secret_never_logged(self):
        token = self.emu.gettoken()["access_token"]
        self.get("x", token=token)
        self.get("x")
        entries = self.emu.log()
        self.assertEqual(entries[1]["target"], "/cgi-bin/media/get?access_token=***&media_id=x")
        self.assertEqual(entries[0]["query"], {"corpid": "wwemulator"})
        with open(os.path.join(self.state_dir, "requests.log"), encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(len(text.splitlines()), 3)
        for secret in (token, TOKEN, "emulator-secret"):
            self.assertNotIn(secret, text)
            self.assertNotIn(secret, json.dumps(entries))


class RevokeAllTests(EmulatorTestCase):
    def test_revoke_without_token_revokes_every_token(self):
        fresh = self.emu.gettoken()["access_token"]
        self.assertEqual(self.emu.revoke(), {"count": 2})
        self.assertErrcode(self.get("x"), 40014)
        self.assertErrcode(self.get("x", token=fresh), 40014)
        self.assertErrcode(self.get("x", token=self.emu.gettoken()["access_token"]), 40007)


# ---------------------------------------------------------------------------------

BAD_BOUNDARY = "b" * 71

# (name, request Content-Type, body): each must be refused with 44001 and
# nothing stored. Body framing cases (chunked, lengths) are in MultipartFramingTests.
MALFORMED = [
    ("no_boundary_parameter", "multipart/form-data", body(part(JPEG))),
    ("not_multipart", "application/octet-stream", body(part(JPEG))),
    ("no_content_type", None, body(part(JPEG))),
    ("empty_boundary", 'multipart/form-data; boundary=""', body(part(JPEG))),
    ("boundary_over_70_chars", "multipart/form-data; boundary=" + BAD_BOUNDARY,
     body(part(JPEG, boundary=BAD_BOUNDARY.encode()), boundary=BAD_BOUNDARY.encode())),
    ("boundary_given_twice", "multipart/form-data; boundary=XyZ; boundary=XyZ", body(part(JPEG))),
    ("no_parts", CT, b"--XyZ--\r\n"),
    ("no_media_part", CT, body(part(b"hello", name="description", filename=None,
                                    filelength=False, content_type=None))),
    ("wrong_part_name", CT, body(part(JPEG, name="file"))),
    ("media_part_without_filename", CT, body(part(JPEG, filename=None))),
    ("media_part_with_empty_filename", CT, body(part(JPEG, filename=""))),
    ("filename_star_instead_of_filename", CT, body(part(JPEG, disposition=(
        b"form-data; name=\"media\"; filename*=utf-8''a.jpg")))),
    ("filename_star_beside_filename", CT, body(part(JPEG, disposition=(
        b"form-data; name=\"media\"; filename=\"a.jpg\"; filename*=utf-8''a.jpg")))),
    ("missing_close_delimiter", CT, part(JPEG)),
    ("missing_close_delimiter_after_delimiter_line", CT, part(JPEG) + b"--XyZ\r\n"),
    ("broken_close_delimiter", CT, part(JPEG) + b"--XyZ-\r\n"),
    ("longer_boundary_as_close", CT, part(JPEG) + b"--XyZX--\r\n"),
    ("garbage_after_close_delimiter", CT, body(part(JPEG)) + b"epilogue"),
    ("preamble", CT, b"preamble\r\n" + body(part(JPEG))),
    ("transport_padding", CT, body(part(JPEG)).replace(b"--XyZ\r\n", b"--XyZ  \r\n", 1)),
    ("filelength_mismatch", CT, body(part(JPEG, disposition=(
        b'form-data; name="media"; filename="a.jpg"; filelength=%d' % (len(JPEG) - 1))))),
    ("filelength_not_a_number", CT, body(part(JPEG, disposition=(
        b'form-data; name="media"; filename="a.jpg"; filelength=12a')))),
    ("two_media_parts", CT, body(part(JPEG), part(JPEG, filename="b.jpg"))),
    ("bare_lf_in_part_headers", CT, body(part(JPEG)).replace(b"\r\nContent-Type", b"\nContent-Type")),
    ("part_without_content_disposition", CT,
     b"--XyZ\r\nContent-Type: image/jpeg\r\n\r\n" + JPEG + b"\r\n--XyZ--\r\n"),
    ("disposition_not_form_data", CT, body(part(JPEG, disposition=(
        b'attachment; name="media"; filename="a.jpg"')))),
    ("base64_transfer_encoding", CT, body(part(JPEG)).replace(
        b"Content-Type: image/jpeg\r\n",
        b"Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n")),
    ("unterminated_quoted_filename", CT, body(part(JPEG, disposition=(
        b'form-data; name="media"; filename="a.jpg')))),
    ("filename_not_utf8", CT, body(part(JPEG, disposition=(
        b'form-data; name="media"; filename="\xff\xfe.jpg"')))),
    ("space_around_equals", CT, body(part(JPEG, disposition=(
        b'form-data; name = "media"; filename="a.jpg"')))),
    ("parameter_given_twice", CT, body(part(JPEG, disposition=(
        b'form-data; name="media"; name="media"; filename="a.jpg"')))),
    ("boundary_inside_content", CT, body(part(JPEG[:8] + b"\r\n--XyZ" + JPEG[8:]))),
    ("empty_file", CT, body(part(b""))),
]


class MultipartTests(EmulatorTestCase):
    """Rule by rule, multipart.py's refusals (see its docstring)."""

    def test_table_has_at_least_ten_cases(self):
        self.assertGreaterEqual(len(MALFORMED), 10)

    def test_well_formed_baseline_is_accepted(self):
        reply = self.upload(body(part(JPEG)))
        self.assertErrcode(reply, 0)
        entry = self.last_log()
        self.assertEqual((entry["filename"], entry["filelength"], entry["part_content_type"],
                          entry["part_size"]), ("a.jpg", len(JPEG), "image/jpeg", len(JPEG)))

    def test_wecom_documentation_layout_is_accepted(self):
        # The sample in WeCom's upload documentation: no space before filename.
        data = b"wework"
        raw = (b"--XyZ\r\nContent-Disposition: form-data; name=\"media\";filename=\"wework.txt\"; "
               b"filelength=6\r\nContent-Type: application/octet-stream\r\n\r\n" + data
               + b"\r\n--XyZ--\r\n")
        self.assertErrcode(self.upload(raw, "file"), 0)

    def test_quoted_boundary_with_specials_is_accepted(self):
        b = b"a'()+_,-./:=?b"
        reply = self.upload(body(part(JPEG, boundary=b), boundary=b),
                            content_type='multipart/form-data; boundary="%s"' % b.decode())
        self.assertErrcode(reply, 0)

    def test_minimal_part_and_no_final_crlf_are_accepted(self):
        raw = part(JPEG, filelength=False, content_type=None) + b"--XyZ--"
        self.assertErrcode(self.upload(raw), 0)
        self.assertIsNone(self.last_log()["filelength"])

    def test_other_fields_beside_media_are_accepted(self):
        raw = body(part(b"note", name="comment", filename=None, filelength=False,
                        content_type=None), part(JPEG))
        self.assertErrcode(self.upload(raw), 0)

    def test_utf8_filename_is_stored_raw(self):
        self.assertErrcode(self.upload(body(part(JPEG, filename="测试 图片.jpg"))), 0)
        self.assertEqual(self.emu.media()[0]["filename"], "测试 图片.jpg")
        self.assertEqual(self.last_log()["filename"], "测试 图片.jpg")

    def test_escaped_quote_in_filename_is_unescaped(self):
        raw = body(part(JPEG, disposition=b'form-data; name="media"; filename="a\\"b.jpg"'))
        self.assertErrcode(self.upload(raw), 0)
        self.assertEqual(self.emu.media()[0]["filename"], 'a"b.jpg')


def _malformed_test(content_type, raw):
    def test(self):
        reply = self.upload(raw, content_type=content_type)
        self.assertErrcode(reply, 44001)
        self.assertNothingStored()
        self.assertTrue(self.last_log()["reason"])
    return test


for _name, _ctype, _raw in MALFORMED:
    setattr(MultipartTests, "test_refuses_" + _name, _malformed_test(_ctype, _raw))


class MultipartFramingTests(EmulatorTestCase):
    """Bodies whose length does not match what the request head declares."""

    def raw_upload_head(self, extra_headers, content_length=None):
        lines = ["POST %s HTTP/1.1" % (UPLOAD % (TOKEN, "image")), "Host: x", "Content-Type: " + CT]
        if content_length is not None:
            lines.append("Content-Length: %d" % content_length)
        return ("\r\n".join(lines + list(extra_headers)) + "\r\n\r\n").encode()

    def test_chunked_upload_gets_44001_and_close(self):
        raw = body(part(JPEG))
        conn = self.raw()
        conn.send(self.raw_upload_head(["Transfer-Encoding: chunked"])
                  + b"%x\r\n" % len(raw) + raw + b"\r\n0\r\n\r\n")
        status, headers, answer = conn.read_response()
        self.assertEqual(json.loads(answer)["errcode"], 44001)
        self.assertEqual(headers["connection"], "close")
        self.assertTrue(conn.closed_by_peer())
        self.assertNothingStored()

    def test_upload_without_content_length_gets_44001_and_close(self):
        conn = self.raw()
        conn.send(self.raw_upload_head([]) + body(part(JPEG)))
        status, headers, answer = conn.read_response()
        self.assertEqual(json.loads(answer)["errcode"], 44001)
        self.assertTrue(conn.closed_by_peer())
        self.assertNothingStored()

    def test_body_shorter_than_content_length_then_close_is_dropped(self):
        raw = body(part(JPEG))
        conn = self.raw()
        conn.send(self.raw_upload_head([], len(raw) + 100) + raw)
        conn.close()  # the client gives up mid-body
        entries = self.wait_log(lambda e: e and e[-1]["outcome"] == "client_closed")
        self.assertEqual(entries[-1]["outcome"], "client_closed")
        self.assertEqual(entries[-1]["body_length"], len(raw))
        self.assertIsNone(entries[-1]["status"])
        self.assertNothingStored()

    def test_body_longer_than_content_length_is_refused(self):
        # Content-Length stops 4 bytes early, inside the close delimiter: the
        # upload is refused, and the leftover "--\r\n" is not a request.
        raw = body(part(JPEG))
        conn = self.raw()
        conn.send(self.raw_upload_head([], len(raw) - 4) + raw)
        status, _, answer = conn.read_response()
        self.assertEqual(json.loads(answer)["errcode"], 44001)
        status, headers, _ = conn.read_response()
        self.assertEqual(status, 400)
        self.assertTrue(conn.closed_by_peer())
        self.assertNothingStored()

    def test_non_decimal_content_length_is_400(self):
        conn = self.raw()
        conn.send(self.raw_upload_head(["Content-Length: 12abc"]) + b"x" * 12)
        status, _, _ = conn.read_response()
        self.assertEqual(status, 400)
        self.assertTrue(conn.closed_by_peer())

    def test_expect_100_continue_gets_interim_answer(self):
        raw = body(part(JPEG))
        conn = self.raw()
        conn.send(self.raw_upload_head(["Expect: 100-continue"], len(raw)))
        status, _, _ = conn.read_response()
        self.assertEqual(status, 100)
        conn.send(raw)
        status, _, answer = conn.read_response()
        self.assertEqual(json.loads(answer)["errcode"], 0)

    def test_request_body_is_kept_byte_exact(self):
        raw = body(part(JPEG))
        self.assertErrcode(self.upload(raw), 0)
        entry = self.last_log()
        self.assertEqual(entry["body_length"], len(raw))
        self.assertEqual(entry["content_length"], len(raw))
        self.assertEqual(self.emu.request_body(entry["index"]), raw)
        self.assertEqual(self.emu.request_body(-1), raw)


# ---------------------------------------------------------------------------------


class FormatTests(EmulatorTestCase):
    def test_upload_answer_fields(self):
        before = int(time.time())
        answer = self.upload_file(JPEG).json()
        self.assertEqual(set(answer), {"errcode", "errmsg", "type", "media_id", "created_at"})
        self.assertEqual((answer["errcode"], answer["errmsg"], answer["type"]), (0, "", "image"))
        self.assertRegex(answer["media_id"], r"\A[A-Za-z0-9_-]{60,}\Z")
        self.assertIsInstance(answer["created_at"], str)
        self.assertTrue(before <= int(answer["created_at"]) <= time.time() + 1)

    def test_created_at_number_knob(self):
        self.emu.config(created_at_number=True)
        created = self.upload_file(JPEG).json()["created_at"]
        self.assertIsInstance(created, int)

    def test_stored_bytes_and_metadata(self):
        media_id = self.upload_file(PNG, filename="p.png").json()["media_id"]
        self.assertEqual(self.emu.media_get(media_id), PNG)
        [info] = self.emu.media()
        self.assertEqual((info["media_id"], info["kind"], info["filename"], info["size"], info["sha256"]),
                         (media_id, "image", "p.png", len(PNG), hashlib.sha256(PNG).hexdigest()))

    def test_bad_or_missing_type_gets_40005(self):
        self.assertErrcode(self.upload_file(JPEG, kind="picture"), 40005)
        reply = self.emu.request("POST", "/cgi-bin/media/upload?access_token=" + TOKEN,
                                 body(part(JPEG)), {"Content-Type": CT})
        self.assertErrcode(reply, 40005)
        self.assertNothingStored()

    def test_size_must_be_over_five_bytes(self):
        self.assertErrcode(self.upload_file(b"12345", kind="file"), 40006)
        self.assertErrcode(self.upload_file(b"123456", kind="file"), 0)
        self.emu.config(limits={"min_bytes": 10})
        self.assertErrcode(self.upload_file(b"123456789", kind="file"), 40006)

    def test_image_magic(self):
        self.assertErrcode(self.upload_file(JPEG), 0)
        self.assertErrcode(self.upload_file(PNG), 0)
        self.assertErrcode(self.upload_file(GIF), 40004)
        self.assertErrcode(self.upload_file(b"\x89PNG\r\n\x1a" + bytes(20)), 40004)
        self.assertEqual(len(self.emu.media()), 2)

    def test_image_size_limit(self):
        self.emu.config(limits={"max_bytes": {"image": 64}})
        self.assertErrcode(self.upload_file(JPEG + bytes(64 - len(JPEG))), 0)
        self.assertErrcode(self.upload_file(JPEG + bytes(65 - len(JPEG))), 40009)
        self.assertEqual(self.emu.config()["limits"]["max_bytes"]["video"], 10 * MIB)

    def test_default_image_limit_is_2_mib(self):
        self.assertErrcode(self.upload_file(JPEG + bytes(2 * MIB - len(JPEG))), 0)
        self.assertErrcode(self.upload_file(JPEG + bytes(2 * MIB + 1 - len(JPEG))), 40009)

    def test_voice_of_60_seconds_is_accepted(self):
        self.assertErrcode(self.upload_file(amr((15, 3000)), kind="voice", filename="v.amr"), 0)

    def test_voice_of_61_seconds_gets_45007(self):
        self.assertErrcode(self.upload_file(amr((15, 3050)), kind="voice"), 45007)
        self.assertErrcode(self.upload_file(amr((15, 3001)), kind="voice"), 45007)
        self.assertNothingStored()

    def test_voice_duration_walks_every_frame_type(self):
        speech = [(ft, 300) for ft in range(8)] + [(8, 300), (15, 300)]   # 3000 frames
        self.assertErrcode(self.upload_file(amr(*speech), kind="voice"), 0)
        self.assertErrcode(self.upload_file(amr(*speech, (7, 1)), kind="voice"), 45007)

    def test_voice_max_seconds_knob(self):
        self.emu.config(limits={"voice_max_seconds": 1})
        self.assertErrcode(self.upload_file(amr((7, 50)), kind="voice"), 0)
        self.assertErrcode(self.upload_file(amr((7, 51)), kind="voice"), 45007)

    def test_voice_format_errors_get_40004(self):
        cases = {
            "not_amr": b"RIFF\x00\x00\x00\x00WAVEfmt ",
            "amr_wb": b"#!AMR-WB\n" + bytes(20),
            "reserved_frame_type": amr((7, 3)) + bytes([9 << 3 | 4]) + bytes(10),
            "truncated_frame": amr((7, 3)) + bytes([7 << 3 | 4]) + bytes(5),
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.assertErrcode(self.upload_file(data, kind="voice"), 40004)
        self.assertNothingStored()

    def test_voice_size_limit_gets_40006(self):
        self.emu.config(limits={"max_bytes": {"voice": 100}})
        self.assertErrcode(self.upload_file(amr((7, 2)), kind="voice"), 0)
        self.assertErrcode(self.upload_file(amr((7, 3)), kind="voice"), 40006)

    def test_video_needs_ftyp_and_size(self):
        self.assertErrcode(self.upload_file(MP4, kind="video"), 0)
        self.assertErrcode(self.upload_file(b"\x00\x00\x00\x18moov" + bytes(30), kind="video"), 40004)
        self.emu.config(limits={"max_bytes": {"video": len(MP4)}})
        self.assertErrcode(self.upload_file(MP4 + b"x", kind="video"), 40011)

    def test_file_takes_anything_up_to_its_limit(self):
        self.assertErrcode(self.upload_file(b"any bytes \x00\xff", kind="file"), 0)
        self.emu.config(limits={"max_bytes": {"file": 16}})
        self.assertErrcode(self.upload_file(bytes(17), kind="file"), 45001)

    def test_media_expires_after_three_days_of_emulator_clock(self):
        media_id = self.upload_file(JPEG).json()["media_id"]
        self.emu.config(clock_offset=3 * 86400 - 30)
        self.assertEqual(self.get(media_id).status, 200)
        self.emu.config(clock_offset=3 * 86400 + 30)
        self.assertErrcode(self.get(media_id), 40007)


# ---------------------------------------------------------------------------------

TEN_K = bytes((i * 7 + i // 251) % 256 for i in range(10000))


class RangeTests(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.media_id = self.emu.media_put("file", "ten-k.bin", TEN_K)

    def ranged(self, value, **headers):
        return self.get(self.media_id, dict(headers, Range=value))

    def test_rfc7233_examples(self):
        # RFC 7233 2.1, for a representation of 10000 bytes.
        for value, first, last in (("bytes=0-499", 0, 499), ("bytes=500-999", 500, 999),
                                   ("bytes=-500", 9500, 9999), ("bytes=9500-", 9500, 9999),
                                   ("bytes=0-0", 0, 0), ("bytes=-1", 9999, 9999)):
            with self.subTest(value):
                reply = self.ranged(value)
                self.assertEqual(reply.status, 206)
                self.assertEqual(reply.headers["Content-Range"], "bytes %d-%d/10000" % (first, last))
                self.assertEqual(reply.headers["Content-Length"], str(last - first + 1))
                self.assertEqual(reply.body, TEN_K[first:last + 1])

    def test_ranges_past_the_end_are_clipped(self):
        for value, first in (("bytes=9000-20000", 9000), ("bytes=-20000", 0)):
            with self.subTest(value):
                reply = self.ranged(value)
                self.assertEqual(reply.status, 206)
                self.assertEqual(reply.headers["Content-Range"], "bytes %d-9999/10000" % first)
                self.assertEqual(reply.body, TEN_K[first:])

    def test_unsatisfiable_gets_416(self):
        for value in ("bytes=10000-", "bytes=10000-10010", "bytes=-0"):
            with self.subTest(value):
                reply = self.ranged(value)
                self.assertEqual(reply.status, 416)
                self.assertEqual(reply.headers["Content-Range"], "bytes */10000")

    def test_multi_range_and_malformed_are_ignored(self):
        for value in ("bytes=500-600,601-999", "bytes=0-1,5-6", "bytes 0-1023", "bytes=abc",
                      "bytes=500-400", "items=0-1", "bytes=1-2-3", "bytes= 0-1x"):
            with self.subTest(value):
                reply = self.ranged(value)
                self.assertEqual(reply.status, 200)
                self.assertNotIn("Content-Range", reply.headers)
                self.assertEqual(reply.body, TEN_K)

    def test_range_unit_is_case_insensitive(self):
        self.assertEqual(self.ranged("Bytes=0-9").status, 206)

    def test_full_answer_headers(self):
        reply = self.get(self.media_id)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.body, TEN_K)
        self.assertEqual(reply.headers["Content-Length"], "10000")
        self.assertEqual(reply.headers["Content-Type"], "application/octet-stream")
        self.assertEqual(reply.headers["Accept-Ranges"], "bytes")
        self.assertEqual(reply.headers["ETag"], '"%s"' % hashlib.sha1(TEN_K).hexdigest())
        self.assertIsNotNone(email.utils.parsedate_to_datetime(reply.headers["Last-Modified"]))
        self.assertEqual(self.last_log()["errcode"], 0)

    def test_if_range_with_matching_etag_honours_range(self):
        etag = self.get(self.media_id).headers["ETag"]
        self.assertEqual(self.ranged("bytes=0-9", **{"If-Range": etag}).status, 206)
        self.assertEqual(self.ranged("bytes=0-9", **{"If-Range": '"other"'}).status, 200)
        self.assertEqual(self.ranged("bytes=0-9", **{"If-Range": "W/" + etag}).status, 200)

    def test_if_range_with_date(self):
        last_modified = self.get(self.media_id).headers["Last-Modified"]
        self.assertEqual(self.ranged("bytes=0-9", **{"If-Range": last_modified}).status, 206)
        older = email.utils.formatdate(time.time() - 86400 * 5, usegmt=True)
        self.assertEqual(self.ranged("bytes=0-9", **{"If-Range": older}).status, 200)

    def test_if_range_never_matches_a_weak_etag(self):
        self.emu.config(weak_etag=True)
        etag = self.get(self.media_id).headers["ETag"]
        self.assertTrue(etag.startswith('W/"'))
        self.assertEqual(self.ranged("bytes=0-9", **{"If-Range": etag}).status, 200)

    def test_changed_medium_fails_if_range(self):
        etag = self.get(self.media_id).headers["ETag"]
        changed = TEN_K[::-1]
        self.emu.media_replace(self.media_id, changed)
        reply = self.ranged("bytes=0-9", **{"If-Range": etag})
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.body, changed)
        self.assertNotEqual(reply.headers["ETag"], etag)

    def test_ignore_range_knob(self):
        self.emu.config(ignore_range=True)
        reply = self.ranged("bytes=0-9")
        self.assertEqual((reply.status, reply.body), (200, TEN_K))

    def test_max_range_bytes_gets_830002(self):
        self.emu.config(max_range_bytes=1000)
        self.assertErrcode(self.ranged("bytes=0-1000"), 830002)
        self.assertEqual(self.ranged("bytes=0-999").status, 206)
        self.assertErrcode(self.get(self.media_id), 830002)

    def test_range_log_fields(self):
        self.ranged("bytes=5-", **{"If-Range": '"x"'})
        entry = self.last_log()
        self.assertEqual((entry["range"], entry["if_range"], entry["status"]), ("bytes=5-", '"x"', 200))
        self.assertIn("Range", entry["header_names"])


class DownloadTests(EmulatorTestCase):
    def test_content_disposition_has_both_forms(self):
        media_id = self.emu.media_put("file", "测试文件.xlsx", b"0123456789")
        value = self.get(media_id).headers["Content-Disposition"]
        # http.client decodes header bytes as Latin-1; undo that to see the UTF-8.
        value = value.encode("latin-1").decode("utf-8")
        self.assertEqual(value, "attachment; filename*=utf-8''%E6%B5%8B%E8%AF%95%E6%96%87%E4%BB%B6"
                                ".xlsx; filename=\"测试文件.xlsx\"")

    def test_disposition_knob(self):
        media_id = self.emu.media_put("file", "ok.txt", b"0123456789")
        self.emu.config(disposition='attachment; filename="../../etc/passwd"')
        self.assertEqual(self.get(media_id).headers["Content-Disposition"],
                         'attachment; filename="../../etc/passwd"')
        self.emu.config(disposition=False)
        self.assertNotIn("Content-Disposition", self.get(media_id).headers)

    def test_validator_knobs(self):
        media_id = self.emu.media_put("file", "ok.txt", b"0123456789")
        self.emu.config(omit_etag=True, omit_last_modified=True)
        headers = self.get(media_id).headers
        self.assertNotIn("ETag", headers)
        self.assertNotIn("Last-Modified", headers)

    def test_content_type_by_kind(self):
        for kind, data, ctype in (("image", JPEG, "image/jpeg"), ("image", PNG, "image/png"),
                                  ("voice", amr((7, 5)), "audio/amr"), ("video", MP4, "video/mp4"),
                                  ("file", b"0123456789", "application/octet-stream")):
            with self.subTest(ctype):
                media_id = self.upload_file(data, kind=kind).json()["media_id"]
                reply = self.get(media_id)
                self.assertEqual(reply.headers["Content-Type"], ctype)
                self.assertEqual(reply.body, data)

    def test_unknown_media_gets_40007_as_json(self):
        reply = self.get("3nosuchmedia")
        self.assertErrcode(reply, 40007)
        self.assertEqual(reply.headers["Content-Type"], "application/json; charset=UTF-8")
        self.assertIn("hint:", reply.json()["errmsg"])

    def test_error_content_type_knob(self):
        self.emu.config(error_content_type="text/plain")
        reply = self.get("3nosuchmedia")
        self.assertEqual(reply.headers["Content-Type"], "text/plain")
        self.assertEqual(reply.json()["errcode"], 40007)

    def test_missing_media_id_gets_41006(self):
        reply = self.emu.request("GET", "/cgi-bin/media/get?access_token=" + TOKEN)
        self.assertErrcode(reply, 41006)

    def test_unknown_path_is_404_json(self):
        reply = self.emu.request("GET", "/cgi-bin/nothing")
        self.assertEqual(reply.status, 404)
        self.assertEqual(reply.json()["errcode"], -1)

    def test_wrong_method(self):
        self.assertErrcode(self.emu.request("GET", UPLOAD % (TOKEN, "image")), 43002)
        self.assertErrcode(self.emu.request("POST", GET % (TOKEN, "x"), b""), 43001)


# ---------------------------------------------------------------------------------


class ConnectionTests(EmulatorTestCase):
    def test_keep_alive_serves_several_requests_on_one_handshake(self):
        before = self.emu.connections()
        conn = self.raw()
        for _ in range(3):
            conn.request("GET", GET % (TOKEN, "x"))
            status, headers, answer = conn.read_response()
            self.assertEqual(json.loads(answer)["errcode"], 40007)
            self.assertEqual(headers["connection"], "keep-alive")
        conn.close()
        after = self.emu.connections()
        # One handshake for the raw connection, one for the call that asks.
        self.assertEqual(after["handshakes"] - before["handshakes"], 2)
        self.assertEqual(after["api_connections"] - before["api_connections"], 1)
        self.assertEqual(after["api_requests"] - before["api_requests"], 3)

    def test_pipelined_requests_are_answered_in_order(self):
        conn = self.raw()
        conn.send(b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode() for path in
                           ("/cgi-bin/gettoken", GET % (TOKEN, "x"))))
        self.assertEqual(json.loads(conn.read_response()[2])["errcode"], 40001)
        self.assertEqual(json.loads(conn.read_response()[2])["errcode"], 40007)

    def test_keep_alive_false_closes_after_each_response(self):
        self.emu.config(keep_alive=False)
        conn = self.raw()
        conn.request("GET", GET % (TOKEN, "x"))
        status, headers, _ = conn.read_response()
        self.assertEqual(headers["connection"], "close")
        self.assertTrue(conn.closed_by_peer())

    def test_client_connection_close_is_honoured(self):
        conn = self.raw()
        conn.request("GET", GET % (TOKEN, "x"), ["Connection: close"])
        self.assertEqual(conn.read_response()[1]["connection"], "close")
        self.assertTrue(conn.closed_by_peer())

    def test_idle_timeout_closes_idle_connection(self):
        self.emu.config(idle_timeout=0.3)
        conn = self.raw()
        conn.request("GET", GET % (TOKEN, "x"))
        conn.read_response()
        start = time.monotonic()
        self.assertTrue(conn.closed_by_peer())
        self.assertLess(time.monotonic() - start, 2.5)

    def test_head_answer_has_no_body(self):
        conn = self.raw()
        conn.request("HEAD", GET % (TOKEN, "x"))
        status, headers, _ = conn.read_response(head_only=True)
        self.assertEqual(status, 200)
        self.assertGreater(int(headers["content-length"]), 0)
        conn.request("GET", GET % (TOKEN, "x"))
        # Still in step: the HEAD answer left no body bytes behind.
        self.assertEqual(json.loads(conn.read_response()[2])["errcode"], 40007)

    def test_missing_host_is_400(self):
        conn = self.raw()
        conn.send(b"GET /cgi-bin/gettoken HTTP/1.1\r\n\r\n")
        self.assertEqual(conn.read_response()[0], 400)
        self.assertTrue(conn.closed_by_peer())

    def test_bare_lf_head_is_400(self):
        conn = self.raw()
        conn.send(b"GET /cgi-bin/gettoken HTTP/1.1\nHost: x\n\n")
        self.assertEqual(conn.read_response()[0], 400)

    def test_certificate_names_localhost_and_loopback(self):
        for host in ("localhost", "127.0.0.1"):
            with self.subTest(host):
                sock = socket.create_connection(("127.0.0.1", self.emu.port), timeout=5)
                with self.emu.ssl_context().wrap_socket(sock, server_hostname=host) as tls:
                    self.assertIn(tls.version(), ("TLSv1.2", "TLSv1.3"))
                    self.assertEqual(tls.selected_alpn_protocol(), None)


class FaultTests(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.media_id = self.emu.media_put("file", "k.bin", TEN_K[:1000])

    def test_drop_request_after_closes_without_answer(self):
        self.emu.config(fault={"kind": "drop_request_after", "bytes": 300})
        raw = body(part(JPEG + bytes(5000)))
        conn = self.raw()
        try:
            conn.request("POST", UPLOAD % (TOKEN, "image"), ["Content-Type: " + CT], raw)
        except OSError:
            pass  # the server may already have closed while we were sending
        self.assertEqual(conn.read_until_close(), b"")
        entry = self.wait_log(lambda e: bool(e))[-1]
        self.assertEqual((entry["outcome"], entry["fault"], entry["status"]),
                         ("dropped", "drop_request_after", None))
        self.assertLess(entry["body_length"], len(raw))
        self.assertEqual(len(self.emu.media()), 1)
        self.assertErrcode(self.upload(raw), 0)   # used up after one request
        self.assertEqual(len(self.emu.media()), 2)

    def test_drop_request_after_whole_request_still_unanswered(self):
        self.emu.config(fault={"kind": "drop_request_after", "bytes": 100000})
        conn = self.raw()
        conn.request("GET", GET % (TOKEN, self.media_id))
        self.assertEqual(conn.read_until_close(), b"")

    def test_drop_response_after_sends_exactly_n_bytes(self):
        self.emu.config(fault={"kind": "drop_response_after", "bytes": 20})
        conn = self.raw()
        conn.request("GET", GET % (TOKEN, self.media_id))
        self.assertEqual(conn.read_until_close(), b"HTTP/1.1 200 OK\r\nDat")

    def test_truncate_response_keeps_content_length(self):
        self.emu.config(fault={"kind": "truncate_response", "bytes": 10})
        conn = self.raw()
        conn.request("GET", GET % (TOKEN, self.media_id))
        data = conn.read_until_close()
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertIn(b"\r\nContent-Length: 1000\r\n", head)
        self.assertEqual(rest, TEN_K[:10])

    def test_stall_delays_the_response(self):
        self.emu.config(fault={"kind": "stall", "ms": 400})
        start = time.monotonic()
        self.assertEqual(self.get(self.media_id).status, 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.39)

    def test_stall_after_bytes_sends_a_prefix_first(self):
        self.emu.config(fault={"kind": "stall", "ms": 500, "bytes": 12})
        conn = self.raw()
        start = time.monotonic()
        conn.request("GET", GET % (TOKEN, self.media_id))
        first = conn.sock.recv(100)
        self.assertEqual(first, b"HTTP/1.1 200")
        self.assertLess(time.monotonic() - start, 0.4)
        conn.buf = first
        status, _, data = conn.read_response()
        self.assertGreaterEqual(time.monotonic() - start, 0.45)
        self.assertEqual((status, data), (200, TEN_K[:1000]))

    def test_garble_response_variants(self):
        for variant, check in (("status", lambda d: not re.match(rb"HTTP/1\.1 \d{3} ", d)),
                               ("header", lambda d: b"\r\nContent-Type application/json\r\n" in d),
                               ("length", lambda d: b"Content-Length: 1x2\r\n" in d),
                               ("binary", lambda d: not d.startswith(b"HTTP/"))):
            with self.subTest(variant):
                self.emu.config(fault={"kind": "garble_response", "variant": variant})
                conn = self.raw()
                conn.request("GET", GET % (TOKEN, self.media_id))
                data = conn.read_until_close()
                self.assertTrue(data and check(data), data[:80])

    def test_fault_count_and_path(self):
        self.emu.config(fault={"kind": "drop_response_after", "bytes": 0, "count": 2,
                               "path": "/cgi-bin/media/get"})
        self.assertEqual(self.emu.gettoken()["errcode"], 0)    # other path: untouched
        self.emu.log()                                          # control API: untouched
        for _ in range(2):
            conn = self.raw()
            conn.request("GET", GET % (TOKEN, self.media_id))
            self.assertEqual(conn.read_until_close(), b"")
        self.assertEqual(self.emu.config()["fault"], [])
        self.assertEqual(self.get(self.media_id).status, 200)

    def test_bad_fault_is_refused(self):
        with self.assertRaises(emu.EmuError):
            self.emu.config(fault={"kind": "explode"})
        with self.assertRaises(emu.EmuError):
            self.emu.config(fault={"kind": "stall"})


class HostileFaultTests(EmulatorTestCase):
    """The hostile-server fault kinds, as bytes on the wire."""

    def setUp(self):
        super().setUp()
        self.media_id = self.emu.media_put("file", "k.bin", TEN_K[:1000])

    def fetch(self, fault, limit=4 * MIB, target=None):
        """(bytes until the close, True if it ended with close_notify)."""
        self.emu.config(fault=fault)
        sock = socket.create_connection((self.emu.host, self.emu.port), timeout=5)
        tls = self.emu.ssl_context().wrap_socket(sock, server_hostname=self.emu.host,
                                                 suppress_ragged_eofs=False)
        self.addCleanup(tls.close)
        tls.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                     % (target or GET % (TOKEN, self.media_id))).encode())
        out = b""
        while len(out) < limit:
            try:
                data = tls.recv(65536)
            except (ssl.SSLEOFError, ConnectionResetError):
                return out, False
            if not data:
                return out, True
            out += data
        return out, None   # still sending at the limit

    def test_endless_continue(self):
        data, clean = self.fetch({"kind": "endless_continue"}, limit=100000)
        self.assertIsNone(clean, "it stopped")
        self.assertEqual(data[:25 * 1000], b"HTTP/1.1 100 Continue\r\n\r\n" * 1000)
        self.assertNotIn(b"200 OK", data)

    def test_drip_paces_the_response(self):
        plain, _ = self.fetch({"kind": "close_delimited"})
        start = time.monotonic()
        data, _ = self.fetch({"kind": "drip", "bytes": 200, "ms": 50})
        took = time.monotonic() - start
        self.assertTrue(data.endswith(TEN_K[:1000]))
        steps = (len(data) + 199) // 200
        self.assertGreaterEqual(took, (steps - 1) * 0.05 * 0.9)
        self.assertLess(took, 3)

    def test_endless_body(self):
        data, clean = self.fetch({"kind": "endless_body"}, limit=2 * MIB)
        self.assertIsNone(clean)
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertNotIn(b"Content-Length", head)
        self.assertNotIn(b"Transfer-Encoding", head)
        self.assertIn(b"\r\nConnection: close", head)
        self.assertGreater(len(rest), MIB)

    def test_close_delimited_with_and_without_notify(self):
        for kind, want_clean in (("close_delimited", True), ("close_without_notify", False)):
            with self.subTest(kind):
                data, clean = self.fetch({"kind": kind})
                head, _, rest = data.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 200 OK"))
                self.assertNotIn(b"Content-Length", head)
                self.assertIn(b"\r\nConnection: close", head)
                self.assertEqual(rest, TEN_K[:1000])
                self.assertIs(clean, want_clean)
                data, clean = self.fetch({"kind": kind, "bytes": 300})
                self.assertEqual(data.partition(b"\r\n\r\n")[2], TEN_K[:300])
                self.assertIs(clean, want_clean)

    def test_huge_json_and_json_answer(self):
        data, clean = self.fetch({"kind": "huge_json", "bytes": 300000})
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 300000\r\n", head)
        self.assertIn(b"application/json", head)
        self.assertEqual(len(rest), 300000)
        self.assertEqual(json.loads(rest)["errcode"], 40007)
        self.assertTrue(clean)
        data, _ = self.fetch({"kind": "json_answer", "body": '{"errcode":"40007"}'})
        self.assertTrue(data.endswith(b'\r\nContent-Length: 19\r\nConnection: close\r\n\r\n{"errcode":"40007"}'))

    def test_hostile_response_variants(self):
        checks = {
            "huge_header": lambda d: len(d) > MIB and b"X-Huge: hhh" in d,
            "many_headers": lambda d: d.count(b"\r\nX-H: v") == 100000,
            "huge_length": lambda d: b"Content-Length: 9223372036854775807\r\n" in d,
            "wrong_content_range": lambda d: b"Content-Range: bytes 5-14/100\r\n" in d,
            "bad_content_range": lambda d: b"Content-Range: bytes x-y/z\r\n" in d,
            "chunk_overflow": lambda d: b"\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n" in d,
        }
        for variant, check in checks.items():
            with self.subTest(variant):
                data, clean = self.fetch({"kind": "hostile_response", "variant": variant})
                self.assertTrue(check(data), data[:100])
                self.assertFalse(clean)

    def test_bad_hostile_faults_refused(self):
        for fault in ({"kind": "hostile_response"}, {"kind": "hostile_response", "variant": "x"},
                      {"kind": "json_answer"}, {"kind": "drip", "bytes": 0},
                      {"kind": "huge_json", "bytes": 10}):
            with self.subTest(fault):
                with self.assertRaises(emu.EmuError):
                    self.emu.config(fault=fault)
        self.emu.config(fault={"kind": "drip"})
        self.assertEqual(self.emu.config()["fault"][0]["bytes"], 1)


class ForcedErrcodeTests(EmulatorTestCase):
    def test_count_semantics(self):
        self.emu.config(force_errcode={"errcode": -1, "count": 2})
        self.assertEqual(self.emu.gettoken()["errcode"], -1)
        self.assertErrcode(self.get("x"), -1)
        self.assertErrcode(self.get("x"), 40007)
        self.assertEqual(self.emu.config()["force_errcode"], [])

    def test_path_filter_and_codes(self):
        self.emu.config(force_errcode=[{"errcode": 45009, "path": "/cgi-bin/media/upload"},
                                       {"errcode": 45033, "path": "/cgi-bin/media/upload"}])
        self.assertEqual(self.emu.gettoken()["errcode"], 0)
        self.assertErrcode(self.upload_file(JPEG), 45009)
        self.assertErrcode(self.upload_file(JPEG), 45033)
        self.assertNothingStored()
        self.assertErrcode(self.upload_file(JPEG), 0)

    def test_forced_upload_body_is_read_and_connection_kept(self):
        self.emu.config(force_errcode={"errcode": -1})
        raw = body(part(JPEG))
        conn = self.raw()
        conn.request("POST", UPLOAD % (TOKEN, "image"), ["Content-Type: " + CT], raw)
        status, headers, answer = conn.read_response()
        self.assertEqual(json.loads(answer)["errcode"], -1)
        self.assertEqual(headers["connection"], "keep-alive")
        conn.request("POST", UPLOAD % (TOKEN, "image"), ["Content-Type: " + CT], raw)
        self.assertEqual(json.loads(conn.read_response()[2])["errcode"], 0)
        entries = self.emu.log()
        self.assertEqual(entries[0]["forced_errcode"], -1)
        self.assertEqual(entries[0]["body_length"], len(raw))


class ControlTests(EmulatorTestCase):
    def test_config_merges_and_rejects_unknown_knobs(self):
        config = self.emu.config(ignore_range=True, limits={"max_bytes": {"image": 5}})
        self.assertTrue(config["ignore_range"])
        self.assertEqual(config["limits"]["max_bytes"]["image"], 5)
        self.assertEqual(config["limits"]["max_bytes"]["file"], 20 * MIB)
        self.assertEqual(config["limits"]["min_bytes"], 6)
        for bad in ({"no_such_knob": 1}, {"keep_alive": "yes"}, {"limits": {"max_bytes": {"gif": 1}}}):
            with self.subTest(bad), self.assertRaises(emu.EmuError):
                self.emu.config(bad)
        self.assertTrue(self.emu.config()["ignore_range"])

    def test_reset_restores_defaults_and_clears_log(self):
        self.emu.config(ignore_range=True, fault={"kind": "stall", "ms": 1})
        self.get("x")
        media_id = self.emu.media_put("file", "keep.bin", b"0123456789")
        config = self.emu.reset()
        self.assertFalse(config["ignore_range"])
        self.assertEqual(config["fault"], [])
        self.assertEqual(self.emu.log(), [])
        self.assertEqual([m["media_id"] for m in self.emu.media()], [media_id])
        self.emu.reset(media=True)
        self.assertEqual(self.emu.media(), [])

    def test_media_store_by_json_and_by_headers(self):
        reply = self.emu.control("POST", "media", {"kind": "voice", "filename": "voice",
                                                   "content_b64": "IyFBTVIKfA=="})
        media_id = reply.json()["media_id"]
        self.assertEqual(self.emu.media_get(media_id), b"#!AMR\n|")
        other = self.emu.media_put("video", "片.mp4", MP4, content_type="video/quicktime")
        self.assertEqual(self.get(other).headers["Content-Type"], "video/quicktime")
        self.assertEqual({m["filename"] for m in self.emu.media()}, {"voice", "片.mp4"})

    def test_media_control_errors(self):
        with self.assertRaises(emu.EmuError):
            self.emu.media_replace("3nosuch", b"x")
        with self.assertRaises(emu.EmuError):
            self.emu.media_put("gif", "a", b"x")
        with self.assertRaises(emu.EmuError):
            self.emu.media_put("file", "a\r\nX-Evil: 1", b"x")
        with self.assertRaises(emu.EmuError):
            self.emu.request_body(5)

    def test_log_entry_fields(self):
        self.upload(body(part(JPEG)), headers={"X-Probe": "1"})
        entry = self.last_log()
        for key in ("index", "time", "connection", "seq", "method", "path", "target", "query",
                    "header_names", "content_type", "content_length", "body_length", "range",
                    "if_range", "status", "errcode", "outcome", "fault", "forced_errcode",
                    "token_state", "kind", "filename", "filelength", "part_content_type",
                    "part_size", "media_id", "reason"):
            self.assertIn(key, entry)
        self.assertEqual(entry["path"], "/cgi-bin/media/upload")
        self.assertEqual(entry["query"], {"type": "image"})
        self.assertIn("X-Probe", entry["header_names"])
        self.assertEqual((entry["status"], entry["errcode"], entry["kind"]), (200, 0, "image"))
        self.assertEqual(entry["media_id"], self.emu.media()[0]["media_id"])


class ProcessTests(unittest.TestCase):
    """The emulator as a process: signals, --plain, and emu.py's command line."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="wecom-emu-proc-")
        self.dir = self._tmp.name

    def tearDown(self):
        emu.stop(self.dir)
        self._tmp.cleanup()

    def test_sigterm_exits_zero_and_removes_port_file(self):
        client, proc = emu.start(self.dir)
        with open(os.path.join(self.dir, "emulator.out")) as f:
            self.assertEqual(f.read(), "READY %s\n" % client.base_url)
        self.assertTrue(client.base_url.startswith("https://127.0.0.1:"))
        for name in ("ca.pem", "server.pem", "server.key"):
            self.assertTrue(os.path.getsize(os.path.join(self.dir, name)) > 0)
        self.assertEqual(emu.stop(self.dir, proc), 0)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "port")))

    def test_plain_http(self):
        client, proc = emu.start(self.dir, ["--plain", "--corpsecret", "s3"])
        self.assertTrue(client.base_url.startswith("http://"))
        self.assertEqual(client.gettoken(corpsecret="s3")["errcode"], 0)
        self.assertEqual(emu.stop(self.dir, proc), 0)

    def cli(self, *args, stdin=b""):
        proc = subprocess.run([sys.executable, os.path.join(HERE, "emu.py"), *args], input=stdin,
                              capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_cli_round_trip(self):
        url = self.cli("start", "--state-dir", self.dir, "--token", "clitoken").decode().strip()
        self.assertRegex(url, r"\Ahttps://127\.0\.0\.1:\d+\Z")
        config = json.loads(self.cli("--state-dir", self.dir, "config", '{"created_at_number":true}'))
        self.assertTrue(config["created_at_number"])
        media_id = self.cli("--state-dir", self.dir, "media-put", "file", "名字.txt",
                            stdin=b"cli bytes").decode().strip()
        self.assertEqual(self.cli("--state-dir", self.dir, "media-get", media_id), b"cli bytes")
        self.assertEqual(json.loads(self.cli("--state-dir", self.dir, "media"))[0]["filename"], "名字.txt")
        self.assertTrue(self.cli("--state-dir", self.dir, "token").strip())
        self.assertEqual(json.loads(self.cli("--state-dir", self.dir, "revoke", "clitoken")),
                         {"count": 1})
        self.assertIn("handshakes", json.loads(self.cli("--state-dir", self.dir, "connections")))
        with open(os.path.join(self.dir, "pid")) as f:
            pid = int(f.read())
        self.cli("stop", "--state-dir", self.dir)
        self.assertFalse(emu._is_emulator(pid))


if __name__ == "__main__":
    unittest.main()
