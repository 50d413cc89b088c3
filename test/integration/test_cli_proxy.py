# SPDX-License-Identifier: MIT
"""wecom-media through an HTTP CONNECT proxy (connect_proxy.py), and the
rate limit.

The tool is pointed at https://localhost:PORT (the emulator's certificate
names localhost) and told to use a proxy on 127.0.0.1: every byte then
goes through the tunnel, and TLS runs end to end. A proxy that forwards a
name the certificate does not carry shows that the certificate is checked
against WeCom's name, not the proxy's (which the certificate does carry).
Proxy passwords are secrets like the token: never in any output.
"""

import base64
import os
import subprocess
import time
import unittest

import test_cli_download as download_tests
import test_cli_upload as upload_tests
from clitest import MIB, EmulatorCase
from connect_proxy import ConnectProxy

PROXY_USER = "kiosk"
PROXY_PASS = "pr0xy-pass-" + base64.b32encode(os.urandom(10)).decode()

MSG_AUTH = "the proxy wants credentials (407)"
MSG_REFUSED = "the proxy refused to open a tunnel"
MSG_PROTOCOL = "answer to CONNECT is malformed"
MSG_HOSTNAME = "certificate does not name the host"


class ProxyCase(EmulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.never_print = cls.never_print | {PROXY_PASS}
        port = cls.url.rsplit(":", 1)[1]
        cls.local_url = "https://localhost:" + port

    def proxy(self, mode="tunnel", **kw):
        p = ConnectProxy(mode, **kw).start()
        self.addCleanup(p.stop)
        return p

    def via(self, *args, proxy=None, url=None, env=None, expect=0, extra=(), timeout="10"):
        """The tool against localhost, through proxy (a ConnectProxy, or a
        URL string, or None for the environment's)."""
        g = ["--base-url", url or self.local_url, *extra]
        if proxy is not None:
            g += ["--proxy", proxy if isinstance(proxy, str) else proxy.url]
        return self.cli(*args, global_args=g, env=env, expect=expect, timeout=timeout)

    def err(self, p):
        return p.stderr.decode(errors="replace")


class ProxyTunnel(ProxyCase):
    """Upload and download through the tunnel; the certificate is WeCom's."""

    def test_upload_and_download_byte_identical(self):
        proxy = self.proxy()
        data = os.urandom(300000)
        src = self.write("in.bin", data)
        p = self.via("upload", "--type", "file", src, proxy=proxy, extra=("-v",))
        media_id = p.stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), data)
        self.assertIn("via proxy 127.0.0.1:%d" % proxy.port, self.err(p))
        self.via("download", media_id, "-o", "out.bin", proxy=proxy)
        self.assert_file("out.bin", data)
        port = self.url.rsplit(":", 1)[1]
        lines = [r["line"] for r in proxy.requests]
        self.assertEqual(lines, ["CONNECT localhost:%s HTTP/1.1" % port] * 2)
        self.assertEqual(proxy.requests[0]["headers"]["host"], "localhost:" + port)
        self.assertNotIn("proxy-authorization", proxy.requests[0]["headers"])
        self.assertEqual(len(self.uploads()), 1)
        self.assertEqual(len(self.downloads()), 1)

    def test_https_proxy_from_the_environment(self):
        proxy = self.proxy()
        media_id = self.client.media_put("file", "m.bin", os.urandom(50000))
        for name in ("HTTPS_PROXY", "https_proxy"):
            p = self.via("download", media_id, "-o", name, env={name: proxy.url},
                         extra=("-v",))
            self.assertIn("via proxy 127.0.0.1:%d" % proxy.port, self.err(p))
        self.assertEqual(proxy.connections, 2)
        # --proxy "" turns the environment's off, as in curl.
        self.via("download", media_id, "-o", "direct", env={"HTTPS_PROXY": proxy.url},
                 proxy="")
        self.assertEqual(proxy.connections, 2)

    def test_certificate_checked_against_wecom_name(self):
        # The proxy sends wecom.invalid to 127.0.0.1: the server there holds
        # a certificate for localhost and 127.0.0.1 (the proxy's own
        # address), not for the name the tool asked for.
        proxy = self.proxy(hosts={"wecom.invalid": "127.0.0.1"})
        port = self.url.rsplit(":", 1)[1]
        start = time.monotonic()
        p = self.via("download", "m" * 64, "-o", "out.bin", proxy=proxy,
                     url="https://wecom.invalid:" + port, expect=4)
        self.assertIn(MSG_HOSTNAME, self.err(p))
        self.assertLess(time.monotonic() - start, 8)
        self.assertEqual(proxy.requests[0]["line"], "CONNECT wecom.invalid:%s HTTP/1.1" % port)
        self.assertEqual(self.downloads(), [], "a request went to a server not proven to be WeCom")
        self.assertFalse(os.path.exists(self.path("out.bin")))

    def test_no_proxy_bypass(self):
        proxy = self.proxy("403")
        media_id = self.client.media_put("file", "m.bin", os.urandom(20000))
        for no_proxy in ("localhost", "example.com, .localhost", "*", "LOCALHOST"):
            for name in ("NO_PROXY", "no_proxy"):
                self.via("download", media_id, "-o", "o-%s-%s" % (name, len(no_proxy)),
                         env={"HTTPS_PROXY": proxy.url, name: no_proxy})
        self.assertEqual(proxy.connections, 0, "NO_PROXY was not honoured")
        # A list without the host: the proxy is used (and refuses).
        p = self.via("download", media_id, "-o", "refused",
                     env={"HTTPS_PROXY": proxy.url, "NO_PROXY": "example.com,host"}, expect=4)
        self.assertIn(MSG_REFUSED, self.err(p))
        self.assertEqual(proxy.connections, 1)

    def test_no_proxy_addresses(self):
        # An address matches only itself or a CIDR block holding it, never
        # by its tail.
        proxy = self.proxy("403")
        media_id = self.client.media_put("file", "m.bin", os.urandom(20000))
        ip_url = "https://127.0.0.1:" + self.url.rsplit(":", 1)[1]
        bypass = ("127.0.0.1", "127.0.0.0/8", "10.0.0.0/8, 127.0.0.1/32", "[::1],127.0.0.1",
                  "127.0.0.0/31")
        for i, no_proxy in enumerate(bypass):
            self.via("download", media_id, "-o", "bypass-%d" % i, url=ip_url,
                     env={"HTTPS_PROXY": proxy.url, "NO_PROXY": no_proxy})
        self.assertEqual(proxy.connections, 0, "NO_PROXY was not honoured")
        proxied = ("0.0.1", ".0.0.1", "7.0.0.1", "27.0.0.1", "127.0.0.10", "128.0.0.0/8",
                   "127.0.0.2/32", "127.0.0.0/33", "127.0.0.0/8x", "::1", "localhost")
        for i, no_proxy in enumerate(proxied):
            p = self.via("download", media_id, "-o", "proxied-%d" % i, url=ip_url,
                         env={"HTTPS_PROXY": proxy.url, "NO_PROXY": no_proxy}, expect=4)
            self.assertIn(MSG_REFUSED, self.err(p), no_proxy)
        self.assertEqual(proxy.connections, len(proxied))

    def test_proxy_user_with_a_colon_names_the_proxy(self):
        # Basic credentials cannot carry a user with ':' (nor a control
        # character): the tool says so about the proxy, not --base-url.
        for url in ("http://us%3Aer:pw@127.0.0.1:3128", "http://user:p%0Aw@127.0.0.1:3128"):
            p = self.via("download", "m" * 64, "-o", "x", proxy=url, expect=2)
            self.assertIn("proxy 127.0.0.1:3128", self.err(p))
            self.assertNotIn("--base-url", self.err(p))
        p = self.via("download", "m" * 64, "-o", "x", proxy="http://127.0.0.1:3128",
                     env={"WECOM_PROXY_USER": "user:pass\tword"}, expect=2)
        self.assertIn("proxy 127.0.0.1:3128", self.err(p))
        p = self.via("download", "m" * 64, "-o", "x", proxy="http://127.0_0.1:3128", expect=2)
        self.assertIn("not a proxy URL", self.err(p))

    def test_bad_proxy_urls_are_usage_errors(self):
        for url in ("https://127.0.0.1:3128", "socks5://127.0.0.1:1080", "http://:3128",
                    "http://127.0.0.1:99999", "http://127.0.0.1:3128/path"):
            p = self.via("download", "m" * 64, "-o", "x", proxy=url, expect=2)
            self.assertIn("proxy", self.err(p))


