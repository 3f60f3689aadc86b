"""The router function end to end: the real bootstrap behind the emulator's Invoke API, fed the
sample events in events/router/ (InferenceRequest documents), with the local signals file."""
from __future__ import annotations

import json

import pytest

from emulator_fixtures import start_emulator
from router_fixtures import estimated_cost_pico
from servers import REPO

EVENTS = REPO / "events" / "router"

# What each sample event must produce: a route, or a rejection's errorType.
EXPECTED = {
    "chat-basic.json": "llm", "legal-pro.json": "llm", "image-detect.json": "vision", "image-question.json": "vision+llm",
    "batch-labeling.json": "batch", "batch-images.json": "batch", "explicit-model.json": "llm", "realtime-chat.json": "llm",
    "cheapest-hint-code.json": "llm", "over-budget-downgrade.json": "llm", "local-model.json": "llm",
    "over-budget-reject.json": "Router.BudgetExceeded", "error-model-not-allowed.json": "Router.ModelNotAllowed",
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    config = {"functions": [{
        "name": "router", "bootstrap": "${SWITCHYARD_BIN}/router-function", "timeoutSeconds": 5, "maxConcurrency": 2,
        "memoryMB": 256,
        "environment": {"SWITCHYARD_BUNDLE_DIR": str(REPO / "infra"),
                        "SWITCHYARD_SIGNALS_FILE": "local/router-signals.json"}}]}
    em, process = start_emulator(config, tmp_path=tmp_path_factory.mktemp("router"))
    yield em
    process.stop()


def test_every_sample_event_has_an_expectation():
    assert {p.name for p in EVENTS.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event(emulator, name):
    event = json.loads((EVENTS / name).read_text())
    result = emulator.invoke("router", None, raw=(EVENTS / name).read_bytes())
    assert result.status == 200
    assert result.function_error is None, result.body  # a refusal is a decision, not a Lambda error
    body = result.json
    assert body["requestId"] == event["requestId"]
    assert body["tenantId"] == event["tenantId"]
    assert body["bundleVersion"] and body["explanation"]
    record = body["usage"][0]
    assert record["step"] == "router" and record["requestId"] == event["requestId"]
    assert record["invocationId"] and not record["invocationId"].startswith("inproc-")
    assert record["compute"]["kind"] == "lambda" and record["compute"]["memoryMB"] == 256
    expected = EXPECTED[name]
    if expected.startswith("Router."):
        assert body["route"] == "rejected"
        assert body["rejection"]["errorType"] == expected
        assert body["rejection"]["errorMessage"]
        assert record["status"] == "rejected" and record["errorType"] == expected
        return
    assert body["route"] == expected
    assert record["status"] == "succeeded"
    plan = body.get("llm") or body.get("vision")
    assert plan["candidates"][0]["model"] and plan["candidates"][0]["attemptTimeoutMs"] > 0
    assert body["costCeilingPicoUSD"] >= body["estimatedCostPicoUSD"]
    chosen = [c for c in body["candidates"] if c.get("selected") == "primary"]
    assert chosen and all("rejected" not in c for c in chosen)
    text = json.dumps(body)
    assert "127.0.0.1" not in text and "api.openai.com" not in text, "decisions name catalog ids, never endpoints"


def test_estimate_matches_an_independent_computation_from_the_rates_table(emulator):
    event = json.loads((EVENTS / "chat-basic.json").read_text())
    body = emulator.invoke("router", event).json
    primary = body["llm"]["candidates"][0]
    expected = estimated_cost_pico(primary["model"], event, body["classification"]["category"])
    assert primary["estimatedCostPicoUSD"] == expected
    assert body["estimatedCostPicoUSD"] == expected


def test_over_budget_pro_tenant_is_downgraded(emulator):
    body = emulator.invoke("router", None, raw=(EVENTS / "over-budget-downgrade.json").read_bytes()).json
    assert body["budget"]["downgraded"] is True
    assert body["llm"]["candidates"][0]["model"] in {"gpt-4o-mini", "claude-3-haiku", "smollm2-135m"}


def test_unhealthy_model_in_signals_file_is_routed_around(emulator):
    # bedrock-llama3-70b has a 31% error rate in infra/local/router-signals.json.
    body = emulator.invoke("router", {"requestId": "r-health", "tenantId": "lexcorp-legal",
                                      "messages": [{"role": "user", "content": "Tell me about the history of tea"}]}).json
    llama = next(c for c in body["candidates"] if c["model"] == "bedrock-llama3-70b")
    assert "error rate 31%" in llama["rejected"]


def test_hostile_numbers_are_rejections_and_the_environment_stays_warm(emulator):
    for parameters in ({"maxTokens": 1_000_000_000_000}, {"maxTokens": -1}, {"temperature": 1e300}):
        result = emulator.invoke("router", {"requestId": "r-hostile", "tenantId": "initech",
                                            "messages": [{"role": "user", "content": "hi"}], "parameters": parameters})
        assert result.function_error is None, result.body
        assert result.json["rejection"]["errorType"] == "Router.InvalidRequest"
    ok = emulator.invoke("router", {"requestId": "r-after", "tenantId": "initech",
                                    "messages": [{"role": "user", "content": "hi"}]})
    assert ok.json["route"] == "llm"


def test_malformed_event_is_a_typed_runtime_error(emulator):
    result = emulator.invoke("router", None, raw=b'{"requestId": "r", "tenantId": 42}')
    assert result.function_error == "Unhandled"
    assert result.json["errorType"] == "Runtime.InvalidEvent"
    assert "tenantId" in result.json["errorMessage"]
