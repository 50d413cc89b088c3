# SPDX-License-Identifier: MIT
"""wecom-media's TLS session cache: the second run resumes the first one's
TLS session (the emulator counts resumed handshakes, and -v says so), and
anything doubtful about the saved session makes a full handshake instead.

Every run of the tool goes through EmulatorCase.cli, which fails the test
if a token or secret shows in its output."""

import os
import shutil
import stat
import time
import unittest

from clitest import EmulatorCase

LIFETIME_S = 86400  # WECOM_SESSION_LIFETIME_S's default
RESUMED = b"TLS session resumed"
FULL = b"full handshake"


class SessionCache(EmulatorCase):
    """Two runs in a row resume; what must not be trusted is not."""

    def setUp(self):
        super().setUp()
        self.cache = self.path("cache")
        self.media = self.write("report.pdf", b"%PDF-1.7\n" + os.urandom(4000))

    def session_file(self):
        return os.path.join(self.cache, "tls-session")

    def run_upload(self, *global_args, expect=0, env=None):
        """One upload; returns (resumed handshakes the emulator saw, stderr)."""
        before = self.client.connections()
        full_env = {"WECOM_CACHE_DIR": self.cache}
        full_env.update(env or {})
        p = self.cli("-v", "upload", self.media, global_args=global_args, expect=expect,
                     env=full_env)
        after = self.client.connections()
        return after["resumed"] - before["resumed"], p.stderr

    def assert_full(self, result, msg):
        resumed, err = result
        self.assertEqual(resumed, 0, msg)
        self.assertIn(FULL, err, msg)
        self.assertNotIn(RESUMED, err, msg)

    def assert_resumed(self, result, msg):
        resumed, err = result
        self.assertEqual(resumed, 1, msg)
        self.assertIn(RESUMED, err, msg)

    def assert_private(self):
        st = os.lstat(self.session_file())
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.cache).st_mode), 0o700)

    def test_second_run_resumes(self):
        self.assert_full(self.run_upload(), "the first run has nothing to resume")
        self.assert_private()
        self.assert_resumed(self.run_upload(), "the second run resumes the first's session")
        self.assert_resumed(self.run_upload(), "and the third the second's")
        self.assert_private()

    def test_no_session_cache(self):
        self.assert_full(self.run_upload("--no-session-cache"), "off: nothing kept")
        self.assertFalse(os.path.exists(self.session_file()))
        self.run_upload()
        self.assertTrue(os.path.exists(self.session_file()))
        self.assert_full(self.run_upload("--no-session-cache"), "off: the kept one unused")

    def test_corrupt_file_ignored_and_replaced(self):
        self.run_upload()
        data = bytearray(open(self.session_file(), "rb").read())
        for i in range(len(data) - 40, len(data)):  # the library's bytes
            data[i] ^= 0x5A
        with open(self.session_file(), "wb") as f:
            f.write(bytes(data))
        self.assert_full(self.run_upload(), "a damaged session is not offered")
        self.assert_resumed(self.run_upload(), "the run after wrote a good one")
        with open(self.session_file(), "wb") as f:
            f.write(b"wecom-media tls session 1\nsaved 1\n" + os.urandom(300))
        self.assert_full(self.run_upload(), "garbage after the magic line")

    def test_symlink_ignored(self):
        self.run_upload()
        elsewhere = self.path("elsewhere")
        shutil.copy(self.session_file(), elsewhere)
        os.chmod(elsewhere, 0o600)
        kept = open(elsewhere, "rb").read()
        os.unlink(self.session_file())
        os.symlink(elsewhere, self.session_file())
        self.assert_full(self.run_upload(), "a link is never followed")
        self.assertFalse(os.path.islink(self.session_file()), "the link is replaced")
        self.assertEqual(open(elsewhere, "rb").read(), kept, "its target untouched")
        self.assert_private()

    def test_readable_by_others_ignored(self):
        self.run_upload()
        os.chmod(self.session_file(), 0o644)
        self.assert_full(self.run_upload(), "a 0644 session may have leaked: not used")
        self.assert_private()

    def test_other_base_url_full_handshake(self):
        self.run_upload()
        other = self.url.replace("127.0.0.1", "localhost")
        self.assertNotEqual(other, self.url)
        self.assert_full(self.run_upload("--base-url", other), "another base URL")

    def test_library_refuses_another_host(self):
        """The tool's own check passed (its header rewritten for the other
        URL): the library still refuses a session made for another host."""
        self.run_upload()
        other = self.url.replace("127.0.0.1", "localhost")
        data = open(self.session_file(), "rb").read()
        data = data.replace(("url %s\n" % self.url).encode(), ("url %s\n" % other).encode(), 1)
        with open(self.session_file(), "wb") as f:
            f.write(data)
        resumed, err = self.run_upload("--base-url", other)
        self.assert_full((resumed, err), "a session for 127.0.0.1 offered to localhost")
        self.assertIn(b"refused by the library", err)

    def test_ca_file_change_full_handshake(self):
        ca = self.path("ca.pem")
        shutil.copy(self.ca, ca)
        self.run_upload("--cacert", ca)
        self.assert_resumed(self.run_upload("--cacert", ca), "same CA file")
        with open(ca, "ab") as f:  # the same roots, another file
            f.write(b"\n")
        self.assert_full(self.run_upload("--cacert", ca), "the CA file changed")
        self.assert_resumed(self.run_upload("--cacert", ca), "and is kept again")
        st = os.stat(ca)
        os.utime(ca, ns=(st.st_atime_ns, st.st_mtime_ns + 1000000000))
        self.assert_full(self.run_upload("--cacert", ca), "only its time changed")
        self.assert_full(self.run_upload("--cacert", self.ca), "another CA file path")

    def test_past_its_lifetime(self):
        self.run_upload()
        data = open(self.session_file(), "rb").read()
        lines = data.split(b"\n", 2)
        self.assertTrue(lines[1].startswith(b"saved "))
        old = int(time.time()) - LIFETIME_S - 60
        with open(self.session_file(), "wb") as f:
            f.write(b"\n".join([lines[0], b"saved %d" % old, lines[2]]))
        resumed, err = self.run_upload()
        self.assert_full((resumed, err), "too old")
        self.assertIn(b"past its lifetime", err)

    def test_failure_drops_it(self):
        self.run_upload()
        self.assertTrue(os.path.exists(self.session_file()))
        self.cli("-v", "upload", self.path("missing.pdf"), expect=3,
                 env={"WECOM_CACHE_DIR": self.cache})
        self.assertFalse(os.path.exists(self.session_file()), "a failed run keeps none")
        self.assert_full(self.run_upload(), "so the next starts afresh")


if __name__ == "__main__":
    unittest.main()
