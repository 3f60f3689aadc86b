"""The router function end to end: the real bootstrap behind the emulator's Invoke API, fed the
sample events in events/router/, with the local signals file (spend, model health)."""
from __future__ import annotations

import json

import pytest

from emulator_fixtures import start_emulator
from servers import REPO

EVENTS = REPO / "events" / "router"

# What each sample event must produce: a backend, or a typed error.
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
        "environment": {"SWITCHYARD_POLICY": str(REPO / "infra" / "policy.json"),
                        "SWITCHYARD_SIGNALS_FILE": str(REPO / "infra" / "local" / "router-signals.json")}}]}
    em, process = start_emulator(config, tmp_path=tmp_path_factory.mktemp("router"))
    yield em
    process.stop()


def test_every_sample_event_has_an_expectation():
    assert {p.name for p in EVENTS.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event(emulator, name):
    result = emulator.invoke("router", None, raw=(EVENTS / name).read_bytes())
    assert result.status == 200
    body = result.json
    expected = EXPECTED[name]
    if expected.startswith("Router."):
        assert result.function_error == "Unhandled", body
        assert body["errorType"] == expected
        assert body["errorMessage"]
        return
    assert result.function_error is None, body
    assert body["backend"] == expected
    assert body["request_id"] == json.loads((EVENTS / name).read_text())["request_id"]
    assert body["primary"]["model"] and body["primary"]["provider"]
    assert body["attempt_timeout_ms"] > 0
    assert body["cost_ceiling_micro_usd"] >= body["estimated_cost_micro_usd"]
    assert body["explanation"]
    chosen = [c for c in body["candidates"] if c.get("selected") == "primary"]
    assert chosen and all("rejected" not in c for c in chosen)


def test_over_budget_pro_tenant_is_downgraded(emulator):
    body = emulator.invoke("router", None, raw=(EVENTS / "over-budget-downgrade.json").read_bytes()).json
    assert body["budget"]["downgraded"] is True
    assert body["primary"]["model"] in {"gpt-4o-mini", "claude-3-haiku", "smollm2-135m"}


def test_unhealthy_model_in_signals_file_is_routed_around(emulator):
    # bedrock-llama3-70b has a 31% error rate in infra/local/router-signals.json.
    body = emulator.invoke("router", {"tenant_id": "lexcorp-legal", "prompt": "Tell me about the history of tea"}).json
    llama = next(c for c in body["candidates"] if c["model"] == "bedrock-llama3-70b")
    assert "error rate 31%" in llama["rejected"]


def test_malformed_event_is_a_typed_runtime_error(emulator):
    result = emulator.invoke("router", None, raw=b'{"tenant_id": 42}')
    assert result.function_error == "Unhandled"
    assert result.json["errorType"] == "Runtime.InvalidEvent"
    assert "tenant_id" in result.json["errorMessage"]
