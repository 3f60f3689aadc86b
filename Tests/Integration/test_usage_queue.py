"""The durable usage path end to end: Swift producer (SQSUsageQueue → moto's SQS) → the emulator's
SQS event source mapping → the real usage-logger → SecantusDB, with the queue's redrive policy.

- every message lands once, raw records and rollups exact;
- a message with a bad record is not retried forever: after maxReceiveCount receives the queue
  moves it to the dead-letter queue, and nothing of it is stored;
- while MongoDB is down, messages stay queued (the logger answers them as batch item failures,
  so they reappear after the visibility timeout) and land exactly once when it returns.

Simulating 15 minutes: on AWS the queue keeps a message through `visibilityTimeout ×
maxReceiveCount` of failed receives (docs/usage.md: 90 s × 20 = 30 min ≥ 15 min). Here the
visibility timeout is 2 s and maxReceiveCount 40 (80 s of failures); the database stays down for
12 s, about six failed receives of every message — the same number of redeliveries as a
9-minute outage at 90 s, and each one a real round trip through the mapping, the function and a
refused connection.
"""
from __future__ import annotations

import json
import time

import pytest

from emulator_fixtures import start_emulator
from mongo_fixtures import MongoServer, mongo, raw_totals, rollup_totals  # noqa: F401 (fixture)
from servers import REPO
from sqs_fixtures import CREDENTIALS, moto  # noqa: F401 (fixture)
from usage_fixtures import exported_records, run_ingest

RATES = str(REPO / "infra" / "rates.json")


def expected_totals(records: list[dict]) -> dict:
    return {
        "count": len(records),
        "errors": sum(1 for r in records if r["status"] == "failed"),
        "unpriced": sum(1 for r in records if r["cost"]["unpriced"]),
        "tokensInput": sum(r.get("tokens", {}).get("input", 0) for r in records),
        "tokensOutput": sum(r.get("tokens", {}).get("output", 0) for r in records),
        "cost": sum(r["cost"]["totalPicoUSD"] for r in records),
    }


