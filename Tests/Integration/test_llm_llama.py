"""The llm-caller against the real llama.cpp OpenAI-compatible server running SmolLM2-135M."""
from __future__ import annotations

from llm_fixtures import fake_providers, llama_server, llm_emulator  # noqa: F401


def call(emulator, base_url, stream):
    return emulator.invoke("llm-caller", {
        "requestId": "llama-1", "messages": [{"role": "user", "content": "Name one colour."}],
        "maxTokens": 12, "temperature": 0, "stream": stream,
        "candidates": [{"provider": "openai-compatible", "model": "smollm2-135m", "baseURL": base_url, "timeoutMs": 170000}],
    }, timeout=200)


def test_llama_buffered_call_reports_exact_usage(llm_emulator, llama_server):
    result = call(llm_emulator, llama_server, stream=False)
    assert result.function_error is None, result.body
    out = result.json
    assert out["outcome"] == "succeeded" and out["text"].strip()
    usage = out["usage"]
    assert usage["estimated"] is False
    assert usage["inputTokens"] > 5 and 0 < usage["outputTokens"] <= 12
    assert out["attempts"][0]["httpStatus"] == 200


def test_llama_streamed_call_completes_with_ttft_and_tokenizer_counts(llm_emulator, llama_server):
    result = call(llm_emulator, llama_server, stream=True)
    assert result.function_error is None, result.body
    out = result.json
    assert out["outcome"] == "succeeded" and out["text"].strip()
    assert 0 < out["ttftMs"] <= out["latencyMs"]
    # llama.cpp's server sends no usage in streams: the llm-caller counts with the server's own
    # tokenizer and marks the figures estimated. At temperature 0 the buffered call produces the
    # same text, with exact usage to compare against.
    assert out["usage"]["estimated"] is True
    buffered = call(llm_emulator, llama_server, stream=False).json
    assert buffered["text"] == out["text"]
    assert abs(out["usage"]["outputTokens"] - buffered["usage"]["outputTokens"]) <= 1
