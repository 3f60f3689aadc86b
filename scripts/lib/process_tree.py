"""Prints the stacks of, and with --kill stops, a process and everything below it.

A step that stalls (no output for minutes) or runs out of time is a hang: before it is killed,
the stack of every thread of every process it started says where. SwiftPM starts the XCTest
bundle in its own process group, so a group kill misses it: the tree is walked by parent pid.

    python3 process_tree.py PID [--stacks FILE] [--kill]
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys


def children_by_parent() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                # The command name may hold spaces and parentheses: the fields follow the last ')'.
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(parent, []).append(int(entry))
    return tree


def descendants(root: int) -> list[int]:
    tree, found, stack = children_by_parent(), [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(tree.get(pid, []))
    return found


def command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return "?"


def stacks(pids: list[int], out) -> None:
    gdb = shutil.which("gdb")
    for pid in pids:
        out.write(f"==== pid {pid}: {command(pid)}\n")
        out.flush()
        if gdb is None:
            out.write("(gdb is not installed: no stacks)\n")
            continue
        try:
            subprocess.run(
                [gdb, "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off", "-ex", "thread apply all bt 40"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=90, check=False)
        except subprocess.TimeoutExpired:
            out.write("(gdb did not finish within 90 s)\n")
        out.flush()


def main() -> int:
    args = sys.argv[1:]
    if not args or not args[0].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    root = int(args[0])
    pids = [pid for pid in descendants(root) if pid != os.getpid()]
    if "--stacks" in args:
        path = args[args.index("--stacks") + 1]
        with open(path, "w") as out:
            stacks(pids, out)
    if "--kill" in args:
        for pid in reversed(pids):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
