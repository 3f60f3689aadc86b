"""Where one request's CPU goes in switchyard-server (scripts/bench-frontdoor-profile).

Runs the server (billing off, the bench's bundle and key) against nginx answering at once, under
callgrind with collection off; after WARMUP requests turns collection on, sends REQUESTS requests
one at a time on one keep-alive connection (each answer checked, as the bench checks it), dumps,
and prints the instructions per request beside the top functions (inclusive and self). Instruction
counts do not depend on the machine's load, unlike latency.
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
        server = Proc([server_bin], env=env, log=work / "server.log")
        procs.append(server)
        wait_http(f"http://127.0.0.1:{port}/health", 60)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(warmup):
            post(connection, key)
        pid = str(server.p.pid)
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
        for name in os.environ.get("TOOLS", "perf-stat,strace,perf-record").split(","):
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
