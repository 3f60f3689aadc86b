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


# ---------------------------------------------------------------- the learned n-gram classifier

import shutil
import subprocess
import sys

MODEL_FILE = json.loads((REPO / "infra" / "policy.json").read_text())["classifier"]["learned"]["file"]


def start_router_with(tmp_path, policy: dict, env: dict | None = None):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    config = {"functions": [{"name": "router", "bootstrap": "${SWITCHYARD_BIN}/router-function", "timeoutSeconds": 5,
                             "environment": {"SWITCHYARD_POLICY": str(path), **(env or {})}}]}
    return start_emulator(config, tmp_path=tmp_path)


def policy_with_model(tmp_path, model_bytes: bytes | None, version: str | None = None) -> dict:
    """The repository policy beside a copy of the model (or none), as the zip lays them out."""
    policy = json.loads((REPO / "infra" / "policy.json").read_text())
    if model_bytes is not None:
        (tmp_path / MODEL_FILE).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / MODEL_FILE).write_bytes(model_bytes)
    if version:
        policy["classifier"]["learned"]["version"] = version
    return policy


def init_error(tmp_path, policy) -> dict:
    emulator, process = start_router_with(tmp_path, policy)
    try:
        result = emulator.invoke("router", {"tenant_id": "acme-startup", "prompt": "hello"})
    finally:
        process.stop()
    assert result.function_error == "Unhandled", result.body
    return result.json


def test_learned_classifier_is_the_default(tmp_path):
    policy = policy_with_model(tmp_path, (REPO / "infra" / MODEL_FILE).read_bytes())
    emulator, process = start_router_with(tmp_path, policy)
    try:
        body = emulator.invoke("router", {"tenant_id": "lexcorp-legal",
                                          "prompt": "Translate into Spanish: the delivery is delayed until Friday."}).json
    finally:
        process.stop()
    assert body["classification"]["classifier"] == "learned"
    assert body["classification"]["category"] == "translation"
    assert 0.5 <= body["classification"]["confidence"] <= 1


def test_router_agrees_with_the_trainer_on_validation_prompts(tmp_path):
    """The packaged binary, through the Invoke API, labels prompts as `train_router.py predict` does."""
    records = [json.loads(line) for line in (REPO / "events/routing/corpus/validation.jsonl").read_text().splitlines()]
    sample = [r for r in records if r["images"] == 0][::9][:20]
    (tmp_path / "sample.jsonl").write_text("".join(json.dumps(r) + "\n" for r in sample))
    out = subprocess.run([sys.executable, str(REPO / "scripts/lib/train_router.py"), "predict", "--model",
                          str(REPO / "infra" / MODEL_FILE), "--input", str(tmp_path / "sample.jsonl")],
                         check=True, capture_output=True, text=True).stdout
    expected = [json.loads(line) for line in out.splitlines()]
    policy = policy_with_model(tmp_path, (REPO / "infra" / MODEL_FILE).read_bytes())
    emulator, process = start_router_with(tmp_path, policy)
    try:
        for record, want in zip(sample, expected):
            body = emulator.invoke("router", {"tenant_id": "initech", "prompt": record["text"]}).json
            assert body["classification"]["category"] == want["category"], record["id"]
            assert body["classification"]["difficulty"] == want["difficulty"], record["id"]
            assert abs(body["classification"]["confidence"] - want["confidence"]) <= 0.0005 + 1e-9, record["id"]
    finally:
        process.stop()


def test_corrupt_model_is_a_typed_init_error(tmp_path):
    model = bytearray((REPO / "infra" / MODEL_FILE).read_bytes())
    model[len(model) // 3] ^= 0x01
    doc = init_error(tmp_path, policy_with_model(tmp_path, bytes(model)))
    assert doc["errorType"] == "Router.InvalidClassifier"
    assert "checksum" in doc["errorMessage"]


def test_missing_model_is_a_typed_init_error(tmp_path):
    doc = init_error(tmp_path, policy_with_model(tmp_path, None))
    assert doc["errorType"] == "Router.InvalidClassifier"
    assert "cannot be read" in doc["errorMessage"]


def test_model_of_another_version_is_a_typed_init_error(tmp_path):
    doc = init_error(tmp_path, policy_with_model(tmp_path, (REPO / "infra" / MODEL_FILE).read_bytes(), "router-ngram-0"))
    assert doc["errorType"] == "Router.InvalidClassifier"
    assert "router-ngram-0" in doc["errorMessage"]


def test_uncertain_verdict_takes_the_safe_default(tmp_path):
    policy = policy_with_model(tmp_path, (REPO / "infra" / MODEL_FILE).read_bytes())
    threshold = policy["classifier"]["confidence_threshold"]
    emulator, process = start_router_with(tmp_path, policy)
    try:
        vague = emulator.invoke("router", {"tenant_id": "lexcorp-legal", "prompt": "zebra quantum teapot"}).json
        clear = emulator.invoke("router", {"tenant_id": "lexcorp-legal",
                                           "prompt": "Hi! Any tips for a relaxing weekend at home?"}).json
    finally:
        process.stop()
    assert vague["classification"]["confidence"] < threshold
    assert vague["matched_rule"] == "uncertain-safe-default"
    assert vague["quality_floor"] == 0.88
    assert clear["classification"]["confidence"] >= threshold
    assert clear.get("matched_rule") != "uncertain-safe-default"


def test_llm_mode_falls_back_to_the_learned_model(tmp_path):
    with FakeClassifierEndpoint("not json at all") as endpoint:
        policy = policy_with_model(tmp_path, (REPO / "infra" / MODEL_FILE).read_bytes())
        policy["classifier"]["mode"] = "llm"
        emulator, process = start_router_with(tmp_path, policy, {"SWITCHYARD_CLASSIFIER_URL": endpoint.url})
        try:
            body = emulator.invoke("router", {"tenant_id": "acme-startup",
                                              "prompt": "Translate into French: good night"}).json
        finally:
            process.stop()
    assert len(endpoint.requests) == 1
    assert body["classification"]["classifier"] == "learned"
    assert body["classification"]["category"] == "translation"
    assert "rejected" in body["classification"]["fallback_reason"]
