#!/usr/bin/env python3
"""make bench's table: wecom-media and curl doing the same requests.

    test/bench/table.py BUILD_DIR [--curl PATH] [--static-cli PATH] [--repeats N]

For 200 KB, 1 MB and 20 MB uploads and downloads, against nginx on
loopback (test/bench/nginx.sh), each from a new process as a script on a
device runs it: the CPU (user + system) and wall time of wecom-media and
of curl, the floor under the same bytes (test/bench/tcp_floor: the
cheaper AEAD plus a plain TCP transfer and the file I/O), heap peak and
heap at exit (test/bench/heap_preload.c), peak RSS (test/bench/maxrss.c,
also of a statically linked wecom-media when --static-cli gives one), and
the TLS handshakes wecom-media made, full and resumed (its -v line).

The runs are interleaved (floor, wecom-media, curl, floor, ...) and the
best of N is kept for each: the machine is shared and noisy, so only the
ratios within one run mean much. The curl compared is the one an
integrator would otherwise ship: built with the same mbedTLS (see
test/bench/build_curl.sh); without --curl (or $WECOM_BENCH_CURL) its
columns are left empty.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [("200 KB", "m200k", 200 * 1000), ("1 MB", "m1m", 1000 * 1000),
         ("20 MB", "m20m", 20 * 1000 * 1000)]
TOKEN = "benchtoken"


MAXRSS = None  # the launcher that measures peak RSS, set in main()


def run_measured(argv, env, heap_out):
    """Run argv; returns (rc, cpu_ms, wall_ms, maxrss_kib, heap dict, stderr)."""
    if os.path.exists(heap_out):
        os.unlink(heap_out)
    env = dict(env, WECOM_HEAP_OUT=heap_out)
    argv = [MAXRSS, heap_out] + argv
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = (time.monotonic() - t0) * 1e3
    p.returncode = os.waitstatus_to_exitcode(status)
    heap = {}
    if os.path.exists(heap_out):
        with open(heap_out) as f:
            for k, v in re.findall(r"(\w+)=(\d+)", f.read()):
                heap[k] = int(v)
    # the launcher's own CPU is a fork and a wait: noise next to a TLS run
    cpu = (ru.ru_utime + ru.ru_stime) * 1e3
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
        if heap:
            self.heap_peak = max(self.heap_peak or 0, heap.get("heap_peak", 0))
            self.heap_exit = max(self.heap_exit or 0, heap.get("heap_exit", 0))
        if full is not None:
            self.full, self.resumed = full, resumed


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--curl", default=os.environ.get("WECOM_BENCH_CURL", ""))
    ap.add_argument("--static-cli", default=os.environ.get("WECOM_BENCH_STATIC_CLI", ""))
    ap.add_argument("--repeats", type=int, default=int(os.environ.get("REPEATS", "7")))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    cli = os.path.join(build, "cli", "wecom-media")
    global MAXRSS
    MAXRSS = os.path.join(build, "test", "bench", "maxrss")
    static_cli = args.static_cli if args.static_cli and os.access(args.static_cli, os.X_OK) else None
    preload = os.path.join(build, "test", "bench", "libwecom_heap_preload.so")
    curl = args.curl if args.curl and os.access(args.curl, os.X_OK) else None
    work = tempfile.mkdtemp(prefix="wecom-table.")
    os.chmod(work, 0o755)
    for _, name, size in SIZES:
        with open(os.path.join(work, name), "wb") as f:
            f.write(os.urandom(size))
    port = subprocess.run(["sh", os.path.join(HERE, "nginx.sh"), "start", work],
                          check=True, capture_output=True, text=True).stdout.strip()
    url = "https://localhost:%s" % port
    ca = os.path.join(work, "cert.pem")
    cache = os.path.join(work, "cache")
    os.mkdir(cache, 0o700)
    env = dict(os.environ, LD_PRELOAD=preload, WECOM_ACCESS_TOKEN=TOKEN,
               XDG_CACHE_HOME=cache, LC_ALL="C")
    env.pop("HTTPS_PROXY", None)
    env.pop("https_proxy", None)
    heap_out = os.path.join(work, "heap.txt")
    out = os.path.join(work, "out")
    rows = []
    try:
        for label, name, _ in SIZES:
            path = os.path.join(work, name)
            for direction in ("upload", "download"):
                floor, ours, theirs, static = None, Best(), Best(), Best()
                for _ in range(args.repeats):
                    f = floor_ms(build, "up" if direction == "upload" else "down",
                                 path, out if direction == "download" else None)
                    floor = f if floor is None else min(floor, f)
                    if direction == "upload":
                        argv = [cli, "--base-url", url, "--cacert", ca, "-v",
                                "upload", "--type", "file", path]
                    else:
                        if os.path.exists(out):
                            os.unlink(out)
                        argv = [cli, "--base-url", url, "--cacert", ca, "-v",
                                "download", name, "-o", out]
                    rc, cpu, wall, rss, heap, err = run_measured(argv, env, heap_out)
                    if rc != 0:
                        sys.exit("wecom-media failed (%d): %s" % (rc, err))
                    ours.add(cpu, wall, rss, heap, *handshakes(err))
                    if static_cli:
                        rc, cpu, wall, rss, heap, err = run_measured(
                            [static_cli] + argv[1:], env, heap_out)
                        if rc != 0:
                            sys.exit("static wecom-media failed (%d): %s" % (rc, err))
                        static.add(cpu, wall, rss, None)
                    if curl:
                        if direction == "upload":
                            cargv = [curl, "-sS", "--cacert", ca, "-o", "/dev/null",
                                     "-F", "media=@%s;filename=m.bin" % path,
                                     "%s/cgi-bin/media/upload?access_token=%s&type=file"
                                     % (url, TOKEN)]
                        else:
                            if os.path.exists(out):
                                os.unlink(out)
                            cargv = [curl, "-sS", "--cacert", ca, "-o", out,
                                     "%s/cgi-bin/media/get?access_token=%s&media_id=%s"
                                     % (url, TOKEN, name)]
                        rc, cpu, wall, rss, heap, err = run_measured(cargv, env, heap_out)
                        if rc != 0:
                            sys.exit("curl failed (%d): %s" % (rc, err))
                        theirs.add(cpu, wall, rss, heap)
                rows.append((label, direction, floor, ours, theirs, static))
        base = os.path.join(work, "true.txt")
        subprocess.run([MAXRSS, base, "/bin/true"], check=True)
        with open(base) as f:
            true_rss = int(re.search(r"rss_peak_kib=(\d+)", f.read()).group(1))
    finally:
        subprocess.run(["sh", os.path.join(HERE, "nginx.sh"), "stop", work])
        shutil.rmtree(work, ignore_errors=True)

    def ratio(a, b):
        return "—" if a is None or b is None else "%.2f×" % (a / b)

    print("== wecom-media against curl%s, best of %d, interleaved"
          % (" (%s)" % curl if curl else " (not given: --curl PATH)", args.repeats))
    print("| transfer | floor ms | wecom-media CPU ms | ×floor | curl CPU ms | ×floor "
          "| CPU ours/curl | wall ms ours / curl | heap peak ours / curl "
          "| heap at exit ours / curl | peak RSS ours / static / curl "
          "| handshakes full / resumed |")
    print("|" + " --- |" * 12)
    for label, direction, floor, o, t, st in rows:
        print("| %s %s | %.1f | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s "
              "| %s / %s / %s | %s / %s |" % (
                  label, direction, floor, fmt(o.cpu), ratio(o.cpu, floor),
                  fmt(t.cpu), ratio(t.cpu, floor), ratio(o.cpu, t.cpu),
                  fmt(o.wall), fmt(t.wall), kib(o.heap_peak), kib(t.heap_peak),
                  kib(o.heap_exit), kib(t.heap_exit),
                  fmt(o.rss, " KiB"), fmt(st.rss, " KiB"), fmt(t.rss, " KiB"),
                  fmt(o.full), fmt(o.resumed)))
    print("peak RSS of /bin/true through the same launcher: %d KiB" % true_rss)


if __name__ == "__main__":
    main()
