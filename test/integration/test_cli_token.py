# SPDX-License-Identifier: MIT
"""Tokens end to end: the token command, the token cache across runs, a
token that lapses or is revoked mid-run, and the count of gettoken calls
that a fleet of short-lived processes makes."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from clitest import (CLI, CORPID, GETTOKEN, MEDIA_GET, SECRET, EmulatorCase, jpeg,
                     process_ended)

EXIT_LOCAL = 3
EXIT_CREDENTIALS = 7


def gettokens(case):
    return len(case.requests(GETTOKEN))


class TokenCommand(EmulatorCase):
    """--token-command / WECOM_TOKEN_COMMAND: the token is its stdout."""

    def script(self, name, body):
        """A token command as a script in the test's directory."""
        p = self.write(name, ("#!/bin/sh\n" + body + "\n").encode())
        os.chmod(p, 0o700)
        return p

    def upload(self, *args, env=None, expect=0, **kw):
        return self.cli(*args, "upload", self.write("a.jpg", jpeg(1000)), env=env,
                        token=False, expect=expect, **kw)

    def test_token_from_the_command_uploads(self):
        cmd = self.script("tok.sh", "printf '  %s\\n\\n' " + self.token)
        p = self.upload("--token-command", cmd)
        self.assertEqual(len(self.uploads()), 1)
        self.assertEqual(self.uploads()[0]["token_state"], "valid")
        self.assertEqual(gettokens(self), 0)
        self.assertTrue(p.stdout.strip())
        # and from the environment
        self.upload(env={"WECOM_TOKEN_COMMAND": cmd})
        self.assertEqual(self.uploads()[1]["token_state"], "valid")

    def test_command_gets_no_secret_of_the_tool(self):
        # The corp secret, a token in the environment and proxy credentials
        # are the tool's: the command's environment lacks them, and keeps
        # the rest (what it needs to reach its backend).
        dump = self.path("env.txt")
        cmd = self.script("env.sh", "env > '%s'\necho %s" % (dump, self.token))
        mark = {n: "secret%s" % os.urandom(6).hex()
                for n in ("WECOM_CORPSECRET", "WECOM_ACCESS_TOKEN", "WECOM_PROXY_USER",
                          "https_proxy", "HTTPS_PROXY")}
        env = {"WECOM_CORPSECRET": mark["WECOM_CORPSECRET"],
               "WECOM_ACCESS_TOKEN": mark["WECOM_ACCESS_TOKEN"],
               "WECOM_PROXY_USER": "kiosk:" + mark["WECOM_PROXY_USER"],
               "https_proxy": "http://kiosk:%s@127.0.0.1:9" % mark["https_proxy"],
               "HTTPS_PROXY": "http://kiosk:%s@127.0.0.1:9" % mark["HTTPS_PROXY"],
               "WECOM_CORPID": "ww-corp", "NO_PROXY": "*", "BACKEND_URL": "https://fleet"}
        self.upload("--token-command", cmd, env=env)
        self.assertEqual(len(self.uploads()), 1)
        with open(dump) as f:
            seen = f.read()
        for name, value in mark.items():
            self.assertNotIn(value, seen, name)
        self.assertIn("WECOM_CORPID=ww-corp", seen)
        self.assertIn("BACKEND_URL=https://fleet", seen)
        self.assertIn("NO_PROXY=*", seen)
        # A proxy URL without credentials stays.
        self.upload("--token-command", cmd,
                    env={"https_proxy": "http://127.0.0.1:9", "NO_PROXY": "*"})
        with open(dump) as f:
            self.assertIn("https_proxy=http://127.0.0.1:9", f.read())

    @unittest.skipUnless(sys.platform.startswith("linux"), "Linux's /proc")
    def test_tool_is_not_dumpable(self):
        # A process that is not dumpable (no core dump of the token and the
        # secret, no ptrace) has the files in its /proc/PID owned by root,
        # whatever its user (the directory may keep its first owner): the
        # token command looks at its parent's status. As root, the tool
        # runs as nobody, so that the owners differ.
        shared = tempfile.mkdtemp(prefix="wecom-dumpable-")
        self.addCleanup(shutil.rmtree, shared, True)
        os.chmod(shared, 0o777)
        owner = os.path.join(shared, "owner")
        # In `sh -c`, $PPID is the tool (a script run from it would see
        # the shell instead).
        cmd = "stat -c %%u /proc/$PPID/status > '%s'; echo %s" % (owner, self.token)
        ca = os.path.join(shared, "ca.pem")
        shutil.copyfile(self.ca, ca)
        os.chmod(ca, 0o644)
        preexec, uid = None, os.geteuid()
        if uid == 0:
            uid = 65534

            def preexec():
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            try:  # a build under a private directory (/root) is not nobody's
                probe = subprocess.run([CLI, "--version"], cwd=shared, preexec_fn=preexec,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       timeout=120).returncode
            except OSError:
                probe = -1
            if probe != 0:
                self.skipTest("nobody cannot run the tool here")
        p = subprocess.run([CLI, "--base-url", self.url, "--cacert", ca, "token",
                            "--token-command", cmd], env=self.cli_env(token=False),
                           cwd=shared, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120, preexec_fn=preexec)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(owner) as f:
            seen = int(f.read())
        self.assertNotEqual(seen, uid, "the tool is dumpable: /proc/PID is its user's")
        self.assertEqual(seen, 0)

    def test_failing_command_is_reported_with_its_stderr(self):
        cmd = self.script("fail.sh", "echo 'backend: device not enrolled' >&2\n"
                                     "echo " + self.token + "\nexit 1")
        p = self.upload("--token-command", cmd, expect=EXIT_CREDENTIALS)
        err = p.stderr.decode()
        self.assertIn("token command: backend: device not enrolled", err)
        self.assertIn("failed (exit status 1)", err)
        self.assertEqual(self.client.log(), [], "went on without a token")

    def test_command_that_prints_nothing(self):
        p = self.upload("--token-command", "true", expect=EXIT_CREDENTIALS)
        self.assertIn("printed no token", p.stderr.decode())
        self.assertEqual(self.client.log(), [])

    def test_command_that_prints_a_bad_token(self):
        bad = "bad/tok?en=x&corpsecret=y"
        p = self.upload("--token-command", "echo '%s'" % bad, expect=EXIT_CREDENTIALS)
        self.assertIn("not a token", p.stderr.decode())
        self.assertNotIn(bad.encode(), p.stderr + p.stdout)
        self.assertEqual(self.client.log(), [])
        # two lines are no token either
        p = self.upload("--token-command", "echo %s; echo %s" % (self.token, self.token),
                        expect=EXIT_CREDENTIALS)
        self.assertIn("not a token", p.stderr.decode())

    def test_command_that_hangs_is_killed_within_the_deadline(self):
        pidfile = self.path("pid")
        cmd = "echo $$ > %s; sleep 60 & sleep 60; wait" % pidfile
        start = time.monotonic()
        p = self.upload("--max-time", "2", "--token-command", cmd, expect=EXIT_CREDENTIALS)
        took = time.monotonic() - start
        self.assertLess(took, 8, "the hung command held the tool %.1f s" % took)
        self.assertIn("killed", p.stderr.decode())
        self.assertTrue(process_ended(pidfile), "the token command's shell still runs")
        self.assertEqual(self.client.log(), [])

    def test_rejected_token_runs_the_command_once_more(self):
        count = self.path("runs")
        with open(count, "w") as f:
            f.write("0")
        # First run: a token WeCom does not know (40014); then the good one.
        cmd = self.script("rotate.sh",
                          "n=$(cat %s); echo $((n + 1)) > %s\n"
                          "if [ \"$n\" = 0 ]; then echo tokUNKNOWN0123456789; "
                          "else echo %s; fi" % (count, count, self.token))
        data = jpeg(3000)
        p = self.cli("--token-command", cmd, "upload", self.write("a.jpg", data), token=False)
        with open(count) as f:
            self.assertEqual(f.read().strip(), "2")
        ups = self.uploads()
        self.assertEqual([u["token_state"] for u in ups], ["unknown", "valid"])
        self.assertEqual(ups[1]["body_length"], ups[0]["body_length"], "re-sent whole")
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)

    def test_command_refused_twice_gives_up(self):
        count = self.path("runs")
        with open(count, "w") as f:
            f.write("0")
        cmd = self.script("bad.sh", "n=$(cat %s); echo $((n + 1)) > %s\n"
                                    "echo tokUNKNOWN$n-0123456789" % (count, count))
        p = self.upload("--token-command", cmd, expect=EXIT_CREDENTIALS)
        with open(count) as f:
            self.assertEqual(f.read().strip(), "2", "run once more, not more")
        self.assertEqual(len(self.uploads()), 2)
        self.assertIn("40014", p.stderr.decode())

    def test_sources_command_line_over_environment(self):
        never = self.script("never.sh", "echo ran > %s; echo tokNEVER0123456789" %
                            self.path("ran"))
        # --token on the command line beats WECOM_TOKEN_COMMAND
        self.upload("--token", self.token, env={"WECOM_TOKEN_COMMAND": never})
        self.assertFalse(os.path.exists(self.path("ran")))
        # --token-command beats WECOM_ACCESS_TOKEN
        good = self.script("good.sh", "echo " + self.token)
        self.upload("--token-command", good, env={"WECOM_ACCESS_TOKEN": "tokENV0123456789"})
        self.assertEqual(self.uploads()[-1]["token_state"], "valid")
        # in the environment, the command beats the token
        self.upload(env={"WECOM_TOKEN_COMMAND": good, "WECOM_ACCESS_TOKEN": "tokENV0123456789"})
        self.assertEqual(self.uploads()[-1]["token_state"], "valid")
        # --corpid on the command line beats WECOM_TOKEN_COMMAND
        self.upload("--corpid", CORPID, "--no-token-cache",
                    env={"WECOM_TOKEN_COMMAND": never, "WECOM_CORPSECRET": SECRET})
        self.assertFalse(os.path.exists(self.path("ran")))
        self.assertEqual(gettokens(self), 1)

    def test_token_file_says_missing_or_empty(self):
        p = self.upload("--token-file", self.path("nope"), expect=EXIT_LOCAL)
        self.assertIn("no such file", p.stderr.decode())
        p = self.upload("--token-file", self.write("empty", b""), expect=EXIT_LOCAL)
        self.assertIn("empty", p.stderr.decode())
        p = self.upload("--token-file", self.write("blank", b"\n \n"), expect=EXIT_LOCAL)
        self.assertIn("empty", p.stderr.decode())

    def test_token_command_reports_lifetime_unknown(self):
        p = self.cli("--token-command", "echo " + self.token, "token", token=False)
        self.assertEqual(p.stdout.decode(), "token from the token command (lifetime unknown)\n")


