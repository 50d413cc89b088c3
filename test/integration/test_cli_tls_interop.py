# SPDX-License-Identifier: MIT
"""wecom-media against TLS servers it does not ship: OpenSSL's s_server and
GnuTLS's gnutls-serv, on loopback, with a CA and certificates made for the
run. Each case is one download through the real handshake.

s_server answers in its -HTTP mode: the file named by the request's path
(here cgi-bin/media/get?access_token=...&media_id=...) holds the whole
HTTP answer, a medium of a few bytes. gnutls-serv answers any GET with its
own HTML page (text/html, no Content-Disposition): a whole handshake and a
whole HTTP answer, which the tool then refuses as a web page, not a medium.

What a build can do decides what a case expects: a build without TLS 1.3
(mbedTLS 2.28) must refuse a TLS 1.3-only server with a message that says
so. Every case prints one line, "interop: SERVER | BUILD | RESULT", so
that `ctest -V -R e2e_tls_interop` shows the table of the run.

Needs openssl(1) and gnutls-serv (Debian's gnutls-bin); a case whose
server is missing fails, it is not skipped.
"""

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

CLI = os.environ.get("WECOM_CLI", "")
TOKEN = "interopTok"
MEDIA_ID = "MEDIA1"
BODY = b"interop medium\n"
TIMEOUT = 60  # seconds for one run of the tool (qemu-user is slow)

VERSION = b"speaks no TLS version this build does"
CLIENT_CERT = b"requires a client certificate"
TOO_LARGE = b"larger than the TLS input buffer"
NO_CIPHER = b"share no cipher suite"
WEB_PAGE = b"answered with a web page (text/html)"
# A server that refuses the ClientHello with handshake_failure, not
# protocol_version (GnuTLS, for a version it lacks): no shared suite or
# version, and both messages name the version.
VERSION_OR_CIPHER = b"TLS version this build"
UNTRUSTED = b"not signed by a trusted CA"
HOSTNAME = b"does not name the host"


