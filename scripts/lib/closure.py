"""What a packaged bootstrap loads, checked against Amazon Linux 2023's base libraries.

A zip passes when every shared object its bootstrap needs (ldd, with LD_LIBRARY_PATH set to the zip's
lib/ as Lambda sets it) is either in that lib/ or named in al2023-base-sonames.txt, and when no ELF file
in it needs a glibc symbol version newer than GLIBC_MAX (Amazon Linux 2023 ships glibc 2.34).

    python3 scripts/lib/closure.py <unzipped-dir>     prints the report as JSON; exit 1 if it fails
"""

import json
import os
import re
import subprocess
import sys

# SWITCHYARD_PACKAGE_GLIBC_MAX (e.g. 99) only for a debug build, whose Swift runtime needs a newer glibc.
GLIBC_MAX = tuple(int(p) for p in os.environ.get("SWITCHYARD_PACKAGE_GLIBC_MAX", "2.34").split("."))
HERE = os.path.dirname(os.path.abspath(__file__))


def base_sonames():
    with open(os.path.join(HERE, "al2023-base-sonames.txt")) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def ldd(binary, libdir):
    """(soname, resolved path or None) for every shared object the dynamic loader would map."""
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": libdir}
    out = subprocess.run(["ldd", binary], env=env, capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"^(\S+) => (not found|(\S+) \(0x[0-9a-f]+\))$", line)
        if m:
            found.append((m.group(1), m.group(3)))
            continue
        m = re.match(r"^(\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            found.append((os.path.basename(m.group(1)), m.group(1)))
    return found


def glibc_versions(path):
    out = subprocess.run(["objdump", "-T", path], capture_output=True, text=True).stdout
    return {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9]+(?:\.[0-9]+)+)", out)}


def check(stage):
    """The closure report for an unzipped function directory holding bootstrap and lib/."""
    stage = os.path.abspath(stage)
    libdir = os.path.join(stage, "lib")
    base = base_sonames()
    bootstrap = os.path.join(stage, "bootstrap")
    loaded = ldd(bootstrap, libdir)
    problems = []
    for soname, path in loaded:
        if path is None:
            problems.append(f"{soname} not found")
        elif not path.startswith(libdir + "/") and soname not in base:
            problems.append(f"{soname} comes from {path}, outside the zip's lib/ and not in AL2023's base")
    bundled = sorted(os.listdir(libdir)) if os.path.isdir(libdir) else []
    # A bundled library opened at run time (vision's libonnxruntime.so, dlopen'd at init) is not in the
    # bootstrap's ldd; what it needs must be in lib/ or the base all the same.
    for name in bundled:
        for soname, path in ldd(os.path.join(libdir, name), libdir):
            if path is None:
                problems.append(f"{soname} (needed by lib/{name}) not found")
            elif not path.startswith(libdir + "/") and soname not in base:
                problems.append(f"{soname} (needed by lib/{name}) comes from {path}, outside lib/ and AL2023's base")
    versions = set()
    for path in [bootstrap] + [os.path.join(libdir, name) for name in bundled]:
        versions |= glibc_versions(path)
    newest = max(versions) if versions else None
    if newest and newest > GLIBC_MAX:
        problems.append(f"needs GLIBC_{'.'.join(map(str, newest))}, newer than {'.'.join(map(str, GLIBC_MAX))}")
    return {
        "loaded": [soname for soname, _ in loaded],
        "bundled": bundled,
        "glibc_max": "GLIBC_" + ".".join(map(str, newest)) if newest else "-",
        "problems": problems,
    }


if __name__ == "__main__":
    report = check(sys.argv[1])
    print(json.dumps(report))
    sys.exit(1 if report["problems"] else 0)
