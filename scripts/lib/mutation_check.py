"""Mutation check (decisions.md, "Tests at the boundaries"): one-line mutations of money, retry,
NMS and budget code, each of which the tests must catch.

For each mutation: copy the working tree to a scratch tree (.build/mutation/tree, never the
working tree itself), apply the mutation there, rebuild incrementally, run only the affected
test target, and expect it to fail. Each mutation finds its line by a short regular expression
that must match exactly once; after a refactor that moves or rewrites the line, the check fails
loudly ("not found") instead of passing silently, and the entry below is updated.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRATCH = REPO / ".build" / "mutation"
TREE = SCRATCH / "tree"


@dataclass
class Mutation:
    id: str
    what: str
    file: str
    pattern: str  # regular expression; must match exactly once
    replacement: str  # re.sub replacement (may use groups)
    tests: str  # `swift test --filter` of the affected tests


MUTATIONS = [
    # Money
    Mutation("money.half-up", "ties round half up instead of half to even",
             "Sources/Libraries/SwitchyardBilling/ExactAmount.swift",
             r"if twice > d \|\| \(twice == d && q & 1 != 0\) \{ return q",
             "if twice >= d { return q", "SwitchyardBillingTests"),
    Mutation("money.cache-read-price", "cache reads billed at the full input price",
             "Sources/Libraries/SwitchyardBilling/CostCalculator.swift",
             r"rate: rate\.cachedInputPerMillionTokens \?\? rate\.inputPerMillionTokens, quantity: cached",
             "rate: rate.inputPerMillionTokens, quantity: cached", "SwitchyardBillingTests"),
    Mutation("money.cache-write-price", "cache writes billed at the plain input price",
             "Sources/Libraries/SwitchyardBilling/CostCalculator.swift",
             r"rate: rate\.cacheWritePerMillionTokens \?\? rate\.inputPerMillionTokens, quantity: written",
             "rate: rate.inputPerMillionTokens, quantity: written", "SwitchyardBillingTests"),
    Mutation("money.gb-second-unit", "GB-seconds from MB × ms divided by 1,000,000 (1 GB = 1000 MB)",
             "Sources/Libraries/SwitchyardBilling/CostCalculator.swift",
             r"gbSecondFromMBms = ExactSum\.Scale\(divisor: 1_024_000,",
             "gbSecondFromMBms = ExactSum.Scale(divisor: 1_000_000,", "SwitchyardBillingTests"),
    Mutation("money.express-round-down", "Express duration and memory rounded down, not up, to their increments",
             "Sources/Libraries/SwitchyardBilling/CostCalculator.swift",
             r"\(quotient \+ 1\)\.multipliedReportingOverflow\(by: increment\)",
             "quotient.multipliedReportingOverflow(by: increment)", "SwitchyardBillingTests"),
    Mutation("money.anthropic-cache-reads", "Anthropic input tokens without cache reads",
             "Sources/Libraries/SwitchyardProviders/Anthropic/AnthropicCodec.swift",
             r"TokenCount\.sum\(input, read, write, field: \"input_tokens \(with cache\)\"",
             'TokenCount.sum(input, write, field: "input_tokens (with cache)"', "SwitchyardProvidersTests"),
    # Retry
    Mutation("retry.retry-after-ignored", "retry-after not honoured (the backoff alone decides)",
             "Sources/Libraries/SwitchyardProviders/Calling/RetryPolicy.swift",
             r"delay = max\(delay, retryAfter\)", "_ = retryAfter", "SwitchyardProvidersTests"),
    Mutation("retry.max-attempts", "one attempt more than maxAttemptsPerModel",
             "Sources/Libraries/SwitchyardProviders/Calling/RetryPolicy.swift",
             r"failedAttempts < maxAttemptsPerModel", "failedAttempts <= maxAttemptsPerModel",
             "SwitchyardProvidersTests"),
    # NMS
    Mutation("nms.iou-at-threshold", "a box whose IoU equals the threshold is suppressed (>= instead of >)",
             "Sources/Libraries/SwitchyardVision/YOLO/NonMaxSuppression.swift",
             r"overlap\(box, other\) > iouThreshold", "overlap(box, other) >= iouThreshold",
             "SwitchyardVisionTests"),
    # Budget
    Mutation("budget.spend-equals-budget", "a tenant whose spend equals its budget is still routed (< instead of <=)",
             "Sources/Libraries/SwitchyardRouting/Routing/Router.swift",
             r"remaining <= (0|\.zero) \{", r"remaining < \1 {", "SwitchyardRoutingTests"),
]


def sync_tree() -> None:
    """Mirrors the working tree (tracked and untracked, not ignored files) into the scratch tree."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    files = {f for f in files if f and (REPO / f).is_file() and not (REPO / f).is_symlink()}
    TREE.mkdir(parents=True, exist_ok=True)
    # Copy what changed (content differs), keeping mtimes, so unchanged files are not rebuilt.
    for name in files:
        source, target = REPO / name, TREE / name
        if target.exists() and target.stat().st_size == source.stat().st_size \
                and target.read_bytes() == source.read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    # Remove files the working tree no longer has (outside the scratch tree's own build state).
    for path in TREE.rglob("*"):
        relative = path.relative_to(TREE).as_posix()
        if relative.split("/")[0] in (".build", ".venv") or not path.is_file():
            continue
        if relative not in files and relative != "Package.resolved":
            path.unlink()
    # The scratch tree's own package state starts from the working tree's (no network needed).
    build = TREE / ".build"
    build.mkdir(exist_ok=True)
    for part in ("checkouts", "repositories", "workspace-state.json"):
        source, target = REPO / ".build" / part, build / part
        if source.exists() and not target.exists():
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
    for name in ("Package.resolved",):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, TREE / name)
    venv = TREE / ".venv"
    if not venv.exists() and (REPO / ".venv").exists():
        venv.symlink_to((REPO / ".venv").resolve())


