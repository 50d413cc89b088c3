#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the Buildroot and Yocto recipes pass to the build exists in it.

  check_recipes.py TOP [FLAG...]

- every -DNAME a recipe (.mk, .bb) passes is an option or cache variable
  of the CMake build (or one CMake itself defines);
- every CONFIG_WECOM_X a recipe writes into the .config fragment is a
  Kconfig symbol, and the recipe's default equals Kconfig's;
- every option of the Buildroot Config.in under BR2_PACKAGE_WECOM_MEDIA is
  used by the .mk, and its help names the CMake option or Kconfig symbol
  it sets, which the .mk passes;
- each FLAG given (the flags test/packaging/check.sh builds with) is
  passed by both recipes;
- the Buildroot package's dependencies follow what the code calls: fork()
  needs BR2_USE_MMU (on the CLI option when only cli/ forks), getrandom()
  needs headers >= 3.17 and a glibc or musl toolchain, with a comment for
  the unmet case;
- llhttp is fetched as Buildroot's GitHub packages are (the github helper,
  the default tarball name) from a release/v tag, and its .hash names that
  tarball and every licence file;
- the mbedTLS option applies the overlay in packaging/mbedtls/ to
  Buildroot's mbedtls package, whichever config header (2.28 or 3.x) it has;
- the Yocto layer: wecom-media has a git SRC_URI at a commit (externalsrc
  only as a developer's override), EXTRA_OECMAKE +=, a ${PN} made even
  when empty; every recipe its SPDX line, HOMEPAGE and licence fields;
  llhttp the release tarball and sha256 of Buildroot's package, with
  DEFAULT_PREFERENCE -1 and a layer priority below meta-networking's;
  LAYERSERIES_COMPAT the series checked; the mbedTLS bbappend opt-in,
  with patches (Upstream-Status) instead of edits in a task; a README
  as yocto-check-layer wants it.
Exit status 1 and one line per problem otherwise.
"""
import glob
import os
import re
import sys

TOP = sys.argv[1]
FLAGS = sys.argv[2:]
PK = os.path.join(TOP, "packaging")
problems = []


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def strip_comments(text, mark="#"):
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(mark))


# -- what the build offers --------------------------------------------------
cmake_opts = set()
for path in glob.glob(os.path.join(TOP, "**", "CMakeLists.txt"), recursive=True):
    rel = os.path.relpath(path, TOP)
    if rel.startswith(("build", "packaging")):
        continue
    text = strip_comments(read(path))
    cmake_opts |= set(re.findall(r"\boption\(\s*([A-Za-z0-9_]+)", text))
    cmake_opts |= set(re.findall(r"\bset\(\s*([A-Za-z0-9_]+)\s[^)]*\bCACHE\b", text, re.S))
# Set by CMake or its modules, and passed by Buildroot's and Yocto's classes.
STANDARD = re.compile(r"^(CMAKE_[A-Z0-9_]+|BUILD_TESTING|BUILD_SHARED_LIBS)$")

kconfig = {}
ktext = read(os.path.join(TOP, "Kconfig"))
for m in re.finditer(r"^config\s+(WECOM_[A-Z0-9_]+)\n((?:[ \t]+.*\n|\n)*)", ktext, re.M):
    d = re.search(r"^\s+default\s+(.+)$", m.group(2), re.M)
    kconfig[m.group(1)] = d.group(1).strip() if d else None


def check_d(where, text):
    for name in sorted(set(re.findall(r"-D([A-Za-z0-9_]+)=", text))):
        if name not in cmake_opts and not STANDARD.match(name):
            problems.append("%s passes -D%s, which the CMake build does not define" % (where, name))


def check_config(where, text, defaults):
    names = set(re.findall(r"CONFIG_(WECOM_[A-Z0-9_]+)=", text))
    for name in sorted(names):
        if name not in kconfig:
            problems.append("%s sets CONFIG_%s, which Kconfig does not have" % (where, name))
        elif name in defaults and defaults[name] != kconfig[name]:
            problems.append("%s: default of %s is %s, Kconfig's is %s"
                            % (where, name, defaults[name], kconfig[name]))
    return names


# -- Buildroot ----------------------------------------------------------------
def check_mbedtls_option(opt, overlay, mk):
    """The option hooks the overlay into Buildroot's mbedtls package."""
    if not os.path.isfile(os.path.join(PK, "mbedtls", overlay)):
        problems.append("%s names packaging/mbedtls/%s, which does not exist" % (opt, overlay))
    block = re.search(r"^ifeq \(\$\(%s\),y\)\n(.*?)^endif" % opt, mk, re.M | re.S)
    if not block:
        problems.append("wecom-media.mk has no 'ifeq ($(%s),y)' block" % opt)
        return
    body = block.group(1)
    hook = re.search(r"^MBEDTLS_POST_PATCH_HOOKS \+= (\S+)", body, re.M)
    if not hook or not re.search(r"^define %s\n" % hook.group(1), body, re.M):
        problems.append("%s: no hook of its own on MBEDTLS_POST_PATCH_HOOKS" % opt)
    for need in (overlay, "wecom_mbedtls_gmtime.c", "include/mbedtls/mbedtls_config.h",
                 "include/mbedtls/config.h", 'MBEDTLS_USER_CONFIG_FILE "%s"' % overlay):
        if need not in body:
            problems.append("%s: its hook does not name %s (mbedTLS 2.28 has "
                            "config.h, 3.x mbedtls_config.h)" % (opt, need))


def config_entries(text):
    """{symbol: body} of each config entry of a Config.in."""
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^config\s+(\S+)\n((?:[ \t]+.*\n|\n)*)", text, re.M)}


def check_br_dependencies(cfg):
    entries = config_entries(cfg)
    pkg = entries.get("BR2_PACKAGE_WECOM_MEDIA", "")
    cli = entries.get("BR2_PACKAGE_WECOM_MEDIA_CLI", "")
    callers = {}
    for path in glob.glob(os.path.join(TOP, "*", "**", "*.c"), recursive=True):
        rel = os.path.relpath(path, TOP)
        if rel.startswith(("build", "test", "packaging", "fuzz", "bench")):
            continue
        code = read(path)
        for fn in ("fork", "getrandom"):
            if re.search(r"\b%s\s*\(" % fn, code):
                callers.setdefault(fn, set()).add(rel.split(os.sep)[0])
    forks = callers.get("fork", set())
    if forks - {"cli"} and "depends on BR2_USE_MMU" not in pkg:
        problems.append("%s call fork(): BR2_PACKAGE_WECOM_MEDIA needs 'depends on BR2_USE_MMU'"
                        % ", ".join(sorted(forks - {"cli"})))
    if "cli" in forks and "depends on BR2_USE_MMU" not in pkg + cli:
        problems.append("cli/ calls fork(): the CLI option (or the package) needs "
                        "'depends on BR2_USE_MMU'")
    if callers.get("getrandom"):
        libc = re.search(r"depends on BR2_TOOLCHAIN_USES_GLIBC \|\| BR2_TOOLCHAIN_USES_MUSL", pkg)
        if "depends on BR2_TOOLCHAIN_HEADERS_AT_LEAST_3_17" not in pkg or not libc:
            problems.append("getrandom() needs headers >= 3.17 and glibc >= 2.25 or musl >= 1.1.20: "
                            "BR2_PACKAGE_WECOM_MEDIA must depend on BR2_TOOLCHAIN_HEADERS_AT_LEAST_3_17 "
                            "and on BR2_TOOLCHAIN_USES_GLIBC || BR2_TOOLCHAIN_USES_MUSL")
        comment = re.search(r'^comment "wecom-media needs ([^"]*)"\n((?:[ \t]+.*\n)*)', cfg, re.M)
        if not comment or "glibc or musl" not in comment.group(1) or "3.17" not in comment.group(1) \
                or "!BR2_TOOLCHAIN_HEADERS_AT_LEAST_3_17" not in comment.group(2) \
                or "BR2_TOOLCHAIN_USES_MUSL" not in comment.group(2):
            problems.append("Config.in: no comment for a toolchain without headers >= 3.17 "
                            "or without glibc/musl")


def check_llhttp():
    d = os.path.join(PK, "buildroot", "package", "llhttp")
    lmk = strip_comments(read(os.path.join(d, "llhttp.mk")))
    version = re.search(r"^LLHTTP_VERSION = (\S+)", lmk, re.M)
    if not re.search(r"^LLHTTP_SITE = \$\(call github,nodejs,llhttp,release/v\$\(LLHTTP_VERSION\)\)$",
                     lmk, re.M):
        problems.append("llhttp.mk: LLHTTP_SITE is not $(call github,nodejs,llhttp,"
                        "release/v$(LLHTTP_VERSION)) (the release tags hold the generated C)")
    if re.search(r"^LLHTTP_SOURCE\b", lmk, re.M):
        problems.append("llhttp.mk sets LLHTTP_SOURCE: the github helper's default name is llhttp-VERSION.tar.gz")
    hashes = {}
    for line in strip_comments(read(os.path.join(d, "llhttp.hash"))).splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "sha256" and re.match(r"^[0-9a-f]{64}$", f[1]):
            hashes[f[2]] = f[1]
    if version and "llhttp-%s.tar.gz" % version.group(1) not in hashes:
        problems.append("llhttp.hash has no sha256 for llhttp-%s.tar.gz" % version.group(1))
    lic = re.search(r"^LLHTTP_LICENSE_FILES = (.*)$", lmk, re.M)
    for name in (lic.group(1).split() if lic else []):
        if name not in hashes:
            problems.append("llhttp.hash has no sha256 for the licence file %s" % name)


mk_path = os.path.join(PK, "buildroot", "package", "wecom-media", "wecom-media.mk")
cfg_path = os.path.join(PK, "buildroot", "package", "wecom-media", "Config.in")
mk = strip_comments(read(mk_path))
cfg = read(cfg_path)
check_d("wecom-media.mk", mk)

br_defaults, br_kconfig_of = {}, {}
for m in re.finditer(r"^config\s+(BR2_PACKAGE_WECOM_MEDIA_[A-Z0-9_]+)\n((?:[ \t]+.*\n|\n)*)", cfg, re.M):
    opt, body = m.group(1), m.group(2)
    if ("$(%s)" % opt) not in mk and ("$(call qstrip,$(%s))" % opt) not in mk:
        problems.append("Config.in option %s is not used by wecom-media.mk" % opt)
    cm = re.search(r"\(CMake option ([A-Z0-9_]+)\.\)", body)
    km = re.search(r"\(Kconfig ([A-Z0-9_]+)\.\)", body)
    om = re.search(r"\(mbedTLS overlay ([A-Za-z0-9_.]+)\.\)", body)
    if om:
        check_mbedtls_option(opt, om.group(1), mk)
    elif cm:
        if cm.group(1) not in cmake_opts:
            problems.append("%s maps to CMake option %s, which does not exist" % (opt, cm.group(1)))
        if "-D%s=" % cm.group(1) not in mk:
            problems.append("%s maps to -D%s, which wecom-media.mk does not pass" % (opt, cm.group(1)))
    elif km:
        sym = km.group(1)
        if "CONFIG_%s=" % sym not in mk:
            problems.append("%s maps to CONFIG_%s, which wecom-media.mk does not write" % (opt, sym))
        if not re.search(r"CONFIG_%s=[^\n]*\$\((call qstrip,\$\()?%s\)" % (sym, opt), mk):
            problems.append("wecom-media.mk does not write %s from %s" % (sym, opt))
        d = re.search(r"^\s+default\s+(.+)$", body, re.M)
        if d:
            br_defaults[sym] = d.group(1).strip()
        br_kconfig_of[opt] = sym
    else:
        problems.append("%s: its help names no '(CMake option X.)' or '(Kconfig X.)'" % opt)
check_config("wecom-media.mk / Config.in", mk, br_defaults)
check_br_dependencies(cfg)
check_llhttp()
for sel in re.findall(r"^\s+select\s+(BR2_PACKAGE_[A-Z0-9_]+)", cfg, re.M):
    print("buildroot selects %s" % sel)
print("buildroot options: %s" % ", ".join("%s -> %s" % kv for kv in sorted(br_kconfig_of.items())))

# -- Yocto --------------------------------------------------------------------
bbs = glob.glob(os.path.join(PK, "yocto", "recipes-*", "wecom-media", "wecom-media_*.bb"))
if len(bbs) != 1:
    problems.append("expected one wecom-media_<version>.bb, found %d" % len(bbs))
for bb_path in bbs:
    bb = strip_comments(read(bb_path))
    check_d(os.path.basename(bb_path), bb)
    yv = dict(re.findall(r"^(WECOM_[A-Z0-9_]+)\s*\?=\s*\"([^\"]*)\"", bb, re.M))
    # Switches from PACKAGECONFIG: on by default when PACKAGECONFIG ??= names them.
    pc = re.search(r'^PACKAGECONFIG\s*\?\?=\s*"([^"]*)"', bb, re.M)
    pc_default = pc.group(1).split() if pc else []
    for var, feat in re.findall(r"^(WECOM_[A-Z0-9_]+)\s*=\s*\"\$\{@bb\.utils\.contains\('PACKAGECONFIG', '([a-z0-9-]+)', 'y', 'n', d\)\}\"", bb, re.M):
        if "PACKAGECONFIG[%s]" % feat not in bb:
            problems.append("%s: %s follows PACKAGECONFIG %s, which is not declared" % (bb_path, var, feat))
        yv[var] = "y" if feat in pc_default else "n"
    ydefaults = {}
    for sym, var in re.findall(r"CONFIG_(WECOM_[A-Z0-9_]+)=\"?\$\{(WECOM_[A-Z0-9_]+)\}", bb):
        if var not in yv:
            problems.append("%s writes %s from ${%s}, which has no ?= default" % (bb_path, sym, var))
        else:
            v = yv[var]
            ydefaults[sym] = '"%s"' % v if (kconfig.get(sym) or "").startswith('"') else v
    check_config(os.path.basename(bb_path), bb, ydefaults)
    for need in ("inherit cmake pkgconfig", 'DEPENDS = "mbedtls llhttp jsmn"',
                 'PACKAGES =+ "${PN}-cli"', "LICENSE ="):
        if need not in bb:
            problems.append("%s lacks %r" % (os.path.basename(bb_path), need))
    for flag in FLAGS:
        if flag not in bb and not flag.startswith("-DCMAKE_"):
            problems.append("%s does not pass %s (check.sh builds with it)" % (bb_path, flag))
    # OE conventions: a real SRC_URI (externalsrc is the developer's
    # override, set in local.conf), appended cmake options, a home page,
    # and a ${PN} that exists when PACKAGECONFIG leaves it no file.
    if re.search(r"^inherit\b.*\bexternalsrc\b", bb, re.M) or "EXTERNALSRC" in bb:
        problems.append("%s builds through externalsrc instead of its SRC_URI" % os.path.basename(bb_path))
    if not re.search(r'^SRC_URI\s*=\s*"git://[^"]*;protocol=https;branch=', bb, re.M):
        problems.append("%s: SRC_URI is not a git URL with protocol and branch" % os.path.basename(bb_path))
    if not re.search(r'^SRCREV\s*=\s*"[0-9a-f]{40}"', bb, re.M):
        problems.append("%s: SRCREV is not a commit" % os.path.basename(bb_path))
    if re.search(r"^EXTRA_OECMAKE\s*=", bb, re.M):
        problems.append("%s sets EXTRA_OECMAKE = (drops what the class or a bbappend added; use +=)"
                        % os.path.basename(bb_path))
    if not re.search(r'^ALLOW_EMPTY:\$\{PN\}\s*=\s*"1"', bb, re.M):
        problems.append("%s: ${PN} is empty, and so not made, without PACKAGECONFIG shared"
                        % os.path.basename(bb_path))

# -- the Yocto layer: its recipes, llhttp, the layer's settings -----------------
Y = os.path.join(PK, "yocto")
for path in sorted(glob.glob(os.path.join(Y, "recipes-*", "*", "*.bb"))):
    rb = read(path)
    name = os.path.relpath(path, Y)
    if not rb.startswith("# SPDX-License-Identifier: MIT"):
        problems.append("%s does not start with its SPDX line" % name)
    for var in ("SUMMARY", "HOMEPAGE", "LICENSE", "LIC_FILES_CHKSUM", "SRC_URI"):
        if not re.search(r"^%s\s*=" % var, rb, re.M):
            problems.append("%s has no %s" % (name, var))
    if re.search(r"^\s*(sed -i|cat .*>>)", rb, re.M):
        problems.append("%s edits sources in a task (ship a patch)" % name)

# llhttp: the release tarball and licence file Buildroot's package names.
lh = glob.glob(os.path.join(Y, "recipes-support", "llhttp", "llhttp_*.bb"))
if len(lh) != 1:
    problems.append("expected one recipes-support/llhttp/llhttp_<version>.bb, found %d" % len(lh))
else:
    lb = strip_comments(read(lh[0]))
    pv = re.search(r"llhttp_([0-9.]+)\.bb$", lh[0]).group(1)
    brmk = read(os.path.join(PK, "buildroot", "package", "llhttp", "llhttp.mk"))
    brv = re.search(r"^LLHTTP_VERSION\s*=\s*(\S+)", brmk, re.M).group(1)
    brhash = read(os.path.join(PK, "buildroot", "package", "llhttp", "llhttp.hash"))
    tar = re.search(r"^sha256\s+([0-9a-f]{64})\s+llhttp-%s\.tar\.gz" % re.escape(brv), brhash, re.M)
    sha = re.search(r'^SRC_URI\[sha256sum\]\s*=\s*"([0-9a-f]{64})"', lb, re.M)
    if pv != brv:
        problems.append("llhttp recipe is %s, the Buildroot package %s" % (pv, brv))
    elif not sha or not tar or sha.group(1) != tar.group(1):
        problems.append("llhttp recipe's sha256 is not Buildroot's for llhttp-%s.tar.gz" % brv)
    if "archive/refs/tags/release/v${PV}.tar.gz" not in lb:
        problems.append("llhttp recipe does not fetch the release/v${PV} tarball")
    if not re.search(r'^LIC_FILES_CHKSUM\s*=\s*"file://LICENSE-MIT;md5=[0-9a-f]{32}"', lb, re.M):
        problems.append("llhttp recipe: LIC_FILES_CHKSUM is not the md5 of LICENSE-MIT")
    if not re.search(r'^DEFAULT_PREFERENCE\s*=\s*"-1"', lb, re.M):
        problems.append("llhttp recipe lacks DEFAULT_PREFERENCE = \"-1\" (meta-networking's must win)")

lc = read(os.path.join(Y, "conf", "layer.conf"))
compat = re.search(r'^LAYERSERIES_COMPAT_\S+\s*=\s*"([^"]*)"', lc, re.M)
if not compat or sorted(compat.group(1).split()) != ["kirkstone", "scarthgap"]:
    problems.append("layer.conf: LAYERSERIES_COMPAT is not the series checked (kirkstone scarthgap)")
prio = re.search(r'^BBFILE_PRIORITY_\S+\s*=\s*"(\d+)"', lc, re.M)
# meta-networking's is 5: where it has llhttp, its recipe must be taken.
if not prio or int(prio.group(1)) >= 5:
    problems.append("layer.conf: BBFILE_PRIORITY must be below meta-networking's 5")
if "networking-layer" not in lc:
    problems.append("layer.conf: LAYERDEPENDS lacks networking-layer (mbedtls)")
# The mbedTLS bbappend is opt-in: outside the recipes-* glob.
for path in glob.glob(os.path.join(Y, "recipes-*", "*", "mbedtls*.bbappend")):
    problems.append("%s applies to every image; it belongs in mbedtls-tuning/" % os.path.relpath(path, Y))
for path in glob.glob(os.path.join(Y, "mbedtls-tuning", "*.bbappend")):
    ab = strip_comments(read(path))
    if re.search(r"do_(configure|compile|patch)", ab) or re.search(r"\bsed -i\b", ab):
        problems.append("%s edits sources in a task (ship a patch)" % os.path.relpath(path, Y))
    for f in re.findall(r"file://([^;\s\"]+)", ab):
        f = f.replace("${WECOM_MBEDTLS_PATCHDIR}", "mbedtls-*")
        if not (glob.glob(os.path.join(Y, "mbedtls-tuning", f)) or
                glob.glob(os.path.join(PK, "mbedtls", f))):
            problems.append("%s: file://%s is in neither mbedtls-tuning/ nor packaging/mbedtls/"
                            % (os.path.relpath(path, Y), f))
for path in glob.glob(os.path.join(Y, "**", "*.patch"), recursive=True):
    if not re.search(r"^Upstream-Status: (Pending|Submitted|Accepted|Backport|Denied|Inappropriate|Inactive-Upstream)",
                     read(path), re.M):
        problems.append("%s has no Upstream-Status" % os.path.relpath(path, Y))
# What yocto-check-layer asks of a layer's README.
readme = os.path.join(Y, "README.md")
rtext = read(readme) if os.path.exists(readme) else ""
if not rtext or "maintainer" not in rtext.lower() or "patch" not in rtext.lower() \
        or not re.match(r"[^@]+@[^@]+", rtext):
    problems.append("packaging/yocto/README.md missing, or without maintainer, patch and an email address")

for flag in FLAGS:
    if flag not in mk and not flag.startswith("-DCMAKE_"):
        problems.append("wecom-media.mk does not pass %s (check.sh builds with it)" % flag)

for p in problems:
    print("PROBLEM: " + p)
print("recipes checked: %d problem(s); %d CMake options, %d Kconfig symbols known"
      % (len(problems), len(cmake_opts), len(kconfig)))
sys.exit(1 if problems else 0)
