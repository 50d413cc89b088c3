# SPDX-License-Identifier: MIT
"""Static stack figures of the library and the tool, from GCC's call graphs.

    python3 stack_usage.py BUILD_DIR [ROOT ...]

BUILD_DIR must be configured with CMAKE_C_FLAGS=-fcallgraph-info=su (GCC
10 or later): each object then has a .ci file giving every function's frame
and its calls. Prints the largest frames of core/, outbox/, port/ and
cli/, and for each ROOT (default: wecom_media_upload, wecom_media_download and
wecom__tls_connect, which the HTTP layer reaches by a pointer) the deepest
call path through our own code, summing frames. A call through a function
pointer (the port, the reader and writer, progress) or into mbedTLS, llhttp
or libc ends the path there, named: those frames come on top, which is
what the painted-stack run (stack_check.sh) measures as a whole.
"""

import glob
import os
import re
import sys

NODE = re.compile(r'^node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
SIZE = re.compile(r"\\n(\d+) bytes \(([a-z,]+)\)")


def load(build):
    frames, kinds, calls, where = {}, {}, {}, {}
    for ci in glob.glob(os.path.join(build, "**", "*.ci"), recursive=True):
        for line in open(ci, errors="replace"):
            m = NODE.match(line)
            if m:
                title, label = m.groups()
                s = SIZE.search(label)
                if s:
                    frames[title] = int(s.group(1))
                    kinds[title] = s.group(2)
                    parts = label.split("\\n")
                    where[title] = parts[1] if len(parts) > 1 else ""
                continue
            m = EDGE.match(line)
            if m:
                calls.setdefault(m.group(1), set()).add(m.group(2))
    return frames, kinds, calls, where


def deepest(root, frames, calls, memo, active):
    """(bytes, path) of the deepest path from root through known frames."""
    if root in memo:
        return memo[root]
    if root not in frames or root in active:
        return 0, [root]
    active.add(root)
    best = (0, [])
    for callee in calls.get(root, ()):
        b, p = deepest(callee, frames, calls, memo, active)
        if b > best[0] or not best[1]:
            best = (b, p)
    active.discard(root)
    memo[root] = (frames[root] + best[0], [root] + best[1])
    return memo[root]


def deepest_to(root, want, frames, calls, memo, active):
    """(bytes, path) of our frames on the deepest path from root to a call
    of an outside function that want() accepts, or None."""
    key = root
    if key in memo:
        return memo[key]
    if root not in frames:
        return (0, [root]) if want(root) else None
    if root in active:
        return None
    active.add(root)
    best = None
    for callee in calls.get(root, ()):
        r = deepest_to(callee, want, frames, calls, memo, active)
        if r is not None and (best is None or r[0] > best[0]):
            best = r
    active.discard(root)
    memo[key] = None if best is None else (frames[root] + best[0], [root] + best[1])
    return memo[key]


def show(path, frames):
    return " > ".join("%s %d" % (short(p), frames[p]) if p in frames else
                      "[%s]" % ("a function pointer" if p == "__indirect_call" else short(p))
                      for p in path)


def short(title):
    return title.split(":")[-1]


def ours(where):
    return any(p in where for p in ("/core/", "/outbox/", "/port/", "/cli/"))


def main():
    build = sys.argv[1]
    roots = sys.argv[2:] or ["wecom_media_upload", "wecom_media_download", "wecom__tls_connect"]
    frames, kinds, calls, where = load(build)
    if not frames:
        print("no .ci files under %s: configure it with -DCMAKE_C_FLAGS=-fcallgraph-info=su" % build)
        return 1
    print("largest frames of core/, outbox/, port/ and cli/ (-fstack-usage):")
    mine = sorted((t for t in frames if ours(where[t])), key=lambda t: -frames[t])
    for t in mine[:12]:
        print("  %6d  %-32s %s (%s)" % (frames[t], short(t), where[t].replace(os.getcwd() + "/", ""),
                                        kinds[t]))
    memo = {}
    outside = (("mbedTLS", lambda n: n.startswith("mbedtls_")),
               ("libc's resolver", lambda n: n in ("getaddrinfo", "getnameinfo")))
    for root in roots:
        total, path = deepest(root, frames, calls, memo, set())
        print("deepest path from %s through our code: %d bytes" % (root, total))
        print("  " + show(path, frames))
        for what, want in outside:
            r = deepest_to(root, want, frames, calls, {}, set())
            if r is not None:
                print("  ours on the way into %s: %d bytes" % (what, r[0]))
                print("    " + show(r[1], frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
