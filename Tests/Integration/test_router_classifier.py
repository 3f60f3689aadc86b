"""The router function's classifiers through the real binary: the LLM-assisted classifier over
real HTTP (libcurl, through the providers' OpenAI codec) against a fake OpenAI-compatible
endpoint, and the learned n-gram classifier the policy names (loaded at init, typed init errors,
the safe default for uncertain verdicts, agreement with the trainer)."""
from __future__ import annotations

import json
import subprocess
import sys

from emulator_fixtures import start_emulator
from router_fixtures import FakeClassifierEndpoint, bundle_copy
from servers import REPO

MODEL_FILE = json.loads((REPO / "infra" / "policy.json").read_text())["classifier"]["learned"]["file"]


def start_router(tmp_path, bundle, env: dict | None = None):
    config = {"functions": [{"name": "router", "bootstrap": "${SWITCHYARD_BIN}/router-function", "timeoutSeconds": 5,
                             "environment": {"SWITCHYARD_BUNDLE_DIR": str(bundle), **(env or {})}}]}
    return start_emulator(config, tmp_path=tmp_path)


def request(tenant: str, text: str) -> dict:
    return {"requestId": "r-classifier", "tenantId": tenant, "messages": [{"role": "user", "content": text}]}


def llm_classifier(policy):
    policy["classifier"] = {"mode": "llm", "model": "smollm2-135m", "base_url": "http://127.0.0.1:9/v1",
                            "timeout_ms": 2000, "confidence_threshold": 0.3}


def test_valid_verdict_is_used(tmp_path):
    with FakeClassifierEndpoint('{"category": "legal", "difficulty": "hard"}') as endpoint:
        emulator, process = start_router(
            tmp_path, bundle_copy(tmp_path, llm_classifier),
            {"SWITCHYARD_CLASSIFIER_URL": endpoint.url, "SWITCHYARD_CLASSIFIER_API_KEY": "test-key"})
        try:
            body = emulator.invoke("router", request("lexcorp-legal", "Please look at this for me")).json
        finally:
            process.stop()
    assert body["classification"]["classifier"] == "llm"
    assert body["classification"]["category"] == "legal"
    assert body["matchedRule"] == "legal-medical-accuracy"
    sent = endpoint.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["authorization"] == "Bearer test-key"
    assert sent["body"]["model"] == "smollm2-135m"
    assert sent["body"]["response_format"]["type"] == "json_object"
    assert sent["body"]["response_format"]["schema"]["required"] == ["category", "difficulty"]


def test_invalid_verdict_falls_back_to_heuristic(tmp_path):
    with FakeClassifierEndpoint("This looks like a legal question to me!") as endpoint:
        emulator, process = start_router(
            tmp_path, bundle_copy(tmp_path, llm_classifier), {"SWITCHYARD_CLASSIFIER_URL": endpoint.url})
        try:
            body = emulator.invoke("router", request("acme-startup", "Translate into French: good night")).json
        finally:
            process.stop()
    assert body["classification"]["classifier"] == "heuristic"
    assert body["classification"]["category"] == "translation"
    assert "rejected" in body["classification"]["fallbackReason"]


# ---------------------------------------------------------------- the learned n-gram classifier

def init_error(tmp_path, bundle) -> dict:
    emulator, process = start_router(tmp_path, bundle)
    try:
        result = emulator.invoke("router", request("acme-startup", "hello"))
    finally:
        process.stop()
    assert result.function_error == "Unhandled", result.body
    return result.json


def test_learned_classifier_is_the_default(tmp_path):
    emulator, process = start_router(tmp_path, bundle_copy(tmp_path))
    try:
        body = emulator.invoke(
            "router", request("lexcorp-legal", "Translate into Spanish: the delivery is delayed until Friday.")).json
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
    emulator, process = start_router(tmp_path, bundle_copy(tmp_path))
    try:
        for record, want in zip(sample, expected):
            body = emulator.invoke("router", request("initech", record["text"])).json
            assert body["classification"]["category"] == want["category"], record["id"]
            assert body["classification"]["difficulty"] == want["difficulty"], record["id"]
            assert abs(body["classification"]["confidence"] - want["confidence"]) <= 0.0005 + 1e-9, record["id"]
    finally:
        process.stop()


