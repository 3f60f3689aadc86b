"""The llm-caller end to end: the real bootstrap under the local Lambda emulator, calling the
protocol-exact fake OpenAI / Anthropic / Bedrock server. Every fault the fake can inject is
checked for retry counts, fallbacks taken, exact usage and no double counting."""
from __future__ import annotations

import json

import pytest

from emulator_fixtures import start_emulator
from llm_fixtures import (RetryingInvoker, caller_environment, fake_providers, function_config,  # noqa: F401
                          llm_emulator, scenario)

PROVIDERS = ["openai", "anthropic", "bedrock"]


def event(*candidates, stream=False, **extra):
    body = {"requestId": "req-1", "tenantId": "acme",
            "messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": "What is the capital of France?"}],
            "maxTokens": 64, "stream": stream, "candidates": list(candidates)}
    body.update(extra)
    return body


def cand(provider, model, **extra):
    return {"provider": provider, "model": model, **extra}


def expected_usage(provider: str, reported: dict) -> dict:
    """The fake's usage, normalised the way the llm-caller documents it."""
    if provider == "openai":
        return {"inputTokens": reported["prompt_tokens"], "outputTokens": reported["completion_tokens"],
                "cachedInputTokens": reported["prompt_tokens_details"]["cached_tokens"],
                "reasoningTokens": reported["completion_tokens_details"]["reasoning_tokens"],
                "cacheCreationInputTokens": 0, "estimated": False}
    if provider == "anthropic":
        read, write = reported["cache_read_input_tokens"], reported["cache_creation_input_tokens"]
        return {"inputTokens": reported["input_tokens"] + read + write, "outputTokens": reported["output_tokens"],
                "cachedInputTokens": read, "reasoningTokens": 0, "cacheCreationInputTokens": write, "estimated": False}
    read, write = reported.get("cacheReadInputTokens", 0), reported.get("cacheWriteInputTokens", 0)
    return {"inputTokens": reported["inputTokens"] + read + write, "outputTokens": reported["outputTokens"],
            "cachedInputTokens": read, "reasoningTokens": 0, "cacheCreationInputTokens": write, "estimated": False}


def ok(result):
    assert result.status == 200 and result.function_error is None, result.body
    return result.json


def failed(result, error_type):
    assert result.function_error == "Unhandled", result.body
    assert result.json["errorType"] == error_type, result.body
    return result.json


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_success_usage_is_exact(llm_emulator, fake_providers, provider, stream):
    model = scenario("m-ok", cached="5", reasoning="3" if provider == "openai" else "0", cache_write="2")
    out = ok(llm_emulator.invoke("llm-caller", event(cand(provider, model), stream=stream)))
    seen = fake_providers.requests(model)
    assert len(seen) == 1 and seen[0]["status"] == 200
    assert seen[0]["stream"] == stream  # Bedrock: ConverseStream, AWS event-stream framing
    assert out["outcome"] == "succeeded" and out["provider"] == provider and out["model"] == model
    assert out["text"].startswith("Echo: Be brief.") and out["finishReason"] == "stop"
    assert out["usage"] == expected_usage(provider, seen[0]["usage"])
    assert [a["outcome"] for a in out["attempts"]] == ["ok"]
    assert out["attempts"][0]["usage"] == out["usage"]
    assert out["providerRequestId"]
    assert (out.get("ttftMs") is not None) == stream


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_rate_limit_is_retried_after_retry_after(llm_emulator, fake_providers, provider):
    model = scenario("m", fault="rate_limit", times="1", retry_after="0.4")
    out = ok(llm_emulator.invoke("llm-caller", event(cand(provider, model), stream=True)))
    attempts = out["attempts"]
    assert [a["outcome"] for a in attempts] == ["Provider.RateLimited", "ok"]
    assert attempts[0]["httpStatus"] == 429 and attempts[0].get("usage") is None
    assert attempts[1]["startedAtMs"] - attempts[0]["startedAtMs"] >= 400
    assert [r["status"] for r in fake_providers.requests(model)] == [429, 200]


def test_rate_limit_longer_than_allowed_falls_back_at_once(llm_emulator, fake_providers):
    slow = scenario("m", fault="rate_limit", retry_after="60")
    spare = scenario("spare")
    out = ok(llm_emulator.invoke("llm-caller", event(cand("openai", slow), cand("anthropic", spare))))
    assert [a["outcome"] for a in out["attempts"]] == ["Provider.RateLimited", "ok"]
    assert out["fallbackUsed"] is True and out["provider"] == "anthropic"
    assert out["latencyMs"] < 5000


