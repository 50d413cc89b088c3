# SPDX-License-Identifier: MIT
"""wecom-media's state on the device, as an attacker or a fault leaves it:
the cache directory and the token cache in it, the TLS session file,
--token-file and --secret-file, --token-command's output and children, a
download's .part.info, and where secrets may be found afterwards.

Tests may run as root (CI does): "another user's" file is made with
chown to nobody, which only root can do; such tests are skipped otherwise.
Each test plants the thing and checks what a user would notice: the exit
code, the time taken, the gettoken count, the bytes on disk."""

import os
import shutil
import signal
import stat
import subprocess
import threading
import time
import unittest

from clitest import CORPID, GETTOKEN, SECRET, EmulatorCase, fifo_opened, jpeg, process_ended

EXIT_LOCAL, EXIT_CREDENTIALS, EXIT_NOT_FOUND = 3, 7, 9
ROOT = os.geteuid() == 0
NOBODY = 65534


def gettokens(case):
    return len(case.requests(GETTOKEN))


class StateCase(EmulatorCase):

    def setUp(self):
        super().setUp()
        self.cache = self.path("cache")
        self.jpg = self.write("a.jpg", jpeg(1000))

    def env(self, **more):
        e = {"WECOM_CORPSECRET": SECRET, "XDG_CACHE_HOME": self.cache}
        e.update(more)
        return e

    def upload(self, *args, env=None, expect=0, **kw):
        """An upload with --corpid (gettoken through the cache)."""
        return self.cli("--corpid", CORPID, *args, "upload", self.jpg,
                        env=self.env() if env is None else env, token=False,
                        expect=expect, **kw)

    def cache_dir(self):
        return os.path.join(self.cache, "wecom-media")

    def token_file(self):
        d = self.cache_dir()
        files = [f for f in os.listdir(d) if f.startswith("token-") and
                 not f.endswith((".lock", ".new"))]
        self.assertEqual(len(files), 1, files)
        return os.path.join(d, files[0])


class StateCacheDir(StateCase):
    """A cache directory that cannot be used: the tool still works, without
    the cache, and says why."""

    def test_cache_dir_of_every_wrong_kind(self):
        target = self.path("elsewhere")
        os.makedirs(target, mode=0o700)
        kinds = {
            "a symbolic link": lambda d: os.symlink(target, d),
            "a FIFO": os.mkfifo,
            "a regular file": lambda d: open(d, "wb").close(),
        }
        if ROOT:
            kinds["a character device"] = lambda d: os.mknod(
                d, stat.S_IFCHR | 0o600, os.makedev(1, 5))
            kinds["owned by another user"] = lambda d: (os.mkdir(d, 0o700),
                                                         os.chown(d, NOBODY, NOBODY))
        for why, plant in kinds.items():
            with self.subTest(why):
                cache = self.path("c-" + why.replace(" ", "-"))
                os.makedirs(cache)
                d = os.path.join(cache, "wecom-media")
                plant(d)
                before = gettokens(self)
                for _ in range(2):
                    p = self.upload(env=self.env(XDG_CACHE_HOME=cache))
                    self.assertIn(why, p.stderr.decode())
                    self.assertIn("going on without the cache", p.stderr.decode())
                self.assertEqual(gettokens(self) - before, 2)
                self.assertEqual(os.listdir(target), [], "written through the link")

    def test_no_home_and_no_xdg(self):
        """No $HOME, $XDG_CACHE_HOME unset, empty or relative: no cache, and
        -v says so; a cache directory that cannot be made is named."""
        for env in ({}, {"XDG_CACHE_HOME": ""}, {"XDG_CACHE_HOME": "rel/cache"}):
            with self.subTest(env=env):
                e = {"WECOM_CORPSECRET": SECRET}
                e.update(env)
                p = self.upload("-v", env=e)
                self.assertIn("no cache directory", p.stderr.decode())
                self.assertFalse(os.path.exists(self.path("rel")), "a relative cache made")
        unmakeable = os.path.join(self.jpg, "sub")  # below a regular file
        p = self.upload(env=self.env(XDG_CACHE_HOME=unmakeable))
        self.assertIn("going on without the cache", p.stderr.decode())


