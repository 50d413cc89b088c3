#!/bin/sh
# SPDX-License-Identifier: MIT
# The CPU of a 200 KB upload from a new wecom-media process, with a full
# handshake (--no-session-cache) and with the previous run's TLS session
# resumed, against nginx on loopback. Runs alternate, best of REPEATS of
# each (default 30): the machine is shared and noisy. Each run's -v line
# says whether it resumed; the counts are printed too.
#
#   test/bench/session_cpu.sh BUILD_DIR
set -eu

BUILD=$(cd "${1:-build}" && pwd)
REPEATS=${REPEATS:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-session-cpu.XXXXXX")
cleanup() {
    sh "$HERE/nginx.sh" stop "$WORK"
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

head -c 204800 /dev/urandom > "$WORK/m200k.bin"
PORT=$(sh "$HERE/nginx.sh" start "$WORK")
# What a device verifies against: the system bundle, the run's CA in it.
BUNDLE=/etc/ssl/certs/ca-certificates.crt
[ -r "$BUNDLE" ] && cat "$BUNDLE" > "$WORK/bundle.pem"
cat "$WORK/cert.pem" >> "$WORK/bundle.pem"

python3 - "$BUILD/cli/wecom-media" "https://localhost:$PORT" "$WORK" "$REPEATS" <<'PY'
import os, subprocess, sys
cli, url, work, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WECOM_ACCESS_TOKEN": "bench-token",
       "WECOM_CACHE_DIR": os.path.join(work, "cache")}
base = [cli, "-v", "--base-url", url]

def run(ca, *extra):
    """CPU ms (user + system) of one upload in a new process, and its -v
    verdict."""
    p = subprocess.Popen(base + ["--cacert", ca] + list(extra) + ["upload", os.path.join(work, "m200k.bin")],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("upload failed (%d): %s" % (p.returncode, err.decode(errors="replace")))
    return (ru.ru_utime + ru.ru_stime) * 1e3, b"TLS session resumed" in err

for name, ca in (("one root", os.path.join(work, "cert.pem")),
                 ("system bundle", os.path.join(work, "bundle.pem"))):
    full, resumed, counts = [], [], {"full": 0, "resumed": 0}
    run(ca)  # leaves a session for the first resumed run
    for _ in range(repeats):
        ms, was = run(ca, "--no-session-cache")
        full.append(ms)
        counts["resumed" if was else "full"] += 1
        ms, was = run(ca)
        resumed.append(ms)
        counts["resumed" if was else "full"] += 1
    print("200 KB upload, new process, CA: %s, best of %d interleaved:" % (name, repeats))
    print("  full handshake: %.2f ms CPU (median %.2f)" % (min(full), sorted(full)[len(full) // 2]))
    print("  resumed:        %.2f ms CPU (median %.2f)" % (min(resumed), sorted(resumed)[len(resumed) // 2]))
    print("  resumed / full: %.2f" % (min(resumed) / min(full)))
    print("  handshakes: %d full, %d resumed (expected %d and %d)" % (
        counts["full"], counts["resumed"], repeats, repeats))
PY
