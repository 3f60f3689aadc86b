"""Lists, and with --kill stops, processes still running that carry a run's marker in their
environment: everything a test run started inherits SWITCHYARD_RUN_MARK, so whatever still has it
when the run ends was left behind (a server a fixture did not stop, a child of one, a daemon that
detached into its own session). Such a process can hold CI's output pipe open and stall the run
after every test passed, so scripts/test stops them by pid and names them.

    python3 leaked_processes.py MARK [--kill]    prints one line per leaked process; exit 0
"""
from __future__ import annotations

import os
import signal
import sys
import time


def ancestors() -> set[int]:
    """This process and its parents: they carry the marker too and are not leaks."""
    found, pid = set(), os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                # The command name may hold spaces and parentheses: the fields follow the last ')'.
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def marked(mark: str) -> list[tuple[int, str]]:
    needle = f"SWITCHYARD_RUN_MARK={mark}".encode()
    skip, result = ancestors(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        result.append((int(entry), command[:200]))
    return result


def main() -> int:
    if len(sys.argv) < 2 or not sys.argv[1]:
        print(__doc__, file=sys.stderr)
        return 2
    mark, kill = sys.argv[1], "--kill" in sys.argv[2:]
    leaks = marked(mark)
    for pid, command in leaks:
        print(f"leaked process {pid}: {command}")
    if kill and leaks:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid, _ in leaks:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(2)
            leaks = marked(mark)
            if not leaks:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