class StateTokenCache(StateCase):
    """The token cache file planted as something else: ignored, replaced
    where it can be, never followed, never a hang."""

    def assert_replaced(self, why, plant, replaced=True):
        self.upload()
        before = gettokens(self)
        plant(self.token_file())
        start = time.monotonic()
        p = self.upload("-v")
        self.assertLess(time.monotonic() - start, 10, why + ": slow")
        self.assertEqual(gettokens(self), before + 1, why + ": no new gettoken")
        self.assertIn("token cache " + why, p.stderr.decode())
        if replaced:
            self.upload()
            self.assertEqual(gettokens(self), before + 1, why + ": not replaced")

    def test_fifo(self):
        def plant(path):
            os.unlink(path)
            os.mkfifo(path, 0o600)
        self.assert_replaced("a FIFO", plant)

    def test_directory(self):
        def plant(path):
            os.unlink(path)
            os.mkdir(path, 0o700)
        self.assert_replaced("a directory", plant, replaced=False)

    def test_ten_megabytes(self):
        def plant(path):
            with open(path, "ab") as f:
                f.write(b"x" * (10 * 1048576))
        self.assert_replaced("corrupt", plant)

    @unittest.skipUnless(ROOT, "chown needs root")
    def test_another_users(self):
        self.assert_replaced("owned by another user",
                             lambda path: os.chown(path, NOBODY, NOBODY))

    @unittest.skipUnless(ROOT, "mknod needs root")
    def test_device_node(self):
        def plant(path):
            os.unlink(path)
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))
        self.assert_replaced("a character device", plant)

    def test_hard_link(self):
        other = self.path("other")
        self.assert_replaced("has other hard links", lambda path: os.link(path, other))
        with open(other, "rb") as f:
            self.assertTrue(f.read().startswith(b"wecom-media token cache 1\n"))

    def test_lock_of_the_wrong_kind(self):
        """A lock file that is a directory or a FIFO: the runs go on, each
        with its own gettoken (the cache is never written without the
        lock), and -v says why."""
        for make in (os.mkdir, os.mkfifo):
            with self.subTest(make.__name__):
                shutil.rmtree(self.cache, ignore_errors=True)
                self.upload()
                lock = self.token_file() + ".lock"
                os.unlink(lock)
                os.unlink(self.token_file())
                make(lock, 0o600)
                before = gettokens(self)
                for _ in range(2):
                    p = self.upload("-v")
                    self.assertIn("the token will not be cached", p.stderr.decode())
                self.assertEqual(gettokens(self), before + 2)

    def test_fifo_lock_is_not_opened(self):
        """A FIFO planted as the lock is not even opened: a writer waiting
        on it stays blocked (opening it would let it go on)."""
        shutil.rmtree(self.cache, ignore_errors=True)
        self.upload()
        lock = self.token_file() + ".lock"
        os.unlink(lock)
        opened = fifo_opened(lock)
        p = self.upload("-v")
        self.assertIn("the token will not be cached", p.stderr.decode())
        self.assertFalse(opened.wait(0.5), "the tool opened the FIFO")
        os.unlink(lock)

    def test_concurrent_runs_on_one_cache(self):
        """Eight runs at once on one cache, started twice: every run gets a
        token, no run waits long, the cache file is whole at the end."""
        for round_ in range(2):
            self.client.config(fault={"kind": "stall", "bytes": 0, "ms": 500, "count": 1,
                                      "path": GETTOKEN})
            env = self.cli_env(self.env(), token=False)
            start = time.monotonic()
            self.cli_at_once(["--corpid", CORPID, "token"], env, 8, "concurrent token")
            self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(gettokens(self), 1)
        with open(self.token_file(), "rb") as f:
            self.assertTrue(f.read().startswith(b"wecom-media token cache 1\n"))


