"""Start and stop local servers for tests: loopback only, free ports, health-checked, killed by pid.

Every server a test needs goes through ManagedProcess, so a failing test never leaves a process
behind and never kills one it did not start.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN_DIR = REPO / ".run"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Polls `url` until it answers with any HTTP status below 500."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
            last = e
        except OSError as e:
            last = e
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


def wait_tcp(port: int, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} did not open within {timeout}s")


class ManagedProcess:
    """A server process owned by a test: started on enter, health-checked, killed by pid on exit.

    Output goes to a log file under .run/ (printed on failure to start) so a chatty server cannot
    block on a full pipe.
    """

    def __init__(self, cmd: list[str], *, name: str, health_url: str | None = None, port: int | None = None,
                 env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60.0):
        self.cmd = [str(c) for c in cmd]
        self.name = name
        self.health_url = health_url
        self.port = port
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd or REPO
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        RUN_DIR.mkdir(exist_ok=True)
        self.log_path = RUN_DIR / f"{name}-{os.getpid()}-{int(time.time() * 1000)}.log"

    def __enter__(self) -> "ManagedProcess":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.log = open(self.log_path, "wb")
        # A new session, so stop() can signal the server and any children it spawned, and nothing else.
        self.process = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
                                        cwd=self.cwd, start_new_session=True)
        try:
            if self.health_url:
                wait_http(self.health_url, self.timeout, self.process)
            elif self.port:
                wait_tcp(self.port, self.timeout, self.process)
        except Exception:
            self.stop()
            raise RuntimeError(f"{self.name} failed to start; log:\n{self.output()[-4000:]}")

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, grace: float = 5.0) -> None:
        if self.process is None:
            return
        # The whole session, even when its leader has exited: a child it spawned may still run.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.log.close()
        self.process = None
