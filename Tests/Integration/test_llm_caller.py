"""The llm-caller end to end: the real bootstrap under the local Lambda emulator, calling the
protocol-exact fake OpenAI / Anthropic / Bedrock server with models from a test catalog. Every
fault the fake can inject is checked for retry counts, fallbacks taken, the structured outcome,
exact usage per attempt and no double counting; the OpenAI surface is checked on the wire."""
from __future__ import annotations

import json
import sys
import urllib.request

import pytest

from emulator_fixtures import start_emulator
from llm_fixtures import (AWS_SECRET, FAKE, OPENAI_KEY, FakeProviders, RetryingInvoker, TestCatalog,  # noqa: F401
                          caller_environment, fake_providers, function_config, llm_bundle, llm_emulator, step)
from servers import ManagedProcess, free_port

PROVIDERS = ["openai", "anthropic", "bedrock"]
CATALOG = TestCatalog()
M = CATALOG.model

OK = {(p, s): M(p, "m-ok", cached="5", reasoning="3" if p == "openai" else "0", cache_write="2" if p != "openai" else "0")
      for p in PROVIDERS for s in (False, True)}
RATE_LIMITED_ONCE = {p: M(p, "m", fault="rate_limit", times="1", retry_after="0.4") for p in ("openai", "anthropic")}
RATE_LIMITED_LONG = M("openai", "m", fault="rate_limit", retry_after="60")
UPSTREAM = {f: M("anthropic", "claude", fault=f) for f in ("server_error", "overloaded")}
SLOW = M("openai", "m", fault="slow", delay_ms="1500")
CUT = {(p, f): M(p, "m", fault=f) for p in PROVIDERS for f in ("cut", "drop")}
CUT_ALONE = M("openai", "m", fault="cut")
MALFORMED = {(p, s): M(p, "m", fault="malformed") for p in PROVIDERS for s in (False, True)}
CONTEXT = {p: M(p, "m", fault="context") for p in PROVIDERS}
SMALL = M("openai", "small", window=512)
AUTH = M("anthropic", "m", fault="auth")
NEVER = M("openai", "never-called")
BILL_CUT = M("anthropic", "m", fault="cut")
BILL_LIMITED = M("openai", "m", fault="rate_limit", times="1", retry_after="0.1", cached="4")
NO_USAGE = {s: M("openai", "m", fault="no_usage") for s in (False, True)}
TOOLS = {(p, s): M(p, "m-tool", tool="get_weather") for p in PROVIDERS for s in (False, True)}
PARAMS = {p: M(p, "m-params") for p in PROVIDERS}
GROUNDED = M("openai", "m-grounded")
HOSTILE = M("openai", "m-hostile")
SPARES = {name: M(p, "spare") for name, p in [
    ("rate", "anthropic"), ("server_error", "openai"), ("overloaded", "openai"), ("slow", "anthropic"),
    ("cut-openai", "anthropic"), ("cut-anthropic", "openai"), ("cut-bedrock", "anthropic"),
    ("drop-openai", "anthropic"), ("drop-anthropic", "openai"), ("drop-bedrock", "anthropic")]}
COOL_BROKEN, COOL_SPARE = M("anthropic", "m", fault="server_error"), M("openai", "spare")
SECRET_MODELS = [M(p, "m") for p in ("openai", "anthropic", "openai")]
KEYLESS, KEYLESS_SPARE, KEYLESS_ALONE = M("anthropic", "claude"), M("openai", "gpt"), M("anthropic", "claude")
ARMED = M("anthropic", "claude-armed-model", raw_name=True)

