"""Rollups a crash interrupted are completed automatically: the emulator's schedule (the local
stand-in for the EventBridge rule) invokes the real usage-logger with `{"action": "repair"}`, and
raw-only records and a claimed batch whose writer is gone are rolled up with no one running
`usage-ingest repair`. Also: the budget ledger's overshoot bound with reservations racing from
several processes."""
from __future__ import annotations

import time

import pytest

from emulator_fixtures import start_emulator
from mongo_fixtures import mongo, mongo_db, raw_totals, rollup_totals  # noqa: F401 (fixtures)
from servers import REPO
from usage_fixtures import start_ingest, run_ingest


def test_the_scheduled_repair_completes_unfinished_rollups(mongo, mongo_db, tmp_path):
    now = int(time.time() * 1000)
    # Raw records whose rollup never ran (as after a crash between the raw write and the rollup).
    run_ingest(mongo.uri, mongo_db, "load", "--count", "200", "--batch", "50", "--seed", "41", "--no-rollups",
               "--start", str(now - 30_000))
    db = mongo.client()[mongo_db]
    # And one claimed batch whose writer is gone (claimed two minutes ago, never finished).
    db.usage.update_one({"requestId": "r-41-7"}, {"$set": {"rb": "crashed-writer", "rbAt": now - 120_000}})
    assert rollup_totals(db)["count"] == 0
    config = {
        "functions": [{
            "name": "usage-logger", "bootstrap": "${SWITCHYARD_BIN}/usage-logger-function", "timeoutSeconds": 10,
            "environment": {"MONGODB_URI": mongo.uri, "SWITCHYARD_DB": mongo_db,
                            "USAGE_RATES_FILE": str(REPO / "infra" / "rates.json")}}],
        "schedules": [{"function": "usage-logger", "rateSeconds": 1,
                       "event": {"action": "repair", "graceSeconds": 20, "recentMinutes": 60}}],
    }
    emulator, process = start_emulator(config, tmp_path=tmp_path)
    try:
        def settled() -> bool:
            return rollup_totals(db) == raw_totals(db) and db.usage.count_documents({"rb": {"$exists": True}}) == 0

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not settled():
            time.sleep(0.5)
        assert rollup_totals(db) == raw_totals(db)
        assert raw_totals(db)["count"] == 200
        assert db.usage.count_documents({"rb": {"$exists": True}}) == 0
        # The ledger took the same spend, once.
        ledger = list(db.usage_budget_ledger.aggregate([{"$group": {"_id": None, "spent": {"$sum": "$spent"}}}]))
        assert ledger[0]["spent"] == raw_totals(db)["cost"]
        assert "usage repair" in process.output()
    finally:
        process.stop()


@pytest.mark.parametrize("spent,admitted", [(900, 4), (910, 3)])
def test_reservations_from_many_processes_overshoot_by_less_than_one_ceiling(mongo, mongo_db, spent, admitted):
    """Budget 1,000, ceiling 30: a reservation is admitted while committed < budget, so from
    `spent` the admitted ones are those that start at spent, +30, … below 1,000 — worked out
    by hand in the parameters — whatever the interleaving of 4 processes × 4 connections × 20."""
    tenant = f"tenant-{spent}"
    first = run_ingest(mongo.uri, mongo_db, "reserve", "--tenant", tenant, "--ceiling", str(spent), "--budget", "1000",
                       "--requests", "1", "--prefix", "base", "--connections", "1")
    assert first["admitted"] == 1
    racers = [start_ingest(mongo.uri, mongo_db, "reserve", "--tenant", tenant, "--ceiling", "30", "--budget", "1000",
                           "--requests", "20", "--prefix", f"p{i}", "--connections", "4") for i in range(4)]
    import json
    results = []
    for process in racers:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["admitted"] for r in results) == admitted
    assert sum(r["overBudget"] for r in results) == 80 - admitted
    ledger = mongo.client()[mongo_db].usage_budget_ledger.find_one({"tenant": tenant})
    assert ledger["committed"] == spent + 30 * admitted
    assert ledger["committed"] - 1000 < 30, "over the budget by less than one request's ceiling"
    assert len(ledger["open"]) == admitted + 1
