"""An independent reference for what a usage record costs, written from infra/rates.json's own
description (its `about` field) with Python's exact fractions — not from the Swift billing code.

Each component (model, compute, orchestration) is summed exactly and rounded once, half to even,
to whole pico-dollars; the total is the sum of the three. Tests compare the usage logger's stored
`cost` with this, field by field.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

from servers import REPO

PICO = 10**12
MILLION = 10**6


def load_rates(path: Path = REPO / "infra" / "rates.json") -> dict:
    return json.loads(path.read_text())


def _effective(entries: list[dict], timestamp_ms: int, **match) -> dict | None:
    """The entry in force at `timestamp_ms` (latest effectiveFrom not after it) among those matching."""
    day = datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d")
    candidates = [e for e in entries if all(e.get(k) == v for k, v in match.items()) and e["effectiveFrom"] <= day]
    return max(candidates, key=lambda e: e["effectiveFrom"], default=None)


def _round_half_even(value: Fraction) -> int:
    return round(value)  # Fraction.__round__ rounds half to even


def _ceil_to(value: int, increment: int) -> int:
    return -(-max(value, 1) // increment) * increment


def expected_cost(record: dict, rates: dict) -> dict:
    """{modelPicoUSD, computePicoUSD, orchestrationPicoUSD, totalPicoUSD, unpriced} for `record`."""
    at = record["timestamp"]
    unpriced: list[str] = []
    model = Fraction(0)
    tokens = record.get("tokens")
    if tokens and record.get("model"):
        rate = _effective(rates["models"], at, model=record["model"])
        if rate is None:
            unpriced.append("model")
        else:
            price = lambda key, fallback="inputPerMillionTokens": Fraction(rate.get(key, rate[fallback]))  # noqa: E731
            cached, written = tokens.get("cached", 0), tokens.get("cacheWrite", 0)
            fresh = tokens["input"] - cached - written
            model = (fresh * price("inputPerMillionTokens") + cached * price("cachedInputPerMillionTokens")
                     + written * price("cacheWritePerMillionTokens")
                     + tokens["output"] * price("outputPerMillionTokens")) / MILLION
    compute = Fraction(0)
    spec = record.get("compute")
    if spec:
        if spec["kind"] == "lambda":
            rate = _effective(rates["lambda"], at, architecture=spec.get("architecture", "x86_64"))
            if rate is None:
                unpriced.append("compute")
            else:
                gb_seconds = Fraction(spec["memoryMB"] * spec["durationMs"], 1024 * 1000)
                compute = Fraction(rate["perMillionRequests"]) / MILLION + Fraction(rate["perGBSecond"]) * gb_seconds
        elif spec["kind"] == "endpoint":
            rate = _effective(rates["endpoints"], at, instanceType=spec.get("instanceType"))
            if rate is None:
                unpriced.append("compute")
            else:
                compute = Fraction(rate["perHour"]) * Fraction(spec["durationMs"], 3600 * 1000)
        elif spec["kind"] == "fargate":
            rate = _effective(rates["fargate"], at, architecture=spec.get("architecture", "x86_64"))
            if rate is None:
                unpriced.append("compute")
            else:
                hours = Fraction(spec["durationMs"], 3600 * 1000)
                compute = (Fraction(rate["perVCPUHour"]) * Fraction(spec["milliVCPU"], 1000) * hours
                           + Fraction(rate["perGBHour"]) * Fraction(spec["memoryMB"], 1024) * hours)
    orchestration = Fraction(0)
    run = record.get("orchestration")
    if run:
        rate = _effective(rates["stepFunctionsExpress"], at)
        if rate is None:
            unpriced.append("orchestration")
        else:
            memory = _ceil_to(run["memoryMB"], rate["memoryIncrementMB"])
            duration = _ceil_to(run["durationMs"], rate["durationIncrementMs"])
            orchestration = (Fraction(rate["perMillionRequests"]) * run.get("requests", 1) / MILLION
                             + Fraction(rate["perGBSecond"]) * Fraction(memory * duration, 1024 * 1000))
    parts = {"modelPicoUSD": _round_half_even(model * PICO), "computePicoUSD": _round_half_even(compute * PICO),
             "orchestrationPicoUSD": _round_half_even(orchestration * PICO)}
    return {**parts, "totalPicoUSD": sum(parts.values()), "unpriced": sorted(unpriced)}
