"""Runs the `usage-ingest` tool (Swift, libmongoc) against a test database."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from emulator_fixtures import bin_dir
from servers import REPO


def usage_ingest_path() -> Path:
    path = bin_dir() / "usage-ingest"
    if not path.exists():
        raise RuntimeError(f"{path} missing: build the usage-ingest product")
    return path


def ingest_env(uri: str, database: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "MONGODB_URI": uri, "SWITCHYARD_DB": database, "USAGE_STORE_ATTEMPTS": "2",
            "USAGE_STORE_BACKOFF_MS": "100", "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000", **extra}


def run_ingest(uri: str, database: str, *args: str, timeout: float = 600, **extra: str) -> dict:
    """Runs usage-ingest to completion and returns its JSON summary."""
    result = subprocess.run([usage_ingest_path(), *args, "--rates", REPO / "infra" / "rates.json"],
                            env=ingest_env(uri, database, **extra), cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"usage-ingest {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def start_ingest(uri: str, database: str, *args: str, **extra: str) -> subprocess.Popen:
    """Starts usage-ingest in the background (for fault tests); the caller waits and reads stdout."""
    return subprocess.Popen([str(usage_ingest_path()), *args, "--rates", str(REPO / "infra" / "rates.json")],
                            env=ingest_env(uri, database, **extra), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def exported_records(count: int, seed: int) -> list[dict]:
    """The exact priced records `usage-ingest load --seed` writes, as JSON."""
    result = subprocess.run([usage_ingest_path(), "export", "--count", str(count), "--seed", str(seed),
                             "--rates", REPO / "infra" / "rates.json"], cwd=REPO, capture_output=True, text=True,
                            check=True, timeout=120)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


# --- Independent prices (Python Decimal from infra/rates.json, not the code under test) ------------
from decimal import ROUND_HALF_EVEN, Decimal

RATES = json.loads((REPO / "infra" / "rates.json").read_text())
PICO = Decimal(10) ** 12


def _pico(amount: Decimal) -> int:
    return int((amount * PICO).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def express_cost_pico(duration_ms: int, memory_mb: int = 64) -> int:
    """Step Functions Express: requests + GB-s, memory up to the 64 MB step, duration up to 100 ms."""
    rate = RATES["stepFunctionsExpress"][-1]
    step_mb, step_ms = rate["memoryIncrementMB"], rate["durationIncrementMs"]
    memory = -(-memory_mb // step_mb) * step_mb
    duration = -(-duration_ms // step_ms) * step_ms
    gb_seconds = Decimal(memory) / 1024 * Decimal(duration) / 1000
    return _pico(gb_seconds * Decimal(rate["perGBSecond"])) + _pico(Decimal(rate["perMillionRequests"]) / 1_000_000)


def lambda_cost_pico(architecture: str, memory_mb: int, duration_ms: int) -> int:
    """Lambda: requests + GB-s by architecture, billed per millisecond."""
    rate = [r for r in RATES["lambda"] if r["architecture"] == architecture][-1]
    gb_seconds = Decimal(memory_mb) / 1024 * Decimal(duration_ms) / 1000
    return _pico(gb_seconds * Decimal(rate["perGBSecond"])) + _pico(Decimal(rate["perMillionRequests"]) / 1_000_000)
