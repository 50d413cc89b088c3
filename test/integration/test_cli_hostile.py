# SPDX-License-Identifier: MIT
"""The hostile-server matrix: wecom-media against an emulator that
misbehaves on purpose, with the tool's DEFAULT options (no --timeout, no
--max-time). Each case must end in its own clean error, within its bound,
without a crash, and leave no output file (a .part only where bytes were
kept for --continue).

Only the low-speed window is shortened (--low-speed 1024:2) in the drip
cases, to keep the run short; HostileDefaults shows that the limit is on
without the option (it takes the default 30 s window).

Each class prints its rows (case, exit code, error, seconds) when it ends,
so a run can be quoted:

    WECOM_CLI=.../wecom-media python3 -m unittest -v test_cli_hostile
"""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

from clitest import CLI, EmulatorCase, emu, jpeg

# What the tool prints for each error (core/error.c), by code name.
MESSAGES = {
    "WECOM_ERR_HTTP_TOO_MANY_INTERIM": "more interim (1xx) responses",
    "WECOM_ERR_TOO_SLOW": "transfer too slow",
    "WECOM_ERR_HTTP_TRUNCATED": "ended without TLS close_notify",
    "WECOM_ERR_DOWNLOAD_TOO_LARGE": "larger than the download size limit",
    "WECOM_ERR_HTTP_HEADERS_TOO_LARGE": "headers exceed the configured byte limit",
    "WECOM_ERR_HTTP_TOO_MANY_HEADERS": "more header lines than the configured limit",
    "WECOM_ERR_RANGE_MISMATCH": "Content-Range does not match",
    "WECOM_ERR_HTTP_PARSE": "malformed HTTP response",
    "WECOM_ERR_HTTP_INCOMPLETE": "HTTP response cut short",
    "WECOM_ERR_TLS_CERT_HOSTNAME": "certificate does not name the host",
    "WECOM_ERR_API_MALFORMED": "not a whole, valid API answer",
    "WECOM_ERR_JSON_TOO_LARGE": "JSON answer exceeds the configured size",
    "WECOM_ERR_JSON_PARSE": "answer is not valid JSON",
    "WECOM_ERR_JSON_FIELD": "lacks a field or has it mistyped",
    "WECOM_ERR_CONTENT_ENCODING": "with a Content-Encoding (such as gzip)",
    "WECOM_ERR_HTML_ANSWER": "answered with a web page (text/html), not the medium",
    # once the whole upload body went out, a lost or unreadable answer is
    # reported, never sent again (the cause is in brackets)
    "WECOM_ERR_UPLOAD_UNCONFIRMED (truncated)": "it may have been stored",
    "WECOM_ERR_UPLOAD_UNCONFIRMED (too slow)": "it may have been stored",
    "OK": None,
}

DRIP = ("--low-speed", "1024:2")
ALL = 1000  # a fault's count: every attempt meets it


