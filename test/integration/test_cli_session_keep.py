# SPDX-License-Identifier: MIT
"""wecom-media's TLS session file after a resumed run: left as it is
(neither written nor replaced, so a resumed run costs no file creation
and no fsync), and its age stays that of the full handshake that made the
session, so resuming it does not stretch its lifetime.

Under TLS 1.3 (mbedTLS 3.x) the server sends a new ticket on every
connection and a client should not offer one ticket twice (RFC 8446,
C.4): there the resumed run writes the new ticket, dated now, and the
next run resumes that one.

Every run of the tool goes through EmulatorCase.cli, which fails the test
if a token or secret shows in its output."""

import os
import time
import unittest

from clitest import EmulatorCase

LIFETIME_S = 86400  # WECOM_SESSION_LIFETIME_S's default
RESUMED = b"TLS session resumed"
KEPT = b"kept: resumed, unchanged"


class SessionKeep(EmulatorCase):
    """A resumed run leaves the session file alone."""

    def setUp(self):
        super().setUp()
        self.cache = self.path("cache")
        self.media = self.write("report.pdf", b"%PDF-1.7\n" + os.urandom(4000))
        self.session = os.path.join(self.cache, "tls-session")

    def run_upload(self, *global_args):
        """One upload; returns (resumed handshakes the emulator saw, stderr)."""
        before = self.client.connections()["resumed"]
        p = self.cli("-v", "upload", self.media, global_args=global_args,
                     env={"WECOM_CACHE_DIR": self.cache})
        return self.client.connections()["resumed"] - before, p.stderr

    def tls13(self):
        return self.client.connections()["api_tls13"] > 0

    def snapshot(self):
        st = os.lstat(self.session)
        with open(self.session, "rb") as f:
            return f.read(), st.st_ino, st.st_mtime_ns

    def test_resumed_run_leaves_the_file(self):
        resumed, err = self.run_upload()
        self.assertEqual(resumed, 0, "the first run has nothing to resume")
        first = self.snapshot()
        for run in (2, 3):
            resumed, err = self.run_upload()
            self.assertEqual(resumed, 1, "run %d resumes" % run)
            self.assertIn(RESUMED, err)
            if self.tls13():
                self.assertNotIn(KEPT, err)
                now = self.snapshot()
                self.assertNotEqual(now[0], first[0], "run %d: the new ticket is kept" % run)
                first = now
                continue
            self.assertIn(KEPT, err, "run %d: -v says the file was kept" % run)
            self.assertEqual(self.snapshot(), first,
                             "run %d: the same bytes, inode and time: not rewritten" % run)

    def test_lifetime_counts_from_the_full_handshake(self):
        self.run_upload()
        with open(self.session, "rb") as f:
            lines = f.read().split(b"\n", 2)
        self.assertTrue(lines[1].startswith(b"saved "))
        # Made by a full handshake almost a lifetime ago: still offered,
        # and resuming it keeps that age.
        old = int(time.time()) - LIFETIME_S + 3600
        with open(self.session, "wb") as f:
            f.write(b"\n".join([lines[0], b"saved %d" % old, lines[2]]))
        resumed, err = self.run_upload()
        self.assertEqual(resumed, 1, "younger than its lifetime: resumed")
        if self.tls13():
            return  # the new ticket is dated now, as it should be
        with open(self.session, "rb") as f:
            self.assertEqual(f.read().split(b"\n", 2)[1], b"saved %d" % old,
                             "a resumed run does not make the session younger")
        # Once that age passes the lifetime, the next run starts afresh
        # and its full handshake saves a new session, dated now.
        old -= 7200
        with open(self.session, "wb") as f:
            f.write(b"\n".join([lines[0], b"saved %d" % old, lines[2]]))
        resumed, err = self.run_upload()
        self.assertEqual(resumed, 0, "past its lifetime: a full handshake")
        self.assertIn(b"past its lifetime", err)
        with open(self.session, "rb") as f:
            saved = int(f.read().split(b"\n", 2)[1].split()[1])
        self.assertGreater(saved, time.time() - 600, "the new session is dated now")

    def test_refused_session_is_replaced(self):
        """A session the server no longer resumes (another CA file here
        makes the tool drop it first) leads to a full handshake, whose new
        session is written and resumed by the run after."""
        self.run_upload()
        first = self.snapshot()
        ca = self.path("ca.pem")
        with open(self.ca, "rb") as src, open(ca, "wb") as dst:
            dst.write(src.read())
        resumed, err = self.run_upload("--cacert", ca)
        self.assertEqual(resumed, 0)
        self.assertNotEqual(self.snapshot()[0], first[0], "written anew")
        resumed, err = self.run_upload("--cacert", ca)
        self.assertEqual(resumed, 1)
        if not self.tls13():
            self.assertIn(KEPT, err)


if __name__ == "__main__":
    unittest.main()
