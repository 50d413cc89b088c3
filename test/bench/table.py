#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench's table: wecom-media and curl doing the same requests.

    test/bench/table.py BUILD_DIR [--curl PATH] [--static-cli PATH]
                        [--musl-cli PATH] [--repeats N]

For 200 KB, 1 MB and 20 MB uploads and downloads, against nginx on
loopback (test/bench/nginx.sh), each from a new process as a script on a
device runs it: the CPU (user + system) and wall time of wecom-media and
of curl, the floor under the same bytes (test/bench/tcp_floor: the
cheaper AEAD plus a plain TCP transfer and the file I/O), heap peak and
heap at exit (test/bench/heap_preload.c), peak RSS (test/bench/maxrss.c),
and the TLS handshakes each wecom-media made, full and resumed (its -v
line). Besides BUILD_DIR's wecom-media (dynamically linked), the CPU and
peak RSS of two statically linked ones when given: --static-cli (glibc,
Debian's mbedTLS; make bench builds it in BUILD-static) and --musl-cli
(musl and the project's mbedTLS configuration, test/bench/static_musl.sh).

Each wecom-media keeps its own cache directory, so that every run after
its first resumes the TLS session its previous run left (a session saved
by another mbedTLS build would be refused). CPU, wall time and RSS come
from runs of the programs as they are; the heap figures from separate
runs under the LD_PRELOAD counter (the first two of each kind: a full
handshake and a resumed one), whose own cost (its loading, a lookup per
allocation) would otherwise weigh on the CPU of curl, which allocates far
more, and on both peaks of RSS.

The runs are interleaved (floor, wecom-media, the static ones, curl,
floor, ...) and the best of N is kept for each: the machine is shared and
noisy, so only the ratios within one run mean much. The curl compared is
the one an integrator would otherwise ship: built with the same mbedTLS
(see test/bench/build_curl.sh); without --curl (or $WECOM_BENCH_CURL) its
columns are left empty.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [("200 KB", "m200k", 200 * 1000), ("1 MB", "m1m", 1000 * 1000),
         ("20 MB", "m20m", 20 * 1000 * 1000)]
TOKEN = "benchtoken"


MAXRSS = None  # the launcher that measures peak RSS, set in main()


def run_measured(argv, env, heap_out, preload=None):
    """Run argv (under the heap counter when preload names it); returns
    (rc, cpu_ms, wall_ms, maxrss_kib, heap dict, stderr)."""
    if os.path.exists(heap_out):
        os.unlink(heap_out)
    env = dict(env, WECOM_HEAP_OUT=heap_out)
    if preload:
        env["LD_PRELOAD"] = preload
    argv = [MAXRSS, heap_out] + argv
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    p.wait()
    heap = {}
    if os.path.exists(heap_out):
        with open(heap_out) as f:
            for k, v in re.findall(r"(\w+)=(\d+)", f.read()):
                heap[k] = int(v)
    # The program's own CPU and time as the launcher saw them: the
    # launcher's start and exit are not the program's (test/bench/maxrss.c).
    cpu = heap.get("cpu_us", 0) / 1e3
    wall = heap.get("wall_us", 0) / 1e3
    rss = heap.get("rss_peak_kib")
    return p.returncode, cpu, wall, rss, heap, err.decode("utf-8", "replace")


def floor_ms(build, direction, path, out):
    argv = [os.path.join(build, "test", "bench", "tcp_floor"), direction, path]
    if out:
        argv.append(out)
    line = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"floor_ms=([0-9.]+)", line).group(1))


class Best:
    def __init__(self):
        self.cpu = self.wall = None
        self.rss = self.heap_peak = self.heap_exit = None
        self.full = self.resumed = None

    def add(self, cpu, wall, rss, heap, full=None, resumed=None):
        if self.cpu is None or cpu < self.cpu:
            self.cpu = cpu
        if self.wall is None or wall < self.wall:
            self.wall = wall
        # memory does not vary with the machine's load: the largest seen
        if rss is not None:
            self.rss = max(self.rss or 0, rss)
        self.add_heap(heap)
        if full is not None:
            self.full, self.resumed = full, resumed

    def add_heap(self, heap):
        if heap:
            self.heap_peak = max(self.heap_peak or 0, heap.get("heap_peak", 0))
            self.heap_exit = max(self.heap_exit or 0, heap.get("heap_exit", 0))


