#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare what `cmake --install` put into a DESTDIR with what the recipes
package from it.

  manifest.py STAGE BUILD_DIR RECIPE.bb shared|static cli|nocli OUT

- the staged files are exactly those in BUILD_DIR/install_manifest.txt;
- each staged file falls into a Yocto package by the recipe's FILES and
  OE's defaults (first match in PACKAGES order, as do_package does): a file
  in none would be "installed but not shipped", an error in OE;
- ${PN}-cli holds the tool and only it; ${PN} (what an image takes for the
  library) holds the shared library and nothing to build with;
- Buildroot's target tree (all staged files minus what its target-finalize
  step removes: headers, pkg-config and CMake files, static libraries);
and writes the manifest (file, package, Buildroot target or staging only)
to OUT. Exit 1 and one line per problem otherwise.
"""
import fnmatch
import os
import re
import sys

stage, build, bb_path, link, cli, out = sys.argv[1:7]
problems = []

staged = set()
for root, dirs, files in os.walk(stage):
    for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
        staged.add("/" + os.path.relpath(os.path.join(root, name), stage))
with open(os.path.join(build, "install_manifest.txt"), encoding="utf-8") as f:
    declared = {line.strip()[len(stage):] if line.startswith(stage) else line.strip()
                for line in f if line.strip()}
for p in sorted(staged - declared):
    problems.append("staged but not in install_manifest.txt: " + p)
for p in sorted(declared - staged):
    problems.append("in install_manifest.txt but not staged: " + p)

# OE's defaults (meta/conf/bitbake.conf), for prefix /usr.
V = {"bindir": "/usr/bin", "sbindir": "/usr/sbin", "libdir": "/usr/lib",
     "includedir": "/usr/include", "datadir": "/usr/share", "sysconfdir": "/etc",
     "libexecdir": "/usr/libexec", "base_libdir": "/lib", "PN": "wecom-media",
     "BPN": "wecom-media", "SOLIBS": ".so.*", "SOLIBSDEV": ".so"}
FILES = {
    "${PN}": "${bindir}/* ${sbindir}/* ${libexecdir}/* ${libdir}/lib*${SOLIBS} "
             "${sysconfdir} ${datadir}/${BPN} ${libdir}/${BPN}/*",
    "${PN}-dev": "${includedir} ${libdir}/lib*${SOLIBSDEV} ${libdir}/*.la ${libdir}/*.o "
                 "${libdir}/pkgconfig ${datadir}/pkgconfig ${datadir}/aclocal "
                 "${libdir}/cmake ${datadir}/cmake",
    "${PN}-staticdev": "${libdir}/*.a ${base_libdir}/*.a ${libdir}/${BPN}/*.a",
    "${PN}-doc": "${datadir}/doc ${datadir}/man",
}
ORDER = ["${PN}-staticdev", "${PN}-dev", "${PN}-doc", "${PN}"]

with open(bb_path, encoding="utf-8") as f:
    bb = f.read()
m = re.search(r'^PACKAGES\s*=\+\s*"([^"]*)"', bb, re.M)
ORDER = (m.group(1).split() if m else []) + ORDER
for pkg, op, val in re.findall(r'^FILES:(\S+)\s*(\+?=)\s*"([^"]*)"', bb, re.M):
    FILES[pkg] = (FILES.get(pkg, "") + " " + val) if op == "+=" else val


def expand(s):
    return re.sub(r"\$\{([A-Za-z_]+)\}", lambda mm: V.get(mm.group(1), mm.group(0)), s)


def package_of(path):
    for pkg in ORDER:
        for pat in expand(FILES.get(pkg, "")).split():
            if fnmatch.fnmatchcase(path, pat) or path.startswith(pat.rstrip("/") + "/"):
                return expand(pkg)
    return None


BR_DROPPED = ("/usr/include/", "/usr/lib/pkgconfig/", "/usr/share/pkgconfig/",
              "/usr/lib/cmake/", "/usr/share/cmake/", "/usr/share/aclocal/")
rows = []
by_pkg = {}
for path in sorted(staged):
    pkg = package_of(path)
    if pkg is None:
        problems.append("installed but not shipped by any package: " + path)
    by_pkg.setdefault(pkg, []).append(path)
    target = not (path.startswith(BR_DROPPED) or path.endswith((".a", ".la")))
    rows.append("%-58s %-22s %s" % (path, pkg, "target" if target else "staging"))

tool = "/usr/bin/wecom-media"
if cli == "cli":
    if by_pkg.get("wecom-media-cli") != [tool]:
        problems.append("wecom-media-cli should hold %s alone, holds %s" % (tool, by_pkg.get("wecom-media-cli")))
elif tool in staged:
    problems.append("the tool is installed though the CLI is off")
lib = by_pkg.get("wecom-media", [])
if any(p.startswith("/usr/include/") or p.endswith(".a") for p in lib):
    problems.append("the runtime package holds build material: %s" % lib)
sos = [p for p in lib if re.search(r"/libwecom-media\.so\.\d", p)]
if link == "shared" and not sos:
    problems.append("no shared library in the runtime package")
if link == "static" and (sos or any(".so" in p for p in staged)):
    problems.append("a static build installed a shared library")
if "/usr/lib/libwecom-media.a" not in by_pkg.get("wecom-media-staticdev", []):
    problems.append("no static library in wecom-media-staticdev")
dev = by_pkg.get("wecom-media-dev", [])
for need in ("/usr/include/wecom/media.h", "/usr/lib/pkgconfig/wecom-media.pc"):
    if need not in dev:
        problems.append("wecom-media-dev lacks " + need)

with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(rows) + "\n")
for p in problems:
    print("PROBLEM: " + p)
print("%d files staged, %d for the Buildroot target; packages: %s; %d problem(s)" % (
    len(staged), sum(r.endswith("target") for r in rows),
    ", ".join("%s %d" % (k, len(v)) for k, v in sorted(by_pkg.items(), key=lambda kv: str(kv[0]))),
    len(problems)))
sys.exit(1 if problems else 0)