class TokenCache(EmulatorCase):
    """gettoken's token kept across runs, and what is done with a cache
    file that is not right."""

    def setUp(self):
        super().setUp()
        self.cache = self.path("cache")

    def env(self, **more):
        e = {"WECOM_CORPSECRET": SECRET, "XDG_CACHE_HOME": self.cache}
        e.update(more)
        return e

    def run_token(self, *args, expect=0, env=None):
        return self.cli("--corpid", CORPID, "token", *args, env=env or self.env(),
                        token=False, expect=expect)

    def cache_file(self):
        d = os.path.join(self.cache, "wecom-media")
        files = [f for f in os.listdir(d) if f.startswith("token-") and
                 not f.endswith((".lock", ".new"))]
        self.assertEqual(len(files), 1, files)
        return os.path.join(d, files[0])

    def rewrite(self, fn):
        path = self.cache_file()
        with open(path) as f:
            lines = f.read().splitlines()
        with open(path, "w") as f:
            f.write("\n".join(fn(lines)) + "\n")

    def test_runs_in_a_row_make_one_gettoken(self):
        p = self.run_token()
        self.assertRegex(p.stdout.decode(), r"\Atoken valid for 7[012][0-9][0-9] s \(fetched\)\n\Z")
        p = self.run_token()
        self.assertRegex(p.stdout.decode(), r"\Atoken valid for 7[012][0-9][0-9] s \(cached\)\n\Z")
        self.cli("--corpid", CORPID, "upload", self.write("a.jpg", jpeg(1000)),
                 env=self.env(), token=False)
        self.assertEqual(gettokens(self), 1)
        self.assertEqual(self.uploads()[0]["token_state"], "valid")
        # 0600 in a 0700 directory; the secret is not in it
        path = self.cache_file()
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        with open(path, "rb") as f:
            content = f.read()
        self.assertNotIn(SECRET.encode(), content)
        self.assertTrue(content.startswith(b"wecom-media token cache 1\ncorpid wwemulator\n"))
        # --json and --show
        p = self.run_token("--json")
        obj = json.loads(p.stdout)
        self.assertEqual(obj["source"], "cache")
        self.assertGreater(obj["expires_in"], 7000)
        self.assertNotIn("access_token", obj)
        p = self.run_token("--show")
        self.assertIn(b"token " + p.stdout.strip() + b"\n", content)
        self.assertEqual(gettokens(self), 1)

    def assert_replaced(self, why, plant):
        self.run_token()
        before = gettokens(self)
        plant()
        p = self.cli("--corpid", CORPID, "-v", "upload", self.write("a.jpg", jpeg(1000)),
                     env=self.env(), token=False)
        self.assertEqual(gettokens(self), before + 1, why + ": no new gettoken")
        self.assertIn("token cache " + why, p.stderr.decode())
        path = self.cache_file()
        st = os.lstat(path)
        self.assertTrue(stat.S_ISREG(st.st_mode), why + ": not replaced by a file")
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        with open(path, "rb") as f:
            self.assertTrue(f.read().startswith(b"wecom-media token cache 1\n"))
        # and the replacement is used by the next run
        self.run_token()
        self.assertEqual(gettokens(self), before + 1, why + ": replacement not used")

    def test_corrupt_cache(self):
        def plant():
            with open(self.cache_file(), "wb") as f:
                f.write(b"\x00garbage\xff\n")
        self.assert_replaced("corrupt", plant)

    def test_truncated_cache(self):
        self.assert_replaced("corrupt", lambda: self.rewrite(lambda lines: lines[:3]))

    def test_cache_of_wrong_mode(self):
        self.assert_replaced("not of mode 0600", lambda: os.chmod(self.cache_file(), 0o644))

    def test_cache_that_is_a_symlink(self):
        victim = self.path("victim")

        def plant():
            path = self.cache_file()
            with open(path, "rb") as f:
                data = f.read()
            with open(victim, "wb") as f:
                f.write(data)
            os.chmod(victim, 0o600)
            os.unlink(path)
            os.symlink(victim, path)
        self.assert_replaced("a symbolic link", plant)
        with open(victim, "rb") as f:
            self.assertTrue(f.read().startswith(b"wecom-media token cache 1\n"))

    def test_cache_for_another_corp(self):
        self.assert_replaced("for other credentials", lambda: self.rewrite(
            lambda lines: [("corpid wwother" if l.startswith("corpid ") else l) for l in lines]))

    def test_cache_for_another_secret(self):
        self.assert_replaced("for other credentials", lambda: self.rewrite(
            lambda lines: [("secret-sha256 " + "0" * 64 if l.startswith("secret-sha256 ") else l)
                           for l in lines]))

    def test_cache_dated_beyond_a_token_life(self):
        future = int(time.time()) + 100000
        self.assert_replaced("dated beyond", lambda: self.rewrite(
            lambda lines: [("expires-at %d" % future if l.startswith("expires-at ") else l)
                           for l in lines]))

    def test_expired_cache(self):
        past = int(time.time()) - 10
        self.assert_replaced("expired", lambda: self.rewrite(
            lambda lines: [("expires-at %d" % past if l.startswith("expires-at ") else l)
                           for l in lines]))

    def test_cache_of_revoked_token_is_replaced_after_40014(self):
        self.run_token()
        self.client.revoke()
        data = jpeg(2000)
        p = self.cli("--corpid", CORPID, "upload", self.write("a.jpg", data),
                     env=self.env(), token=False)
        self.assertEqual(self.client.media_get(p.stdout.decode().strip()), data)
        self.assertEqual(gettokens(self), 2)
        self.assertEqual([u["token_state"] for u in self.uploads()], ["revoked", "valid"])
        self.run_token()
        self.assertEqual(gettokens(self), 2, "the new token was not cached")

    def test_unsafe_cache_directory_is_not_used(self):
        d = os.path.join(self.cache, "wecom-media")
        os.makedirs(d, mode=0o700)
        os.chmod(d, 0o777)
        for _ in range(2):
            p = self.cli("--corpid", CORPID, "upload", self.write("a.jpg", jpeg(1000)),
                         env=self.env(), token=False)
            self.assertIn("writable by group or others", p.stderr.decode())
        self.assertEqual(gettokens(self), 2)
        self.assertEqual([f for f in os.listdir(d) if f.startswith("token-")], [])
        # --cache-dir elsewhere is used instead
        other = self.path("other")
        self.run_token("--cache-dir", other)
        self.run_token("--cache-dir", other)
        self.assertEqual(gettokens(self), 3)
        self.assertEqual(stat.S_IMODE(os.stat(other).st_mode), 0o700)

    def test_no_token_cache(self):
        self.run_token("--no-token-cache")
        self.run_token("--no-token-cache")
        self.assertEqual(gettokens(self), 2)
        d = os.path.join(self.cache, "wecom-media")
        self.assertEqual([f for f in (os.listdir(d) if os.path.exists(d) else [])
                          if f.startswith("token-")], [])

    def test_two_started_at_once(self):
        for round_ in range(3):
            cache = self.path("cache%d" % round_)
            env = self.cli_env(self.env(XDG_CACHE_HOME=cache), token=False)
            before = gettokens(self)
            self.cli_at_once(["--corpid", CORPID, "token"], env, 2, "concurrent token")
            self.assertLessEqual(gettokens(self) - before, 2)
            with open(os.path.join(cache, "wecom-media", [
                    f for f in os.listdir(os.path.join(cache, "wecom-media"))
                    if f.startswith("token-") and not f.endswith(".lock")][0]), "rb") as f:
                self.assertTrue(f.read().startswith(b"wecom-media token cache 1\n"))

    def test_wrong_secret_is_not_retried(self):
        wrong = "wrong-secret-0123456789"
        self.never_print.add(wrong)
        p = self.cli("--corpid", CORPID, "upload", self.write("a.jpg", jpeg(1000)),
                     env=self.env(WECOM_CORPSECRET=wrong), token=False, expect=EXIT_CREDENTIALS)
        self.assertIn("40001", p.stderr.decode())
        self.assertEqual(gettokens(self), 1)
        self.assertEqual(self.uploads(), [])
        p = self.cli("--corpid", CORPID, "--json", "token", env=self.env(WECOM_CORPSECRET=wrong),
                     token=False, expect=EXIT_CREDENTIALS)
        self.assertEqual(json.loads(p.stdout.decode().splitlines()[-1])["error"], "credentials")

    def test_verbose_masks_the_secret(self):
        p = self.cli("--corpid", CORPID, "-v", "--no-token-cache", "upload",
                     self.write("a.jpg", jpeg(1000)), env=self.env(), token=False)
        err = p.stderr.decode()
        self.assertIn("/cgi-bin/gettoken?corpid=wwemulator&corpsecret=***\n", err)
        self.assertIn("/cgi-bin/media/upload?access_token=***&type=image\n", err)
        self.assertNotIn(SECRET.encode(), p.stderr)


