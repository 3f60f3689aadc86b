"""The usage store end to end: Swift (libmongoc) writes into SecantusDB; pymongo checks.

Idempotency (duplicate deliveries change nothing, rollups included), exact totals against
independently computed expectations, unpriced flagging, and fault tests that take the database
away mid-run (clean stop and SIGKILL) and prove no record is lost or counted twice.
"""
from __future__ import annotations

import threading
import time

import pytest

from mongo_fixtures import mongo, mongo_db, raw_totals, rollup_totals  # noqa: F401 (fixtures)
from usage_fixtures import exported_records, run_ingest, start_ingest


def expected_totals(records: list[dict]) -> dict:
    """Counts and sums computed in Python from the records themselves (not from the database)."""
    return {
        "count": len(records),
        "errors": sum(1 for r in records if r["status"] == "failed"),
        "unpriced": sum(1 for r in records if r["cost"]["unpriced"]),
        "tokensInput": sum(r.get("tokens", {}).get("input", 0) for r in records),
        "tokensOutput": sum(r.get("tokens", {}).get("output", 0) for r in records),
        "cost": sum(r["cost"]["totalPicoUSD"] for r in records),
    }


def test_duplicate_deliveries_count_once(mongo, mongo_db):
    summary = run_ingest(mongo.uri, mongo_db, "load", "--count", "600", "--batch", "100", "--seed", "11",
                         "--duplicate-every", "1")
    assert summary["inserted"] == 600
    assert summary["duplicates"] == 500  # every batch but the first was re-sent once
    again = run_ingest(mongo.uri, mongo_db, "load", "--count", "600", "--batch", "100", "--seed", "11")
    assert again["inserted"] == 0 and again["duplicates"] == 600
    db = mongo.client()[mongo_db]
    expected = expected_totals(exported_records(600, 11))
    assert raw_totals(db) == expected
    assert rollup_totals(db) == expected
    assert db.usage.count_documents({"rb": {"$exists": True}}) == 0


def test_unpriced_records_are_kept_and_flagged(mongo, mongo_db):
    run_ingest(mongo.uri, mongo_db, "load", "--count", "200", "--batch", "50", "--seed", "12")
    db = mongo.client()[mongo_db]
    unpriced = list(db.usage.find({"model": "mystery-model"}))
    assert len(unpriced) == 2  # records 96 and 193 of every 97
    for record in unpriced:
        assert record["cost"]["unpriced"] == ["model"]
        assert record["cost"]["computePicoUSD"] > 0
    assert rollup_totals(db)["unpriced"] == 2


def test_indexes_are_created(mongo, mongo_db):
    run_ingest(mongo.uri, mongo_db, "load", "--count", "10", "--seed", "13")
    db = mongo.client()[mongo_db]
    info = db.usage.index_information()
    assert info["usage_key"]["unique"] is True
    assert [k for k, _ in info["usage_key"]["key"]] == ["requestId", "step", "invocationId", "attempt"]
    for name in ("tenant_time", "model_time", "backend_time"):
        assert name in info
    assert "tenant_minute" in db.usage_rollups_minute.index_information()


def test_raw_ttl_option_creates_a_ttl_index_on_raw_records_only(mongo, mongo_db):
    run_ingest(mongo.uri, mongo_db, "load", "--count", "5", "--seed", "17", USAGE_RAW_TTL_DAYS="30")
    db = mongo.client()[mongo_db]
    ttl = db.usage.index_information()["raw_ttl"]
    assert ttl["key"] == [("at", 1)] and ttl["expireAfterSeconds"] == 30 * 86400
    assert all("expireAfterSeconds" not in index for index in db.usage_rollups_minute.index_information().values())
    stored = db.usage.find_one()
    assert stored["at"].timestamp() * 1000 == stored["timestamp"]


def test_raw_only_writes_are_rolled_up_by_repair(mongo, mongo_db):
    run_ingest(mongo.uri, mongo_db, "load", "--count", "300", "--batch", "100", "--seed", "14", "--no-rollups")
    db = mongo.client()[mongo_db]
    assert rollup_totals(db)["count"] == 0
    assert run_ingest(mongo.uri, mongo_db, "repair")["repaired"] == 300
    assert rollup_totals(db) == expected_totals(exported_records(300, 14))


@pytest.mark.parametrize("crash", [False, True], ids=["clean-stop", "sigkill"])
def test_database_outage_mid_run_loses_and_duplicates_nothing(mongo, mongo_db, crash):
    """Stops the database twice while usage-ingest writes; the tool retries failed batches as
    Step Functions' Retry would. Afterwards the raw records and the rollups hold exactly the
    records sent: none lost, none counted twice."""
    count, seed = 800, 15 + int(crash)
    process = start_ingest(mongo.uri, mongo_db, "load", "--count", str(count), "--batch", "50", "--seed", str(seed),
                           "--duplicate-every", "4", "--retry-seconds", "180")
    db = mongo.client()[mongo_db]
    outages = 0
    try:
        for target in (count // 4, count // 2):
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if db.usage.estimated_document_count() >= target:
                        break
                except Exception:
                    pass
                time.sleep(0.2)
            if process.poll() is not None:
                break
            mongo.restart(down_seconds=1.5, crash=crash)
            outages += 1
        out, err = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err[-2000:]
    assert outages == 2, "the run finished before both outages: make it longer"
    summary = __import__("json").loads(out.strip().splitlines()[-1])
    assert summary["retries"] >= 1, "the outage was not noticed"
    # Batches interrupted between the raw write and the rollup are finished by the repair pass
    # (on Lambda it runs periodically with a grace period; here no writer is left, so grace 0).
    run_ingest(mongo.uri, mongo_db, "repair")
    expected = expected_totals(exported_records(count, seed))
    assert db.usage.count_documents({}) == count
    assert raw_totals(db) == expected
    assert rollup_totals(db) == expected


def test_concurrent_duplicate_deliveries_count_once(mongo, mongo_db):
    """Three writers deliver the same records at the same time (a replayed task racing the
    original): every record is stored once and the rollups count it once."""
    import json
    count, seed = 600, 21
    writers = [start_ingest(mongo.uri, mongo_db, "load", "--count", str(count), "--batch", str(batch), "--seed", str(seed))
               for batch in (50, 80, 120)]
    summaries = []
    for process in writers:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-2000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(s["inserted"] for s in summaries) == count
    assert sum(s["inserted"] + s["duplicates"] + s["updated"] for s in summaries) == 3 * count
    run_ingest(mongo.uri, mongo_db, "repair")
    db = mongo.client()[mongo_db]
    expected = expected_totals(exported_records(count, seed))
    assert raw_totals(db) == expected
    assert rollup_totals(db) == expected
