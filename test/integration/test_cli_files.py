# SPDX-License-Identifier: MIT
"""wecom-media download and the files on the device: the tool may run as
root in a directory other users can write to, so a symlink, a hard link, a
FIFO or a device node planted under a name it uses must never lead its
writes elsewhere; special files named by -o are written into and kept;
-O never replaces an existing file; modes are 0600 until complete.

Each test plants the hostile thing in its own directory and checks what a
user would notice: the victim's bytes, the exit code, the file types."""

import os
import socket
import stat
import threading
import time
import unittest

from clitest import EmulatorCase

EXIT_USAGE, EXIT_LOCAL = 2, 3
ROOT = os.geteuid() == 0
NOBODY = 65534


def id_name(media_id):
    """The media_id as the tool makes it a file name."""
    keep = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    return "".join(c for c in media_id if c in keep)[:64]


def restore_dev_null():
    """A tool that renames over /dev/null (as the one before these tests
    did) leaves the machine without it: put it back, as root."""
    try:
        if stat.S_ISCHR(os.lstat("/dev/null").st_mode):
            return
    except FileNotFoundError:
        pass
    if ROOT:
        try:
            os.unlink("/dev/null")
        except FileNotFoundError:
            pass
        os.mknod("/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.chmod("/dev/null", 0o666)
    for stray in ("/dev/null.part", "/dev/null.part.info"):
        if os.path.lexists(stray):
            os.unlink(stray)


class FilesCase(EmulatorCase):

    def put(self, data, name="m.bin", kind="file"):
        return self.client.media_put(kind, name, data)

    def victim(self, name="victim.conf"):
        """A file that must not change, and its bytes."""
        data = b"precious settings\n"
        return self.write(name, data), data

    def assert_victim(self, path, data):
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data, "the victim was written through a link")
        self.assertTrue(stat.S_ISREG(os.lstat(path).st_mode))

    def stalled(self, media_id, after, ms=10000):
        """The next download of media_id stalls for ms after `after` body
        bytes."""
        head = self.response_head_length(media_id)
        self.client.config(fault={"kind": "stall", "bytes": head + after,
                                  "ms": ms, "count": 1})


