"""`switchyard-server`'s allocator settings (Sources/Tools/Server/MallocTunables.swift): the server
re-executes itself once at start with GLIBC_TUNABLES, so glibc makes at most one arena per core
(it makes up to eight per core by default, and memory freed into one arena serves only that
arena's threads: the billing-on soak's RSS growth, docs/frontdoor.md). The arenas are read from
/proc/PID/maps after load has run on many threads, independently of the server's own account."""
from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import openai

from frontdoor_fixtures import frontdoor  # noqa: F401  (fixture)

PROMPT = [{"role": "user", "content": "What is the capital of France?"}]
# glibc's HEAP_MAX_SIZE on 64-bit: each arena but the main one (which grows with brk) lives in
# heaps of this size, mapped at this alignment; the part in use is read-write, the rest reserved.
ARENA_HEAP = 64 << 20


def arena_heaps(pid: int) -> int:
    """Anonymous read-write mappings that start on a 64 MiB boundary and fit in 64 MiB: the heaps
    of glibc's non-main arenas (an arena that outgrows one heap adds another)."""
    count = 0
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        low, high = (int(x, 16) for x in fields[0].split("-"))
        if len(fields) == 5 and fields[1] == "rw-p" and low % ARENA_HEAP == 0 and high - low <= ARENA_HEAP:
            count += 1
    return count


def test_the_server_keeps_one_arena_per_core_under_load_on_many_threads(frontdoor):
    key = frontdoor.key("fd-chat")
    client = frontdoor.client(key)

    def chat(_) -> bool:
        try:
            answer = client.chat.completions.create(model="gpt-4o-mini", messages=PROMPT, max_tokens=16)
        except openai.InternalServerError as error:
            # A 503 from admission on loaded cores (the ledger's back-pressure) ran on the same threads.
            assert error.status_code == 503, error
            return False
        assert answer.choices[0].message.content
        return True

    # Billing on: every request reserves through the ledger's blocking threads and enqueues on the
    # journal, so allocations happen on the event loops, the cooperative pool and many pool threads.
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        served = sum(pool.map(chat, range(160)))
    assert served > 0
    pid = frontdoor.process.process.pid
    # The same process (the re-exec keeps the pid) serves, with at most `cores` arenas: the main one
    # and cores - 1 others; one more heap is allowed for an arena that outgrew its first. glibc's
    # default makes up to 8 per core: this server had 15 besides the main one after the same load.
    cores = os.cpu_count() or 1
    heaps = arena_heaps(pid)
    assert 0 <= heaps <= cores, f"{heaps} arena heaps with {cores} cores"