def run(cmd: list[str], timeout: float) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=TREE, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout + done.stderr, time.monotonic() - started
    except subprocess.TimeoutExpired as expired:
        out = (expired.stdout or b"").decode(errors="replace") if isinstance(expired.stdout, bytes) else ""
        return 124, out, time.monotonic() - started


def build() -> tuple[bool, str, float]:
    code, out, seconds = run(["swift", "build", "--build-tests"], timeout=3600)
    return code == 0, out, seconds


def tests(filter_: str) -> tuple[bool, str, float]:
    code, out, seconds = run(["swift", "test", "--skip-build", "--filter", filter_], timeout=1800)
    return code == 0, out, seconds


def locate(mutation: Mutation) -> tuple[str, str]:
    """The file's text and its mutated text; raises when the line is missing or ambiguous."""
    path = TREE / mutation.file
    if not path.exists():
        raise LookupError(f"{mutation.file} does not exist (moved?)")
    text = path.read_text()
    found = len(re.findall(mutation.pattern, text))
    if found != 1:
        raise LookupError(f"pattern matches {found} times in {mutation.file}, 1 wanted: /{mutation.pattern}/")
    return text, re.sub(mutation.pattern, mutation.replacement, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated mutation ids (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    chosen = MUTATIONS
    if args.only:
        wanted = set(args.only.split(","))
        chosen = [m for m in MUTATIONS if m.id in wanted]
        unknown = wanted - {m.id for m in chosen}
        if unknown:
            print(f"mutation-check: unknown ids {sorted(unknown)}", file=sys.stderr)
            return 2
    if args.list:
        for m in MUTATIONS:
            print(f"{m.id:28} {m.file}: {m.what}")
        return 0

    sync_tree()
    print(f"mutation-check: scratch tree {TREE.relative_to(REPO)}; baseline build", file=sys.stderr, flush=True)
    ok, out, seconds = build()
    if not ok:
        print(out[-4000:], file=sys.stderr)
        print("mutation-check: the unmutated tree does not build", file=sys.stderr)
        return 1
    baseline_failures = []
    for filter_ in sorted({m.tests for m in chosen}):
        ok, out, _ = tests(filter_)
        if not ok:
            baseline_failures.append(filter_)
            print(out[-3000:], file=sys.stderr)
    if baseline_failures:
        print(f"mutation-check: tests fail without any mutation: {baseline_failures}", file=sys.stderr)
        return 1

    rows, status = [], 0
    for m in chosen:
        try:
            original, mutated = locate(m)
        except LookupError as error:
            rows.append((m, "NOT FOUND", 0.0, str(error)))
            status = 1
            continue
        path = TREE / m.file
        path.write_text(mutated)
        try:
            print(f"mutation-check: {m.id}", file=sys.stderr, flush=True)
            built, out, build_seconds = build()
            if not built:
                rows.append((m, "NO BUILD", build_seconds, "the mutated tree does not compile: fix the entry"))
                status = 1
                continue
            passed, out, test_seconds = tests(m.tests)
            if passed:
                rows.append((m, "SURVIVED", build_seconds + test_seconds, f"{m.tests} passed"))
                status = 1
            else:
                failing = sorted(set(re.findall(r"error: (\w+\.test\w+)", out)))[:3]
                rows.append((m, "killed", build_seconds + test_seconds, ", ".join(failing) or "tests failed"))
        finally:
            path.write_text(original)

    print(f"\n{'mutation':28} {'result':10} {'seconds':>8}  detail")
    for m, result, seconds, detail in rows:
        print(f"{m.id:28} {result:10} {seconds:8.0f}  {detail}")
    survived = [m.id for m, result, _, _ in rows if result != "killed"]
    print(f"\n{len(rows) - len(survived)} of {len(rows)} mutations killed" +
          (f"; not killed: {', '.join(survived)}" if survived else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