class ProxyAuth(ProxyCase):
    """407 without or with wrong credentials; Basic with the right ones,
    from each source; the password never printed."""

    def setUp(self):
        super().setUp()
        self.p = self.proxy(auth=(PROXY_USER, PROXY_PASS))
        self.media_id = self.client.media_put("file", "m.bin", os.urandom(10000))

    def authed_url(self, user, password):
        return "http://%s:%s@127.0.0.1:%d" % (user, password, self.p.port)

    def test_no_credentials(self):
        p = self.via("download", self.media_id, "-o", "o", proxy=self.p, expect=4)
        self.assertIn(MSG_AUTH, self.err(p))
        self.assertIn("answered HTTP 407", self.err(p))
        self.assertEqual(self.p.connections, 1, "a 407 is not retried")

    def test_wrong_credentials(self):
        p = self.via("download", self.media_id, "-o", "o", expect=4,
                     proxy=self.authed_url(PROXY_USER, PROXY_PASS + "x"), extra=("-v",))
        self.assertIn(MSG_AUTH, self.err(p))
        self.assertNotIn(PROXY_PASS, self.err(p))
        p = self.via("download", self.media_id, "-o", "o", expect=4, proxy=self.p,
                     extra=("--proxy-user", "intruder:guess"))
        self.assertIn(MSG_AUTH, self.err(p))
        self.assertNotIn("guess", self.err(p))

    def test_right_credentials_from_each_source(self):
        want = "Basic " + base64.b64encode(
            ("%s:%s" % (PROXY_USER, PROXY_PASS)).encode()).decode()
        runs = [
            dict(proxy=self.authed_url(PROXY_USER, PROXY_PASS)),
            dict(proxy=self.p, extra=("--proxy-user", PROXY_USER + ":" + PROXY_PASS)),
            dict(proxy=self.p, env={"WECOM_PROXY_USER": PROXY_USER + ":" + PROXY_PASS}),
            dict(env={"HTTPS_PROXY": self.authed_url(PROXY_USER, PROXY_PASS)}),
        ]
        for i, run in enumerate(runs):
            extra = ("-v",) + run.pop("extra", ())
            p = self.via("download", self.media_id, "-o", "o%d" % i, extra=extra, **run)
            self.assertIn("via proxy 127.0.0.1:%d (with credentials)" % self.p.port,
                          self.err(p))
        self.assertEqual([r["headers"].get("proxy-authorization") for r in self.p.requests],
                         [want] * len(runs))

    def test_password_gone_from_the_command_line(self):
        # A proxy that never answers holds the tool while its argv is read.
        silent = self.proxy("silent")
        url = "http://%s:%s@127.0.0.1:%d" % (PROXY_USER, PROXY_PASS, silent.port)
        for args in (("--proxy", url), ("--proxy", silent.url, "--proxy-user",
                                        PROXY_USER + ":" + PROXY_PASS)):
            proc = subprocess.Popen(
                self.cli_cmd(("download", "m" * 64, "-o", "o"),
                             ("--base-url", self.local_url, "--retry", "0", *args), "20"),
                cwd=self.work, env=self.cli_env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                deadline = time.monotonic() + 10
                while len(silent.requests) == 0 and time.monotonic() < deadline:
                    time.sleep(0.02)
                self.assertTrue(silent.requests, "the tool never reached the proxy")
                with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
                    cmdline = f.read()
            finally:
                proc.kill()
                out, err = proc.communicate()
            del silent.requests[:]
            self.assert_no_secret(out, err)
            if b"qemu-" in cmdline.split(b"\0", 1)[0]:
                # A cross build under qemu-user: /proc shows qemu's own
                # argv, a copy the guest program cannot reach.
                continue
            self.assertNotIn(PROXY_PASS.encode(), cmdline)
            self.assertIn(b"download", cmdline)

    def test_percent_encoded_password_in_url(self):
        proxy = self.proxy(auth=("shop user", "p@ss:w/rd"))
        self.via("download", self.media_id, "-o", "o",
                 proxy="http://shop%20user:p%40ss%3Aw%2Frd@127.0.0.1:" + str(proxy.port))


class ProxyRefusals(ProxyCase):
    """Each refusal is its own error, exits as a network failure (4), is
    not retried, and ends within its bound."""

    def refused(self, mode, message, bound=8, extra=(), timeout="10"):
        proxy = self.proxy(mode)
        start = time.monotonic()
        p = self.via("download", "m" * 64, "-o", "out.bin", proxy=proxy, expect=4,
                     extra=extra, timeout=timeout)
        took = time.monotonic() - start
        self.assertIn(message, self.err(p))
        self.assertLess(took, bound)
        self.assertFalse(os.path.exists(self.path("out.bin")))
        self.assertEqual(self.downloads(), [])
        return proxy, p, took

    def test_403(self):
        proxy, p, _ = self.refused("403", MSG_REFUSED)
        self.assertIn("answered HTTP 403", self.err(p))
        self.assertEqual(proxy.connections, 1)

    def test_502(self):
        proxy, p, _ = self.refused("502", MSG_REFUSED)
        self.assertIn("answered HTTP 502", self.err(p))
        self.assertEqual(proxy.connections, 1)

    def test_garbage(self):
        proxy, _, _ = self.refused("garbage", MSG_PROTOCOL)
        self.assertEqual(proxy.connections, 1)

    def test_endless_headers(self):
        self.refused("endless", MSG_PROTOCOL)

    def test_proxy_that_never_answers_is_bounded_by_timeout(self):
        _, _, took = self.refused("silent", "timeout", bound=6,
                                  extra=("--retry", "0"), timeout="2")
        self.assertGreater(took, 1.5)

    def test_proxy_that_never_answers_is_bounded_by_max_time(self):
        _, _, took = self.refused("silent", "time limit", bound=6,
                                  extra=("--max-time", "2"), timeout="30")
        self.assertGreater(took, 1.5)

    def test_proxy_not_listening(self):
        proxy = self.proxy()
        proxy.stop()
        self.via("download", "m" * 64, "-o", "out.bin", proxy=proxy, expect=4,
                 extra=("--retry", "0"))


class RateLimit(ProxyCase):
    """--limit-rate caps uploads and downloads (through a proxy too)."""

    def test_upload_and_download_at_256k(self):
        data = os.urandom(MIB)
        src = self.write("in.bin", data)
        start = time.monotonic()
        p = self.via("upload", "--type", "file", src, extra=("--limit-rate", "256K"))
        up = time.monotonic() - start
        media_id = p.stdout.decode().strip()
        self.assertEqual(self.client.media_get(media_id), data)
        start = time.monotonic()
        self.via("download", media_id, "-o", "out.bin", extra=("--limit-rate", "256k"))
        down = time.monotonic() - start
        self.assert_file("out.bin", data)
        print("\n1 MiB at 256K: upload %.2f s, download %.2f s" % (up, down), flush=True)
        # 1 MiB at 256 KiB/s is 4 s less the first burst (0.1 s worth).
        self.assertGreaterEqual(up, 3.0)
        self.assertGreaterEqual(down, 3.0)
        self.assertLess(up, 30)
        self.assertLess(down, 30)

    def test_through_a_proxy_and_bounded_by_max_time(self):
        proxy = self.proxy()
        data = os.urandom(MIB)
        media_id = self.client.media_put("file", "m.bin", data)
        start = time.monotonic()
        self.via("download", media_id, "-o", "slow.bin", proxy=proxy, expect=4,
                 extra=("--limit-rate", "100K", "--max-time", "2"))
        self.assertLess(time.monotonic() - start, 6)
        start = time.monotonic()
        self.via("download", media_id, "-o", "fast.bin", proxy=proxy,
                 extra=("--limit-rate", "1M"))
        self.assertGreaterEqual(time.monotonic() - start, 0.7)
        self.assert_file("fast.bin", data)

    def test_bad_rates(self):
        for rate in ("0", "-1", "1T", "abc", "5000000000", "1.5M", ""):
            self.via("download", "m" * 64, "-o", "x", expect=2, extra=("--limit-rate", rate))


class ViaProxy:
    """Another class's tests, with every run of the tool sent through a
    proxy to https://localhost:PORT: the suite's uploads and downloads,
    faults and resumes included, hold through the tunnel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.suite_proxy = ConnectProxy().start()
        cls.local_url = "https://localhost:" + cls.url.rsplit(":", 1)[1]

    @classmethod
    def tearDownClass(cls):
        cls.suite_proxy.stop()
        super().tearDownClass()
        if cls.suite_proxy.connections == 0:
            raise AssertionError("%s: the proxy was never used" % cls.__name__)

    def cli_cmd(self, args, global_args=(), timeout="10"):
        cmd = super().cli_cmd(args, global_args, timeout)
        return [cmd[0], "--proxy", self.suite_proxy.url] + [
            self.local_url if a == self.url else a for a in cmd[1:]]

    def setUp(self):
        super().setUp()
        self.proxied_before = self.suite_proxy.connections

    def tearDown(self):
        # What reached the emulator's API came through the proxy.
        api = [e for e in self.client.log() if e["path"].startswith("/cgi-bin/")]
        if api:
            self.assertGreater(self.suite_proxy.connections, self.proxied_before,
                               "requests reached the emulator around the proxy")
        super().tearDown()


class UploadKindsViaProxy(ViaProxy, upload_tests.UploadKinds):
    pass


class UploadFaultsViaProxy(ViaProxy, upload_tests.UploadFaults):
    pass


class DownloadViaProxy(ViaProxy, download_tests.Download):
    pass


class ResumeViaProxy(ViaProxy, download_tests.Resume):
    pass


if __name__ == "__main__":
    unittest.main()