class TokenLifetime(EmulatorCase):
    """A token that lapses or is revoked while the tool works."""

    def env(self):
        return {"WECOM_CORPSECRET": SECRET, "XDG_CACHE_HOME": self.path("cache")}

    def test_token_lapsing_between_two_uploads_in_one_run(self):
        # A token of 3 s is renewed 1.5 s before it lapses; the first
        # upload's answer takes 2 s.
        self.client.config(token_ttl=3, fault={"kind": "stall", "ms": 2000,
                                               "path": "/cgi-bin/media/upload"})
        a, b = jpeg(1000), jpeg(1200)
        p = self.cli("--corpid", CORPID, "upload", self.write("a.jpg", a),
                     self.write("b.jpg", b), env=self.env(), token=False)
        ids = p.stdout.decode().split()
        self.assertEqual([self.client.media_get(i) for i in ids], [a, b])
        self.assertEqual(gettokens(self), 2, "one extra gettoken")
        self.assertEqual([u["token_state"] for u in self.uploads()], ["valid", "valid"])

    def test_token_lapsing_between_two_runs(self):
        self.client.config(token_ttl=3)
        self.cli("--corpid", CORPID, "upload", self.write("a.jpg", jpeg(1000)),
                 env=self.env(), token=False)
        time.sleep(2)
        self.cli("--corpid", CORPID, "upload", self.write("b.jpg", jpeg(1000)),
                 env=self.env(), token=False)
        self.assertEqual(gettokens(self), 2, "one extra gettoken")
        self.assertEqual([u["token_state"] for u in self.uploads()], ["valid", "valid"])

    def test_token_revoked_mid_download(self):
        data = os.urandom(1 << 20)
        media_id = self.client.media_put("file", "big.bin", data)
        self.client.config(fault={"kind": "drop_response_after", "bytes": 300000,
                                  "revoke": True, "path": MEDIA_GET})
        self.cli("--corpid", CORPID, "download", media_id, "-o", "big.bin",
                 env=self.env(), token=False)
        self.assert_file("big.bin", data)
        self.assertEqual(gettokens(self), 2)
        gets = self.downloads()
        self.assertEqual([g["token_state"] for g in gets], ["valid", "revoked", "valid"])
        self.assertTrue((gets[2]["range"] or "").startswith("bytes="),
                        "the download did not resume")

    def test_consecutive_processes_share_one_token(self):
        n = int(os.environ.get("WECOM_TOKEN_RUNS", "100"))
        path = self.write("a.jpg", jpeg(1000))
        start = time.monotonic()
        for _ in range(n):
            self.cli("--corpid", CORPID, "upload", path, env=self.env(), token=False)
        took = time.monotonic() - start
        calls = gettokens(self)
        print("\n%d uploads in %d processes: %d gettoken call(s), %.2f s" %
              (n, n, calls, took))
        self.assertEqual(len(self.uploads()), n)
        self.assertEqual(calls, 1)


if __name__ == "__main__":
    unittest.main()