@pytest.mark.parametrize("fault,status", [("server_error", 500), ("overloaded", 529)])
def test_upstream_errors_retry_once_then_fall_back(llm_emulator, fake_providers, fault, status):
    broken = scenario("claude", fault=fault)
    spare = scenario("gpt")
    out = ok(llm_emulator.invoke("llm-caller", event(cand("anthropic", broken), cand("openai", spare))))
    assert [(a["model"], a["outcome"], a["httpStatus"]) for a in out["attempts"]] == [
        (broken, "Provider.UpstreamError", status), (broken, "Provider.UpstreamError", status), (spare, "ok", 200)]
    assert len(fake_providers.requests(broken)) == 2
    assert out["fallbackUsed"] is True and out["model"] == spare
    assert out["usage"] == expected_usage("openai", fake_providers.requests(spare)[0]["usage"])


def test_slow_first_byte_times_out_per_attempt(llm_emulator, fake_providers):
    slow = scenario("m", fault="slow", delay_ms="1500")
    spare = scenario("spare")
    out = ok(llm_emulator.invoke("llm-caller", event(cand("openai", slow, timeoutMs=300), cand("anthropic", spare), stream=True)))
    outcomes = [a["outcome"] for a in out["attempts"]]
    assert outcomes == ["Provider.Timeout", "Provider.Timeout", "ok"]
    for attempt in out["attempts"][:2]:
        assert 250 <= attempt["latencyMs"] < 1000
    assert out["provider"] == "anthropic"