class Symlinks(FilesCase):
    """Links planted at OUT.part, OUT.part.info and -O's part name."""

    def setUp(self):
        super().setUp()
        self.data = os.urandom(200000)
        self.media_id = self.put(self.data)

    def check_refused(self, args, planted, cwd=None):
        vpath, vdata = self.victim()
        for resume in ((), ("--continue",)):
            with self.subTest(planted=planted, resume=bool(resume)):
                p = self.cli("download", self.media_id, *args, *resume,
                             cwd=cwd, expect=EXIT_LOCAL)
                err = p.stderr.decode()
                self.assertIn("symbolic link", err)
                self.assertTrue(err.rstrip("\n").isprintable(), err)
                self.assert_victim(vpath, vdata)
                self.assertTrue(os.path.islink(planted), "the planted link was removed")
        self.assertEqual(self.downloads(), [], "fetched although the files were refused")

    def test_link_at_part(self):
        os.symlink(self.path("victim.conf"), self.path("out.bin.part"))
        self.check_refused(("-o", "out.bin"), self.path("out.bin.part"))
        self.assertFalse(os.path.exists(self.path("out.bin")))

    def test_link_at_part_info(self):
        os.symlink(self.path("victim.conf"), self.path("out.bin.part.info"))
        self.check_refused(("-o", "out.bin"), self.path("out.bin.part.info"))

    def test_link_at_part_info_with_a_part(self):
        # a real .part of ours, but its info is a link: --continue must not
        # read it, and a failed run must not write through it
        self.write("out.bin.part", self.data[:1000])
        os.symlink(self.path("victim.conf"), self.path("out.bin.part.info"))
        self.check_refused(("-o", "out.bin"), self.path("out.bin.part.info"))
        self.assertEqual(self.read("out.bin.part"), self.data[:1000])

    def test_link_at_remote_name_part(self):
        sub = self.path("o")
        os.mkdir(sub)
        planted = os.path.join(sub, ".wecom-media-%s.part" % id_name(self.media_id))
        os.symlink(self.path("victim.conf"), planted)
        self.check_refused(("-O",), planted, cwd=sub)
        self.assertEqual(sorted(os.listdir(sub)), [os.path.basename(planted)])

    def test_link_at_info_temp_name(self):
        # .part.info is written as INFO.new then renamed: a link planted at
        # INFO.new is refused (the download itself still completes)
        vpath, vdata = self.victim()
        os.symlink(vpath, self.path("out.bin.part.info.new"))
        p = self.cli("download", self.media_id, "-o", "out.bin")
        self.assertIn("could not write", p.stderr.decode())
        self.assert_victim(vpath, vdata)
        self.assert_file("out.bin", self.data)
        self.assertTrue(os.path.islink(self.path("out.bin.part.info.new")))

    def test_dangling_link_at_part(self):
        # a link to where a file could be created (as root: /etc/cron.d/x)
        target = self.path("created-through-link")
        os.symlink(target, self.path("out.bin.part"))
        for resume in ((), ("--continue",)):
            self.cli("download", self.media_id, "-o", "out.bin", *resume, expect=EXIT_LOCAL)
            self.assertFalse(os.path.lexists(target))

    def test_hard_link_at_part(self):
        # a second name for the victim: writing or truncating the .part
        # would change it
        vpath, vdata = self.victim()
        os.link(vpath, self.path("out.bin.part"))
        for resume in ((), ("--continue",)):
            p = self.cli("download", self.media_id, "-o", "out.bin", *resume,
                         expect=EXIT_LOCAL)
            self.assertIn("hard links", p.stderr.decode())
            self.assert_victim(vpath, vdata)

    def test_fifo_at_part(self):
        # with a reader on it: bytes written into the FIFO would reach it
        fifo = self.path("out.bin.part")
        os.mkfifo(fifo)
        got = []

        def reader():
            with open(fifo, "rb") as f:
                got.append(f.read())
        t = threading.Thread(target=reader)
        t.start()
        try:
            self.cli("download", self.media_id, "-o", "out.bin", expect=EXIT_LOCAL)
            self.cli("download", self.media_id, "-o", "out.bin", "--continue",
                     expect=EXIT_LOCAL)
        finally:
            if t.is_alive():  # no writer came: let the reader see an end
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            t.join(10)
        self.assertEqual(got, [b""], "the download went into the planted FIFO")
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    @unittest.skipUnless(ROOT, "needs root to give the file to another user")
    def test_part_of_another_user(self):
        self.write("out.bin.part", b"theirs")
        os.chown(self.path("out.bin.part"), NOBODY, NOBODY)
        p = self.cli("download", self.media_id, "-o", "out.bin", "--continue",
                     expect=EXIT_LOCAL)
        self.assertIn("another user", p.stderr.decode())
        self.assertEqual(self.read("out.bin.part"), b"theirs")

    def test_stale_part_of_ours_is_reused(self):
        # what the tool itself left: a regular file of ours, any mode
        self.write("out.bin.part", b"x" * 5000)
        os.chmod(self.path("out.bin.part"), 0o644)
        self.cli("download", self.media_id, "-o", "out.bin")
        self.assert_file("out.bin", self.data)