def logger_function(name: str, uri: str, database: str) -> dict:
    return {"name": name, "bootstrap": "${SWITCHYARD_BIN}/usage-logger-function", "timeoutSeconds": 10,
            "maxConcurrency": 2,
            "environment": {"MONGODB_URI": uri, "SWITCHYARD_DB": database, "USAGE_RATES_FILE": RATES,
                            "USAGE_STORE_ATTEMPTS": "2", "USAGE_STORE_BACKOFF_MS": "50",
                            "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "500"}}


@pytest.fixture(scope="module")
def outage_mongo(tmp_path_factory):
    """A database of its own, so taking it away does not disturb the other tests."""
    server = MongoServer(tmp_path_factory.mktemp("outage") / "data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack(moto, mongo, outage_mongo, tmp_path_factory):
    """Two queues with dead-letter queues, each drained by a mapping into its own logger."""
    main, main_dlq = moto.make_queue("usage", max_receive_count=3, visibility_seconds=2)
    outage, outage_dlq = moto.make_queue("usage-outage", max_receive_count=40, visibility_seconds=2)
    config = {
        "functions": [logger_function("usage-logger", mongo.uri, "queue_main"),
                      logger_function("usage-logger-outage", outage_mongo.uri, "queue_outage")],
        "eventSourceMappings": [
            {"function": "usage-logger", "queueURL": main, "batchSize": 10, "maximumBatchingWindowSeconds": 0.5},
            {"function": "usage-logger-outage", "queueURL": outage, "batchSize": 10},
        ],
    }
    emulator, process = start_emulator(config, env=CREDENTIALS, tmp_path=tmp_path_factory.mktemp("em"))
    try:
        yield {"emulator": emulator, "main": main, "main_dlq": main_dlq, "outage": outage, "outage_dlq": outage_dlq}
    finally:
        process.stop()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_batches_from_the_swift_producer_land_once(stack, moto, mongo):
    count, seed = 250, 31
    sent = run_ingest(mongo.uri, "unused", "enqueue", "--queue-url", stack["main"], "--count", str(count),
                      "--batch", "5", "--seed", str(seed), **CREDENTIALS, AWS_ENDPOINT_URL_SQS=moto.url)
    assert sent == {"command": "enqueue", "records": count, "messages": 50}
    db = mongo.client()["queue_main"]
    wait_for(lambda: db.usage.count_documents({"requestId": {"$regex": f"^r-{seed}-"}}) == count, 90,
             "every record stored")
    wait_for(lambda: moto.depth(stack["main"]) == 0, 30, "every message deleted")
    expected = expected_totals(exported_records(count, seed))
    assert raw_totals(db) == expected
    # The raw upserts are visible before the same write's rollup step lands (and moto's queue depth
    # does not count a batch still in flight): the rollups must catch up, not run ahead or double.
    try:
        wait_for(lambda: rollup_totals(db) == expected, 30, "the rollups to hold every record once")
    finally:
        assert rollup_totals(db) == expected
    assert moto.drain(stack["main_dlq"]) == []


def test_a_message_with_a_bad_record_goes_to_the_dead_letter_queue(stack, moto, mongo):
    sqs = moto.sqs()
    good = {"records": [dict(json.loads((REPO / "events/usage-logger/gpt4o-brief-example.json").read_text())["records"][0],
                             requestId="req-dlq-good")]}
    bad = {"records": [dict(good["records"][0], requestId="req-dlq-bad", latency={"totalMs": -1})]}
    sqs.send_message(QueueUrl=stack["main"], MessageBody=json.dumps(bad))
    sqs.send_message(QueueUrl=stack["main"], MessageBody=json.dumps(good))
    db = mongo.client()["queue_main"]
    wait_for(lambda: db.usage.count_documents({"requestId": "req-dlq-good"}) == 1, 30, "the good message stored")
    # Three receives two seconds apart, then the redrive policy moves it.
    dead = wait_for(lambda: moto.drain(stack["main_dlq"]), 40, "the bad message in the dead-letter queue")
    assert [json.loads(m["Body"])["records"][0]["requestId"] for m in dead] == ["req-dlq-bad"]
    assert db.usage.count_documents({"requestId": "req-dlq-bad"}) == 0
    assert moto.depth(stack["main"]) == 0
    log = stack["emulator"].process.output()
    assert "usage message refused" in log and "Usage.NegativeCount" in log


def test_messages_wait_in_the_queue_while_mongodb_is_down_and_land_once(stack, moto, outage_mongo):
    count, seed = 100, 32
    db = outage_mongo.client()["queue_outage"]
    run_ingest(outage_mongo.uri, "unused", "enqueue", "--queue-url", stack["outage"], "--count", "20",
               "--batch", "5", "--seed", "33", **CREDENTIALS, AWS_ENDPOINT_URL_SQS=moto.url)
    wait_for(lambda: db.usage.count_documents({}) == 20, 60, "the warm-up batch stored")
    wait_for(lambda: moto.depth(stack["outage"]) == 0, 30, "the warm-up messages deleted")
    outage_mongo.stop(crash=True)
    run_ingest(outage_mongo.uri, "unused", "enqueue", "--queue-url", stack["outage"], "--count", str(count),
               "--batch", "5", "--seed", str(seed), **CREDENTIALS, AWS_ENDPOINT_URL_SQS=moto.url)
    time.sleep(12)
    # moto's counts are approximate (as SQS's): a message inside a receive call can be missed for
    # a moment, so read until all 20 are seen.
    wait_for(lambda: moto.depth(stack["outage"]) == 20, 10, "all 20 messages still queued during the outage")
    assert moto.drain(stack["outage_dlq"]) == [], "none dead-lettered by the outage"
    outage_mongo.start()
    wait_for(lambda: db.usage.count_documents({"requestId": {"$regex": f"^r-{seed}-"}}) == count, 90,
             "every queued record stored after the outage")
    wait_for(lambda: moto.depth(stack["outage"]) == 0, 30, "the queue drained")
    expected = expected_totals(exported_records(count, seed) + exported_records(20, 33))
    assert db.usage.count_documents({}) == count + 20
    assert raw_totals(db) == expected
    # Each redelivery was refused before anything was written, so rollups are exact too.
    run_ingest(outage_mongo.uri, "queue_outage", "repair")
    assert rollup_totals(db) == expected
    log = stack["emulator"].process.output()
    assert "Usage.StoreUnavailable" in log