def test_corrupt_model_is_refused_by_packaging_and_a_damaged_one_at_init(tmp_path):
    # A changed weight: the router does not re-read the whole table at init (the zip is checked as a
    # whole); scripts/package refuses to ship it, by the check it runs on the copy it packs.
    model = bytearray((REPO / "infra" / MODEL_FILE).read_bytes())
    model[len(model) // 3] ^= 0x01
    flipped = tmp_path / "flipped.bin"
    flipped.write_bytes(bytes(model))
    check = subprocess.run([sys.executable, "-c", "import pathlib, sys; sys.path.insert(0, 'scripts/lib'); "
                            "import train_router; train_router.Model.read(pathlib.Path(sys.argv[1]))", str(flipped)],
                           cwd=REPO, capture_output=True, text=True)
    assert check.returncode != 0 and "bad checksum" in check.stderr
    assert "train_router.Model.read" in (REPO / "scripts" / "package").read_text()
    # Damage the format bounds (a truncated table) is a typed init error.
    doc = init_error(tmp_path, bundle_copy(tmp_path, model=bytes(model[:-100])))
    assert doc["errorType"] == "Router.InvalidClassifier"
    assert "header implies" in doc["errorMessage"]


def test_missing_model_is_a_typed_init_error(tmp_path):
    doc = init_error(tmp_path, bundle_copy(tmp_path, with_model=False))
    assert doc["errorType"] == "Router.InvalidClassifier"
    assert "cannot be read" in doc["errorMessage"]


def test_model_of_another_version_is_a_typed_init_error(tmp_path):
    def other_version(policy):
        policy["classifier"]["learned"]["version"] = "router-ngram-0"
    doc = init_error(tmp_path, bundle_copy(tmp_path, other_version))
    assert doc["errorType"] == "Router.InvalidClassifier"
    assert "router-ngram-0" in doc["errorMessage"]


def test_uncertain_verdict_takes_the_safe_default(tmp_path):
    bundle = bundle_copy(tmp_path)
    policy = json.loads((bundle / "policy.json").read_text())
    threshold = policy["classifier"]["confidence_threshold"]
    safe_floor = next(r["then"]["qualityFloor"] for r in policy["rules"] if r["name"] == "uncertain-safe-default")
    emulator, process = start_router(tmp_path, bundle)
    try:
        vague = emulator.invoke("router", request("lexcorp-legal", "zebra quantum teapot")).json
        clear = emulator.invoke("router", request("lexcorp-legal", "Hi! Any tips for a relaxing weekend at home?")).json
    finally:
        process.stop()
    assert vague["classification"]["confidence"] < threshold
    assert vague["matchedRule"] == "uncertain-safe-default"
    assert vague["qualityFloor"] == safe_floor
    assert clear["classification"]["confidence"] >= threshold
    assert clear.get("matchedRule") != "uncertain-safe-default"


def test_llm_mode_falls_back_to_the_learned_model(tmp_path):
    def llm_mode(policy):
        policy["classifier"]["mode"] = "llm"
    with FakeClassifierEndpoint("not json at all") as endpoint:
        emulator, process = start_router(
            tmp_path, bundle_copy(tmp_path, llm_mode), {"SWITCHYARD_CLASSIFIER_URL": endpoint.url})
        try:
            body = emulator.invoke("router", request("acme-startup", "Translate into French: good night")).json
        finally:
            process.stop()
    assert len(endpoint.requests) == 1
    assert body["classification"]["classifier"] == "learned"
    assert body["classification"]["category"] == "translation"
    assert "rejected" in body["classification"]["fallbackReason"]
