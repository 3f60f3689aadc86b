"""Fixtures for the dashboard tests: deterministic usage records, their import through the real
write path (`switchyard-seed import`: priced from infra/rates.json, stored with rollups by the
Swift MongoDB sink), the dashboard server, and reference aggregates computed in Python from the
raw records as stored — independently of the Swift rollups and aggregation.
"""
from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_EVEN, Decimal
import os
import random
import subprocess
from collections import defaultdict
from pathlib import Path

import requests

from emulator_fixtures import bin_dir
from servers import REPO, ManagedProcess, free_port

MINUTE = 60_000
HOUR = 3_600_000
DAY = 86_400_000
# 2026-11-20 00:00 UTC: the fixtures' first day (rates in force since 2026-11-01).
BASE_DAY = 1_795_132_800_000

TENANTS = {"acme-startup": "basic", "lexcorp-legal": "pro", "globex-health": "pro", "initech": "enterprise"}
LLM = {  # model → provider, backend
    "gpt-4o": ("openai", "external"), "gpt-4o-mini": ("openai", "external"),
    "claude-3-5-haiku": ("anthropic", "external"), "claude-3-haiku": ("anthropic", "external"),
    "smollm2-135m": ("openai-compatible", "lambda"),
}
ERRORS = ["Provider.RateLimited", "Provider.Timeout", "Provider.UpstreamError"]


def tool(name: str) -> Path:
    path = bin_dir() / name
    if not path.exists():
        raise RuntimeError(f"{path} missing: swift build")
    return path


def fixture_records(requests_count: int = 400, days: int = 3, seed: int = 7) -> list[dict]:
    """Requests spread over `days` days from BASE_DAY: a router record each, LLM calls (some
    rate-limited and retried, some failing), detector calls, and the orchestration record."""
    rng = random.Random(seed)
    records = []
    for i in range(requests_count):
        tenant = rng.choice(sorted(TENANTS))
        tier = TENANTS[tenant]
        start = BASE_DAY + rng.randrange(days * DAY)
        request = f"req-{seed}-{i:05d}"
        context = {"requestId": request, "tenant": tenant, "tier": tier, "executionId": f"exec-{request}",
                   "bundleVersion": "fixture"}
        records.append({**context, "step": "router", "invocationId": f"inv-r-{request}", "attempt": 0,
                        "timestamp": start, "backend": "lambda", "modality": "text",
                        "latency": {"totalMs": rng.randint(2, 30)}, "status": "succeeded",
                        "compute": {"kind": "lambda", "architecture": "arm64", "memoryMB": 256, "durationMs": 12}})
        t = start + 40
        if rng.random() < 0.15:
            latency = rng.randint(40, 400)
            records.append({**context, "step": "vision", "invocationId": f"inv-v-{request}", "attempt": 0,
                            "timestamp": t, "category": "detection", "difficulty": "easy", "provider": "lambda",
                            "model": "yolov8n-lambda", "backend": "lambda", "modality": "image",
                            "images": {"count": 1, "pixels": 640 * 480}, "latency": {"totalMs": latency},
                            "status": "succeeded",
                            "compute": {"kind": "lambda", "architecture": "arm64", "memoryMB": 2048,
                                        "durationMs": latency}})
            t += latency
        else:
            model = rng.choice(sorted(LLM))
            provider, backend = LLM[model]
            category = rng.choice(["chat", "code", "summarization", "legal"])
            attempts = 2 if rng.random() < 0.1 else 1
            for attempt in range(attempts):
                failed = attempt < attempts - 1 or rng.random() < 0.04
                latency = int(rng.lognormvariate(6.3, 0.7)) + 20
                record = {**context, "step": "llm", "invocationId": f"inv-l-{request}", "attempt": attempt,
                          "timestamp": t, "category": category, "difficulty": rng.choice(["easy", "medium", "hard"]),
                          "provider": provider, "model": model, "backend": backend, "modality": "text",
                          "latency": {"totalMs": latency}, "status": "failed" if failed else "succeeded"}
                if failed:
                    record["errorType"] = rng.choice(ERRORS)
                    record["tokens"] = {"input": 0, "output": 0}
                else:
                    record["tokens"] = {"input": rng.randint(50, 3000), "output": rng.randint(10, 700)}
                records.append(record)
                t += latency
        records.append({**context, "step": "orchestration", "invocationId": f"inv-o-{request}", "attempt": 0,
                        "timestamp": t, "backend": "none", "modality": "none",
                        "latency": {"totalMs": t - start}, "status": "succeeded",
                        "orchestration": {"memoryMB": 64, "durationMs": t - start, "requests": 1}})
    return records