def handshakes(stderr):
    """(full, resumed) from wecom-media's -v lines."""
    m = re.search(r"(\d+) TLS handshake", stderr)
    full = int(m.group(1)) if m else 0
    resumed = len(re.findall(r"session resumed", stderr))
    return max(full - resumed, 0), resumed


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        return "%.1f%s" % (v, unit)
    return "%d%s" % (v, unit)


def kib(v):
    return "—" if v is None else "%.1f KiB" % (v / 1024.0)


def executable(path):
    return path if path and os.access(path, os.X_OK) else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--curl", default=os.environ.get("WECOM_BENCH_CURL", ""))
    ap.add_argument("--static-cli", default=os.environ.get("WECOM_BENCH_STATIC_CLI", ""))
    ap.add_argument("--musl-cli", default=os.environ.get("WECOM_BENCH_MUSL_CLI", ""))
    ap.add_argument("--repeats", type=int, default=int(os.environ.get("REPEATS", "7")))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    global MAXRSS
    MAXRSS = os.path.join(build, "test", "bench", "maxrss")
    # The wecom-media builds measured: (column, path); the first is ours.
    clis = [("ours", os.path.join(build, "cli", "wecom-media"))]
    for name, path in (("static", args.static_cli), ("musl", args.musl_cli)):
        if executable(path):
            clis.append((name, os.path.abspath(path)))
    kinds = [name for name, _ in clis]
    preload = os.path.join(build, "test", "bench", "libwecom_heap_preload.so")
    curl = executable(args.curl)
    work = tempfile.mkdtemp(prefix="wecom-table.")
    os.chmod(work, 0o755)
    for _, name, size in SIZES:
        with open(os.path.join(work, name), "wb") as f:
            f.write(os.urandom(size))
    port = subprocess.run(["sh", os.path.join(HERE, "nginx.sh"), "start", work],
                          check=True, capture_output=True, text=True).stdout.strip()
    url = "https://localhost:%s" % port
    ca = os.path.join(work, "cert.pem")
    env = dict(os.environ, WECOM_ACCESS_TOKEN=TOKEN, LC_ALL="C")
    for k in ("HTTPS_PROXY", "https_proxy", "LD_PRELOAD"):
        env.pop(k, None)
    cli_env = {}
    for name in kinds:
        cache = os.path.join(work, "cache-" + name)
        os.mkdir(cache, 0o700)
        cli_env[name] = dict(env, XDG_CACHE_HOME=cache)
    heap_out = os.path.join(work, "heap.txt")
    out = os.path.join(work, "out")
    rows = []
    try:
        for label, name, _ in SIZES:
            path = os.path.join(work, name)
            for direction in ("upload", "download"):
                floor, theirs = None, Best()
                ours = {k: Best() for k in kinds}
                for rep in range(args.repeats):
                    f = floor_ms(build, "up" if direction == "upload" else "down",
                                 path, out if direction == "download" else None)
                    floor = f if floor is None else min(floor, f)
                    if direction == "upload":
                        tail = ["--base-url", url, "--cacert", ca, "-v",
                                "upload", "--type", "file", path]
                    else:
                        tail = ["--base-url", url, "--cacert", ca, "-v",
                                "download", name, "-o", out]
                    for kind, cli in clis:
                        if os.path.exists(out):
                            os.unlink(out)
                        rc, cpu, wall, rss, _, err = run_measured(
                            [cli] + tail, cli_env[kind], heap_out)
                        if rc != 0:
                            sys.exit("wecom-media (%s) failed (%d): %s" % (kind, rc, err))
                        ours[kind].add(cpu, wall, rss, None, *handshakes(err))
                        if kind == "ours" and rep < 2:
                            if os.path.exists(out):
                                os.unlink(out)
                            rc, _, _, _, heap, err = run_measured(
                                [cli] + tail, cli_env[kind], heap_out, preload)
                            if rc != 0:
                                sys.exit("wecom-media failed (%d): %s" % (rc, err))
                            ours[kind].add_heap(heap)
                    if curl:
                        if direction == "upload":
                            cargv = [curl, "-sS", "--cacert", ca, "-o", "/dev/null",
                                     "-F", "media=@%s;filename=m.bin" % path,
                                     "%s/cgi-bin/media/upload?access_token=%s&type=file"
                                     % (url, TOKEN)]
                        else:
                            cargv = [curl, "-sS", "--cacert", ca, "-o", out,
                                     "%s/cgi-bin/media/get?access_token=%s&media_id=%s"
                                     % (url, TOKEN, name)]
                        for instrumented in ((False, True) if rep < 2 else (False,)):
                            if os.path.exists(out):
                                os.unlink(out)
                            rc, cpu, wall, rss, heap, err = run_measured(
                                cargv, env, heap_out, preload if instrumented else None)
                            if rc != 0:
                                sys.exit("curl failed (%d): %s" % (rc, err))
                            if instrumented:
                                theirs.add_heap(heap)
                            else:
                                theirs.add(cpu, wall, rss, None)
                rows.append((label, direction, floor, ours, theirs))
        base = os.path.join(work, "true.txt")
        subprocess.run([MAXRSS, base, "/bin/true"], check=True)
        with open(base) as f:
            true_rss = int(re.search(r"rss_peak_kib=(\d+)", f.read()).group(1))
    finally:
        subprocess.run(["sh", os.path.join(HERE, "nginx.sh"), "stop", work])
        shutil.rmtree(work, ignore_errors=True)

    def ratio(a, b):
        return "—" if a is None or b is None else "%.2f×" % (a / b)

    def each(values):
        return " / ".join(values)

    names = each(kinds)
    print("== wecom-media against curl%s, best of %d, interleaved"
          % (" (%s)" % curl if curl else " (not given: --curl PATH)", args.repeats))
    print("wecom-media builds: ours = %s%s%s" % (
        clis[0][1], "; static = glibc, static (--static-cli)" if "static" in kinds else "",
        "; musl = musl, static, the project's mbedTLS configuration (--musl-cli)"
        if "musl" in kinds else ""))
    print()
    print("| transfer | floor ms | CPU ms %s / curl | ours ×floor | curl ×floor "
          "| CPU against curl's: %s | wall ms ours / curl | handshakes full/resumed: %s |"
          % (names, names, names))
    print("|" + " --- |" * 8)
    for label, direction, floor, o, t in rows:
        print("| %s %s | %.1f | %s / %s | %s | %s | %s | %s / %s | %s |" % (
            label, direction, floor, each(fmt(o[k].cpu) for k in kinds), fmt(t.cpu),
            ratio(o["ours"].cpu, floor), ratio(t.cpu, floor),
            each(ratio(o[k].cpu, t.cpu) for k in kinds),
            fmt(o["ours"].wall), fmt(t.wall),
            each("%s/%s" % (fmt(o[k].full), fmt(o[k].resumed)) for k in kinds)))
    print()
    print("| transfer | heap peak ours / curl | heap at exit ours / curl "
          "| peak RSS KiB %s / curl | peak RSS against curl's: %s |" % (names, names))
    print("|" + " --- |" * 5)
    for label, direction, floor, o, t in rows:
        print("| %s %s | %s / %s | %s / %s | %s / %s | %s |" % (
            label, direction, kib(o["ours"].heap_peak), kib(t.heap_peak),
            kib(o["ours"].heap_exit), kib(t.heap_exit),
            each(fmt(o[k].rss) for k in kinds), fmt(t.rss),
            each(ratio(o[k].rss, t.rss) for k in kinds)))
    print("peak RSS of /bin/true through the same launcher: %d KiB" % true_rss)


if __name__ == "__main__":
    main()
