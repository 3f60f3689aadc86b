"""The llm-caller against the real llama.cpp OpenAI-compatible server running SmolLM2-135M, with
the model resolved from the catalog (the server's address is the configured default endpoint for
`openai-compatible`, as in the local stack)."""
from __future__ import annotations

import pytest

from emulator_fixtures import start_emulator
from llm_fixtures import (RetryingInvoker, TestCatalog, caller_environment, fake_providers,  # noqa: F401
                          function_config, llama_server, llm_bundle, step)

CATALOG = TestCatalog()
SMOL = CATALOG.model("openai-compatible", "smollm2-135m", raw_name=True, window=2048, capabilities=("streaming",))


@pytest.fixture(scope="module")
def llama_emulator(fake_providers, llm_bundle, llama_server, tmp_path_factory):
    env = caller_environment(fake_providers, llm_bundle, LLM_COMPATIBLE_BASE_URL=llama_server)
    emulator, process = start_emulator(function_config(env, timeout_seconds=240),
                                       tmp_path=tmp_path_factory.mktemp("llama-emulator"))
    try:
        yield RetryingInvoker(emulator)
    finally:
        process.stop()


def call(emulator, stream):
    e = step(SMOL, stream=stream, messages=[{"role": "user", "content": "Name one colour."}],
             parameters={"maxTokens": 12, "temperature": 0}, window=2048, timeout_ms=170000, max_output=12)
    result = emulator.invoke("llm-caller", e, timeout=200)
    assert result.function_error is None, result.body
    out = result.json
    assert out["status"] == "succeeded", out
    return out


def test_llama_buffered_call_reports_exact_usage(llama_emulator):
    out = call(llama_emulator, stream=False)
    assert out["answer"]["text"].strip() and out["answer"]["providerModel"]
    tokens = out["answer"]["tokens"]
    assert tokens["estimated"] is False
    assert tokens["input"] > 5 and 0 < tokens["output"] <= 12
    assert out["usage"][0]["tokens"] == tokens and out["usage"][0]["provider"] == "openai-compatible"


def test_llama_streamed_call_completes_with_ttft_and_tokenizer_counts(llama_emulator):
    out = call(llama_emulator, stream=True)
    answer = out["answer"]
    assert answer["text"].strip()
    assert 0 < answer["ttftMs"] <= out["latencyMs"]
    # llama.cpp's server sends no usage in streams: the llm-caller counts with the server's own
    # tokenizer and marks the figures estimated. At temperature 0 the buffered call produces the
    # same text, with exact usage to compare against.
    assert answer["tokens"]["estimated"] is True
    buffered = call(llama_emulator, stream=False)["answer"]
    assert buffered["text"] == answer["text"]
    assert abs(answer["tokens"]["output"] - buffered["tokens"]["output"]) <= 1