class SpecialOutputs(FilesCase):
    """-o naming a FIFO, a device node, a socket, a directory or a link."""

    def setUp(self):
        super().setUp()
        self.data = os.urandom(300000)
        self.media_id = self.put(self.data)

    def read_fifo(self, path, got):
        with open(path, "rb") as f:
            got.append(f.read())

    def test_fifo(self):
        fifo = self.path("pipe")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=self.read_fifo, args=(fifo, got))
        reader.start()
        p = self.cli("download", self.media_id, "-o", fifo)
        reader.join(30)
        self.assertEqual(got, [self.data])
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
        self.assertEqual(sorted(os.listdir(self.work)), ["pipe"])
        self.assertEqual(p.stdout.decode().strip(), fifo)

    def test_fifo_survives_a_drop(self):
        fifo = self.path("pipe")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=self.read_fifo, args=(fifo, got))
        reader.start()
        self.client.config(fault=[{"kind": "drop_response_after", "bytes": 100000,
                                   "count": 1, "path": "/cgi-bin/media/get"}])
        self.cli("download", self.media_id, "-o", fifo)
        reader.join(30)
        self.assertEqual(got, [self.data], "bytes repeated or lost across the resume")

    def test_dev_null(self):
        self.addCleanup(restore_dev_null)
        self.cli("download", self.media_id, "-o", "/dev/null")
        st = os.lstat("/dev/null")
        self.assertTrue(stat.S_ISCHR(st.st_mode), "/dev/null is no longer a device")
        self.assertEqual(os.major(st.st_rdev), 1)
        self.assertFalse(os.path.exists("/dev/null.part"))

    def test_dev_stdout(self):
        # /dev/stdout is root's link to /proc/self/fd/1, here a pipe
        p = self.cli("download", self.media_id, "-o", "/dev/stdout")
        self.assertEqual(p.stdout, self.data + b"/dev/stdout\n")
        self.assertTrue(os.path.islink("/dev/stdout"))

    @unittest.skipUnless(ROOT, "mknod needs root")
    def test_char_device(self):
        dev = self.path("null")
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        self.cli("download", self.media_id, "-o", dev)
        st = os.lstat(dev)
        self.assertTrue(stat.S_ISCHR(st.st_mode), "the device node was replaced")
        self.assertEqual(st.st_rdev, os.makedev(1, 3))
        self.assertEqual(os.listdir(self.work), ["null"])

    def test_continue_into_fifo_is_usage(self):
        fifo = self.path("pipe")
        os.mkfifo(fifo)
        p = self.cli("download", self.media_id, "-o", fifo, "--continue", expect=EXIT_USAGE)
        self.assertIn("--continue", p.stderr.decode())
        self.cli("download", self.media_id, "-o", "/dev/null", "--continue",
                 expect=EXIT_USAGE)
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_socket(self):
        path = self.path("sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind(path)
        p = self.cli("download", self.media_id, "-o", path, expect=EXIT_LOCAL)
        self.assertIn("socket", p.stderr.decode())
        self.assertTrue(stat.S_ISSOCK(os.lstat(path).st_mode))
        self.assertEqual(self.downloads(), [])

    def test_directory(self):
        os.mkdir(self.path("d"))
        p = self.cli("download", self.media_id, "-o", self.path("d"), expect=EXIT_LOCAL)
        self.assertIn("directory", p.stderr.decode())
        self.assertEqual(os.listdir(self.path("d")), [])

    def test_link_to_a_file_is_replaced_not_followed(self):
        # Documented: the finished download replaces the link itself; the
        # link's target is never opened.
        vpath, vdata = self.victim()
        os.symlink(vpath, self.path("out.bin"))
        self.cli("download", self.media_id, "-o", "out.bin")
        self.assert_victim(vpath, vdata)
        self.assertFalse(os.path.islink(self.path("out.bin")))
        self.assert_file("out.bin", self.data)

    def test_link_to_a_fifo_is_written_through(self):
        # Documented: a link of ours (or root's) to a FIFO or character
        # device is written through, like -o /dev/stdout; the link stays.
        fifo = self.path("pipe")
        os.mkfifo(fifo)
        os.symlink(fifo, self.path("out"))
        got = []
        reader = threading.Thread(target=self.read_fifo, args=(fifo, got))
        reader.start()
        self.cli("download", self.media_id, "-o", "out")
        reader.join(30)
        self.assertEqual(got, [self.data])
        self.assertTrue(os.path.islink(self.path("out")))
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    @unittest.skipUnless(ROOT, "needs root to plant a link of another user")
    def test_link_of_another_user_is_refused(self):
        vpath, vdata = self.victim()
        os.symlink("/dev/null", self.path("out"))
        os.lchown(self.path("out"), NOBODY, NOBODY)
        os.symlink(vpath, self.path("out2"))
        os.lchown(self.path("out2"), NOBODY, NOBODY)
        for name in ("out", "out2"):
            p = self.cli("download", self.media_id, "-o", name, expect=EXIT_LOCAL)
            self.assertIn("another user", p.stderr.decode())
            self.assertTrue(os.path.islink(self.path(name)))
        self.assert_victim(vpath, vdata)


class NoClobber(FilesCase):
    """-O never replaces a file under the name the server chose."""

    def setUp(self):
        super().setUp()
        self.data = os.urandom(300000)
        self.media_id = self.put(self.data, "important.conf")
        self.sub = self.path("o")
        os.mkdir(self.sub)
        self.target = os.path.join(self.sub, "important.conf")

    def test_existing_file_kept(self):
        with open(self.target, "wb") as f:
            f.write(b"mine")
        p = self.cli("download", self.media_id, "-O", cwd=self.sub, expect=EXIT_LOCAL)
        err = p.stderr.decode()
        self.assertIn("important.conf exists", err)
        self.assertIn("--clobber", err)
        with open(self.target, "rb") as f:
            self.assertEqual(f.read(), b"mine")
        self.assertEqual(os.listdir(self.sub), ["important.conf"], "left something behind")
        # --continue does not change that
        self.cli("download", self.media_id, "-O", "--continue", cwd=self.sub,
                 expect=EXIT_LOCAL)
        with open(self.target, "rb") as f:
            self.assertEqual(f.read(), b"mine")

    def test_clobber_replaces(self):
        with open(self.target, "wb") as f:
            f.write(b"mine")
        self.cli("download", self.media_id, "-O", "--clobber", cwd=self.sub)
        with open(self.target, "rb") as f:
            self.assertEqual(f.read(), self.data)
        self.assertEqual(os.listdir(self.sub), ["important.conf"])

    def test_clobber_never_replaces_a_fifo(self):
        os.mkfifo(self.target)
        self.cli("download", self.media_id, "-O", "--clobber", cwd=self.sub,
                 expect=EXIT_LOCAL)
        self.assertTrue(stat.S_ISFIFO(os.lstat(self.target).st_mode))
        self.assertEqual(os.listdir(self.sub), ["important.conf"])

    def test_server_name_is_printed_escaped(self):
        # a right-to-left override would show "evil\u202egpj.exe" as
        # "evilexe.jpg": on stdout and in the refusal it is escaped
        name = "evil\u202egpj.exe"
        media_id = self.put(b"MZ" + os.urandom(1000), name)
        p = self.cli("download", media_id, "-O", cwd=self.sub)
        self.assertTrue(os.path.exists(os.path.join(self.sub, name)))
        self.assertNotIn("\u202e", p.stdout.decode())
        self.assertIn("\\xE2\\x80\\xAE", p.stdout.decode())
        p = self.cli("download", media_id, "-O", cwd=self.sub, expect=EXIT_LOCAL)
        err = p.stderr.decode()
        self.assertIn("exists", err)
        self.assertNotIn("\u202e", err)

    def test_clobber_needs_remote_name(self):
        self.cli("download", self.media_id, "-o", "x", "--clobber", expect=EXIT_USAGE)

    def test_file_created_during_the_download_is_kept(self):
        # The name is free when the first bytes come, and taken by the
        # time the download ends: the final step must not replace it.
        self.stalled(self.media_id, 100000, ms=1500)
        proc = self.start_cli("download", self.media_id, "-O", cwd=self.sub)
        part = os.path.join(self.sub, ".wecom-media-%s.part" % id_name(self.media_id))
        deadline = time.monotonic() + 20
        while not (os.path.exists(part) and os.path.getsize(part) >= 100000):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        with open(self.target, "wb") as f:
            f.write(b"created meanwhile")
        out, err = proc.communicate(timeout=60)
        self.assert_no_secret(out, err)
        self.assertEqual(proc.returncode, EXIT_LOCAL, err)
        with open(self.target, "rb") as f:
            self.assertEqual(f.read(), b"created meanwhile")
        self.assertEqual(os.listdir(self.sub), ["important.conf"])


class LongNames(FilesCase):
    """A 255-byte UTF-8 name (85 CJK characters) downloads with -o and -O."""

    NAME = "测" * 81 + ".txt"          # 243 + 4 = 247 bytes
    CJK = "长" * 85                    # 255 bytes, the file system's limit

    def test_255_byte_name_with_remote_name(self):
        for name in (self.CJK, self.NAME):
            with self.subTest(length=len(name.encode())):
                data = os.urandom(50000)
                media_id = self.put(data, name)
                sub = self.path("o%d" % len(name.encode()))
                os.mkdir(sub)
                p = self.cli("download", media_id, "-O", cwd=sub, expect=None)
                self.assertEqual(p.returncode, 0, p.stderr.decode())
                self.assertEqual(os.listdir(sub), [name])
                with open(os.path.join(sub, name), "rb") as f:
                    self.assertEqual(f.read(), data)

    def test_255_byte_name_with_output(self):
        # FILE.part would be 260 bytes: the part takes a short name instead
        data = os.urandom(50000)
        media_id = self.put(data, self.CJK)
        p = self.cli("download", media_id, "-o", self.CJK, expect=None)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assert_file(self.CJK, data)
        self.assertEqual(os.listdir(self.work), [self.CJK])

    def test_255_byte_name_resumes(self):
        data = os.urandom(600000)
        media_id = self.put(data, self.CJK)
        self.stalled(media_id, 200000)
        proc = self.start_cli("download", media_id, "-o", self.CJK)
        part = self.path(".wecom-media-%s.part" % id_name(media_id))
        deadline = time.monotonic() + 20
        while not (os.path.exists(part) and os.path.getsize(part) >= 200000):
            self.assertLess(time.monotonic(), deadline, os.listdir(self.work))
            time.sleep(0.01)
        self.assertEqual(self.interrupt(proc), 130)
        self.client.reset()
        self.cli("download", media_id, "-o", self.CJK, "--continue")
        self.assert_file(self.CJK, data)
        self.assertEqual(self.downloads()[0]["range"], "bytes=%d-" % 200000)
        self.assertEqual(os.listdir(self.work), [self.CJK])


class Modes(FilesCase):
    """0600 while incomplete; 0666 & ~umask when done."""

    def test_final_mode_follows_umask(self):
        data = os.urandom(100000)
        media_id = self.put(data)
        for mask, want in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
            with self.subTest(umask=oct(mask)):
                name = "u%o.bin" % mask
                self.cli("download", media_id, "-o", name,
                         preexec_fn=lambda m=mask: os.umask(m))
                self.assert_file(name, data)
                self.assertEqual(os.stat(self.path(name)).st_mode & 0o777, want)

    def test_part_is_private_while_incomplete(self):
        data = os.urandom(600000)
        media_id = self.put(data)
        self.stalled(media_id, 200000)
        proc = self.start_cli("download", media_id, "-o", "p.bin")
        self.wait_for_size("p.bin.part", 200000)
        modes = {ext: os.stat(self.path("p.bin" + ext)).st_mode & 0o777
                 for ext in (".part", ".part.info")}
        self.interrupt(proc)
        self.assertEqual(modes, {".part": 0o600, ".part.info": 0o600})
        for ext in (".part", ".part.info"):
            self.assertEqual(os.stat(self.path("p.bin" + ext)).st_mode & 0o777, 0o600)
        self.client.reset()
        self.cli("download", media_id, "-o", "p.bin", "--continue",
                 preexec_fn=lambda: os.umask(0o022))
        self.assert_file("p.bin", data)
        self.assertEqual(os.stat(self.path("p.bin")).st_mode & 0o777, 0o644)


if __name__ == "__main__":
    unittest.main()
