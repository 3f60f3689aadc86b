"""The router function's LLM-assisted classifier over real HTTP (libcurl) against a fake
OpenAI-compatible endpoint: a valid verdict is used, an invalid one falls back to the heuristic."""
from __future__ import annotations

import json

from emulator_fixtures import start_emulator
from router_fixtures import FakeClassifierEndpoint
from servers import REPO


def start_router(tmp_path, endpoint_url: str):
    policy = json.loads((REPO / "infra" / "policy.json").read_text())
    policy["classifier"] = {"mode": "llm", "model": "smollm2-135m", "base_url": "http://127.0.0.1:9/v1",
                            "timeout_ms": 2000, "confidence_threshold": 0.3}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    config = {"functions": [{"name": "router", "bootstrap": "${SWITCHYARD_BIN}/router-function", "timeoutSeconds": 5,
                             "environment": {"SWITCHYARD_POLICY": str(path), "SWITCHYARD_CLASSIFIER_URL": endpoint_url,
                                             "SWITCHYARD_CLASSIFIER_API_KEY": "test-key"}}]}
    return start_emulator(config, tmp_path=tmp_path)


def test_valid_verdict_is_used(tmp_path):
    with FakeClassifierEndpoint('{"category": "legal", "difficulty": "hard"}') as endpoint:
        emulator, process = start_router(tmp_path, endpoint.url)
        try:
            body = emulator.invoke("router", {"tenant_id": "lexcorp-legal", "prompt": "Please look at this for me"}).json
        finally:
            process.stop()
    assert body["classification"]["classifier"] == "llm"
    assert body["classification"]["category"] == "legal"
    assert body["matched_rule"] == "legal-medical-accuracy"
    request = endpoint.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == "Bearer test-key"
    assert request["body"]["response_format"]["schema"]["required"] == ["category", "difficulty"]


def test_invalid_verdict_falls_back_to_heuristic(tmp_path):
    with FakeClassifierEndpoint("This looks like a legal question to me!") as endpoint:
        emulator, process = start_router(tmp_path, endpoint.url)
        try:
            body = emulator.invoke("router", {"tenant_id": "acme-startup", "prompt": "Translate into French: good night"}).json
        finally:
            process.stop()
    assert body["classification"]["classifier"] == "heuristic"
    assert body["classification"]["category"] == "translation"
    assert "rejected" in body["classification"]["fallback_reason"]
