"""scripts/package builds the front door's two zips, ingress.zip and authorizer.zip, that the template
deploys: each holds `bootstrap` and a lib/ closing its shared libraries (everything but Amazon Linux 2023's
base libraries), the bootstrap starts with only that lib/, and the ingress carries the bundle it routes with.
Packaged from the debug build here (SWITCHYARD_PACKAGE_BIN), so CI needs no release build; the glibc ≤ 2.34
check applies to the release build only (the debug build links the toolchain's Swift runtime, built for a
newer glibc), which `scripts/package` runs by default.
"""
from __future__ import annotations

import os
import re
import subprocess
import zipfile

from emulator_fixtures import bin_dir
from servers import REPO

BASE = re.compile(r"^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libutil|libresolv|libgcc_s|"
                  r"libstdc\+\+)\.so")


def test_ingress_and_authorizer_zips(tmp_path):
    dist = tmp_path / "dist"
    out = subprocess.run([REPO / "scripts" / "package", "ingress", "authorizer"], cwd=REPO, capture_output=True,
                         text=True, timeout=600,
                         env={**os.environ, "SWITCHYARD_PACKAGE_BIN": str(bin_dir()), "SWITCHYARD_DIST": str(dist),
                              # The debug build's Swift runtime is the toolchain's (glibc 2.35+); only the
                              # release build (scripts/package's default) is held to Amazon Linux's 2.34.
                              "SWITCHYARD_PACKAGE_GLIBC_MAX": "99"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"^ingress\s", out.stdout, re.M) and re.search(r"^authorizer\s", out.stdout, re.M), out.stdout
    for name in ("ingress", "authorizer"):
        archive = dist / f"{name}.zip"
        assert archive.exists()
        root = tmp_path / name
        with zipfile.ZipFile(archive) as z:
            names = set(z.namelist())
            z.extractall(root)
        assert "bootstrap" in names
        (root / "bootstrap").chmod(0o755)
        # Every library the bootstrap needs resolves to the zip's own lib/ or to a base library.
        ldd = subprocess.run(["ldd", root / "bootstrap"], capture_output=True, text=True, timeout=30,
                             env={"LD_LIBRARY_PATH": str(root / "lib"), "PATH": os.environ["PATH"]})
        assert "not found" not in ldd.stdout, ldd.stdout
        for line in ldd.stdout.splitlines():
            parts = line.split()
            if "=>" in parts and parts[parts.index("=>") + 1].startswith("/"):
                soname, path = parts[0], parts[parts.index("=>") + 1]
                assert BASE.match(soname) or path.startswith(str(root / "lib")), line
        # It starts with only its lib/: outside Lambda it stops on its missing Runtime API, not on the loader.
        started = subprocess.run([root / "bootstrap"], capture_output=True, text=True, timeout=30, cwd=root,
                                 env={"LD_LIBRARY_PATH": str(root / "lib"), "PATH": "/usr/bin:/bin"})
        assert "error while loading shared libraries" not in started.stderr, started.stderr
        assert "AWS_LAMBDA_RUNTIME_API" in started.stderr + started.stdout, started.stderr[-500:]
    with zipfile.ZipFile(dist / "ingress.zip") as z:
        assert {"policy.json", "catalog.json", "rates.json"} <= set(z.namelist())
