"""The router reading live signals from the usage store: the usage-logger function writes a
tenant's spend into SecantusDB, and the router function (MONGODB_URI set) refuses the tenant
once its month-to-date spend reaches the tier's budget."""
from __future__ import annotations

import time

import pytest

from emulator_fixtures import start_emulator
from mongo_fixtures import mongo  # noqa: F401 (fixture)
from servers import REPO


@pytest.fixture(scope="module")
def emulator(mongo, tmp_path_factory):
    store = {"MONGODB_URI": mongo.uri, "SWITCHYARD_DB": "router_signals", "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "500"}
    config = {"functions": [
        {"name": "usage-logger", "bootstrap": "${SWITCHYARD_BIN}/usage-logger-function", "timeoutSeconds": 20,
         "environment": {**store, "USAGE_RATES_FILE": str(REPO / "infra" / "rates.json")}},
        {"name": "router", "bootstrap": "${SWITCHYARD_BIN}/router-function", "timeoutSeconds": 10,
         "environment": {**store, "SWITCHYARD_POLICY": str(REPO / "infra" / "policy.json"), "ROUTER_SIGNALS_TTL_MS": "0"}},
    ]}
    em, process = start_emulator(config, tmp_path=tmp_path_factory.mktemp("router-signals"))
    yield em
    process.stop()


def usage(request_id: str, tenant: str, input_tokens: int, output_tokens: int) -> dict:
    return {"requestId": request_id, "executionId": f"arn:aws:states:us-east-1:1:express:switchyard:{request_id}", "step": "llm",
            "invocationId": f"inv-{request_id}", "attempt": 0,
            "timestamp": int(time.time() * 1000), "tenant": tenant, "user": "u", "tier": "basic", "route": "test",
            "provider": "openai", "model": "gpt-4o", "backend": "external", "modality": "text",
            "tokens": {"input": input_tokens, "output": output_tokens, "cached": 0, "reasoning": 0},
            "latency": {"totalMs": 800, "backendMs": 750, "ttftMs": 200}, "status": "succeeded"}


def test_spend_from_the_usage_store_is_enforced(emulator):
    before = emulator.invoke("router", {"tenant_id": "free-demo", "prompt": "hello there"})
    assert before.function_error is None, before.body
    assert before.json["budget"]["month_to_date_micro_usd"] == 0
    assert before.json["budget"]["monthly_budget_micro_usd"] == 1_000_000

    # 100k input + 30k output tokens of gpt-4o: $0.50 + $0.60 = $1.10, over free-demo's $1.00.
    logged = emulator.invoke("usage-logger", usage("router-signals-1", "free-demo", 100_000, 30_000))
    assert logged.function_error is None, logged.body

    after = emulator.invoke("router", {"tenant_id": "free-demo", "prompt": "hello there"})
    assert after.function_error == "Unhandled", after.body
    assert after.json["errorType"] == "Router.BudgetExceeded"
    assert "free-demo" in after.json["errorMessage"]

    # Another tenant is unaffected.
    other = emulator.invoke("router", {"tenant_id": "acme-startup", "prompt": "hello there"})
    assert other.function_error is None and other.json["budget"]["month_to_date_micro_usd"] == 0