def import_records(uri: str, database: str, records: list[dict], tmp_path: Path) -> dict:
    """Prices and stores the records through the Swift sink, with rollups; returns its summary."""
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    env = {**os.environ, "MONGODB_URI": uri, "SWITCHYARD_DB": database}
    result = subprocess.run([tool("switchyard-seed"), "import", "--file", str(path), "--rates",
                             str(REPO / "infra" / "rates.json"), "--batch", "250"], env=env, cwd=REPO, capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"switchyard-seed import failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class DashboardServer:
    def __init__(self, uri: str, database: str, admin_key: str | None = None, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"MONGODB_URI": uri, "SWITCHYARD_DB": database, "SWITCHYARD_BUNDLE_DIR": str(REPO / "infra"),
               **(extra_env or {})}
        if admin_key:
            env["DASHBOARD_ADMIN_KEY"] = admin_key
        self.process = ManagedProcess([tool("switchyard-dashboard"), "--port", str(self.port), "--dist",
                                       str(REPO / "dashboard" / "dist")], name="dashboard",
                                      health_url=f"{self.url}/api/health", env=env, cwd=REPO)

    def __enter__(self):
        self.process.start()
        return self

    def __exit__(self, *exc):
        self.process.stop()

    def get(self, path: str, **params):
        return requests.get(self.url + path, params=params, timeout=60)

    def post(self, path: str, body: dict):
        return requests.post(self.url + path, json=body, timeout=120)


def ensure_built_dashboard() -> None:
    subprocess.run([REPO / "scripts" / "build-dashboard"], check=True, capture_output=True, timeout=120)


# MARK: - Reference aggregates, from raw records as stored

def stored_records(db) -> list[dict]:
    return list(db.usage.find({}, {"_id": 0, "h": 0, "a": 0, "ah": 0, "p": 0, "ph": 0, "rb": 0, "rbAt": 0}))


def in_filter(r: dict, frm: int, to: int, tenant=None, tier=None) -> bool:
    return frm <= r["timestamp"] < to and (tenant is None or r["tenant"] == tenant) and (
        tier is None or r.get("tier") == tier)


def nearest_rank(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def reference(records: list[dict], frm: int, to: int, bucket_ms: int, tenant=None, tier=None,
              cost_by: str = "model") -> dict:
    chosen = [r for r in records if in_filter(r, frm, to, tenant, tier)]
    volume = defaultdict(lambda: [0, 0, 0])
    for r in chosen:
        b = r["timestamp"] - r["timestamp"] % bucket_ms
        volume[b][0] += r["step"] == "router"
        volume[b][1] += 1
        volume[b][2] += r["status"] == "failed"
    calls = [r for r in chosen if r.get("model")]
    cost = defaultdict(int)
    cost_day = defaultdict(int)
    for r in chosen:
        key = {"model": r.get("model") or "(platform)", "tenant": r["tenant"], "backend": r["backend"]}[cost_by]
        total = r.get("cost", {}).get("totalPicoUSD", 0)
        cost[key] += total
        cost_day[(key, r["timestamp"] - r["timestamp"] % DAY)] += total
    latency = defaultdict(list)
    latency_model = defaultdict(list)
    for r in calls:
        latency[r["backend"]].append(r["latency"]["totalMs"])
        latency_model[r["model"]].append(r["latency"]["totalMs"])
    models = defaultdict(int)
    for r in calls:
        models[r["model"]] += 1
    errors = defaultdict(int)
    for r in calls:
        if r.get("errorType"):
            errors[r["errorType"]] += 1
    return {"volume": dict(volume), "cost": dict(cost), "costDay": dict(cost_day), "latency": latency,
            "latencyModel": latency_model, "models": dict(models), "calls": len(calls),
            "failed": sum(r["status"] == "failed" for r in calls), "errors": dict(errors), "records": chosen}


# MARK: - What-if fixtures, with the expected answer worked out by hand

# Day 10 after BASE_DAY: apart from `fixture_records`, so a what-if over it sees only these.
WHATIF_DAY = BASE_DAY + 10 * DAY
# The edit: enterprise's default strategy `best` → `cheapest`.
WHATIF_EDIT = {"tiers": {"enterprise": {"defaultStrategy": "cheapest"}}}


def whatif_records() -> list[dict]:
    """LLM calls whose re-routing under WHATIF_EDIT follows from the policy and catalog by hand:

    - initech (enterprise), creative, hard: no rule matches (enterprise-routine is easy/medium only,
      hard-escalate basic/pro only), so the tier's default strategy decides. Today that is `best`:
      claude-3-opus (creative 0.94), as recorded. Under `cheapest` with the hard floor 0.86 the
      creative models that qualify are gpt-4o (0.90), gpt-4.1 (0.89), claude-3-5-sonnet (0.93) and
      claude-3-opus; gpt-4.1 ($2 in / $8 out per M) is cheaper than each of them on both prices, so
      every such call moves to gpt-4.1, whatever its token counts.
    - initech, chat, easy: enterprise-routine already routes it `cheapest` (floor 0.83) to
      gpt-4o-mini (0.85, $0.15 / $0.60); the edit does not touch it.
    - lexcorp-legal (pro), chat, medium: pro is not edited; cheapest ≥ 0.83 is gpt-4o-mini.
    - a failed attempt: not a routing choice, not replayed.
    """
    rows = [("initech", "creative", "hard", "claude-3-opus", 1200, 400),
            ("initech", "creative", "hard", "claude-3-opus", 3000, 900),
            ("initech", "creative", "hard", "claude-3-opus", 150, 2000),
            ("initech", "chat", "easy", "gpt-4o-mini", 800, 300),
            ("lexcorp-legal", "chat", "medium", "gpt-4o-mini", 500, 250),
            ("lexcorp-legal", "chat", "medium", "gpt-4o-mini", 90, 40)]
    records = []
    for i, (tenant, category, difficulty, model, tokens_in, tokens_out) in enumerate(rows):
        request = f"whatif-{i}"
        provider = "anthropic" if model.startswith("claude") else "openai"
        records.append({"requestId": request, "step": "llm", "invocationId": f"inv-{request}", "attempt": 0,
                        "timestamp": WHATIF_DAY + i * MINUTE, "tenant": tenant, "tier": TENANTS[tenant],
                        "category": category, "difficulty": difficulty, "bundleVersion": "fixture",
                        "provider": provider, "model": model, "backend": "external", "modality": "text",
                        "tokens": {"input": tokens_in, "output": tokens_out}, "latency": {"totalMs": 900},
                        "status": "succeeded"})
    records.append({"requestId": "whatif-f", "step": "llm", "invocationId": "inv-whatif-f", "attempt": 0,
                    "timestamp": WHATIF_DAY + 30 * MINUTE, "tenant": "initech", "tier": "enterprise",
                    "category": "creative", "difficulty": "hard", "provider": "anthropic", "model": "claude-3-opus",
                    "backend": "external", "modality": "text", "tokens": {"input": 0, "output": 0},
                    "latency": {"totalMs": 300}, "status": "failed", "errorType": "Provider.Timeout"})
    return records


# Days 40 to 69 after BASE_DAY: the same calls every day, for a what-if over a month read in pages.
MONTH_WHATIF_FROM = BASE_DAY + 40 * DAY
MONTH_WHATIF_TO = MONTH_WHATIF_FROM + 30 * DAY


def month_whatif_records() -> list[dict]:
    """whatif_records() repeated on each of 30 days (distinct requests), so the month's answer is
    the sum of thirty of those worked out by hand."""
    records = []
    for day in range(30):
        for r in whatif_records():
            r = {**r, "requestId": f"m{day}-{r['requestId']}", "invocationId": f"inv-m{day}-{r['requestId']}",
                 "timestamp": r["timestamp"] - WHATIF_DAY + MONTH_WHATIF_FROM + day * DAY}
            records.append(r)
    return records


def model_cost_pico(model: str, tokens_in: int, tokens_out: int) -> int:
    """Token charges from infra/rates.json, exact, rounded once half to even (as billing does)."""
    rates = {m["model"]: m for m in json.loads((REPO / "infra" / "rates.json").read_text())["models"]}
    rate = rates[model]
    usd = (Decimal(tokens_in) * Decimal(rate["inputPerMillionTokens"])
           + Decimal(tokens_out) * Decimal(rate["outputPerMillionTokens"])) / Decimal(1_000_000)
    return int((usd * Decimal(10) ** 12).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def expected_whatif(records: list[dict] | None = None) -> dict:
    """The what-if's answer to WHATIF_EDIT over whatif_records() (or records like them), by hand
    (see there)."""
    moved = {"claude-3-opus": "gpt-4.1"}
    actual = whatif_cost = calls = changed = 0
    for r in whatif_records() if records is None else records:
        if r["status"] != "succeeded":
            continue
        calls += 1
        tokens = r["tokens"]
        before = model_cost_pico(r["model"], tokens["input"], tokens["output"])
        after_model = moved.get(r["model"], r["model"]) if r["tier"] == "enterprise" and r["difficulty"] == "hard" \
            else r["model"]
        changed += after_model != r["model"]
        actual += before
        whatif_cost += model_cost_pico(after_model, tokens["input"], tokens["output"])
    return {"calls": calls, "changed": changed, "actual": actual, "whatIf": whatif_cost,
            "difference": whatif_cost - actual}