class StateCredentials(StateCase):
    """--token-file, --secret-file and --token-command against what a
    fault or a hostile neighbour puts there: never a hang, never the
    secret shown."""

    def token_upload(self, *args, expect=0, **kw):
        return self.cli(*args, "upload", self.jpg, token=False, expect=expect, **kw)

    def test_token_file_that_is_a_fifo_without_writer(self):
        fifo = self.path("tok.fifo")
        os.mkfifo(fifo, 0o600)
        start = time.monotonic()
        p = self.token_upload("--token-file", fifo, expect=EXIT_LOCAL)
        self.assertLess(time.monotonic() - start, 5, "waited on the FIFO")
        self.assertIn("empty", p.stderr.decode())
        self.assertEqual(self.uploads(), [])

    def test_token_and_secret_from_a_pipe(self):
        """--token-file <(command): a pipe whose writer takes its time."""
        for option, value, extra in (("--token-file", self.token, ()),
                                     ("--secret-file", SECRET, ("--corpid", CORPID,
                                                                "--no-token-cache"))):
            with self.subTest(option):
                r, w = os.pipe()

                def slow_writer():
                    time.sleep(0.7)
                    os.write(w, ("  %s \r\n" % value).encode())
                    os.close(w)
                t = threading.Thread(target=slow_writer)
                t.start()
                try:
                    p = subprocess.run(self.cli_cmd([*extra, option, "/dev/fd/%d" % r,
                                                     "upload", self.jpg]),
                                       env=self.cli_env(token=False), pass_fds=(r,),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, timeout=60)
                finally:
                    t.join()
                    os.close(r)
                self.printed.append((option + " pipe", p.stdout + p.stderr, ()))
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(self.uploads()[-1]["token_state"], "valid")

    def test_token_file_of_odd_content(self):
        cases = {
            "zeros": (b"\0" * 4096, "not text"),
            "huge": (b"t" * (10 * 1048576), "too long"),
        }
        for name, (data, why) in cases.items():
            with self.subTest(name):
                start = time.monotonic()
                p = self.token_upload("--token-file", self.write(name, data),
                                      expect=EXIT_LOCAL)
                self.assertLess(time.monotonic() - start, 5)
                self.assertIn(why, p.stderr.decode())
        p = self.token_upload("--token-file", "/dev/zero", expect=EXIT_LOCAL)
        self.assertIn("not text", p.stderr.decode())
        # blanks around the token and a CR LF line end are not the token
        self.token_upload("--token-file", self.write("crlf", b"\t %s \r\nnext\r\n" %
                                                     self.token.encode()))
        self.assertEqual(self.uploads()[-1]["token_state"], "valid")

    def test_token_command_leaving_a_child_on_stdout(self):
        """The command prints the token and exits, but a child it started
        keeps stdout open: the token is used at once, the child is gone."""
        pidfile = self.path("child")
        cmd = "sleep 60 & echo $! > %s; echo %s" % (pidfile, self.token)
        start = time.monotonic()
        self.token_upload("--token-command", cmd)
        took = time.monotonic() - start
        self.assertLess(took, 5, "waited %.1f s for the command's child" % took)
        self.assertEqual(self.uploads()[-1]["token_state"], "valid")
        self.assertTrue(process_ended(pidfile), "the command's child still runs")

    def test_token_command_gets_no_descriptor_of_ours(self):
        """The command's children see stdin, stdout, stderr and nothing of
        the tool's: not a second copy of its pipes (which a helper left
        behind would hold open), not a socket. Run twice: the second time
        after WeCom refused the first token, with a connection open."""
        listing = self.path("fds")
        count = self.path("runs")
        with open(count, "w") as f:
            f.write("0")
        cmd = ("n=$(cat {c}); echo $((n + 1)) > {c}; ls /proc/self/fd >> {l}; "
               "if [ \"$n\" = 0 ]; then echo tokUNKNOWN0123456789; else echo {t}; fi"
               ).format(c=count, l=listing, t=self.token)
        self.token_upload("--token-command", cmd)
        with open(count) as f:
            self.assertEqual(f.read().strip(), "2")
        with open(listing) as f:
            fds = f.read().split()
        # 3 is ls's own, reading /proc/self/fd
        self.assertEqual(sorted(set(fds)), ["0", "1", "2", "3"], fds)

    def test_token_command_printing_ten_megabytes(self):
        start = time.monotonic()
        p = self.token_upload("--token-command", "head -c 10485760 /dev/zero | tr '\\0' t",
                              expect=EXIT_CREDENTIALS)
        self.assertLess(time.monotonic() - start, 5)
        self.assertIn("printed more than", p.stderr.decode())
        self.assertEqual(self.uploads(), [])


