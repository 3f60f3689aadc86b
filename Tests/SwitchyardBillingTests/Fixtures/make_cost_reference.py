#!/usr/bin/env python3
"""Writes cost-reference.json: expected costs computed with Python's exact `fractions`, from the
published prices in infra/rates.json, independently of the Swift calculator.

Each case is a billable usage (model tokens and images, compute, orchestration) with either the
expected pico-USD components and total, or the error the calculator must raise:
`Billing.InvalidQuantity` for a negative quantity, `Billing.AmountOutOfRange` for an amount beyond
Int64 pico-USD. Formulas (prices in USD, quantities as billed):

  model         = fresh × input/1M + cacheRead × cachedInput/1M + cacheWrite × cacheWrite/1M
                  + output × output/1M + images × perImage            (cached/written clamped to input)
  lambda        = requests × perMillionRequests/1M + MB/1024 × ms/1000 × perGBSecond
  fargate       = milliVCPU/1000 × ms/3,600,000 × perVCPUHour + MB/1024 × ms/3,600,000 × perGBHour
  endpoint      = ms/3,600,000 × perHour
  orchestration = requests × perMillionRequests/1M + ⌈MB⌉₆₄/1024 × ⌈ms⌉₁₀₀/1000 × perGBSecond

Each component is rounded once to whole pico-USD, half to even (Python's round() on a Fraction);
the total is the sum of the rounded components.

  python3 Tests/SwitchyardBillingTests/Fixtures/make_cost_reference.py   (rewrites the fixture)
"""
import datetime
import json
import random
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATES = json.loads((HERE.parents[2] / "infra" / "rates.json").read_text())
PICO = 10**12
INT64_MAX = 2**63 - 1
TIMESTAMP = int(datetime.datetime(2026, 11, 25, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def price(text):
    return Fraction(text) if text is not None else None


def in_force(entries, timestamp, **match):
    day = datetime.datetime.fromtimestamp(timestamp / 1000, datetime.timezone.utc).date().isoformat()
    chosen = [e for e in entries if all(e.get(k) == v for k, v in match.items()) and e["effectiveFrom"] <= day]
    return max(chosen, key=lambda e: e["effectiveFrom"]) if chosen else None


class Refused(Exception):
    def __init__(self, error_type):
        self.error_type = error_type


def rounded(amount_usd):
    pico = round(amount_usd * PICO)  # Fraction.__round__ rounds half to even
    if abs(pico) > INT64_MAX:
        raise Refused("Billing.AmountOutOfRange")
    return pico


def round_up(value, increment):
    return -(-value // increment) * increment


def case_of_record(record):
    """A stored usage record (UsageRecord JSON) as a case of `cost`."""
    tokens = record.get("tokens") or {}
    compute = record.get("compute")
    if compute:
        compute = {k: v for k, v in compute.items() if v is not None}
        if compute["kind"] == "lambda":
            compute["requests"] = 1
    return {"timestamp": record["timestamp"], "model": record.get("model"),
            "tokens": {"input": tokens.get("input", 0), "cachedInput": tokens.get("cached", 0),
                       "cacheWrite": tokens.get("cacheWrite", 0), "output": tokens.get("output", 0),
                       "reasoning": tokens.get("reasoning", 0)},
            "images": (record.get("images") or {}).get("count", 0), "compute": compute,
            "orchestration": record.get("orchestration")}


def cost(case):
    quantities = [case["tokens"][k] for k in ("input", "cachedInput", "cacheWrite", "output", "reasoning")]
    quantities.append(case.get("images", 0))
    for part in ("compute", "orchestration"):
        if case.get(part):
            quantities += [v for k, v in case[part].items() if isinstance(v, int)]
    if any(q < 0 for q in quantities):
        raise Refused("Billing.InvalidQuantity")
    out = {"model": 0, "compute": 0, "orchestration": 0, "unpriced": []}
    if case.get("model"):
        rate = in_force(RATES["models"], case["timestamp"], model=case["model"])
        if rate is None:
            out["unpriced"].append("model")
        else:
            t = case["tokens"]
            inp = price(rate.get("inputPerMillionTokens")) or Fraction(0)
            cached = min(t["cachedInput"], t["input"])
            written = min(t["cacheWrite"], t["input"] - cached)
            fresh = t["input"] - cached - written
            amount = (fresh * inp + cached * (price(rate.get("cachedInputPerMillionTokens")) or inp)
                      + written * (price(rate.get("cacheWritePerMillionTokens")) or inp)
                      + t["output"] * (price(rate.get("outputPerMillionTokens")) or 0)) / 10**6
            amount += case.get("images", 0) * (price(rate.get("perImage")) or 0)
            out["model"] = rounded(amount)
    c = case.get("compute")
    if c:
        if c["kind"] == "lambda":
            rate = in_force(RATES["lambda"], case["timestamp"], architecture=c["architecture"])
            amount = (c["requests"] * price(rate["perMillionRequests"]) / 10**6
                      + Fraction(c["memoryMB"], 1024) * Fraction(c["durationMs"], 1000) * price(rate["perGBSecond"]))
        elif c["kind"] == "fargate":
            rate = in_force(RATES["fargate"], case["timestamp"], architecture=c["architecture"])
            hours = Fraction(c["durationMs"], 3_600_000)
            amount = (Fraction(c["milliVCPU"], 1000) * hours * price(rate["perVCPUHour"])
                      + Fraction(c["memoryMB"], 1024) * hours * price(rate["perGBHour"]))
        else:
            rate = in_force(RATES["endpoints"], case["timestamp"], instanceType=c["instanceType"])
            amount = Fraction(c["durationMs"], 3_600_000) * price(rate["perHour"]) if rate else None
        if amount is None:
            out["unpriced"].append("compute")
        else:
            out["compute"] = rounded(amount)
    o = case.get("orchestration")
    if o:
        rate = in_force(RATES["stepFunctionsExpress"], case["timestamp"])
        memory = round_up(max(o["memoryMB"], 1), rate["memoryIncrementMB"])
        duration = round_up(max(o["durationMs"], 1), rate["durationIncrementMs"])
        amount = (o["requests"] * price(rate["perMillionRequests"]) / 10**6
                  + Fraction(memory, 1024) * Fraction(duration, 1000) * price(rate["perGBSecond"]))
        out["orchestration"] = rounded(amount)
    total = out["model"] + out["compute"] + out["orchestration"]
    if total > INT64_MAX:
        raise Refused("Billing.AmountOutOfRange")
    out["total"] = total
    return out


def main():
    rng = random.Random(20261130)
    models = [m["model"] for m in RATES["models"]] + ["not-in-the-table"]
    extremes = [0, 1, 2, 999, 10**6, 10**9, 4 * 10**11, 5 * 10**11, 10**15, INT64_MAX // 2, INT64_MAX, -1]

    def quantity(scale):
        return rng.choice(extremes) if rng.random() < 0.3 else rng.randint(0, scale)

    cases = []
    for i in range(400):
        tokens_input = quantity(2_000_000)
        case = {"timestamp": TIMESTAMP, "model": rng.choice(models) if rng.random() < 0.8 else None,
                "tokens": {"input": tokens_input,
                           "cachedInput": quantity(max(tokens_input, 0)) if rng.random() < 0.5 else 0,
                           "cacheWrite": quantity(max(tokens_input, 0)) if rng.random() < 0.3 else 0,
                           "output": quantity(200_000),
                           "reasoning": 0},
                "images": quantity(8) if rng.random() < 0.3 else 0}
        kind = rng.choice(["lambda", "fargate", "endpoint", None])
        if kind == "lambda":
            case["compute"] = {"kind": "lambda", "architecture": rng.choice(["x86_64", "arm64"]),
                               "memoryMB": quantity(10_240), "durationMs": quantity(900_000),
                               "requests": 1 if rng.random() < 0.8 else quantity(10**6)}
        elif kind == "fargate":
            case["compute"] = {"kind": "fargate", "architecture": rng.choice(["x86_64", "arm64"]),
                               "milliVCPU": quantity(4096), "memoryMB": quantity(30_720),
                               "durationMs": quantity(3_600_000)}
        elif kind == "endpoint":
            case["compute"] = {"kind": "endpoint", "durationMs": quantity(600_000),
                               "instanceType": "ml.g4dn.xlarge" if rng.random() < 0.9 else "ml.p5.48xlarge"}
        if rng.random() < 0.5:
            case["orchestration"] = {"memoryMB": rng.choice([64, 128, 1, 65, quantity(512)]),
                                     "durationMs": quantity(300_000),
                                     "requests": 1 if rng.random() < 0.9 else quantity(10)}
        try:
            case["expected"] = cost(case)
        except Refused as refused:
            case["error"] = refused.error_type
        cases.append(case)
    document = {"rateVersion": RATES["version"], "generator": "make_cost_reference.py", "cases": cases}
    (HERE / "cost-reference.json").write_text(json.dumps(document, indent=None, separators=(",", ":")) + "\n")
    errors = sum(1 for c in cases if "error" in c)
    print(f"wrote {len(cases)} cases ({errors} expected errors) for rates {RATES['version']}")


if __name__ == "__main__":
    main()
