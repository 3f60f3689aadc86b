#!/usr/bin/env python3
"""Writes a bootstrap's init order file: the functions its init ran, for lld's --symbol-ordering-file.

Input: a callgrind profile of one cold start to the first GET /next taken with --dump-instr=yes
(scripts/init-order takes them) and the unstripped binary the profiled
bootstrap was stripped from (the build IDs must match: the addresses are that link's). Every executed
instruction address is mapped to the symbol that contains it; the symbols are written in address order.
Linked in that order, the code init runs sits in a few contiguous pages instead of being spread over the
whole text, so fault-around and read-ahead map far less of it (docs/packaging.md, seventh pass).

  init_order.py PROFILE UNSTRIPPED-BINARY STRIPPED-BOOTSTRAP OUT
"""
from __future__ import annotations

import bisect
import re
import subprocess
import sys


def build_id(path: str) -> str:
    notes = subprocess.run(["readelf", "-n", path], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Build ID: ([0-9a-f]+)", notes)
    if not found:
        raise SystemExit(f"{path}: no build ID")
    return found.group(1)


def executed_addresses(profile: str, object_path: str) -> set[int]:
    """Instruction addresses callgrind counted in `object_path` (its compressed position syntax)."""
    names: dict[str, str] = {}
    current = ""
    last = 0
    addresses: set[int] = set()
    with open(profile) as f:
        if not any(line.startswith("positions: instr") for line in f):
            raise SystemExit(f"{profile}: not taken with --dump-instr=yes")
    for line in open(profile):
        if line.startswith(("ob=", "cob=")):
            m = re.match(r"c?ob=\((\d+)\)\s*(.*)", line)
            if not m:
                continue
            if m.group(2).strip():
                names[m.group(1)] = m.group(2).strip()
            if line.startswith("ob="):
                current = names.get(m.group(1), "")
            continue
        token = line.split(maxsplit=1)[0] if line.strip() else ""
        if not token or not (token[0].isdigit() or token[0] in "+-*"):
            continue
        if token.startswith("0x"):
            address = int(token, 16)
        elif token[0] == "+":
            address = last + int(token[1:] or 0)
        elif token[0] == "-":
            address = last - int(token[1:] or 0)
        elif token == "*":
            address = last
        else:
            address = int(token)
        last = address
        if current == object_path:
            addresses.add(address)
    return addresses


def main() -> None:
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    profile, unstripped, stripped, out = sys.argv[1:]
    if build_id(unstripped) != build_id(stripped):
        raise SystemExit(f"{unstripped} is not the link {stripped} was stripped from (build IDs differ)")
    addresses = executed_addresses(profile, stripped)
    if not addresses:
        raise SystemExit(f"{profile}: nothing ran in {stripped}")
    symbols = []
    nm = subprocess.run(["nm", "-S", "--defined-only", unstripped], capture_output=True, text=True, check=True)
    for line in nm.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            symbols.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    symbols.sort()
    starts = [s[0] for s in symbols]
    ran: dict[int, str] = {}
    outside = 0
    for address in addresses:
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < symbols[i][0] + max(symbols[i][1], 1):
            ran[symbols[i][0]] = symbols[i][2]
        else:
            outside += 1  # PLT stubs and the like: no symbol to order
    with open(out, "w") as f:
        for start in sorted(ran):
            f.write(ran[start] + "\n")
    size = sum(s[1] for s in symbols if s[0] in ran)
    print(f"{out}: {len(ran)} functions, {size / 1024:.0f} KB; {len(addresses)} instructions ran, "
          f"{outside} outside any symbol")


if __name__ == "__main__":
    main()