class StateSession(StateCase):
    """The TLS session file ("tls-session", a master secret) planted as
    something else: a full handshake, never a hang, replaced by a private
    file where it can be."""

    def run_upload(self):
        before = self.client.connections()
        p = self.cli("-v", "upload", self.jpg, env={"WECOM_CACHE_DIR": self.cache})
        after = self.client.connections()
        return after["resumed"] - before["resumed"], p.stderr

    def test_session_file_of_every_wrong_kind(self):
        session = os.path.join(self.cache, "tls-session")
        other = self.path("other-link")

        def replace_with(make):
            def plant():
                os.unlink(session)
                make(session)
            return plant

        def truncated():
            with open(session, "r+b") as f:
                f.truncate(os.path.getsize(session) // 2)

        def ten_megabytes():
            with open(session, "ab") as f:
                f.write(os.urandom(10 * 1048576))

        kinds = {
            "FIFO": replace_with(lambda p: os.mkfifo(p, 0o600)),
            "directory": replace_with(lambda p: os.mkdir(p, 0o700)),
            "truncated": truncated,
            "10 MB": ten_megabytes,
            "hard link": lambda: os.link(session, other),
        }
        if ROOT:
            kinds["device"] = replace_with(lambda p: os.mknod(
                p, stat.S_IFCHR | 0o600, os.makedev(1, 5)))
            kinds["another user's"] = lambda: os.chown(session, NOBODY, NOBODY)
        for kind, plant in kinds.items():
            with self.subTest(kind):
                shutil.rmtree(self.cache, ignore_errors=True)
                if os.path.lexists(other):
                    os.unlink(other)
                self.run_upload()
                plant()
                start = time.monotonic()
                resumed, err = self.run_upload()
                self.assertLess(time.monotonic() - start, 10)
                self.assertEqual(resumed, 0, kind + ": resumed")
                if kind == "directory":
                    continue  # cannot be replaced; the next run is full again
                st = os.lstat(session)
                self.assertTrue(stat.S_ISREG(st.st_mode), kind + ": not replaced")
                self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_nlink),
                                 (0o600, os.geteuid(), 1), kind)
                resumed, err = self.run_upload()
                self.assertEqual(resumed, 1, kind + ": the replacement is not resumed")

    def test_fifo_is_not_opened(self):
        """A FIFO planted as the session file is not even opened: a writer
        waiting on it stays blocked (opening it would let it go on)."""
        session = os.path.join(self.cache, "tls-session")
        self.run_upload()
        os.unlink(session)
        opened = fifo_opened(session)
        resumed, err = self.run_upload()
        self.assertEqual(resumed, 0)
        self.assertFalse(opened.wait(0.5), "the tool opened the FIFO")
        self.assertTrue(stat.S_ISREG(os.lstat(session).st_mode), "not replaced")

    def test_runs_at_once_keep_the_session(self):
        """Eight runs at once without a session, thirty times: each makes a
        full handshake and writes its session; none takes another's
        temporary file or drops the session another has just written."""
        env = self.cli_env({"WECOM_CACHE_DIR": self.cache})
        session = os.path.join(self.cache, "tls-session")
        self.run_upload()
        for _ in range(30):
            os.unlink(session)
            for _, err in self.cli_at_once(["-v", "upload", self.jpg], env, 8,
                                           "concurrent upload"):
                self.assertNotIn(b"session cache: dropped", err)
            resumed, err = self.run_upload()
            self.assertEqual(resumed, 1, err)


