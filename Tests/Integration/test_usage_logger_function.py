"""The usage-logger function through the local Lambda emulator (real bootstrap, real Runtime API
loop), writing into SecantusDB: its three event shapes (a bare UsageBatch, an SQS event with a
partial batch answer, a repair request), records it builds itself (Catch failures, orchestration)
priced independently, typed errors, idempotent re-invocation, the durable write concern resolved on the
first write, the unique key checked before it, and what happens when MongoDB is down."""
from __future__ import annotations

import json

import pytest

from emulator_fixtures import start_emulator
from mongo_fixtures import mongo  # noqa: F401 (fixture)
from servers import REPO
from usage_fixtures import express_cost_pico, lambda_cost_pico

EVENTS = REPO / "events" / "usage-logger"


def function_config(uri: str, database: str) -> dict:
    return {"functions": [{
        "name": "usage-logger", "bootstrap": "${SWITCHYARD_BIN}/usage-logger-function", "timeoutSeconds": 20,
        "maxConcurrency": 2,
        "environment": {"MONGODB_URI": uri, "SWITCHYARD_DB": database, "USAGE_RATES_FILE": str(REPO / "infra" / "rates.json"),
                        "USAGE_STORE_ATTEMPTS": "2", "USAGE_STORE_BACKOFF_MS": "50",
                        "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "500"}}]}


@pytest.fixture(scope="module")
def logger(mongo, tmp_path_factory):
    emulator, process = start_emulator(function_config(mongo.uri, "logger_fn"), tmp_path=tmp_path_factory.mktemp("em"))
    yield emulator
    process.stop()


def event(name: str):
    return json.loads((EVENTS / name).read_text())


def test_brief_example_is_priced_and_stored(logger, mongo):
    result = logger.invoke("usage-logger", event("gpt4o-brief-example.json"))
    assert result.status == 200 and result.function_error is None, result.body
    out = result.json
    assert out["summary"]["inserted"] + out["summary"]["duplicates"] == 1
    cost = out["costs"][0]
    # model: 1,000 × $5/1M + 500 × $20/1M = $0.015 = 15,000,000,000 pico-USD
    # compute: Lambda arm64 0.25 GB × 0.845 s = 0.21125 GB-s × 13,333,400 = 2,816,680.75 + 200,000 (request)
    #          = 3,016,680.75 → 3,016,681
    # orchestration: Express 0.0625 GB × 0.9 s = 0.05625 GB-s × 16,670,000 = 937,687.5 + 1,000,000 (request)
    #          = 1,937,687.5 → 1,937,688 (half to even)
    assert cost["costPicoUSD"] == 15_000_000_000 + 3_016_681 + 1_937_688
    assert cost["costUSD"] == "0.015004954369"
    stored = mongo.client()["logger_fn"].usage.find_one({"requestId": "req-0001", "step": "llm"})
    assert stored["cost"]["modelPicoUSD"] == 15_000_000_000
    assert stored["cost"]["rateVersion"] == json.loads((REPO / "infra" / "rates.json").read_text())["version"]
    assert mongo.client()["logger_fn"].rates.find_one({"_id": stored["cost"]["rateVersion"]}) is not None


def test_reinvocation_is_idempotent(logger, mongo):
    first = logger.invoke("usage-logger", event("batch-mixed.json")).json
    second = logger.invoke("usage-logger", event("batch-mixed.json")).json
    assert second["summary"]["duplicates"] == 4 and second["summary"]["inserted"] == 0
    assert first["costs"] == second["costs"]
    db = mongo.client()["logger_fn"]
    assert db.usage.count_documents({"requestId": "req-0002"}) == 3


def test_unknown_model_is_kept_and_flagged(logger, mongo):
    out = logger.invoke("usage-logger", event("unknown-model.json")).json
    assert out["costs"][0]["unpriced"] == ["model"]
    stored = mongo.client()["logger_fn"].usage.find_one({"requestId": "req-0004"})
    assert stored["cost"]["unpriced"] == ["model"]


@pytest.mark.parametrize("name,error_type", [
    ("negative-tokens.json", "Usage.NegativeCount"),
    ("missing-tokens.json", "Usage.MissingTokens"),
    ("malformed.json", "Usage.InvalidRecord"),
])
def test_bad_input_gets_a_typed_error(logger, name, error_type):
    result = logger.invoke("usage-logger", event(name))
    assert result.status == 200 and result.function_error == "Unhandled", result.body
    assert result.json["errorType"] == error_type


def test_catch_failures_and_the_execution_are_billed_as_records(logger, mongo):
    out = logger.invoke("usage-logger", event("catch-failure.json")).json
    assert [c["step"] for c in out["costs"]] == ["router", "llm", "orchestration"]
    router, failed, orchestration = out["costs"]
    assert router["costPicoUSD"] == lambda_cost_pico("arm64", 256, 3)
    assert failed["costPicoUSD"] == 0
    # 12:00:10.000 → 12:01:10.250 is 60,250 ms of Express at the default 64 MB.
    assert orchestration["costPicoUSD"] == express_cost_pico(60_250, 64)
    db = mongo.client()["logger_fn"]
    stored = db.usage.find_one({"requestId": "req-0008", "step": "llm"})
    assert stored["status"] == "failed" and stored["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 60.00 seconds" in stored["errorCause"]
    assert stored["tenant"] == "acme" and stored["tier"] == "pro" and stored["bundleVersion"] == "2026-11-01"
    execution = db.usage.find_one({"requestId": "req-0008", "step": "orchestration"})
    assert execution["orchestration"] == {"memoryMB": 64, "durationMs": 60250, "requests": 1}
    # A re-delivery builds the same records: stored once.
    again = logger.invoke("usage-logger", event("catch-failure.json")).json
    assert again["summary"]["duplicates"] == 3 and again["summary"]["inserted"] == 0


def test_an_sqs_event_is_answered_with_the_messages_to_deliver_again(logger, mongo):
    sqs = event("sqs-event.json")
    bad = json.loads(json.dumps(event("negative-tokens.json")))
    bad["records"][0]["requestId"] = "req-sqs-bad"
    sqs["Records"].append({**sqs["Records"][0], "messageId": "bad-message", "body": json.dumps(bad)})
    result = logger.invoke("usage-logger", sqs)
    assert result.function_error is None, result.body
    assert result.json == {"batchItemFailures": [{"itemIdentifier": "bad-message"}]}
    db = mongo.client()["logger_fn"]
    assert db.usage.count_documents({"requestId": "req-0009"}) == 1
    assert db.usage.count_documents({"requestId": "req-0002"}) == 3
    assert db.usage.count_documents({"requestId": "req-sqs-bad"}) == 0


def test_a_repair_request_reports_what_it_did_and_how_fresh_rollups_are(logger):
    out = logger.invoke("usage-logger", {"action": "repair", "graceSeconds": 60}).json
    assert out["repair"]["complete"] is True
    assert out["freshness"]["stalenessMilliseconds"] == 0
    assert out["freshness"]["graceMilliseconds"] == 60_000


def test_the_write_concern_is_logged_at_init_and_resolved_on_the_first_write(logger):
    log = logger.process.output()
    assert "usage store configured" in log and "durable (journaled; majority on replica sets)" in log
    # Init does not connect; the first event does, and logs what `durable` resolved to.
    assert logger.invoke("usage-logger", {"action": "repair"}).function_error is None
    log = logger.process.output()
    # SecantusDB's handshake answers as a replica set: billing writes wait for a journaled majority.
    assert "usage store ready" in log and '{"w":"majority","j":true' in log, log[-2000:]


def test_a_missing_unique_key_is_created_before_the_first_record_is_written(mongo, tmp_path):
    """Indexes are created once per deployment, and a cold start only checks them: a store that lost its
    unique usage key (or never had it) gets it back before the function writes a record."""
    db = mongo.client()["logger_unique"]
    db.usage.create_index([("tenant", 1)], name="not_the_key")  # the collection exists, its key does not
    emulator, process = start_emulator(function_config(mongo.uri, "logger_unique"), tmp_path=tmp_path)
    try:
        result = emulator.invoke("usage-logger", event("gpt4o-brief-example.json"))
        assert result.function_error is None, result.body
        indexes = db.usage.index_information()
        assert indexes["usage_key"].get("unique") is True, indexes
        assert indexes["usage_key"]["key"] == [("requestId", 1), ("step", 1), ("invocationId", 1), ("attempt", 1)]
        again = emulator.invoke("usage-logger", event("gpt4o-brief-example.json")).json
        assert again["summary"]["duplicates"] == 1 and again["summary"]["inserted"] == 0
        assert db.usage.count_documents({"requestId": "req-0001", "step": "llm"}) == 1
        assert "switchyard.indexes=created" in process.output(), process.output()[-2000:]
    finally:
        process.stop()


def test_unreachable_store_is_a_retryable_typed_error(tmp_path):
    emulator, process = start_emulator(function_config("mongodb://127.0.0.1:9/?directConnection=true", "x"), tmp_path=tmp_path)
    try:
        result = emulator.invoke("usage-logger", event("gpt4o-brief-example.json"))
        assert result.function_error == "Unhandled"
        assert result.json["errorType"] == "Usage.StoreUnavailable"
        # From the queue, the same outage is a partial batch answer: every message again.
        queued = emulator.invoke("usage-logger", event("sqs-event.json")).json
        assert queued == {"batchItemFailures": [{"itemIdentifier": "0b7e6c5a-sample-1"},
                                                {"itemIdentifier": "0b7e6c5a-sample-2"}]}
    finally:
        process.stop()


def test_mongodb_uri_comes_from_the_secret(mongo, tmp_path):
    """On AWS the URI lives in Secrets Manager (template: SWITCHYARD_SECRETS), never in the function's
    environment: the bootstrap resolves it at init, here from moto's Secrets Manager, and stores there."""
    import boto3
    from sqs_fixtures import MotoServer

    server = MotoServer().start()
    try:
        secrets = boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
        arn = secrets.create_secret(Name="switchyard/mongo", SecretString=json.dumps({"MONGODB_URI": mongo.uri}))["ARN"]
        config = function_config(mongo.uri, "logger_secret")
        environment = config["functions"][0]["environment"]
        del environment["MONGODB_URI"]
        environment.update({"SWITCHYARD_SECRETS": arn, "AWS_ENDPOINT_URL": server.url, "AWS_REGION": "us-east-1",
                            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
        emulator, process = start_emulator(config, tmp_path=tmp_path)
        try:
            result = emulator.invoke("usage-logger", event("gpt4o-brief-example.json"))
            assert result.status == 200 and result.function_error is None, result.body
            assert mongo.client()["logger_secret"].usage.count_documents({"requestId": "req-0001"}) == 1
            # An unreadable secret is a typed init error naming the secret, never a silent default.
            environment["SWITCHYARD_SECRETS"] = "switchyard/missing"
            (tmp_path / "broken").mkdir()
            broken, broken_process = start_emulator(config, tmp_path=tmp_path / "broken")
            try:
                failed = broken.invoke("usage-logger", event("gpt4o-brief-example.json"))
                assert failed.function_error is not None
                assert failed.json["errorType"] == "Config.Invalid", failed.body
                assert "switchyard/missing" in failed.json["errorMessage"]
            finally:
                broken_process.stop()
        finally:
            process.stop()
    finally:
        server.stop()
