#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run every libFuzzer target of a WECOM_FUZZ build for a long time and
summarise executions, speed and coverage per target.

    python3 test/fuzz/long.py BUILD_DIR SECONDS [JOBS]     (make fuzz-long)

The targets and their arguments (corpus folder, seeds, limits) are the
ctest `fuzz` tests' own, so a new wecom_fuzzer() needs nothing here. JOBS
targets run at a time (default: the number of CPUs). Each one's log is
BUILD_DIR/fuzz-long/NAME.log, a crashing input BUILD_DIR/fuzz-long/NAME-crash-*;
the table goes to the terminal and BUILD_DIR/fuzz-long.txt. Exit status 1
when any target failed."""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

DONE = re.compile(r"^#(\d+)\s+(?:DONE|pulse|NEW|REDUCE|INITED)\s+cov: (\d+) ft: (\d+)"
                  r"(?: corp: (\d+)/(\S+))?")
STAT = re.compile(r"^stat::(\w+):\s+(\d+)")


def fuzz_tests(build):
    out = subprocess.run(["ctest", "--show-only=json-v1", "-L", "fuzz"], cwd=build,
                         check=True, capture_output=True, text=True).stdout
    for t in json.loads(out)["tests"]:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        if "command" not in t:
            sys.exit("%s is not built: build %s first" % (t["name"], build))
        yield t["name"], t["command"], props.get("WORKING_DIRECTORY", build)


def run(build, seconds, name, command, cwd):
    logdir = os.path.join(build, "fuzz-long")
    log = os.path.join(logdir, name + ".log")
    # later flags win in libFuzzer: these override the smoke run's
    cmd = command + ["-max_total_time=%d" % seconds, "-print_final_stats=1",
                     "-artifact_prefix=" + os.path.join(logdir, name + "-")]
    start = time.monotonic()
    with open(log, "w") as f:
        try:
            rc = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                timeout=2 * seconds + 120).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    took = time.monotonic() - start
    r = {"name": name, "rc": rc, "seconds": took, "execs": None, "exec_s": None,
         "cov": None, "ft": None, "corpus": None}
    with open(log, errors="replace") as f:
        for line in f:
            m = DONE.match(line)
            if m:
                r["cov"], r["ft"] = int(m.group(2)), int(m.group(3))
                if m.group(4):
                    r["corpus"] = "%s/%s" % (m.group(4), m.group(5))
                r["last_n"] = int(m.group(1))
            m = STAT.match(line)
            if m and m.group(1) == "number_of_executed_units":
                r["execs"] = int(m.group(2))
            elif m and m.group(1) == "average_exec_per_sec":
                r["exec_s"] = int(m.group(2))
    if r["execs"] is None:
        r["execs"] = r.get("last_n")
    return r


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    seconds = int(sys.argv[2])
    jobs = int(sys.argv[3]) if len(sys.argv) > 3 else (os.cpu_count() or 2)
    os.makedirs(os.path.join(build, "fuzz-long"), exist_ok=True)
    tests = list(fuzz_tests(build))
    if not tests:
        sys.exit("no fuzz tests in %s: configure it with -DWECOM_FUZZ=ON" % build)
    print("fuzzing %d targets for %d s each, %d at a time" % (len(tests), seconds, jobs),
          flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run, build, seconds, *t) for t in tests]
        results = []
        for f in concurrent.futures.as_completed(futures):
            r = f.result()
            print("  %-16s %s" % (r["name"], "ok" if r["rc"] == 0 else "FAILED (%s)" % r["rc"]),
                  flush=True)
            results.append(r)
    results.sort(key=lambda r: r["name"])

    def cell(v):
        return "-" if v is None else str(v)

    rows = [("target", "seconds", "executions", "exec/s", "cov", "ft", "corpus", "result")]
    for r in results:
        rows.append((r["name"], "%.0f" % r["seconds"], cell(r["execs"]), cell(r["exec_s"]),
                     cell(r["cov"]), cell(r["ft"]), cell(r["corpus"]),
                     "ok" if r["rc"] == 0 else "FAILED: see fuzz-long/%s.log" % r["name"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["libFuzzer, %d s per target, %s (cov: edges covered, ft: features;"
             " from the last status line)" % (seconds, time.strftime("%Y-%m-%d %H:%M UTC",
                                                                      time.gmtime()))]
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if j == 0 or j == len(row) - 1 else c.rjust(w)
                               for j, (c, w) in enumerate(zip(row, widths))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(build, "fuzz-long.txt"), "w") as f:
        f.write(text)
    print()
    print(text, end="")
    print("(table: %s)" % os.path.join(build, "fuzz-long.txt"))
    sys.exit(0 if all(r["rc"] == 0 for r in results) else 1)


if __name__ == "__main__":
    main()