def openssl(cwd, *args):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certificates(d):
    """A root CA (RSA); an RSA leaf for localhost, 127.0.0.1 and ::1 (the
    addresses only as iPAddress names); an ECDSA intermediate CA and an
    ECDSA leaf it signed (localhost only); an RSA leaf whose 900 names
    make it larger than a TLS record."""
    ext = os.path.join(d, "ext.cnf")
    big = ",".join("DNS:h%03d.interop.test" % i for i in range(900))
    with open(ext, "w") as f:
        f.write("[ca]\nbasicConstraints=critical,CA:TRUE\n"
                "keyUsage=critical,keyCertSign,cRLSign\n"
                "[rsa]\nbasicConstraints=CA:FALSE\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                "[ec]\nbasicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost\n"
                "[big]\nbasicConstraints=CA:FALSE\n"
                "subjectAltName=DNS:localhost," + big + "\n")
    openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "3", "-subj", "/CN=interop root",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    serial = [1]

    def sign(name, key_args, issuer, section):
        openssl(d, "req", "-new", *key_args, "-nodes", "-keyout", name + ".key",
                "-out", name + ".csr", "-subj", "/CN=interop " + name)
        serial[0] += 1
        openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem",
                "-CAkey", issuer + ".key", "-set_serial", str(serial[0]), "-days", "2",
                "-extfile", ext, "-extensions", section, "-out", name + ".pem")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    sign("rsa", ["-newkey", "rsa:2048"], "ca", "rsa")
    sign("ecca", ec, "ca", "ca")
    sign("ec", ec, "ecca", "ec")
    openssl(d, "req", "-new", "-key", "rsa.key", "-out", "big.csr",
            "-subj", "/CN=interop big")
    openssl(d, "x509", "-req", "-in", "big.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "99", "-days", "2", "-extfile", ext, "-extensions", "big",
            "-out", "big.pem")
    shutil.copy(os.path.join(d, "rsa.key"), os.path.join(d, "big.key"))


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class TlsInterop(unittest.TestCase):
    """One download per case, against a server started for it."""

    @classmethod
    def setUpClass(cls):
        if not CLI or not os.access(CLI, os.X_OK):
            raise RuntimeError("set WECOM_CLI to the wecom-media binary to test")
        for tool in ("openssl", "gnutls-serv"):
            if shutil.which(tool) is None:
                raise RuntimeError("%s is needed (Debian: openssl, gnutls-bin)" % tool)
        cls.dir = tempfile.mkdtemp(prefix="wecom-e2e-interop-")
        make_certificates(cls.dir)
        cls.www = os.path.join(cls.dir, "www")
        answer = os.path.join(cls.www, "cgi-bin", "media",
                              "get?access_token=%s&media_id=%s" % (TOKEN, MEDIA_ID))
        os.makedirs(os.path.dirname(answer))
        with open(answer, "wb") as f:
            f.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    b"Content-Disposition: attachment; filename=\"m.bin\"\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY)
        version = subprocess.run([CLI, "--version"], stdout=subprocess.PIPE,
                                 timeout=TIMEOUT, check=True).stdout.decode()
        m = re.search(r"^TLS: (mbedTLS [0-9.]+) \(([^)]*)\)", version, re.M)
        if m is None:
            raise RuntimeError("wecom-media --version names no TLS library: %r" % version)
        cls.build = m.group(1)
        cls.tls13 = "TLS 1.3" in m.group(2)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="wecom-e2e-interop-run-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def cert(self, name):
        return os.path.join(self.dir, name)

    # -- servers --

    def wait_listening(self, proc, log, host, port):
        end = time.monotonic() + 20
        while time.monotonic() < end:
            if proc.poll() is not None:
                with open(log, "rb") as f:
                    self.fail("the server ended at once: %s" % f.read().decode(
                        errors="replace")[-500:])
            try:
                with socket.create_connection((host, port), timeout=2):
                    return
            except OSError:
                time.sleep(0.05)
        self.fail("the server did not listen on %s port %d" % (host, port))

    def start(self, cmd, host, port):
        log = os.path.join(self.work, "server.log")
        with open(log, "wb") as err:
            proc = subprocess.Popen(cmd, cwd=self.www, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)

        def stop():
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.addCleanup(stop)
        self.wait_listening(proc, log, host, port)

    def s_server(self, *opts, cert="rsa", host="127.0.0.1"):
        """openssl s_server in -HTTP mode; the URL to reach it by name."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        port = free_port(family, host)
        where = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
        self.start(["openssl", "s_server", "-accept", where, "-HTTP", "-quiet",
                    "-cert", self.cert(cert + ".pem"), "-key", self.cert(cert + ".key"),
                    *opts], host, port)
        return port

    def gnutls_serv(self, priority):
        port = free_port()
        self.start(["gnutls-serv", "--http", "--port", str(port),
                    "--x509certfile", self.cert("rsa.pem"),
                    "--x509keyfile", self.cert("rsa.key"), "--priority", priority],
                   "127.0.0.1", port)
        return port

    # -- the tool --

    def download(self, url, *global_args):
        out = os.path.join(self.work, "out")
        if "--cache-dir" not in global_args:
            global_args += ("--no-session-cache",)
        if os.path.exists(out):
            os.unlink(out)
        p = subprocess.run(
            [CLI, "--base-url", url, "--cacert", self.cert("ca.pem"), "--timeout", "20",
             "--retry", "0", "-v", *global_args, "download", MEDIA_ID, "-o", out],
            cwd=self.work, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                "LC_ALL": "C.UTF-8", "WECOM_ACCESS_TOKEN": TOKEN},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=TIMEOUT)
        body = None
        if os.path.exists(out):
            with open(out, "rb") as f:
                body = f.read()
        return p, body

    def report(self, server, p, ok):
        if ok:
            result = "ok"
        else:
            lines = [l for l in p.stderr.decode(errors="replace").splitlines()
                     if MEDIA_ID + ":" in l or "library error" in l]
            result = "refused (exit %d): %s" % (p.returncode, "; ".join(
                l.replace("wecom-media: ", "").replace(MEDIA_ID + ": ", "") for l in lines))
        sys.stderr.write("\ninterop: %s | %s | %s\n" % (server, self.build, result))

    def expect_ok(self, server, url, *global_args):
        p, body = self.download(url, *global_args)
        self.report(server, p, p.returncode == 0)
        self.assertEqual(p.returncode, 0, "%s: %s" % (server, p.stderr.decode(errors="replace")))
        self.assertEqual(body, BODY)
        return p

    def expect_web_page(self, server, url):
        """The handshake and the HTTP exchange complete; the answer is the
        server's own HTML page, refused as no medium (exit 4, nothing saved)."""
        p, body = self.download(url)
        connected = p.returncode == 4 and WEB_PAGE in p.stderr
        sys.stderr.write("\ninterop: %s | %s | %s\n" % (
            server, self.build, "ok (its HTML status page refused as no medium)"
            if connected else "failed (exit %d)" % p.returncode))
        self.assertTrue(connected, "%s: %s" % (server, p.stderr.decode(errors="replace")))
        self.assertIsNone(body)

    def expect_refused(self, server, url, message):
        p, body = self.download(url)
        self.report(server, p, False)
        self.assertEqual(p.returncode, 4, "%s: %s" % (server, p.stderr.decode(errors="replace")))
        self.assertIn(message, p.stderr)
        self.assertIsNone(body)
        return p

    def expect_tls13(self, server, url, web_page=False):
        """A TLS 1.3-only server: served by a build with TLS 1.3, refused
        by name (and with the library's code under -v) by one without."""
        if self.tls13 and web_page:
            self.expect_web_page(server, url)
        elif self.tls13:
            self.expect_ok(server, url)
        else:
            p = self.expect_refused(server, url, VERSION_OR_CIPHER)
            self.assertIn(b"TLS library error -0x", p.stderr)

    # -- the cases --

    def test_openssl_tls12_rsa(self):
        """OpenSSL signs a TLS 1.2 key exchange with RSA-PSS when the
        client lists it first, which mbedTLS 3.6.6 refuses."""
        port = self.s_server("-tls1_2")
        self.expect_ok("openssl s_server -tls1_2 RSA", "https://localhost:%d" % port)

    def test_openssl_tls12_rsa_server_order(self):
        """A server that picks by its own order (RSA-PSS first) all the same."""
        port = self.s_server("-tls1_2", "-serverpref")
        self.expect_ok("openssl s_server -tls1_2 -serverpref RSA",
                       "https://localhost:%d" % port)

    def test_openssl_tls13_rsa(self):
        port = self.s_server("-tls1_3")
        self.expect_tls13("openssl s_server -tls1_3 RSA", "https://localhost:%d" % port)

    def test_openssl_ecdsa_chain_sent(self):
        port = self.s_server("-tls1_2", "-cert_chain", self.cert("ecca.pem"), cert="ec")
        self.expect_ok("openssl s_server -tls1_2 ECDSA leaf+intermediate",
                       "https://localhost:%d" % port)

    def test_openssl_ecdsa_chain_sent_tls13(self):
        port = self.s_server("-tls1_3", "-cert_chain", self.cert("ecca.pem"), cert="ec")
        self.expect_tls13("openssl s_server -tls1_3 ECDSA leaf+intermediate",
                          "https://localhost:%d" % port)

    def test_openssl_intermediate_not_sent(self):
        """The client fetches no missing intermediate: untrusted, said so."""
        port = self.s_server("-tls1_2", cert="ec")
        self.expect_refused("openssl s_server ECDSA leaf without intermediate",
                            "https://localhost:%d" % port, UNTRUSTED)

    def test_gnutls_tls12(self):
        port = self.gnutls_serv("NORMAL:-VERS-ALL:+VERS-TLS1.2")
        self.expect_web_page("gnutls-serv TLS 1.2 RSA", "https://localhost:%d" % port)

    def test_gnutls_tls13(self):
        port = self.gnutls_serv("NORMAL:-VERS-ALL:+VERS-TLS1.3")
        self.expect_tls13("gnutls-serv TLS 1.3 RSA", "https://localhost:%d" % port,
                          web_page=True)

    def test_ip_address_in_ipaddress_name(self):
        """--base-url with an address the certificate names as iPAddress
        (RFC 5280), not as a dNSName string: mbedTLS 2.28 itself matches
        only dNSName entries."""
        port = self.s_server("-tls1_2")
        self.expect_ok("openssl s_server, https://127.0.0.1 (iPAddress SAN)",
                       "https://127.0.0.1:%d" % port)

    def test_ip_address_not_named(self):
        port = self.s_server("-tls1_2", "-cert_chain", self.cert("ecca.pem"), cert="ec")
        self.expect_refused("openssl s_server, https://127.0.0.1, no such SAN",
                            "https://127.0.0.1:%d" % port, HOSTNAME)

    @unittest.skipUnless(ipv6_loopback(), "no IPv6 loopback here")
    def test_ipv6_address_in_ipaddress_name(self):
        port = self.s_server("-tls1_2", host="::1")
        self.expect_ok("openssl s_server, https://[::1] (iPAddress SAN)",
                       "https://[::1]:%d" % port)

    def test_client_certificate_required_tls12(self):
        port = self.s_server("-tls1_2", "-Verify", "1", "-CAfile", self.cert("ca.pem"))
        self.expect_refused("openssl s_server -tls1_2 -Verify (client cert)",
                            "https://localhost:%d" % port, CLIENT_CERT)

    def test_client_certificate_required_tls13(self):
        port = self.s_server("-tls1_3", "-Verify", "1", "-CAfile", self.cert("ca.pem"))
        self.expect_refused("openssl s_server -tls1_3 -Verify (client cert)",
                            "https://localhost:%d" % port,
                            CLIENT_CERT if self.tls13 else VERSION)

    def test_no_shared_cipher(self):
        """An RSA certificate with ECDSA suites alone: nothing to agree on."""
        port = self.s_server("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
        self.expect_refused("openssl s_server -tls1_2, no shared cipher suite",
                            "https://localhost:%d" % port, NO_CIPHER)

    def test_chain_larger_than_input_buffer(self):
        port = self.s_server("-tls1_2", cert="big")
        self.expect_refused("openssl s_server, 21 KB certificate",
                            "https://localhost:%d" % port, TOO_LARGE)

    def test_damaged_saved_session(self):
        """A saved TLS 1.2 session whose master secret lost a bit: the
        server resumes it and the Finished messages disagree. The run drops
        it and makes a full handshake; the next run resumes the new one."""
        keylog = os.path.join(self.work, "keys.log")
        cache = os.path.join(self.work, "cache")
        port = self.s_server("-tls1_2", "-keylogfile", keylog)
        url = "https://localhost:%d" % port
        self.download(url, "--cache-dir", cache)  # keeps the session
        with open(keylog) as f:
            masters = [bytes.fromhex(l.split()[2]) for l in f if l.startswith("CLIENT_RANDOM")]
        session = os.path.join(cache, "tls-session")
        with open(session, "rb") as f:
            data = bytearray(f.read())
        at = data.find(masters[-1])
        self.assertGreater(at, 0, "the master secret is not in the saved session")
        data[at + 20] ^= 0x08
        with open(session, "wb") as f:
            f.write(data)
        p = self.expect_ok("openssl s_server -tls1_2, damaged saved session", url,
                           "--cache-dir", cache)
        self.assertIn(b"full handshake", p.stderr)
        p, body = self.download(url, "--cache-dir", cache)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"TLS session resumed", p.stderr)

    def test_saved_session_bit_flips(self):
        """One flipped bit anywhere in the library's part of the saved
        session: each run still succeeds, resumed or afresh."""
        rng = random.Random(20261206)
        cache = os.path.join(self.work, "cache")
        url = "https://localhost:%d" % self.s_server("-tls1_2")
        session = os.path.join(cache, "tls-session")
        failed = []
        for _ in range(8):
            p, _ = self.download(url, "--cache-dir", cache)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(session, "rb") as f:
                data = bytearray(f.read())
            start = data.index(b"\n\n") + 2  # the tool's header ends there
            at = rng.randrange(start, len(data))
            data[at] ^= 1 << rng.randrange(8)
            with open(session, "wb") as f:
                f.write(data)
            p, body = self.download(url, "--cache-dir", cache)
            if p.returncode != 0 or body != BODY:
                failed.append("byte %d of %d: %s" % (at - start, len(data) - start,
                                                      p.stderr.decode(errors="replace")))
        self.report("openssl s_server -tls1_2, 8 saved sessions with a bit flipped",
                    p, not failed)
        self.assertEqual(failed, [])


if __name__ == "__main__":
    unittest.main()
