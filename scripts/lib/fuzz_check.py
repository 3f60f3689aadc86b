"""Checks that a libFuzzer binary built by scripts/fuzz is coverage-guided for our Swift code.

    python3 scripts/lib/fuzz_check.py BIN_DIR PRODUCT MODULE SYMBOL CORPUS

Two checks, both must pass (exit 1 and a reason otherwise):
1. Objects: every object of our own Swift modules linked into PRODUCT (its Objects.LinkFileList,
   files under Sources' build folders, not dependencies) that defines code carries SanitizerCoverage
   counters (`__sancov_cntrs` sections) and AddressSanitizer checks (`__asan_*` references).
   swift-driver keeps only the last `-sanitize=` option of a compile job, and SwiftPM emits one per
   sanitizer in an unordered set's order, so `--sanitize=fuzzer --sanitize=address` gave each module
   either coverage or ASan, at random per build; this check catches that and any flag that drops one.
2. Binary: running PRODUCT once over CORPUS (`-runs=0 -print_coverage=1`) reports covered functions
   of MODULE whose mangled name contains SYMBOL (e.g. `10JSONParser`): the linked binary counts
   edges in the parser the harness is for.
Prints one line: the module, instrumented objects, counters loaded, and covered parser functions.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def sections(obj: Path) -> set[str]:
    out = subprocess.run(["readelf", "-S", "-W", str(obj)], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"\]\s+(\S+)\s+(?:PROGBITS|NOBITS)", out))


def symbols(obj: Path) -> tuple[bool, bool]:
    """(defines code, references ASan checks)."""
    out = subprocess.run(["nm", str(obj)], capture_output=True, text=True, check=True).stdout
    # Functions the sanitizers add themselves (asan.module_ctor, sancov.module_ctor_…) do not count.
    defines_code = any(re.match(r"^[0-9a-f]+ [Tt] (?!asan\.|sancov\.)", line) for line in out.splitlines())
    asan = any(line.split()[-1].startswith("__asan_") for line in out.splitlines() if line.strip())
    return defines_code, asan


def main() -> int:
    bin_dir, product, module, symbol, corpus = sys.argv[1:6]
    bin_path = Path(bin_dir)
    link_list = bin_path / f"{product}.product" / "Objects.LinkFileList"
    objects = [Path(line.strip()) for line in link_list.read_text().splitlines() if line.strip()]
    ours = [o for o in objects if o.parent.name.removesuffix(".build").startswith(("Switchyard", "Fuzz"))]
    if not any(o.parent.name == f"{module}.build" for o in ours):
        print(f"fuzz-check: {product} links no object of {module}", file=sys.stderr)
        return 1
    missing: list[str] = []
    instrumented = 0
    for obj in ours:
        defines_code, asan = symbols(obj)
        if not defines_code:
            continue
        coverage = "__sancov_cntrs" in sections(obj)
        if coverage and asan:
            instrumented += 1
        else:
            lacks = " and ".join(name for name, ok in (("coverage", coverage), ("ASan", asan)) if not ok)
            missing.append(f"{obj.parent.name}/{obj.name} (no {lacks})")
    if missing:
        print(f"fuzz-check: {product}: {len(missing)} object(s) not instrumented: " + ", ".join(missing[:8]),
              file=sys.stderr)
        return 1

    run = subprocess.run([str(bin_path / product), "-runs=0", "-print_coverage=1", corpus],
                         capture_output=True, text=True, timeout=300,
                         env={"SWIFT_BACKTRACE": "enable=no", "ASAN_OPTIONS": "detect_leaks=0",
                              "PATH": "/usr/bin:/bin"})
    log = run.stdout + run.stderr
    loaded = re.search(r"Loaded \d+ modules\s+\((\d+) inline 8-bit counters\)", log)
    covered = [line for line in log.splitlines()
               if line.startswith("COVERED_FUNC:") and symbol in line and module in line]
    if run.returncode != 0 or not loaded or not covered:
        reason = f"exit {run.returncode}" if run.returncode != 0 else \
            "no coverage counters loaded" if not loaded else f"no covered function of {module} ({symbol})"
        print(f"fuzz-check: {product} is not coverage-guided for {module}: {reason}", file=sys.stderr)
        print("\n".join(log.splitlines()[:12]), file=sys.stderr)
        return 1
    print(f"{product}: {instrumented} Swift objects with coverage and ASan; {loaded.group(1)} counters; "
          f"{len(covered)} {module} {symbol} functions covered by the seed corpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