WEATHER = {"name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def expected_tokens(provider: str, reported: dict) -> dict:
    """The fake's usage as the contract's `UsageRecord.Tokens`, computed here from the wire figures."""
    if provider == "openai":
        return {"input": reported["prompt_tokens"], "output": reported["completion_tokens"],
                "cached": reported["prompt_tokens_details"]["cached_tokens"], "cacheWrite": 0,
                "reasoning": reported["completion_tokens_details"]["reasoning_tokens"], "estimated": False}
    if provider == "anthropic":
        read, write = reported["cache_read_input_tokens"], reported["cache_creation_input_tokens"]
        return {"input": reported["input_tokens"] + read + write, "output": reported["output_tokens"],
                "cached": read, "cacheWrite": write, "reasoning": 0, "estimated": False}
    read, write = reported.get("cacheReadInputTokens", 0), reported.get("cacheWriteInputTokens", 0)
    return {"input": reported["inputTokens"] + read + write, "output": reported["outputTokens"],
            "cached": read, "cacheWrite": write, "reasoning": 0, "estimated": False}


def outcome(result) -> dict:
    """Every call ends in an outcome document, failures included (never a Lambda error)."""
    assert result.status == 200 and result.function_error is None, result.body
    return result.json


def succeeded(result, status="succeeded") -> dict:
    out = outcome(result)
    assert out["status"] == status and out.get("error") is None, out
    return out


def failed(result, error_type) -> dict:
    out = outcome(result)
    assert out["status"] == "failed" and out.get("answer") is None, out
    assert out["error"]["errorType"] == error_type, out
    return out


def kinds(out) -> list[str]:
    return [a.get("errorType") or a["outcome"] for a in out["attempts"]]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_success_outcome_and_usage_are_exact(llm_emulator, fake_providers, provider, stream):
    model = OK[(provider, stream)]
    out = succeeded(llm_emulator.invoke("llm-caller", step(model, stream=stream)))
    seen = fake_providers.requests(CATALOG.provider_model(model))
    assert len(seen) == 1 and seen[0]["status"] == 200
    assert seen[0]["stream"] == stream  # Bedrock: ConverseStream, AWS event-stream framing
    answer = out["answer"]
    assert answer["provider"] == provider and answer["model"] == model and answer["fallbackUsed"] is False
    assert answer["text"].startswith("Echo: Be brief.") and answer["finishReason"] == "stop"
    tokens = expected_tokens(provider, seen[0]["usage"])
    assert answer["tokens"] == tokens
    assert kinds(out) == ["ok"] and out["attempts"][0]["tokens"] == tokens
    assert (answer.get("ttftMs") is not None) == stream
    [record] = out["usage"]
    assert record["requestId"] == "req-1" and record["step"] == "llm" and record["attempt"] == 0
    assert record["invocationId"] and record["tenant"] == "acme" and record["tier"] == "basic"
    assert record["bundleVersion"] == "test" and record["route"] == "llm cheapest"
    assert record["provider"] == provider and record["model"] == model and record["tokens"] == tokens
    assert record["status"] == "succeeded" and record["backend"] == "external" and record["modality"] == "text"
    assert record["compute"]["kind"] == "lambda" and record["compute"]["memoryMB"] == 256
    assert record["compute"]["architecture"] in ("x86_64", "arm64") and record["compute"]["durationMs"] >= 0
    assert "cost" not in record or record["cost"] is None


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_rate_limit_is_retried_after_retry_after(llm_emulator, fake_providers, provider):
    model = RATE_LIMITED_ONCE[provider]
    out = succeeded(llm_emulator.invoke("llm-caller", step(model, stream=True)))
    assert kinds(out) == ["Provider.RateLimited", "ok"]
    assert out["attempts"][0].get("tokens") is None
    first, second = out["usage"]
    assert second["timestamp"] - first["timestamp"] >= 400
    assert first["tokens"] is None if "tokens" in first else True
    assert [r["status"] for r in fake_providers.requests(CATALOG.provider_model(model))] == [429, 200]


def test_rate_limit_longer_than_allowed_falls_back_at_once(llm_emulator):
    out = succeeded(llm_emulator.invoke("llm-caller", step(RATE_LIMITED_LONG, SPARES["rate"])), "degraded")
    assert kinds(out) == ["Provider.RateLimited", "ok"]
    assert out["answer"]["fallbackUsed"] is True and out["answer"]["provider"] == "anthropic"
    assert out["latencyMs"] < 5000
    assert [r["status"] for r in out["usage"]] == ["failed", "fallback"]


@pytest.mark.parametrize("fault,status", [("server_error", 500), ("overloaded", 529)])
def test_upstream_errors_retry_once_then_fall_back(llm_emulator, fake_providers, fault, status):
    broken, spare = UPSTREAM[fault], SPARES[fault]
    out = succeeded(llm_emulator.invoke("llm-caller", step(broken, spare)), "degraded")
    assert [(a["model"], a.get("errorType") or a["outcome"]) for a in out["attempts"]] == [
        (broken, "Provider.UpstreamError"), (broken, "Provider.UpstreamError"), (spare, "ok")]
    assert [r["status"] for r in fake_providers.requests(CATALOG.provider_model(broken))] == [status, status]
    assert out["answer"]["model"] == spare
    tokens = expected_tokens("openai", fake_providers.requests(CATALOG.provider_model(spare))[0]["usage"])
    assert out["answer"]["tokens"] == tokens
    assert [(r["attempt"], r["status"], r.get("tokens")) for r in out["usage"]] == [
        (0, "failed", None), (1, "failed", None), (2, "fallback", tokens)]


def test_slow_first_byte_times_out_per_attempt(llm_emulator):
    e = step(SLOW, SPARES["slow"], stream=True)
    e["plan"]["candidates"][0]["attemptTimeoutMs"] = 300
    out = succeeded(llm_emulator.invoke("llm-caller", e), "degraded")
    assert kinds(out) == ["Provider.Timeout", "Provider.Timeout", "ok"]
    for attempt in out["attempts"][:2]:
        assert 250 <= attempt["latencyMs"] < 1000
    assert out["answer"]["provider"] == "anthropic"


@pytest.mark.parametrize("fault", ["cut", "drop"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_cut_before_terminator_is_never_a_success(llm_emulator, fake_providers, provider, fault):
    cut, spare = CUT[(provider, fault)], SPARES[f"{fault}-{provider}"]
    other = "openai" if provider == "anthropic" else "anthropic"
    out = succeeded(llm_emulator.invoke("llm-caller", step(cut, spare, stream=True)), "degraded")
    assert kinds(out) == ["Provider.Truncated", "Provider.Truncated", "ok"]
    # The cut attempts streamed text: billing gets their usage, marked as estimated.
    for attempt in out["attempts"][:2]:
        assert attempt["tokens"]["estimated"] is True and attempt["tokens"]["output"] > 0
        assert attempt["tokens"]["input"] > 0
    final = fake_providers.requests(CATALOG.provider_model(spare))[0]["usage"]
    assert out["answer"]["tokens"] == expected_tokens(other, final)
    assert [r["tokens"] for r in out["usage"]] == [a["tokens"] for a in out["attempts"]]


def test_every_model_failing_is_a_failed_outcome_that_still_bills(llm_emulator):
    out = failed(llm_emulator.invoke("llm-caller", step(CUT_ALONE, stream=True)), "Provider.Truncated")
    assert len(out["attempts"]) == 2 and len(out["usage"]) == 2
    assert all(r["status"] == "failed" and r["errorType"] == "Provider.Truncated" for r in out["usage"])
    assert all(r["tokens"]["estimated"] for r in out["usage"])


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_json_is_bad_response(llm_emulator, fake_providers, provider, stream):
    model = MALFORMED[(provider, stream)]
    out = failed(llm_emulator.invoke("llm-caller", step(model, stream=stream)), "Provider.BadResponse")
    assert len(out["attempts"]) == 2  # retried once, then no candidate left
    assert len(fake_providers.requests(CATALOG.provider_model(model))) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_context_error_passes_the_message_through(llm_emulator, provider):
    out = failed(llm_emulator.invoke("llm-caller", step(CONTEXT[provider])), "LLM.ContextWindowExceeded")
    message = out["error"]["errorMessage"]
    assert "too long" in message or "maximum context length" in message


def test_prompt_over_the_window_is_refused_before_any_paid_call(llm_emulator, fake_providers):
    e = step(SMALL, window=512)
    e["request"]["messages"][1]["content"] = "word " * 3000
    out = failed(llm_emulator.invoke("llm-caller", e), "LLM.ContextWindowExceeded")
    assert "context window" in out["error"]["errorMessage"]
    assert [a["outcome"] for a in out["attempts"]] == ["skipped"] and out["usage"] == []
    assert fake_providers.requests(CATALOG.provider_model(SMALL)) == []


def test_huge_max_tokens_is_refused_not_a_crash(llm_emulator, fake_providers):
    e = step(NEVER, parameters={"maxTokens": 9223372036854775807})
    failed(llm_emulator.invoke("llm-caller", e), "LLM.InvalidRequest")
    e = step(NEVER, max_output=9223372036854775807)
    failed(llm_emulator.invoke("llm-caller", e), "LLM.InvalidRequest")
    assert fake_providers.requests(CATALOG.provider_model(NEVER)) == []


def test_authentication_failure_is_not_retried(llm_emulator, fake_providers):
    failed(llm_emulator.invoke("llm-caller", step(AUTH)), "Provider.AuthenticationFailed")
    assert len(fake_providers.requests(CATALOG.provider_model(AUTH))) == 1


@pytest.mark.parametrize("mutate,error_type,needle", [
    (lambda e: e["request"].update(messages=[]), "LLM.InvalidRequest", "at least one"),
    (lambda e: e["request"]["messages"].append({"role": "robot", "content": "hi"}), "LLM.InvalidRequest", "robot"),
    (lambda e: e["request"]["messages"].append({"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,SGVsbG8sIHRoaXMgaXMgbm90IGFuIGltYWdl"}}]}),
     "LLM.InvalidRequest", "not a JPEG, PNG, GIF or WebP"),
    (lambda e: e["request"]["messages"].append({"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "s3://photos/cat.png"}}]}), "Image.Forbidden", "s3://"),
    (lambda e: e["plan"]["candidates"].__setitem__(0, {**e["plan"]["candidates"][0], "model": "gpt-nope"}),
     "LLM.UnknownModel", "gpt-nope"),
    (lambda e: e["request"]["parameters"].update(temperature=9), "LLM.InvalidRequest", "temperature"),
])
def test_bad_input_is_a_failed_outcome_before_any_call(llm_emulator, fake_providers, mutate, error_type, needle):
    e = step(NEVER)
    mutate(e)
    out = failed(llm_emulator.invoke("llm-caller", e), error_type)
    assert needle in out["error"]["errorMessage"]
    assert out["usage"] == [] and out["requestId"] == "req-1"
    assert fake_providers.requests(CATALOG.provider_model(NEVER)) == []


def test_an_event_without_context_is_an_invalid_event(llm_emulator):
    result = llm_emulator.invoke("llm-caller", {"request": {"requestId": "r"}})
    assert result.function_error == "Unhandled" and result.json["errorType"] == "Runtime.InvalidEvent"


def test_every_attempt_is_billed_once(llm_emulator, fake_providers):
    """Sum of billed attempts equals what the providers charged; the answer's tokens are one of them."""
    out = succeeded(llm_emulator.invoke("llm-caller", step(BILL_CUT, BILL_LIMITED, stream=True)), "degraded")
    assert kinds(out) == ["Provider.Truncated", "Provider.Truncated", "Provider.RateLimited", "ok"]
    billed = [r for r in out["usage"] if r.get("tokens") is not None]
    assert len(billed) == 3  # two cut streams (charged) and the success; the 429 is free
    assert len(out["usage"]) == 4 and [r["attempt"] for r in out["usage"]] == [0, 1, 2, 3]
    assert [r for r in billed if not r["tokens"]["estimated"]] == [out["usage"][-1]]
    final = fake_providers.requests(CATALOG.provider_model(BILL_LIMITED))[-1]["usage"]
    assert out["answer"]["tokens"] == expected_tokens("openai", final) and out["answer"]["tokens"]["cached"] == 4
    assert len({r["invocationId"] for r in out["usage"]}) == 1


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_tools_are_mapped_and_tool_calls_come_back(llm_emulator, fake_providers, provider, stream):
    model = TOOLS[(provider, stream)]
    e = step(model, stream=stream, parameters={"tools": [WEATHER], "toolChoice": {"name": "get_weather"}})
    out = succeeded(llm_emulator.invoke("llm-caller", e))
    [seen] = fake_providers.requests(CATALOG.provider_model(model))
    wire = seen["request"]
    if provider == "openai":
        assert wire["tools"] == [{"type": "function", "function": WEATHER}]
        assert wire["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    elif provider == "anthropic":
        assert wire["tools"] == [{"name": "get_weather", "input_schema": WEATHER["parameters"],
                                  "description": WEATHER["description"]}]
        assert wire["tool_choice"] == {"type": "tool", "name": "get_weather"}
    else:
        assert wire["toolConfig"] == {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {
            "json": WEATHER["parameters"]}, "description": WEATHER["description"]}}],
            "toolChoice": {"tool": {"name": "get_weather"}}}
    answer = out["answer"]
    assert answer["finishReason"] == "tool_use"
    [call] = answer["toolCalls"]
    assert call["name"] == "get_weather" and json.loads(call["arguments"]) == {"query": "Be brief. What"}
    assert call["id"]
    assert answer["tokens"] == expected_tokens(provider, seen["usage"])


def test_tool_results_travel_back_to_each_provider(llm_emulator, fake_providers):
    history = [{"role": "user", "content": "Weather in Paris?"},
               {"role": "assistant", "content": None,
                "toolCalls": [{"id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}]},
               {"role": "tool", "toolCallId": "call_1", "content": "18C, sunny"}]
    for provider in PROVIDERS:
        model = PARAMS[provider]
        succeeded(llm_emulator.invoke("llm-caller", step(model, messages=history, parameters={"tools": [WEATHER]})))
        wire = fake_providers.requests(CATALOG.provider_model(model))[-1]["request"]
        if provider == "openai":
            assert wire["messages"][1]["tool_calls"][0]["function"] == {"name": "get_weather",
                                                                       "arguments": "{\"city\":\"Paris\"}"}
            assert wire["messages"][2] == {"role": "tool", "content": "18C, sunny", "tool_call_id": "call_1"}
        elif provider == "anthropic":
            assert wire["messages"][1]["content"] == [{"type": "tool_use", "id": "call_1", "name": "get_weather",
                                                       "input": {"city": "Paris"}}]
            assert wire["messages"][2] == {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C, sunny"}]}
        else:
            assert wire["messages"][1]["content"] == [{"toolUse": {"toolUseId": "call_1", "name": "get_weather",
                                                                   "input": {"city": "Paris"}}}]
            assert wire["messages"][2] == {"role": "user", "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [{"text": "18C, sunny"}]}}]}


def test_generation_parameters_are_passed_through(llm_emulator, fake_providers):
    parameters = {"maxTokens": 77, "temperature": 0.3, "topP": 0.9, "stop": ["END"], "seed": 42,
                  "responseFormat": {"type": "json_schema", "name": "answer", "schema": {"type": "object"},
                                     "strict": True}}
    for provider in PROVIDERS:
        model = PARAMS[provider]
        succeeded(llm_emulator.invoke("llm-caller", step(model, parameters=parameters)))
        wire = fake_providers.requests(CATALOG.provider_model(model))[-1]["request"]
        if provider == "openai":
            assert (wire["max_completion_tokens"], wire["temperature"], wire["top_p"], wire["stop"], wire["seed"],
                    wire["user"]) == (77, 0.3, 0.9, ["END"], 42, "user-1")
            assert wire["response_format"] == {"type": "json_schema", "json_schema": {
                "name": "answer", "schema": {"type": "object"}, "strict": True}}
        elif provider == "anthropic":
            assert (wire["max_tokens"], wire["temperature"], wire["top_p"], wire["stop_sequences"],
                    wire["metadata"]) == (77, 0.3, 0.9, ["END"], {"user_id": "user-1"})
            assert "JSON Schema" in wire["system"] and "seed" not in wire
        else:
            assert wire["inferenceConfig"] == {"maxTokens": 77, "temperature": 0.3, "topP": 0.9,
                                               "stopSequences": ["END"]}
            assert "JSON Schema" in wire["system"][0]["text"]


def test_grounding_puts_the_detections_into_the_prompt(llm_emulator, fake_providers):
    e = step(GROUNDED, messages=[{"role": "user", "content": "How many dogs?"}])
    e["plan"]["groundWithDetections"] = True
    e["grounding"] = {"requestId": "req-1", "status": "succeeded", "model": "yolov8n-lambda", "provider": "lambda",
                      "usage": [], "results": [{"width": 640, "height": 480, "format": "JPEG", "orientation": 1,
                                                "detections": [
                                                    {"box": {"x1": 10.2, "y1": 20.7, "x2": 110.5, "y2": 220.4},
                                                     "confidence": 0.876, "classId": 16, "className": "dog"},
                                                    {"box": {"x1": 300, "y1": 40, "x2": 350, "y2": 90},
                                                     "confidence": 0.55, "classId": 16, "className": "dog"}]}]}
    succeeded(llm_emulator.invoke("llm-caller", e))
    wire = fake_providers.requests(CATALOG.provider_model(GROUNDED))[-1]["request"]
    system = wire["messages"][0]
    assert system["role"] == "system" and "Image 1 (640×480): 2 dog." in system["content"]
    assert "- dog 0.88 [10, 21, 111, 220]" in system["content"]
    assert wire["messages"][1] == {"role": "user", "content": "How many dogs?"}


def test_hostile_event_cannot_redirect_the_call_or_choose_the_key(llm_emulator, fake_providers):
    """Issue 12: fields naming an endpoint or a credential are not part of the contract; nothing
    is sent to the named host, and the key sent is the configured one, never the AWS secret."""
    attacker_port = free_port()
    with ManagedProcess([sys.executable, FAKE, "--port", str(attacker_port)], name="attacker",
                        health_url=f"http://127.0.0.1:{attacker_port}/health"):
        attacker = FakeProviders(attacker_port)
        for base in ("https://attacker.example", attacker.url):
            e = step(HOSTILE)
            e["plan"]["candidates"][0].update(provider="openai-compatible", baseURL=base, endpoint=base,
                                              region="attacker-1", apiKeyName="AWS_SECRET_ACCESS_KEY",
                                              credential="AWS_SECRET_ACCESS_KEY", providerModel="evil")
            out = succeeded(llm_emulator.invoke("llm-caller", e))
            assert out["answer"]["provider"] == "openai"
        assert attacker.all_requests() == []
    seen = fake_providers.requests(CATALOG.provider_model(HOSTILE))
    assert len(seen) == 2
    for request in seen:
        assert request["authorization_ok"] and request["headers"]["Authorization"] == f"Bearer {OPENAI_KEY}"
        assert AWS_SECRET not in json.dumps(request)
        assert request["request"]["model"] == CATALOG.provider_model(HOSTILE)


def test_cooldown_skips_a_failing_provider_on_later_calls(fake_providers, llm_bundle, tmp_path):
    env = caller_environment(fake_providers, llm_bundle, LLM_COOLDOWN_FAILURES="2", LLM_COOLDOWN_SECONDS="60")
    # One execution environment: cooldowns live in a warm environment's memory.
    emulator, process = start_emulator(function_config(env, max_concurrency=1), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        first = succeeded(emulator.invoke("llm-caller", step(COOL_BROKEN, COOL_SPARE)), "degraded")
        assert kinds(first) == ["Provider.UpstreamError", "Provider.UpstreamError", "ok"]
        second = succeeded(emulator.invoke("llm-caller", step(COOL_BROKEN, COOL_SPARE)), "degraded")
        assert [(a["outcome"], a.get("errorType")) for a in second["attempts"]] == [
            ("skipped", "Provider.CoolingDown"), ("ok", None)]
        assert [r["attempt"] for r in second["usage"]] == [1]
        assert len(fake_providers.requests(CATALOG.provider_model(COOL_BROKEN))) == 2
    finally:
        process.stop()


def test_keys_come_from_secrets_manager_once_and_never_leak(fake_providers, llm_bundle, tmp_path):
    env = caller_environment(fake_providers, llm_bundle, LLM_PROVIDER_SECRET_ID="llm-provider-keys",
                             AWS_ENDPOINT_URL_SECRETS_MANAGER=fake_providers.url)
    del env["OPENAI_API_KEY"], env["ANTHROPIC_API_KEY"]
    # One execution environment, so "read once" is about its cache (each environment has its own).
    emulator, process = start_emulator(function_config(env, max_concurrency=1), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        for model in SECRET_MODELS:
            out = succeeded(emulator.invoke("llm-caller", step(model)))
            assert "sk-" not in json.dumps(out)
        reads = fake_providers.requests("llm-provider-keys")
        assert len(reads) == 1 and reads[0]["signed"] and reads[0]["status"] == 200  # cached after the first read
        missing = dict(env, LLM_PROVIDER_SECRET_ID="no-such-secret")
    finally:
        process.stop()
    emulator, process = start_emulator(function_config(missing, max_concurrency=1), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        out = failed(emulator.invoke("llm-caller", step(SECRET_MODELS[0])), "LLM.CredentialsUnavailable")
        assert "OPENAI_API_KEY" in out["error"]["errorMessage"] and "sk-" not in out["error"]["errorMessage"]
        assert "sk-" not in process.output()
    finally:
        process.stop()


def test_candidate_without_a_key_is_skipped_not_fatal(fake_providers, llm_bundle, tmp_path):
    env = caller_environment(fake_providers, llm_bundle)
    del env["ANTHROPIC_API_KEY"]
    emulator, process = start_emulator(function_config(env), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    try:
        out = succeeded(emulator.invoke("llm-caller", step(KEYLESS, KEYLESS_SPARE)), "degraded")
        assert [(a["outcome"], a.get("errorType")) for a in out["attempts"]] == [
            ("skipped", "LLM.CredentialsUnavailable"), ("ok", None)]
        assert out["answer"]["model"] == KEYLESS_SPARE and [r["attempt"] for r in out["usage"]] == [1]
        out = failed(emulator.invoke("llm-caller", step(KEYLESS_ALONE)), "LLM.CredentialsUnavailable")
        assert "ANTHROPIC_API_KEY" in out["error"]["errorMessage"] and out["usage"] == []
    finally:
        process.stop()


@pytest.mark.parametrize("stream", [False, True])
def test_missing_usage_is_estimated_and_marked(llm_emulator, fake_providers, stream):
    model = NO_USAGE[stream]
    out = succeeded(llm_emulator.invoke("llm-caller", step(model, stream=stream)))
    assert fake_providers.requests(CATALOG.provider_model(model))[0]["usage"] is None
    tokens = out["answer"]["tokens"]
    assert tokens["estimated"] is True and tokens["input"] > 0 and tokens["output"] > 0
    assert out["usage"][0]["tokens"] == tokens


def test_faults_armed_for_a_catalog_model_name(llm_emulator, fake_providers):
    """The local stack cannot put scenarios into model names (they come from the catalog): a fault
    armed on the fake for the provider model name applies to its next requests."""
    arm = urllib.request.Request(f"{fake_providers.url}/_fake/faults", method="POST", data=json.dumps(
        {"model": "claude-armed-model", "fault": "overloaded", "times": 1}).encode())
    urllib.request.urlopen(arm, timeout=5).read()
    out = succeeded(llm_emulator.invoke("llm-caller", step(ARMED)))
    assert kinds(out) == ["Provider.UpstreamError", "ok"]
    assert [r["status"] for r in fake_providers.requests("claude-armed-model")] == [529, 200]
