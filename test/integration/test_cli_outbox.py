# SPDX-License-Identifier: MIT
"""The outbox (wecom-media queue) end to end against the emulator.

OutboxCrash is the acceptance test of a power cut at any instant: 50 items
of mixed kinds and sizes queued, a drain killed with SIGKILL at random
instants (at least 30 kills; the seed is printed, WECOM_OUTBOX_SEED
replays it) while the emulator drops connections at random; in the end
every item has exactly one success line in results.log, the emulator holds
byte-identical media for every media_id recorded, and the duplicate
uploads are no more than the kills. Enqueues killed at random leave each
item whole or absent.

The other classes: the quota (refuse, drop the oldest), a refusal for good
(failed/), 45009 pausing the drain, two drainers, a torn and a corrupt
journal line, links planted in the spool, a lost answer requeued as a
possible duplicate, and `queue run` picking up new items as they come.
"""

import json
import os
import random
import signal
import struct
import subprocess
import time

from clitest import CLI, EmulatorCase, amr, jpeg, mp4, png, sha256

UPLOAD_PATH = "/cgi-bin/media/upload"


def read_item(path):
    """(kind, name, data) of an item file, or raise if it is not whole."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, version, kind, name_len, data_len, _ms = struct.unpack("<4sBBHQQ", raw[:24])
    if magic != b"WMQ1" or version != 1:
        raise ValueError("bad header")
    name = raw[24:24 + name_len]
    data = raw[24 + name_len:]
    if len(data) != data_len:
        raise ValueError("%d bytes, header says %d" % (len(data), data_len))
    return kind, name.decode(), data


class OutboxCase(EmulatorCase):
    def setUp(self):
        super().setUp()
        self.spool = self.path("spool")

    def queue(self, *args, **kw):
        return self.cli("queue", *args, "--spool", self.spool, **kw)

    def start_queue(self, *args):
        return self.start_cli("queue", *args, "--spool", self.spool)

    def journal(self):
        """Parsed results.log lines, and the count of lines that fail their CRC."""
        import zlib
        good, bad = [], 0
        try:
            with open(os.path.join(self.spool, "results.log"), "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return good, bad
        for line in raw.split(b"\n")[:-1]:
            body, _, crc = line.rpartition(b" crc=")
            if crc and int(crc, 16) == zlib.crc32(body):
                good.append(json.loads(body))
            else:
                bad += 1
        return good, bad

    def listdir(self, sub):
        return sorted(os.listdir(os.path.join(self.spool, sub)))

    def add_files(self, files, *extra, expect=0):
        p = self.queue("add", *extra, *files, expect=expect)
        return p.stdout.decode().split()


class OutboxCrash(OutboxCase):
    ITEMS = 50
    MIN_KILLS = 30

    def make_items(self, rng):
        makers = [
            lambda n: ("image", jpeg(n)), lambda n: ("image", png(n)),
            lambda n: ("voice", amr(max(1, n // 32))), lambda n: ("video", mp4(n)),
            lambda n: ("file", os.urandom(n)),
        ]
        items = {}
        for i in range(self.ITEMS):
            kind, data = makers[i % len(makers)](rng.randint(200, 24000))
            name = "item%02d.%s" % (i, {"image": "jpg", "voice": "amr", "video": "mp4",
                                         "file": "bin"}[kind])
            items[sha256(data)] = (self.write(name, data), data)
        return items

    def test_kill_drain_at_random_instants(self):
        seed = int(os.environ.get("WECOM_OUTBOX_SEED", time.time_ns() % 1000000))
        print("\nOutboxCrash seed %d (WECOM_OUTBOX_SEED=%d replays it)" % (seed, seed))
        rng = random.Random(seed)
        items = self.make_items(rng)
        ids = self.add_files([p for p, _ in items.values()])
        self.assertEqual(len(ids), self.ITEMS)

        # Connections dropped at random while the request goes out (never
        # after its answer: a lost answer is a duplicate of its own, tested
        # in OutboxUnconfirmed), and small stalls that widen the windows.
        faults = []
        for _ in range(400):
            if rng.random() < 0.3:
                faults.append({"kind": "drop_request_after", "bytes": rng.randint(50, 20000),
                               "path": UPLOAD_PATH})
            else:
                faults.append({"kind": "stall", "ms": rng.randint(10, 120), "path": UPLOAD_PATH})
        self.client.config(fault=faults)

        kills = runs = 0
        started = time.monotonic()
        while kills < self.MIN_KILLS:
            if not self.listdir("q") and not self.listdir("inflight"):
                break
            proc = self.start_queue("run", "--once")
            time.sleep(rng.uniform(0.01, 0.15))
            if proc.poll() is None:
                proc.kill()
                kills += 1
            proc.communicate(timeout=30)
            runs += 1
        self.assertGreaterEqual(kills, self.MIN_KILLS,
                                "the queue emptied after %d kills: make the drain slower" % kills)
        left = len(self.listdir("q")) + len(self.listdir("inflight"))
        self.client.config(fault=[])
        for _ in range(5):
            p = self.queue("run", "--once", expect=None)
            if p.returncode == 0:
                break
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        elapsed = time.monotonic() - started

        self.assertEqual(self.listdir("q"), [])
        self.assertEqual(self.listdir("inflight"), [])
        self.assertEqual(self.listdir("failed"), [])
        lines, corrupt = self.journal()
        self.assertEqual(corrupt, 0)
        done = [l for l in lines if l["status"] == "done"]
        by_id = {}
        for l in done:
            by_id.setdefault(l["id"], []).append(l)
        self.assertEqual(sorted(by_id), sorted(ids), "every item has a success line")
        for item_id, ls in by_id.items():
            self.assertEqual(len(ls), 1, "%s has %d success lines" % (item_id, len(ls)))
        # Every media_id recorded holds the very bytes queued.
        by_name = {os.path.basename(p): data for p, data in items.values()}
        for l in done:
            stored = self.client.media_get(l["media_id"])
            self.assertEqual(sha256(stored), sha256(by_name[l["name"]]),
                             "media %s is not %s's bytes" % (l["media_id"], l["name"]))
            self.assertEqual(len(stored), l["size"])
        stored = self.client.media()
        copies = {}
        for m in stored:
            copies[m["sha256"]] = copies.get(m["sha256"], 0) + 1
        self.assertEqual(set(copies), set(items), "an item missing, or foreign media stored")
        duplicates = sum(n - 1 for n in copies.values())
        flagged = sum(1 for l in done if l["maybe_duplicate"])
        print("OutboxCrash: %d items, %d drains, %d kills, %d duplicate uploads, "
              "%d lines flagged maybe_duplicate, %d items left at the last kill, %.1f s" % (
                  self.ITEMS, runs + 1, kills, duplicates, flagged, left, elapsed))
        self.assertLessEqual(duplicates, kills)
        # A duplicate is only ever an item the journal flags as one.
        for l in done:
            if copies[sha256(self.client.media_get(l["media_id"]))] > 1:
                self.assertTrue(l["maybe_duplicate"], l["id"])

    def test_kill_enqueue_at_random_instants(self):
        seed = int(os.environ.get("WECOM_OUTBOX_SEED", time.time_ns() % 1000000))
        print("\nOutboxCrash enqueue seed %d" % seed)
        rng = random.Random(seed)
        data = jpeg(1900000)  # large enough that the copy takes a while
        src = self.write("big.jpg", data)
        self.queue("status")  # the spool exists before the first kill
        kills = 0
        for _ in range(20):
            proc = self.start_queue("add", src)
            time.sleep(rng.uniform(0.0, 0.012))
            if proc.poll() is None:
                proc.kill()
                kills += 1
            proc.communicate(timeout=30)
        for name in self.listdir("q"):
            kind, item_name, got = read_item(os.path.join(self.spool, "q", name))
            self.assertEqual(got, data, "q/%s is not the whole file" % name)
            self.assertEqual(item_name, "big.jpg")
        whole = len(self.listdir("q"))
        print("OutboxCrash enqueue: %d kills, %d items whole, %d abandoned tmp files" % (
            kills, whole, len(self.listdir("tmp"))))
        self.assertGreater(kills, 0)
        # The next enqueue removes what killed ones left in tmp/.
        self.add_files([self.write("small.txt", b"a small file")])
        self.assertEqual(self.listdir("tmp"), [])
        self.assertEqual(len(self.listdir("q")), whole + 1)


class OutboxQuota(OutboxCase):
    def test_refuse_when_full(self):
        files = [self.write("f%d.txt" % i, b"file number %d" % i) for i in range(3)]
        ids = self.add_files(files[:2], "--max-items", "2")
        p = self.queue("add", "--max-items", "2", files[2], expect=3)
        self.assertIn(b"full", p.stderr)
        self.assertEqual(self.listdir("q"), sorted(ids))
        p = self.queue("add", "--max-bytes", "10", files[2], expect=3)
        self.assertEqual(self.listdir("q"), sorted(ids))

    def test_drop_oldest(self):
        files = [self.write("f%d.txt" % i, b"file number %d" % i) for i in range(3)]
        ids = []
        for f in files[:2]:
            ids += self.add_files([f], "--max-items", "2")
            time.sleep(0.002)
        p = self.cli("--json", "queue", "add", "--spool", self.spool, "--max-items", "2",
                     "--drop-oldest", files[2])
        out = json.loads(p.stdout)
        self.assertEqual(out["dropped"], [ids[0]])
        self.assertIn(ids[0].encode(), p.stderr)
        self.assertEqual(self.listdir("q"), sorted([ids[1], out["id"]]))


    def test_spool_anywhere_on_the_line(self):
        f = self.write("a.txt", b"where the outbox is")
        # before the command, between queue and add, and from the environment
        a = self.cli("--spool", self.spool, "queue", "add", f).stdout.decode().split()
        b = self.cli("queue", "--spool", self.spool, "add", f).stdout.decode().split()
        env = dict(self.cli_env(), WECOM_SPOOL_DIR=self.spool)
        c = subprocess.run([CLI, "queue", "add", f], env=env, capture_output=True, check=True)
        self.assertEqual(self.listdir("q"), sorted(a + b + c.stdout.decode().split()))
        self.cli("queue", "--spool", self.spool, expect=2)


class OutboxOutcomes(OutboxCase):
    def test_refused_for_good_goes_to_failed(self):
        a, b = (self.add_files([self.write(n, jpeg(3000))])[0] for n in ("a.jpg", "b.jpg"))
        self.client.config(force_errcode={"errcode": 40004, "count": 1, "path": UPLOAD_PATH})
        self.queue("run", "--once")  # the outbox is empty: exit 0
        self.assertEqual(self.listdir("failed"), [a])
        self.assertEqual(self.listdir("q"), [])
        lines, _ = self.journal()
        self.assertEqual([(l["id"], l["status"]) for l in lines], [(a, "failed"), (b, "done")])
        self.assertEqual(lines[0]["errcode"], 40004)
        p = self.queue("results")
        self.assertIn(b"failed", p.stdout)
        p = self.cli("--json", "queue", "status", "--spool", self.spool)
        st = json.loads(p.stdout)
        self.assertEqual((st["queued"], st["failed"], st["done"]), (0, 1, 1))

    def test_rate_limit_pauses_the_drain(self):
        ids = [self.add_files([self.write("%d.jpg" % i, jpeg(2000))])[0] for i in range(3)]
        self.client.config(force_errcode={"errcode": 45009, "count": 1, "path": UPLOAD_PATH})
        p = self.queue("run", "--once", expect=8)  # rate limited
        self.assertIn(b"45009", p.stderr)
        self.assertEqual(len(self.uploads()), 1, "the drain went on after 45009")
        self.assertEqual(self.listdir("q"), sorted(ids))
        self.queue("run", "--once")
        self.assertEqual(self.listdir("q"), [])
        self.assertEqual(len(self.client.media()), 3)

    def test_network_down_keeps_items(self):
        ids = self.add_files([self.write("a.jpg", jpeg(2000))])
        p = subprocess.run([self.cli_cmd([])[0], "--base-url", "https://127.0.0.1:1",
                            "--cacert", self.ca, "--retry", "0", "queue", "run", "--once",
                            "--spool", self.spool], env=self.cli_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertEqual(self.listdir("q"), ids)

    def test_refused_by_the_check_is_not_queued(self):
        p = self.queue("add", "--type", "image", self.write("x.jpg", b"not a picture"),
                       expect=6)
        self.assertIn(b"not queued", p.stderr)
        self.assertEqual(self.listdir("q"), [])
        self.assertEqual(self.listdir("tmp"), [])


class OutboxUnconfirmed(OutboxCase):
    def test_lost_answer_is_requeued_as_maybe_duplicate(self):
        data = jpeg(5000)
        [item] = self.add_files([self.write("a.jpg", data)])
        self.client.config(fault={"kind": "drop_response_after", "bytes": 10,
                                  "path": UPLOAD_PATH})
        self.queue("run", "--once", expect=4)
        self.assertEqual(self.listdir("q"), [item + ".c"])
        self.queue("run", "--once")
        lines, _ = self.journal()
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0]["maybe_duplicate"])
        self.assertEqual(self.client.media_get(lines[0]["media_id"]), data)
        self.assertEqual(len(self.client.media()), 2)  # at-least-once: both stored


class OutboxDrainers(OutboxCase):
    def test_second_drainer_refused_and_run_picks_up_new_items(self):
        self.add_files([self.write("a.jpg", jpeg(2000))])
        runner = self.start_queue("run")
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(self.journal()[0]) < 1:
                time.sleep(0.05)
            self.assertEqual(len(self.journal()[0]), 1)
            p = self.queue("run", "--once", expect=3)
            self.assertIn(b"another", p.stderr)
            # A new item is seen (inotify, or polling) without a restart,
            # and enqueue works while the drainer holds its lock.
            self.add_files([self.write("b.jpg", jpeg(3000))])
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(self.journal()[0]) < 2:
                time.sleep(0.05)
            self.assertEqual(len(self.journal()[0]), 2)
        finally:
            code = self.interrupt(runner, signal.SIGTERM)
        self.assertEqual(code, 0)


class OutboxBackoff(OutboxCase):
    def test_run_backs_off_while_uploads_fail(self):
        self.add_files([self.write("a.jpg", jpeg(2000))])
        self.client.config(fault={"kind": "drop_request_after", "bytes": 100,
                                  "count": 1000, "path": UPLOAD_PATH})
        runner = self.start_cli("--retry", "0", "queue", "run", "--spool", self.spool)
        time.sleep(3.2)
        self.assertEqual(self.interrupt(runner, signal.SIGTERM), 0)
        # Passes at 0, 1 and 3 s: the requeue must not wake the wait at once.
        tries = len(self.uploads())
        self.assertGreaterEqual(tries, 2)
        self.assertLessEqual(tries, 4, "%d uploads in 3 s: no backoff" % tries)
        self.assertEqual(len(self.listdir("q")), 1)


class OutboxJournal(OutboxCase):
    def test_torn_and_corrupt_lines(self):
        self.add_files([self.write("a.jpg", jpeg(2000))])
        self.add_files([self.write("b.jpg", jpeg(2000))])
        self.queue("run", "--once")
        log = os.path.join(self.spool, "results.log")
        with open(log, "rb") as f:
            first, second = f.read().split(b"\n")[:2]
        bad = bytearray(first)
        bad[40] ^= 0x01  # a flipped bit: its CRC fails
        with open(log, "wb") as f:
            f.write(bytes(bad) + b"\n" + second + b"\n" + second[:50])  # and a torn tail
        p = self.cli("--json", "queue", "status", "--spool", self.spool)
        self.assertEqual(json.loads(p.stdout)["corrupt_lines"], 1)
        p = self.queue("results")
        self.assertEqual(len(p.stdout.splitlines()), 1)
        self.assertIn(b"corrupt", p.stderr)
        # The next drain cuts the torn tail before it appends.
        self.add_files([self.write("c.jpg", jpeg(2000))])
        self.queue("run", "--once")
        with open(log, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.endswith(b"\n"))
        self.assertNotIn(second[:50] + b"{", raw)
        lines, corrupt = self.journal()
        self.assertEqual((len(lines), corrupt), (2, 1))
        p = self.queue("results", "--valid")
        self.assertEqual(len(p.stdout.splitlines()), 2)


class OutboxLinks(OutboxCase):
    def test_planted_links(self):
        secret = self.write("secret.jpg", jpeg(4000))
        self.add_files([self.write("a.jpg", jpeg(2000))])
        os.symlink(secret, os.path.join(self.spool, "q", "0000000000000001deadbeef"))
        self.queue("run", "--once")
        self.assertNotIn(sha256(self.read("secret.jpg")),
                         [m["sha256"] for m in self.client.media()])
        self.assertEqual(len(self.client.media()), 1)
        # A spool directory that is a link, or writable by others, is refused.
        link = self.path("spool-link")
        os.symlink(self.spool, link)
        p = self.cli("queue", "status", "--spool", link, expect=3)
        self.assertIn(b"refused", p.stderr)
        os.chmod(self.spool, 0o777)
        self.cli("queue", "status", "--spool", self.spool, expect=3)
        # 0700 as documented: readable by others is refused too.
        os.chmod(self.spool, 0o755)
        p = self.cli("queue", "status", "--spool", self.spool, expect=3)
        self.assertIn(b"0700", p.stderr)
        os.chmod(self.spool, 0o700)


class OutboxFullDisk(OutboxCase):
    """The spool on a small tmpfs, filled up: `queue run` must never send
    an item whose outcome it already knows, and must not send at all while
    it has nowhere to record the outcome (exit 10), however often a
    service manager starts it again. Needs root (mount); skipped without."""

    RUNS = 4

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        mnt = self.path("small")
        os.mkdir(mnt)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mnt],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: %s" % p.stdout.decode(errors="replace"))
        self.addCleanup(subprocess.run, ["umount", "-l", mnt])
        self.spool = os.path.join(mnt, "spool")
        self.filler = os.path.join(mnt, "filler")
        self.page = os.sysconf("SC_PAGESIZE")

    def fill(self, leave_pages=0):
        """Fill the tmpfs to the last byte, then give back leave_pages pages."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            chunk = b"\0" * 65536
            while True:
                try:
                    if os.write(fd, chunk) == 0:
                        break
                except OSError as e:
                    if e.errno != 28:  # ENOSPC
                        raise
                    break
            size = os.fstat(fd).st_size
            if leave_pages:
                pages = -(-size // self.page)
                os.ftruncate(fd, (pages - leave_pages) * self.page)
        finally:
            os.close(fd)

    def test_no_room_for_the_outcome_sends_nothing(self):
        [item] = self.add_files([self.write("a.jpg", jpeg(3000))])
        self.fill()
        for _ in range(self.RUNS):
            p = self.queue("run", "--once", expect=10)
            self.assertIn(b"journal", p.stderr)
        self.assertEqual(len(self.uploads()), 0, "sent with nowhere to record the outcome")
        self.assertEqual(self.listdir("q"), [item])
        os.unlink(self.filler)
        self.queue("run", "--once")
        self.assertEqual(len(self.uploads()), 1)
        lines, _ = self.journal()
        self.assertEqual([(l["id"], l["status"]) for l in lines], [(item, "done")])

    def test_outcome_the_journal_cannot_take_is_never_sent_again(self):
        [item] = self.add_files([self.write("a.jpg", jpeg(3000))])
        # A journal of exactly one page (lines that are not results: the
        # reader skips them), so that the next line needs a page of its own.
        os.makedirs(self.spool, mode=0o700, exist_ok=True)
        pad = (b"x" * 50 + b" crc=00000000\n") * (self.page // 64)
        with open(os.path.join(self.spool, "results.log"), "wb") as f:
            f.write(pad)
        # Room for the receipt the drain reserves, none for the journal.
        self.fill(leave_pages=1)
        p = self.queue("run", "--once", expect=10)
        self.assertIn(b"journal", p.stderr)
        self.assertEqual(len(self.uploads()), 1)
        media_id = p.stdout.split()[2].decode()  # "ID done MEDIA_ID ..."
        for _ in range(self.RUNS - 1):
            self.fill()  # whatever the item's delete freed, taken again
            p = self.queue("run", "--once", expect=10)
            self.assertIn(b"journal", p.stderr)
        self.assertEqual(len(self.uploads()), 1, "an item sent again after its outcome was known")
        os.unlink(self.filler)
        self.queue("run", "--once")
        self.assertEqual(len(self.uploads()), 1)
        lines, bad = self.journal()
        self.assertEqual([(l["id"], l["status"], l["media_id"]) for l in lines],
                         [(item, "done", media_id)])
        self.assertEqual(bad, self.page // 64)
        self.assertEqual(self.listdir("inflight"), [])
        self.assertEqual(self.listdir("q"), [])
        p = self.queue("results")
        self.assertIn(media_id.encode(), p.stdout)


class OutboxTerminal(OutboxCase):
    """What the server said reaches the terminal escaped in `queue run`
    and `queue results`, as an errmsg does; --json keeps it exact."""

    def test_server_type_with_control_bytes_is_escaped(self):
        [item] = self.add_files([self.write("a.jpg", jpeg(3000))])
        answer = json.dumps({"errcode": 0, "errmsg": "ok", "type": "\x1b[2J\x07",
                             "media_id": "MEDIA-TERM-1", "created_at": "1700000000"})
        self.client.config(fault={"kind": "json_answer", "body": answer, "path": UPLOAD_PATH})
        p = self.queue("run", "--once")
        for out in (p.stdout, self.queue("results").stdout):
            self.assertIn(item.encode(), out)
            self.assertNotIn(b"\x1b", out)
            self.assertNotIn(b"\x07", out)
            self.assertIn(b"\\x1B[2J\\x07", out)
        p = self.cli("--json", "queue", "results", "--spool", self.spool)
        self.assertEqual(json.loads(p.stdout)["type"], "\x1b[2J\x07")
