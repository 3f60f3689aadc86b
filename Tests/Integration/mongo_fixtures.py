"""A local SecantusDB (MongoDB wire protocol) for tests, plus helpers for the usage store.

`MongoServer` runs `secantusd-py` on 127.0.0.1 on a free port with its own storage folder, waits
until it answers `ping`, and stops exactly the process it started. `restart()` keeps port and
storage, so a client with the same URI finds the same data: that is how the fault tests take the
database away mid-run. Fixtures: `mongo` (one server per module) and `mongo_db` (a fresh database
name per test on it).
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pymongo
import pytest

from servers import REPO, ManagedProcess, free_port

SECANTUSD = REPO / ".venv" / "bin" / "secantusd-py"


class MongoServer:
    def __init__(self, storage: Path, port: int | None = None):
        self.storage = storage
        self.port = port or free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}/?directConnection=true"
        self.process: ManagedProcess | None = None
        storage.mkdir(parents=True, exist_ok=True)
        # An empty config file stops secantusd from picking up a ./secantusd.toml by accident.
        self.config = storage.parent / f"{storage.name}.toml"
        self.config.write_text("")

    def start(self, timeout: float = 60.0) -> "MongoServer":
        if not SECANTUSD.exists():
            raise RuntimeError(f"{SECANTUSD} missing: run scripts/setup --no-build")
        self.process = ManagedProcess(
            [SECANTUSD, "--config", self.config, "--host", "127.0.0.1", "--port", str(self.port),
             "--storage-path", self.storage, "--log-level", "WARNING"],
            name=f"secantusd-{self.port}", port=self.port, timeout=timeout)
        self.process.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                return
            except Exception as error:  # not up yet
                last = error
                time.sleep(0.2)
        raise RuntimeError(f"secantusd on {self.port} did not answer ping: {last}")

    def stop(self, crash: bool = False) -> None:
        """Stops the server; `crash=True` sends SIGKILL (no clean shutdown)."""
        if self.process is None:
            return
        if crash and self.process.process and self.process.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.process.wait()
        self.process.stop()
        self.process = None

    def restart(self, down_seconds: float = 0.0, crash: bool = False) -> None:
        self.stop(crash=crash)
        time.sleep(down_seconds)
        self.start()

    def client(self) -> pymongo.MongoClient:
        return pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=10_000)


@pytest.fixture(scope="module")
def mongo(tmp_path_factory):
    """A SecantusDB server for the module; stopped (by pid) at the end, even on failure."""
    server = MongoServer(tmp_path_factory.mktemp("secantus") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mongo_db(mongo):
    """A fresh database name on the module's server."""
    return f"t_{uuid.uuid4().hex[:12]}"


def rollup_totals(db) -> dict:
    """Counts and sums from the per-minute rollups."""
    rows = list(db.usage_rollups_minute.aggregate([{"$group": {
        "_id": None, "count": {"$sum": "$count"}, "errors": {"$sum": "$errors"}, "unpriced": {"$sum": "$unpriced"},
        "tokensInput": {"$sum": "$tokensInput"}, "tokensOutput": {"$sum": "$tokensOutput"},
        "cost": {"$sum": "$costTotal"}}}]))
    row = rows[0] if rows else {}
    return {k: row.get(k, 0) for k in ("count", "errors", "unpriced", "tokensInput", "tokensOutput", "cost")}


def raw_totals(db) -> dict:
    """The same counts and sums computed from the raw records."""
    rows = list(db.usage.aggregate([{"$group": {
        "_id": None, "count": {"$sum": 1},
        "errors": {"$sum": {"$cond": [{"$eq": ["$status", "failed"]}, 1, 0]}},
        "unpriced": {"$sum": {"$cond": [{"$gt": [{"$size": {"$ifNull": ["$cost.unpriced", []]}}, 0]}, 1, 0]}},
        "tokensInput": {"$sum": "$tokens.input"}, "tokensOutput": {"$sum": "$tokens.output"},
        "cost": {"$sum": "$cost.totalPicoUSD"}}}]))
    row = rows[0] if rows else {}
    return {k: row.get(k, 0) for k in ("count", "errors", "unpriced", "tokensInput", "tokensOutput", "cost")}
