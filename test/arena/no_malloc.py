# SPDX-License-Identifier: MIT
"""Every malloc the wecom-media tool makes during an upload and a download.

    python3 no_malloc.py BUILD_DIR [MIB]

Runs BUILD_DIR's tool (built against an mbedTLS on a static arena, see
make test-arena) against the emulator serving an RSA-2048 chain, under
BUILD_DIR's malloc_trace LD_PRELOAD library: an upload of MIB MiB, then the
download of what came back. Each call stack that allocated is named by the
innermost function of the tool (its own code, llhttp, or mbedTLS linked in)
and the libc function it called. Prints one line per site and the total.

Exit status 1 when the tool's code (cli/, core/, outbox/, port/, llhttp,
mbedTLS linked in) calls the allocator itself (mbedTLS does when the arena is not
in use), or when the transfer failed; what glibc allocates on behalf of a
libc function the tool calls (fopen's buffer, the resolver, stdio) is
listed with that function, not failed.
"""

import os
import secrets
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def start_emulator(workdir, token):
    state = os.path.join(workdir, "emu")
    log = open(os.path.join(workdir, "emu.out"), "w")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "rsa_emulator.py"),
                             "--state-dir", state, "--token", token],
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        if os.path.exists(os.path.join(state, "port")):
            with open(os.path.join(state, "url")) as f:
                return proc, f.read().strip(), os.path.join(state, "ca.pem")
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the emulator did not start: see " + log.name)


def read_sites(path):
    """[(count, [frame lines])] from a malloc_trace file."""
    sites, total, stacks = [], 0, []
    with open(path) as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("calls="):
            total += int(line.split()[0][6:])
            for field in line.split()[1:]:
                if field.startswith("stack_used="):
                    stacks.append(int(field[11:]))
            i += 1
        elif line.endswith(" {"):  # count {, one frame a line, }
            count = int(line.split()[0])
            j = lines.index("}", i)
            sites.append((count, lines[i + 1:j]))
            i = j + 1
        else:
            i += 1
    return total, sites, stacks


def symbolize(binary, offsets):
    """Function and file:line of each offset in binary, by addr2line."""
    if not offsets:
        return {}
    out = subprocess.run(["addr2line", "-f", "-C", "-e", binary] + offsets,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return {off: (out[2 * k], out[2 * k + 1]) for k, off in enumerate(offsets)}


def owner(source):
    """Whose code a source file is."""
    for part, name in (("/core/", "core"), ("/outbox/", "outbox"), ("/port/", "port"),
                       ("/cli/", "cli"),
                       ("llhttp", "llhttp"), ("mbedtls", "mbedTLS")):
        if part in source:
            return name
    return "?"


def is_tool(module):
    """The tool itself or the library it links (mbedTLS and llhttp inside)."""
    base = os.path.basename(module)
    return base == "wecom-media" or base.startswith("libwecom-media.so")


def classify(sites):
    """[(count, innermost tool function, its owner, libc entry)]"""
    parsed, wanted = [], {}
    for count, frames in sites:
        fs = []
        for line in frames:
            mod, off, sym = line.split(" ", 2)
            fs.append((mod, off, sym))
            if is_tool(mod):
                # A return address points past the call: look one byte back.
                wanted.setdefault(mod, set()).add("0x%x" % (int(off, 16) - 1))
        parsed.append((count, fs))
    table = {mod: symbolize(mod, sorted(offs)) for mod, offs in wanted.items()}
    rows = []
    for count, fs in parsed:
        libc_entry, tool = "", None
        for k, (mod, off, sym) in enumerate(fs):
            if is_tool(mod):
                tool = table[mod]["0x%x" % (int(off, 16) - 1)]
                if k > 0 and not libc_entry:
                    libc_entry = "libc internals"
                break
            if sym != "-":
                libc_entry = sym
        if tool is None:
            rows.append((count, "(before main, or in the loader)", "libc", libc_entry))
        else:
            fn, src = tool
            rows.append((count, "%s (%s)" % (fn, os.path.basename(src.split(" ")[0])),
                         owner(src), libc_entry or "(a direct call)"))
    return rows


def main():
    build = os.path.abspath(sys.argv[1])
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    cli = os.path.join(build, "cli", "wecom-media")
    preload = os.path.join(build, "test", "arena", "libwecom_malloc_trace.so")
    token = "arena-" + secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="wecom-nomalloc.") as work:
        proc, url, ca = start_emulator(work, token)
        try:
            media = os.path.join(work, "m.bin")
            with open(media, "wb") as f:
                f.write(os.urandom(mib * 1048576))
            trace = os.path.join(work, "trace.txt")
            env = {"PATH": "/usr/bin:/bin", "WECOM_ACCESS_TOKEN": token,
                   "LD_PRELOAD": preload, "WECOM_MALLOC_TRACE": trace}
            base = [cli, "--base-url", url, "--cacert", ca]
            up = subprocess.run(base + ["upload", media], env=env, capture_output=True,
                                text=True, timeout=300)
            if up.returncode != 0:
                print("upload failed:", up.stderr.strip())
                return 1
            media_id = up.stdout.strip()
            back = os.path.join(work, "back.bin")
            down = subprocess.run(base + ["download", media_id, "-o", back], env=env,
                                  capture_output=True, text=True, timeout=300)
            if down.returncode != 0:
                print("download failed:", down.stderr.strip())
                return 1
            with open(media, "rb") as a, open(back, "rb") as b:
                if a.read() != b.read():
                    print("the downloaded bytes differ from the uploaded ones")
                    return 1
            total, sites, stacks = read_sites(trace)
        finally:
            proc.terminate()
            proc.wait()
    rows = classify(sites)
    print("malloc calls of `wecom-media upload` + `download` of %d MiB: %d" % (mib, total))
    merged = {}
    for count, where, who, entry in rows:
        key = (where, who, entry)
        merged[key] = merged.get(key, 0) + count
    bad = 0
    for (where, who, entry), count in sorted(merged.items(), key=lambda kv: (kv[0][1], -kv[1])):
        mark = ""
        if entry == "(a direct call)":
            mark = "  <- not allowed"
            bad += count
        print("%6d  %-8s %-45s via %s%s" % (count, who, where, entry, mark))
    print("direct calls from the tool's own code, llhttp or mbedTLS: %d" % bad)
    print("the tool's stack high-water mark (painted), upload and download: %s bytes"
          % " and ".join(map(str, stacks)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