class StateDownload(StateCase):
    """A download's .part.info as a fault or a neighbour leaves it, the
    final name under SIGTERM, -o /dev/full, and where secrets end up."""

    def setUp(self):
        super().setUp()
        self.data = os.urandom(300000)
        self.media_id = self.client.media_put("file", "m.bin", self.data)

    def info(self, total, extra=b""):
        # durable= is sound (10000 bytes synced): only total is at fault
        return (b"wecom-media part 1\nmedia_id=" + self.media_id.encode() +
                b"\ndurable=10000\ntotal=" + total + b"\n" + extra)

    def test_hostile_part_info(self):
        """Each planted .part.info is either this tool's for this medium or
        not at all: the download ends with the medium's bytes, in one
        request, never after a resume the info could not vouch for."""
        long_line = b"x=" + b"A" * 4000 + b"\n"
        head = (b"wecom-media part 1\nmedia_id=" + self.media_id.encode() +
                b"\ndurable=10000\n")
        # 460 bytes are read (the longest info this tool writes): a line
        # that ends "total=30000" there would resume 10000 bytes of a
        # medium said to be 30000 bytes long.
        pad = b"x=" + b"A" * (460 - 1 - len(head) - len(b"x=\ntotal=30000")) + b"\n"
        cases = {
            "negative total": (self.info(b"-5"), 100000),
            "plus sign": (self.info(b"+300000"), 100000),
            "blank before total": (self.info(b" 300000"), 100000),
            "huge total": (self.info(b"9" * 40), 100000),
            "2^64-1": (self.info(b"18446744073709551615"), 100000),
            "NUL byte": (self.info(b"300000", b"\0etag=\"x\"\n"), 100000),
            "long line before total": (head + long_line + b"total=300000\n", 100000),
            "total cut at the buffer's end": (head + pad + b"total=300000\n", 10000),
        }
        for name, (info, held) in cases.items():
            with self.subTest(name):
                self.client.reset()
                self.write("o.bin.part", self.data[:held])
                self.write("o.bin.part.info", info)
                os.chmod(self.path("o.bin.part.info"), 0o600)
                p = self.cli("download", self.media_id, "-o", "o.bin", "--continue")
                self.assert_file("o.bin", self.data, name)
                err = p.stderr.decode()
                self.assertNotIn("changed on the server", err, name)
                self.assertEqual(len(self.downloads()), 1, name + ": " + err)

    @unittest.skipUnless(ROOT, "chown needs root")
    def test_continue_trusts_no_other_users_file(self):
        """--continue onto FILE without a .part asks the server whether
        FILE is complete by its length and last byte. Another user's FILE
        with that length and last byte (a JPEG always ends in FF D9) is
        not taken as the medium: it is downloaded again and replaced."""
        planted = bytes(len(self.data) - 1) + self.data[-1:]
        path = self.write("o.bin", planted)
        os.chown(path, NOBODY, NOBODY)
        p = self.cli("download", self.media_id, "-o", "o.bin", "--continue")
        self.assertNotIn("already complete", p.stderr.decode())
        self.assert_file("o.bin", self.data)
        self.assertEqual(os.stat(path).st_uid, os.geteuid())

    def test_sigterm_leaves_the_final_name_alone(self):
        """SIGTERM mid-download: -o's existing file keeps its old bytes, -O's
        name is never created; only the .part holds the partial bytes."""
        head = self.response_head_length(self.media_id)
        old = self.write("o.bin", b"the previous version\n")
        remote_part = ".wecom-media-%s.part" % self.media_id
        for args, final, part in ((("-o", "o.bin"), old, "o.bin.part"),
                                  (("-O",), self.path("m.bin"), remote_part)):
            with self.subTest(args):
                self.client.config(fault={"kind": "stall", "bytes": head + 100000,
                                          "ms": 10000, "count": 1})
                proc = self.start_cli("download", self.media_id, *args)
                self.wait_for_size(part, 100000)
                self.assertEqual(self.interrupt(proc, signal.SIGTERM), 143)
                if final == old:
                    with open(old, "rb") as f:
                        self.assertEqual(f.read(), b"the previous version\n")
                else:
                    self.assertFalse(os.path.lexists(final), "a partial file under -O's name")

    def test_dev_full(self):
        p = self.cli("download", self.media_id, "-o", "/dev/full", expect=EXIT_LOCAL)
        self.assertIn("/dev/full: cannot write the download: No space left on device",
                      p.stderr.decode())
        self.assertTrue(stat.S_ISCHR(os.lstat("/dev/full").st_mode))
        self.assertFalse(os.path.lexists("/dev/full.part"))

    def test_errmsg_echoing_a_secret(self):
        """A server (or a box in between) whose errmsg echoes the token or
        the secret it was sent: neither is printed, on stderr or in --json
        (cli() fails the test if one shows)."""
        self.client.config(force_errcode={
            "errcode": 40007, "count": 1, "path": "/cgi-bin/media/get",
            "errmsg": "invalid media_id for access_token=%s, hint: [x]" % self.token})
        p = self.cli("--json", "download", self.media_id, "-o", "x.bin", expect=EXIT_NOT_FOUND)
        self.assertIn(b"access_token=***", p.stdout)
        self.assertIn(b"access_token=***", p.stderr)
        self.client.config(force_errcode={
            "errcode": 40001, "count": 1, "path": GETTOKEN,
            "errmsg": "invalid credential corpsecret=%s, hint: [x]" % SECRET})
        p = self.cli("--corpid", CORPID, "--no-token-cache", "--json", "upload", self.jpg,
                     env=self.env(), token=False, expect=EXIT_CREDENTIALS)
        self.assertIn(b"corpsecret=***", p.stdout)
        self.assertIn(b"corpsecret=***", p.stderr)

    def test_secrets_are_only_in_the_token_cache(self):
        """After gettoken, an upload, a download and a failed download with
        --json, with both caches on: the secret is in no file, the token
        only in the token cache; neither is in the tool's argv while it
        runs, nor in what it printed (checked by every cli())."""
        env = self.env(WECOM_CACHE_DIR=self.cache)
        self.cli("--corpid", CORPID, "--json", "upload", self.jpg, env=env, token=False)
        self.cli("--corpid", CORPID, "--json", "download", self.media_id, "-o", "d.bin",
                 env=env, token=False)
        self.cli("--corpid", CORPID, "--json", "download", "nope", "-o", "e.bin",
                 env=env, token=False, expect=EXIT_NOT_FOUND)
        issued = set(self.client.tokens())
        for root, _, files in os.walk(self.work):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    data = f.read()
                self.assertNotIn(SECRET.encode(), data, path)
                if not name.startswith("token-") or name.endswith((".lock", ".new")):
                    for tok in issued:
                        self.assertNotIn(tok.encode(), data, path)
        # --token on the command line is wiped from argv once read
        head = self.response_head_length(self.media_id)
        self.client.config(fault={"kind": "stall", "bytes": head + 1000, "ms": 10000,
                                  "count": 1})
        proc = subprocess.Popen(self.cli_cmd(["--token", self.token, "download",
                                              self.media_id, "-o", "s.bin"]),
                                env=self.cli_env(token=False), cwd=self.work,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            self.wait_for_size("s.bin.part", 1000)
            with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
                cmdline = f.read()
            try:
                with open("/proc/%d/environ" % proc.pid, "rb") as f:
                    environ = f.read()
            except PermissionError:  # not dumpable: only root reads it
                environ = b""
        finally:
            self.interrupt(proc, signal.SIGTERM)
        self.assertNotIn(self.token.encode(), environ)
        if b"qemu-" in cmdline.split(b"\0", 1)[0]:
            # A cross build under qemu-user: /proc shows qemu's own argv,
            # a copy the guest program cannot reach.
            return
        self.assertIn(b"download", cmdline)
        self.assertNotIn(self.token.encode(), cmdline)


if __name__ == "__main__":
    unittest.main()
