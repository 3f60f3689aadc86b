"""What idle kept-alive connections cost switchyard-server (scripts/bench-frontdoor-idle).

For each server binary, in turn and ROUNDS times interleaved: the server (billing off, the bench's
bundle and key, client timeout 60 s so nothing is closed for idleness) against nginx answering at
once; WARMUP requests on one connection, then CONNECTIONS connections each send one chat request
(answer checked) and stay open. RSS is read before, right after the last answer, and SETTLE
seconds later (past the worker linger), with the frees counted by scripts/lib/malloc_count.c
preloaded into the server (the slabs a finished worker task gives back); then the connections close.
"""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_frontdoor import BODY, REPO, Proc, nginx, stage_server  # noqa: E402
from profile_frontdoor import post  # noqa: E402

sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from servers import free_port, wait_http  # noqa: E402


def measure(server_bin: Path, work: Path, up: int, connections: int, settle: float) -> dict:
    subprocess.run(["rm", "-rf", str(work / "server")], check=True, timeout=60)
    (work / "server").mkdir()
    common, key = stage_server(work / "server", up, server_bin)
    port = free_port()
    env = {**common, "SWITCHYARD_PORT": str(port), "SWITCHYARD_BILLING": "off",
           "SWITCHYARD_CLIENT_TIMEOUT_MS": "60000", "SWITCHYARD_USAGE_QUEUE_DIR": str(work / "server" / "queue")}
    counts = work / "server" / "malloc-count.txt"
    env |= {"LD_PRELOAD": str(work / "malloc_count.so"), "MALLOC_COUNT_FILE": str(counts)}

    def frees() -> int:
        time.sleep(0.1)  # the counter's next write
        return int(counts.read_text().split()[1])

    server = Proc([server_bin], env=env, log=work / "server" / "server.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/health", 60)
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(int(os.environ.get("WARMUP", "200"))):
            post(warm, key)
        warm.close()
        time.sleep(settle)
        before = server.rss_mib()
        held = []
        for _ in range(connections):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            post(connection, key)
            held.append(connection)
        right_after, frees_after = server.rss_mib(), frees()
        time.sleep(settle)
        idle, frees_idle = server.rss_mib(), frees()
        for connection in held:
            connection.close()
        return {"server": str(server_bin), "connections": connections, "rss_before_mib": round(before, 1),
                "rss_right_after_mib": round(right_after, 1), f"rss_after_{settle:g}s_mib": round(idle, 1),
                "kib_per_idle_connection": round(1024 * (idle - before) / connections, 1),
                "frees_per_connection_while_idle": round((frees_idle - frees_after) / connections, 1),
                "load": round(os.getloadavg()[0], 2)}
    finally:
        server.stop()


def main() -> int:
    binaries = [Path(b) for b in sys.argv[1:]]
    connections = int(os.environ.get("CONNECTIONS", "400"))
    settle = float(os.environ.get("SETTLE", "3"))
    work = REPO / ".build" / "idle-frontdoor"
    subprocess.run(["rm", "-rf", str(work)], check=True, timeout=60)
    work.mkdir(parents=True)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(work / "malloc_count.so"),
                    str(REPO / "scripts" / "lib" / "malloc_count.c"), "-lpthread"], check=True, timeout=120)
    up, proxy = free_port(), free_port()
    upstream = nginx(work, up, proxy)
    try:
        wait_http(f"http://127.0.0.1:{up}/", 20)
        for _ in range(int(os.environ.get("ROUNDS", "2"))):
            for server_bin in binaries:
                print(json.dumps(measure(server_bin, work, up, connections, settle)), flush=True)
        return 0
    finally:
        upstream.stop()


if __name__ == "__main__":
    sys.exit(main())
