"""What the what-if answer says, apart from how it was read: the same answer from raw records and
from day summaries compares equal. Used by Tests/Integration/test_dashboard_api.py and
scripts/lib/bench_dashboard.py."""
from __future__ import annotations

# How the answer was read (day summaries or raw records), not what it says.
HOW_READ = ("summaryCalls", "logCalls", "recordTenantDays", "roundingBoundPicoUSD")


def comparable(answer: dict) -> dict:
    """The answer without how it was read, mean qualities to 9 places (a summary adds quality ×
    calls per group, the raw replay call by call)."""
    def rounded(value):
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value
    return rounded({k: v for k, v in answer.items() if k not in HOW_READ})
