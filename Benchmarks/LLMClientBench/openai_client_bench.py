"""The official `openai` Python client making the same calls as Switchyard's llm-caller, for the
side-by-side figures in scripts/bench-llm: per-call latency against the canned server
(buffered and streamed, 1 KB completion) and SSE parse throughput of its SSEDecoder on the same
synthetic stream the Swift benchmark uses.

    python openai_client_bench.py BASE_URL CALLS WARMUP SSE_MEGABYTES
Prints one JSON object.
"""
from __future__ import annotations

import json
import sys
import time

from openai import OpenAI
from openai._streaming import SSEDecoder


def percentiles(samples: list[int]) -> dict:
    samples.sort()
    pick = lambda p: samples[min(len(samples) - 1, int(len(samples) * p))]  # noqa: E731
    return {"p50_us": pick(0.5), "p90_us": pick(0.9), "p99_us": pick(0.99), "max_us": samples[-1],
            "mean_us": sum(samples) // len(samples)}


def one_call(client: OpenAI, stream: bool) -> str | None:
    """One call; the reason it does not count, or None when text and usage are as served."""
    messages = [{"role": "user", "content": "Write a paragraph of filler text."}]
    try:
        if stream:
            text, usage = [], None
            for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=300,
                                                         stream=True, stream_options={"include_usage": True}):
                if chunk.choices and chunk.choices[0].delta.content:
                    text.append(chunk.choices[0].delta.content)
                if chunk.usage:
                    usage = chunk.usage
            content = "".join(text)
        else:
            r = client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=300)
            usage, content = r.usage, r.choices[0].message.content
    except Exception as e:  # noqa: BLE001 - any failure is reported, never timed
        return type(e).__name__
    if len(content or "") != 1024:
        return "text"
    if usage is None or usage.prompt_tokens != 20 or usage.completion_tokens != 200:
        return "usage"
    return None


def calls(client: OpenAI, n: int, warmup: int, stream: bool) -> dict:
    """Times only the calls whose text and usage are exactly what the canned server sent."""
    samples, failures = [], {}
    for i in range(warmup + n):
        start = time.perf_counter_ns()
        problem = one_call(client, stream)
        elapsed = (time.perf_counter_ns() - start) // 1000
        if problem:
            failures[problem] = failures.get(problem, 0) + 1
        elif i >= warmup:
            samples.append(elapsed)
    return {"calls": n, "timed": len(samples), "failures": sum(failures.values()), "failure_kinds": failures,
            **(percentiles(samples) if samples else {})}


def sse_throughput(megabytes: int) -> dict:
    chunk = (b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini",'
             b'"service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" lorem ipsum"},'
             b'"logprobs":null,"finish_reason":null}],"usage":null}\n\n')
    stream = chunk * ((megabytes << 20) // len(chunk) + 1) + b"data: [DONE]\n\n"
    reads = [stream[i:i + 16384] for i in range(0, len(stream), 16384)]
    start = time.perf_counter()
    events = sum(1 for _ in SSEDecoder().iter_bytes(iter(reads)))
    framing = time.perf_counter() - start
    text_bytes = 0
    start = time.perf_counter()
    for event in SSEDecoder().iter_bytes(iter(reads)):
        if event.data != "[DONE]":
            text_bytes += len(json.loads(event.data)["choices"][0]["delta"]["content"])
    decoding = time.perf_counter() - start
    chunks = (megabytes << 20) // len(chunk) + 1
    mb = len(stream) / 1048576
    return {"bytes": len(stream), "events": events, "valid": events == chunks + 1 and text_bytes == chunks * 12,
            "framing_mb_per_s": round(mb / framing), "framing_and_decode_mb_per_s": round(mb / decoding)}


def main() -> int:
    base, n, warmup, megabytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    client = OpenAI(api_key="sk-bench", base_url=base + "/v1", max_retries=0)
    print(json.dumps({"buffered": calls(client, n, warmup, False), "streamed": calls(client, n, warmup, True),
                      "sse": sse_throughput(megabytes)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
