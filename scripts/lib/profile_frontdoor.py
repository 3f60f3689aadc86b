"""Where one request's CPU goes in switchyard-server (scripts/bench-frontdoor-profile).

Runs the server (billing off, the bench's bundle and key) against nginx answering at once; after
WARMUP requests, sends REQUESTS requests one at a time on one keep-alive connection (each answer
checked, as the bench checks it) once per tool in TOOLS:
- `allocs` (first, always, unless ALLOCS=0): malloc-family calls and bytes per request, counted by
  scripts/lib/malloc_count.c preloaded into the server, and the server's CPU ms per request. The
  counts do not depend on the machine's load, unlike latency. (Callgrind cannot run this server:
  valgrind 3.19 stops at swiftc's DWARF 5, and without debug info its core faults in
  libdispatch's signal thread; this VM exposes no instruction counter to `perf stat`.)
- `perf-stat`, `strace`, `strace-tt`, `perf-sched`, `perf-record`: attached to the running server.
"""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import signal
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_frontdoor import BODY, REPO, Proc, nginx, stage_server  # noqa: E402

sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from servers import free_port, wait_http  # noqa: E402


def post(connection: http.client.HTTPConnection, key: str) -> None:
    connection.request("POST", "/v1/chat/completions", body=BODY, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    answer = connection.getresponse()
    body = answer.read().decode()
    if answer.status != 200 or "Paris is the capital." not in body:
        raise RuntimeError(f"answered {answer.status}: {body[:300]}")


def count_allocations(connection: http.client.HTTPConnection, key: str, server: Proc, requests: int,
                      counts: Path) -> dict:
    """Allocations (malloc, calloc, realloc, aligned) and bytes asked for per request, page faults
    (the heap grown and trimmed again) and CPU ms per request, over `requests` requests; the
    preloaded counter rewrites `counts` every 20 ms."""
    def read() -> list[int]:
        time.sleep(0.1)  # the counter's next write
        return [int(x) for x in counts.read_text().split()]

    def minor_faults() -> int:
        return int(open(f"/proc/{server.p.pid}/stat").read().rsplit(")", 1)[1].split()[7])

    before, cpu, faults = read(), server.cpu_seconds(), minor_faults()
    for _ in range(requests):
        post(connection, key)
    cpu, faults = server.cpu_seconds() - cpu, minor_faults() - faults
    after = read()
    return {"requests": requests, "allocs_per_request": round((after[0] - before[0]) / requests, 1),
            "frees_per_request": round((after[1] - before[1]) / requests, 1),
            "bytes_per_request": round((after[2] - before[2]) / requests),
            "minor_faults_per_request": round(faults / requests, 2),
            "cpu_ms_per_request": round(1000 * cpu / requests, 3), "load": round(os.getloadavg()[0], 2)}


def main() -> int:
    server_bin = Path(sys.argv[1])
    warmup, requests = int(os.environ.get("WARMUP", "200")), int(os.environ.get("REQUESTS", "500"))
    work = REPO / ".build" / "profile-frontdoor"
    subprocess.run(["rm", "-rf", str(work)], check=True, timeout=60)
    work.mkdir(parents=True)
    procs: list[Proc] = []
    try:
        up, proxy = free_port(), free_port()
        procs.append(nginx(work, up, proxy))
        wait_http(f"http://127.0.0.1:{up}/", 20)
        common, key = stage_server(work, up, server_bin)
        port = free_port()
        env = {**common, "SWITCHYARD_PORT": str(port), "SWITCHYARD_BILLING": "off",
               "SWITCHYARD_USAGE_QUEUE_DIR": str(work / "queue"), **json.loads(os.environ.get("SERVER_ENV", "{}"))}
        allocs = os.environ.get("ALLOCS", "1") == "1"
        if allocs:
            library = work / "malloc_count.so"
            subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(library),
                            str(REPO / "scripts" / "lib" / "malloc_count.c"), "-lpthread"], check=True, timeout=120)
            env |= {"LD_PRELOAD": str(library), "MALLOC_COUNT_FILE": str(work / "malloc-count.txt")}
        server = Proc([server_bin], env=env, log=work / "server.log")
        procs.append(server)
        wait_http(f"http://127.0.0.1:{port}/health", 60)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(warmup):
            post(connection, key)
        pid = str(server.p.pid)
        if allocs:
            print(json.dumps(count_allocations(connection, key, server, requests, work / "malloc-count.txt")))
        # Each tool attaches, the same requests run one at a time, the tool is stopped (SIGINT) and
        # reports: per-thread CPU and context switches (perf stat), syscalls (strace -c), samples
        # with call chains (perf record).
        tools = {
            "perf-stat": ["perf", "stat", "--per-thread", "-e", "task-clock,context-switches", "-p", pid],
            "strace": ["strace", "-f", "-c", "-p", pid],
            # Every syscall of every thread with its time: where a request's time goes between
            # its read, the upstream send and receive, and the answer's write.
            "strace-tt": ["strace", "-f", "-tt", "-T", "-o", str(work / "strace-tt.log"), "-p", pid],
            # Scheduler delay of every wake-up (perf sched latency on the server's threads): what
            # each thread hand-off costs on this machine at its current load.
            "perf-sched": ["perf", "sched", "record", "-o", str(work / "sched.data"), "-a"],
            "perf-record": ["perf", "record", "-F", "4000", "-g", "-o", str(work / "perf.data"), "-p", pid],
        }
        for name in filter(None, os.environ.get("TOOLS", "perf-stat,strace,perf-record").split(",")):
            log = open(work / f"{name}.txt", "w")
            tool = subprocess.Popen(tools[name], stdout=log, stderr=subprocess.STDOUT)
            time.sleep(1.0)  # attached
            started = time.monotonic()
            for _ in range(requests):
                post(connection, key)
            seconds = time.monotonic() - started
            tool.send_signal(signal.SIGINT)
            tool.wait(timeout=120)
            log.close()
            print(f"## {name}: {requests} requests in {seconds:.2f} s ({1000 * seconds / requests:.3f} ms each "
                  f"under the tool), load {os.getloadavg()[0]:.1f}")
            print((work / f"{name}.txt").read_text()[-6000:])
        connection.close()
        if (work / "sched.data").exists():
            latency = subprocess.run(["perf", "sched", "latency", "-i", str(work / "sched.data"), "--sort", "max"],
                                     capture_output=True, text=True, timeout=600).stdout
            (work / "sched-latency.txt").write_text(latency)
            print("\n".join(line for line in latency.splitlines()
                            if "NIO-ELT" in line or "default-qos" in line or "switchyard" in line or "nginx" in line
                            or "Task" in line or "----" in line)[:4000])
        if not (work / "perf.data").exists():
            return 0
        report = subprocess.run(["perf", "report", "-i", str(work / "perf.data"), "--no-children", "--stdio",
                                 "--sort", "dso,sym", "-g", "none", "--percent-limit", "0.7"],
                                capture_output=True, text=True, timeout=600).stdout
        (work / "perf-report.txt").write_text(report)
        print("\n".join(line for line in report.splitlines() if line and not line.startswith("#"))[:8000])
        return 0
    finally:
        for proc in reversed(procs):
            proc.stop()


if __name__ == "__main__":
    sys.exit(main())