@pytest.mark.parametrize("fault", ["cut", "drop"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_cut_before_terminator_is_never_a_success(llm_emulator, fake_providers, provider, fault):
    cut = scenario("m", fault=fault)
    spare = scenario("spare")
    other = "openai" if provider == "anthropic" else "anthropic"
    out = ok(llm_emulator.invoke("llm-caller", event(cand(provider, cut), cand(other, spare), stream=True)))
    assert [a["outcome"] for a in out["attempts"]] == ["Provider.Truncated", "Provider.Truncated", "ok"]
    # The cut attempts streamed text: billing gets their usage, marked as estimated.
    for attempt in out["attempts"][:2]:
        assert attempt["usage"]["estimated"] is True and attempt["usage"]["outputTokens"] > 0
        assert attempt["usage"]["inputTokens"] > 0
    final = fake_providers.requests(spare)[0]["usage"]
    assert out["usage"] == expected_usage(other, final)
    assert out["attempts"][2]["usage"] == out["usage"]


def test_cut_stream_without_fallback_is_a_typed_error(llm_emulator):
    result = llm_emulator.invoke("llm-caller", event(cand("openai", scenario("m", fault="cut")), stream=True))
    body = failed(result, "Provider.Truncated")
    assert "attempts=" in body["errorMessage"]  # a Catch can still bill the attempts
    returned = ok(llm_emulator.invoke("llm-caller", event(cand("openai", scenario("m", fault="cut")), stream=True, onFailure="return")))
    assert returned["outcome"] == "failed" and returned["error"]["errorType"] == "Provider.Truncated"
    assert len(returned["attempts"]) == 2


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_json_is_bad_response(llm_emulator, fake_providers, provider, stream):
    model = scenario("m", fault="malformed")
    result = llm_emulator.invoke("llm-caller", event(cand(provider, model), stream=stream, maxAttemptsPerModel=1))
    failed(result, "Provider.BadResponse")
    assert len(fake_providers.requests(model)) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_context_error_passes_the_message_through(llm_emulator, provider):
    body = failed(llm_emulator.invoke("llm-caller", event(cand(provider, scenario("m", fault="context")))), "LLM.ContextWindowExceeded")
    assert "too long" in body["errorMessage"] or "maximum context length" in body["errorMessage"]


def test_prompt_over_the_window_is_refused_before_any_paid_call(llm_emulator, fake_providers):
    model = scenario("small")
    long_prompt = event(cand("openai", model, contextWindow=512))
    long_prompt["messages"][1]["content"] = "word " * 3000
    body = failed(llm_emulator.invoke("llm-caller", long_prompt), "LLM.ContextWindowExceeded")
    assert "context window" in body["errorMessage"]
    assert fake_providers.requests(model) == []


def test_authentication_failure_is_not_retried(llm_emulator, fake_providers):
    model = scenario("m", fault="auth")
    failed(llm_emulator.invoke("llm-caller", event(cand("anthropic", model))), "Provider.AuthenticationFailed")
    assert len(fake_providers.requests(model)) == 1


@pytest.mark.parametrize("mutate,needle", [
    (lambda e: e.update(messages=[]), "at least one message"),
    (lambda e: e["messages"].append({"role": "robot", "content": "hi"}), "is not one of system, user, assistant"),
    (lambda e: e["messages"].append({"role": "user", "content": [
        {"type": "image", "mediaType": "image/png", "data": "SGVsbG8sIHRoaXMgaXMgbm90IGFuIGltYWdl"}]}), "not a JPEG, PNG, GIF or WebP"),
    (lambda e: e.update(candidates=[{"provider": "acme", "model": "x"}]), "is not one of openai"),
])
def test_bad_input_is_refused_before_any_call(llm_emulator, fake_providers, mutate, needle):
    model = scenario("never-called")
    e = event(cand("openai", model))
    mutate(e)
    body = failed(llm_emulator.invoke("llm-caller", e), "LLM.InvalidRequest")
    assert needle in body["errorMessage"]
    assert fake_providers.requests(model) == []


def test_every_attempt_is_billed_once(llm_emulator, fake_providers):
    """Sum of billed attempts equals what the providers charged; the top-level usage is one of them."""
    first = scenario("m", fault="cut")
    second = scenario("m", fault="rate_limit", times="1", retry_after="0.1", cached="4")
    out = ok(llm_emulator.invoke("llm-caller", event(cand("anthropic", first), cand("openai", second), stream=True)))
    assert [a["outcome"] for a in out["attempts"]] == ["Provider.Truncated", "Provider.Truncated", "Provider.RateLimited", "ok"]
    billed = [a for a in out["attempts"] if a.get("usage") is not None]
    assert len(billed) == 3  # two cut streams (charged) and the success; the 429 is free
    exact = [a for a in billed if not a["usage"]["estimated"]]
    assert exact == [out["attempts"][-1]]
    assert out["usage"] == expected_usage("openai", fake_providers.requests(second)[-1]["usage"])
    assert out["usage"]["cachedInputTokens"] == 4


def test_cooldown_skips_a_failing_provider_on_later_calls(fake_providers, tmp_path):
    env = caller_environment(fake_providers, LLM_COOLDOWN_FAILURES="2", LLM_COOLDOWN_SECONDS="60")
    # One execution environment: cooldowns live in a warm environment's memory.
    emulator, process = start_emulator(function_config(env, max_concurrency=1), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        broken = scenario("m", fault="server_error")
        spare = scenario("spare")
        first = ok(emulator.invoke("llm-caller", event(cand("anthropic", broken), cand("openai", spare))))
        assert [a["outcome"] for a in first["attempts"]] == ["Provider.UpstreamError", "Provider.UpstreamError", "ok"]
        second = ok(emulator.invoke("llm-caller", event(cand("anthropic", broken), cand("openai", spare))))
        assert [(a["outcome"], a["sent"]) for a in second["attempts"]] == [("Provider.CoolingDown", False), ("ok", True)]
        assert len(fake_providers.requests(broken)) == 2
    finally:
        process.stop()


def test_keys_come_from_secrets_manager_once_and_never_leak(fake_providers, tmp_path):
    env = caller_environment(fake_providers, LLM_PROVIDER_SECRET_ID="llm-provider-keys",
                             AWS_ENDPOINT_URL_SECRETS_MANAGER=fake_providers.url)
    del env["OPENAI_API_KEY"], env["ANTHROPIC_API_KEY"]
    # One execution environment, so "read once" is about its cache (each environment has its own).
    emulator, process = start_emulator(function_config(env, max_concurrency=1), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        for provider in ("openai", "anthropic", "openai"):
            out = ok(emulator.invoke("llm-caller", event(cand(provider, scenario("m")))))
            assert out["outcome"] == "succeeded"
            assert "sk-" not in json.dumps(out)
        reads = fake_providers.requests("llm-provider-keys")
        assert len(reads) == 1 and reads[0]["signed"] and reads[0]["status"] == 200  # cached after the first read
        missing = dict(env, LLM_PROVIDER_SECRET_ID="no-such-secret")
    finally:
        process.stop()
    emulator, process = start_emulator(function_config(missing, max_concurrency=1), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        body = failed(emulator.invoke("llm-caller", event(cand("openai", scenario("m")))), "LLM.CredentialsUnavailable")
        assert "OPENAI_API_KEY" in body["errorMessage"] and "sk-" not in body["errorMessage"]
        assert "sk-" not in process.output()
    finally:
        process.stop()


def test_candidate_without_a_key_is_skipped_not_fatal(fake_providers, tmp_path):
    env = caller_environment(fake_providers)
    del env["ANTHROPIC_API_KEY"]
    emulator, process = start_emulator(function_config(env), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        spare = scenario("gpt")
        out = ok(emulator.invoke("llm-caller", event(cand("anthropic", scenario("claude")), cand("openai", spare))))
        assert [(a["outcome"], a["sent"]) for a in out["attempts"]] == [("LLM.CredentialsUnavailable", False), ("ok", True)]
        assert out["fallbackUsed"] is True and out["model"] == spare
        body = failed(emulator.invoke("llm-caller", event(cand("anthropic", scenario("claude")))), "LLM.CredentialsUnavailable")
        assert "ANTHROPIC_API_KEY" in body["errorMessage"]
    finally:
        process.stop()


@pytest.mark.parametrize("stream", [False, True])
def test_missing_usage_is_estimated_and_marked(llm_emulator, fake_providers, stream):
    model = scenario("m", fault="no_usage")
    out = ok(llm_emulator.invoke("llm-caller", event(cand("openai", model), stream=stream)))
    assert fake_providers.requests(model)[0]["usage"] is None
    usage = out["usage"]
    assert usage["estimated"] is True
    assert usage["inputTokens"] > 0 and usage["outputTokens"] > 0
    assert out["attempts"][0]["usage"] == usage