class HostileCase(EmulatorCase):
    rows = None  # per class, set in setUpClass

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rows = []

    @classmethod
    def tearDownClass(cls):
        rows = sorted(cls.rows)
        width = max([len(r[0]) for r in rows] + [4])
        out = ["", "hostile-server matrix (%s), default options:" % cls.__name__,
               "%-*s  %-4s  %-40s  %s" % (width, "case", "exit", "error", "seconds")]
        out += ["%-*s  %-4d  %-40s  %.1f" % (width, *r) for r in rows]
        print("\n".join(out), flush=True)
        super().tearDownClass()

    def put(self, data, name="m.bin", kind="file"):
        return self.client.media_put(kind, name, data)

    def run_tool(self, args, global_args=(), stdin=subprocess.DEVNULL):
        """The tool with its default options: no --timeout, no --max-time."""
        cmd = [CLI, "--base-url", self.url, "--cacert", self.ca, *global_args, *args]
        start = time.monotonic()
        p = subprocess.run(cmd, cwd=self.work, env=self.cli_env(), stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
        took = time.monotonic() - start
        self.assert_no_secret(p.stdout, p.stderr)
        return p, took

    def case(self, label, fault, error, bound, exit_code=4, args=None, global_args=(),
             knobs=None, part=False, upload=False, keep=()):
        """Run one hostile case and check what a user would notice."""
        self.client.reset(media=False)
        if knobs:
            self.client.config(**knobs)
        if fault is not None:
            path = "/cgi-bin/media/upload" if upload else "/cgi-bin/media/get"
            self.client.config(fault=dict(fault, path=path, count=fault.get("count", ALL)))
        if args is None:
            args = (["upload", self.write("up.jpg", jpeg(20000))] if upload
                    else ["download", self.media_id, "-o", "out.bin"])
        before = set(os.listdir(self.work))
        p, took = self.run_tool(args, global_args)
        err = p.stderr.decode(errors="replace")
        self.rows.append((label, p.returncode, error, took))
        self.assertGreaterEqual(p.returncode, 0, "killed by signal %d: %s" % (-p.returncode, err))
        self.assertEqual(p.returncode, exit_code, "%s: %s" % (label, err))
        if MESSAGES[error] is not None:
            self.assertIn(MESSAGES[error], err, label)
        self.assertTrue(err.rstrip("\n").isprintable() or "\n" in err, err)
        self.assertLess(took, bound, "%s took %.1f s" % (label, took))
        # no output file; a .part only where bytes were kept for --continue
        new = sorted(set(os.listdir(self.work)) - before - set(keep))
        if part:
            self.assertIn("out.bin.part", new, label)
            self.assertGreater(os.path.getsize(self.path("out.bin.part")), 0)
            self.assertIn("kept for --continue", err)
            self.assertEqual([n for n in new if not n.startswith("out.bin.part")], [], new)
        elif exit_code != 0:
            self.assertEqual(new, [], "%s left %s" % (label, new))
        if exit_code != 0:
            for name in new:
                os.unlink(self.path(name))
        return p, err


class HostileDownload(HostileCase):
    """Every hostile answer to media/get, one per test so one failure does not
    hide the rest."""

    def setUp(self):
        super().setUp()
        self.data = os.urandom(300000)
        self.media_id = self.put(self.data)

    def test_endless_continue(self):
        self.case("endless 100 Continue", {"kind": "endless_continue"},
                  "WECOM_ERR_HTTP_TOO_MANY_INTERIM", bound=5)

    def test_drip(self):
        self.case("drip 1 B/s (--low-speed 1024:2)", {"kind": "drip"},
                  "WECOM_ERR_TOO_SLOW", bound=8, global_args=DRIP)
        # a drip fast enough to pass the limit still succeeds
        self.case("drip 64 KiB/50 ms (passes)", {"kind": "drip", "bytes": 65536, "ms": 50},
                  "OK", bound=10, exit_code=0, global_args=DRIP)
        self.assert_file("out.bin", self.data)
        os.unlink(self.path("out.bin"))

    def test_drip_mid_body(self):
        # the head and 100 KB come at once, then nothing more: the bytes
        # kept stay for --continue
        self.case("silence after 100 KB (--low-speed 1024:2)",
                  {"kind": "stall", "bytes": 100000, "ms": 60000},
                  "WECOM_ERR_TOO_SLOW", bound=8, global_args=DRIP, part=True)

    def test_endless_body(self):
        # the download size cap (WECOM_MEDIA_MAX_BYTES, 512 MiB) stops it
        self.case("endless body (no length)", {"kind": "endless_body"},
                  "WECOM_ERR_DOWNLOAD_TOO_LARGE", bound=120, part=True)

    def test_close_without_notify(self):
        # a close-delimited body cut by a bare FIN: never a finished file,
        # even after the retries (the server ignores Range, so each one
        # starts again and is cut again)
        self.case("body to FIN, no close_notify", {"kind": "close_without_notify", "bytes": 100000},
                  "WECOM_ERR_HTTP_TRUNCATED", bound=10, knobs={"ignore_range": True}, part=True)

    def test_close_delimited_clean_and_healed(self):
        self.case("body to close_notify (clean)", {"kind": "close_delimited"}, "OK",
                  bound=5, exit_code=0)
        self.assert_file("out.bin", self.data)
        os.unlink(self.path("out.bin"))
        # cut without close_notify, but the server honours Range: the
        # retry asks for the rest and the total proves the file whole
        self.case("body to FIN, resumed by Range", {"kind": "close_without_notify", "bytes": 100000,
                                                    "count": 1},
                  "OK", bound=5, exit_code=0)
        self.assert_file("out.bin", self.data)
        gets = self.downloads()
        self.assertEqual(gets[1]["range"], "bytes=100000-")
        os.unlink(self.path("out.bin"))

    def test_huge_header(self):
        self.case("1 MiB header line", {"kind": "hostile_response", "variant": "huge_header"},
                  "WECOM_ERR_HTTP_HEADERS_TOO_LARGE", bound=5)

    def test_many_headers(self):
        self.case("100,000 header lines", {"kind": "hostile_response", "variant": "many_headers"},
                  "WECOM_ERR_HTTP_TOO_MANY_HEADERS", bound=5)

    def test_huge_content_length(self):
        self.case("Content-Length 2^63-1", {"kind": "hostile_response", "variant": "huge_length"},
                  "WECOM_ERR_DOWNLOAD_TOO_LARGE", bound=5)

    def test_content_ranges(self):
        self.case("206 for a range not asked", {"kind": "hostile_response",
                                                "variant": "wrong_content_range"},
                  "WECOM_ERR_RANGE_MISMATCH", bound=5)
        self.case("206 with a broken Content-Range", {"kind": "hostile_response",
                                                      "variant": "bad_content_range"},
                  "WECOM_ERR_RANGE_MISMATCH", bound=5)

    def test_chunk_size_overflow(self):
        self.case("chunk size past 64 bits", {"kind": "hostile_response",
                                              "variant": "chunk_overflow"},
                  "WECOM_ERR_HTTP_PARSE", bound=5)

    def test_garbage(self):
        self.case("garbage, not HTTP", {"kind": "garble_response", "variant": "binary"},
                  "WECOM_ERR_HTTP_PARSE", bound=10)

    def test_close_mid_body(self):
        # every answer is cut after 50,000 body bytes and the server ignores
        # Range: no progress, so the retries give up, keeping the bytes
        self.case("close mid-body, every time", {"kind": "truncate_response", "bytes": 50000},
                  "WECOM_ERR_HTTP_INCOMPLETE", bound=10, knobs={"ignore_range": True}, part=True)

    def test_json_answers(self):
        # an error answer that cannot be read is never the downloaded file
        for label, text in (
                ('errcode as a string "40007"', '{"errcode":"40007","errmsg":"invalid media_id"}'),
                ("errcode in exponent form", '{"errcode":4.0007e4,"errmsg":"invalid media_id"}'),
                ("JSON with trailing garbage", '{"errcode":40007,"errmsg":"x"} trailing'),
                ("JSON with a duplicate key", '{"errcode":0,"errcode":40007,"errmsg":"x"}')):
            with self.subTest(label):
                self.case(label, {"kind": "json_answer", "body": text},
                          "WECOM_ERR_API_MALFORMED", bound=5)
                self.case(label + " (-o -)", {"kind": "json_answer", "body": text},
                          "WECOM_ERR_API_MALFORMED", bound=5,
                          args=["download", self.media_id, "-o", "-"])

    def test_huge_json(self):
        p, _ = self.case("10 MiB JSON body", {"kind": "huge_json"},
                         "WECOM_ERR_API_MALFORMED", bound=10)
        p, _ = self.case("10 MiB JSON body (-o -)", {"kind": "huge_json"},
                         "WECOM_ERR_API_MALFORMED", bound=10,
                         args=["download", self.media_id, "-o", "-"])
        self.assertEqual(p.stdout, b"")

    def test_content_encoding(self):
        # a coded body (a misconfigured server or proxy), although the
        # request says identity: never saved as the medium
        for coding in ("gzip", "br"):
            with self.subTest(coding):
                self.case("Content-Encoding: " + coding, None, "WECOM_ERR_CONTENT_ENCODING",
                          bound=5, knobs={"content_encoding": coding})
                p, _ = self.case("Content-Encoding: %s (-o -)" % coding, None,
                                 "WECOM_ERR_CONTENT_ENCODING", bound=5,
                                 knobs={"content_encoding": coding},
                                 args=["download", self.media_id, "-o", "-"])
                self.assertEqual(p.stdout, b"")
        # identity is what was asked for
        self.case("Content-Encoding: identity", None, "OK", bound=5, exit_code=0,
                  knobs={"content_encoding": "identity"})
        self.assert_file("out.bin", self.data)
        os.unlink(self.path("out.bin"))

    def test_html_page(self):
        # a reverse proxy's or a portal's page: 200, text/html, no
        # Content-Disposition. Never saved as the medium.
        page = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>\n" * 50
        self.media_id = self.client.media_put("file", "p.html", page,
                                              content_type="text/html; charset=utf-8")
        self.case("200 text/html page", None, "WECOM_ERR_HTML_ANSWER", bound=5,
                  knobs={"disposition": False})
        p, _ = self.case("200 text/html page (-o -)", None, "WECOM_ERR_HTML_ANSWER", bound=5,
                         knobs={"disposition": False},
                         args=["download", self.media_id, "-o", "-"])
        self.assertEqual(p.stdout, b"")
        # an .html file, sent as WeCom sends media (Content-Disposition)
        self.case("an .html file with Content-Disposition", None, "OK", bound=5,
                  exit_code=0)
        self.assert_file("out.bin", page)
        os.unlink(self.path("out.bin"))

    def test_long_disposition(self):
        # WeCom's worst case: a 255-byte UTF-8 name (85 CJK characters) in
        # both filename*= and filename= (1,062 bytes): the download works
        name = "名" * 85
        self.assertEqual(len(name.encode()), 255)
        media_id = self.put(self.data, name)
        self.case("255-byte UTF-8 file name", None, "OK", bound=5, exit_code=0,
                  args=["download", media_id, "-o", "out.bin"])
        self.assert_file("out.bin", self.data)
        os.unlink(self.path("out.bin"))
        # longer than any slot: the header is dropped, never fatal
        self.case("2 KB Content-Disposition", None, "OK", bound=5, exit_code=0,
                  knobs={"disposition": 'attachment; filename="%s.bin"' % ("n" * 2000)})
        self.assert_file("out.bin", self.data)
        os.unlink(self.path("out.bin"))
        # and -v says what was left out
        self.client.config(disposition='attachment; filename="%s.bin"' % ("n" * 2000))
        p = self.cli("download", self.media_id, "-o", "v.bin", global_args=("-v",))
        self.assertIn("Content-Disposition (the server's file name) was too long or "
                      "repeated; left out", p.stderr.decode())
        self.assert_file("v.bin", self.data)


class HostileUpload(HostileCase):
    """Hostile answers to an upload: never sent again once the body went
    out, never a media_id made up."""

    def test_endless_continue(self):
        self.case("upload: endless 100 Continue", {"kind": "endless_continue"},
                  "WECOM_ERR_HTTP_TOO_MANY_INTERIM", bound=5, upload=True, keep=("up.jpg",))
        self.assertEqual(len(self.uploads()), 1)

    def test_drip(self):
        self.case("upload: answer drips (--low-speed 1024:2)", {"kind": "drip"},
                  "WECOM_ERR_UPLOAD_UNCONFIRMED (too slow)", bound=10, upload=True,
                  global_args=DRIP,
                  keep=("up.jpg",))
        self.assertEqual(len(self.uploads()), 1)

    def test_answer_without_close_notify(self):
        self.case("upload: answer to FIN, no close_notify", {"kind": "close_without_notify"},
                  "WECOM_ERR_UPLOAD_UNCONFIRMED (truncated)", bound=5, upload=True,
                  keep=("up.jpg",))
        self.assertEqual(len(self.uploads()), 1)

    def test_huge_json(self):
        self.case("upload: 10 MiB JSON answer", {"kind": "huge_json"},
                  "WECOM_ERR_JSON_TOO_LARGE", bound=10, upload=True, keep=("up.jpg",))

    def test_json_answers(self):
        for label, text, error in (
                ('upload: errcode "40007"', '{"errcode":"40007","errmsg":"x"}',
                 "WECOM_ERR_JSON_FIELD"),
                ("upload: JSON with trailing garbage", '{"errcode":0,"errmsg":"ok","type":"image",'
                 '"media_id":"3abc","created_at":"1"} trailing', "WECOM_ERR_JSON_PARSE")):
            with self.subTest(label):
                p, _ = self.case(label, {"kind": "json_answer", "body": text},
                                 error, bound=5, upload=True, keep=("up.jpg",))
                self.assertEqual(p.stdout, b"", "a media_id was printed")


class HostileCertificate(HostileCase):
    """A server whose certificate names another host."""

    def test_certificate_for_another_host(self):
        # A second emulator on 127.0.0.2: its certificate names localhost,
        # 127.0.0.1 and ::1, not the address the tool was told to use.
        state = tempfile.mkdtemp(prefix="wecom-e2e-other-")
        self.addCleanup(shutil.rmtree, state, True)
        try:
            _, proc = emu.start(state, ["--token", self.token, "--host", "127.0.0.2"])
        except emu.EmuError as e:  # a host without 127.0.0.2
            self.skipTest("cannot listen on 127.0.0.2: %s" % e)
        self.addCleanup(emu.stop, state, proc)
        with open(os.path.join(state, "url")) as f:
            url = f.read().strip()
        self.assertIn("127.0.0.2", url)
        media_id = "3" + "m" * 63
        start = time.monotonic()
        p = subprocess.run([CLI, "--base-url", url, "--cacert", os.path.join(state, "ca.pem"),
                            "download", media_id, "-o", "out.bin"],
                           cwd=self.work, env=self.cli_env(), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        took = time.monotonic() - start
        err = p.stderr.decode(errors="replace")
        self.rows.append(("certificate for another host", p.returncode,
                          "WECOM_ERR_TLS_CERT_HOSTNAME", took))
        self.assert_no_secret(p.stdout, p.stderr)
        self.assertEqual(p.returncode, 4, err)
        self.assertIn(MESSAGES["WECOM_ERR_TLS_CERT_HOSTNAME"], err)
        self.assertLess(took, 5)
        self.assertEqual(os.listdir(self.work), [])
        with open(os.path.join(state, "requests.log")) as f:
            self.assertEqual(f.read(), "", "a request went to a server not proven to be the host")


class HostileDefaults(HostileCase):
    """The low-speed limit is on by default: a dripping server fails
    within the default window (30 s), without any option."""

    def test_drip_with_default_options(self):
        self.media_id = self.put(os.urandom(100000))
        self.case("drip 1 B/s, default options", {"kind": "drip"},
                  "WECOM_ERR_TOO_SLOW", bound=40)
        self.assertGreater(self.rows[-1][3], 25, "failed before the default window")


if __name__ == "__main__":
    unittest.main()
