"""The single-process front door (`switchyard-server`) through the official `openai` Python client:
chat (whole and streamed with usage), image input, embeddings, the model list, usage, and every
refusal (bad key, revoked key, rate limit, budget, invalid request), plus the budget bound under
concurrency (decisions.md), idempotent retries, and bad input at the HTTP level. The router and the
llm-caller run in-process against the protocol-exact provider fake; usage goes through the journaled
queue into SecantusDB, and the ledger is read back with pymongo."""
from __future__ import annotations

import base64
import concurrent.futures
import json
import math
import select
import socket
import struct
import time
import urllib.request
import zlib
from decimal import Decimal

import openai
import pytest
import requests

from frontdoor_fixtures import frontdoor  # noqa: F401  (fixture)

PROMPT = [{"role": "user", "content": "What is the capital of France?"}]


def wait_for(condition, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


def records(fd, request_id: str) -> list[dict]:
    return list(fd.db().usage.find({"requestId": request_id}))


def test_chat_completion_with_route_headers_usage_and_exact_cost(frontdoor):
    key = frontdoor.key("fd-chat")
    raw = frontdoor.client(key).chat.completions.with_raw_response.create(
        model="auto", messages=PROMPT, max_tokens=64)
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Echo: What is the capital of France?"
    assert completion.choices[0].finish_reason == "stop"
    # The fake counts one token per word plus 3: 6 + 3 prompt, "Echo: …" 7 + 3 … as it reported them.
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    request_id = raw.headers["x-request-id"]
    assert completion.id == "chatcmpl-" + request_id
    assert raw.headers["x-switchyard-route"].startswith("llm")
    assert raw.headers["x-switchyard-model"] == completion.model
    assert raw.headers["x-switchyard-tier"] == "basic"
    cost = completion.usage.model_extra["cost_pico_usd"]
    assert Decimal(completion.usage.model_extra["cost_usd"]) * 10**12 == cost
    # What the response said it cost is what the usage store billed for the request.
    stored = wait_for(lambda: len(records(frontdoor, request_id)) >= 2 and records(frontdoor, request_id))
    assert sorted(r["step"] for r in stored) == ["llm", "router"]
    assert sum(r["cost"]["totalPicoUSD"] for r in stored) == cost
    # The provider got the catalog's model name and the client's max_tokens.
    sent = frontdoor.fake.requests(completion.model)[-1]["request"]
    assert sent["model"] == completion.model, sorted(sent)
    assert 64 in (sent.get("max_tokens"), sent.get("max_completion_tokens")), sorted(sent)


def test_streamed_chat_with_usage_chunk(frontdoor):
    key = frontdoor.key("fd-stream")
    stream = frontdoor.client(key).chat.completions.create(
        model="gpt-4o-mini", messages=PROMPT, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: What is the capital of France?"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage.completion_tokens > 0
    request_id = chunks[0].id.removeprefix("chatcmpl-")
    stored = wait_for(lambda: len(records(frontdoor, request_id)) >= 2 and records(frontdoor, request_id))
    assert sum(r["cost"]["totalPicoUSD"] for r in stored) == usage_chunk.usage.model_extra["cost_pico_usd"]
    assert [r["tokens"]["output"] for r in stored if r["step"] == "llm"] == [usage_chunk.usage.completion_tokens]


def tiny_png() -> str:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00\xff\x00\x00"  # one red pixel
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_image_input_reaches_a_vision_model(frontdoor):
    key = frontdoor.key("fd-chat")
    image = tiny_png()
    raw = frontdoor.client(key).chat.completions.with_raw_response.create(model="auto", messages=[{
        "role": "user", "content": [{"type": "text", "text": "What colour is this pixel?"},
                                    {"type": "image_url", "image_url": {"url": image}}]}])
    completion = raw.parse()
    assert completion.choices[0].message.content.startswith("Echo: What colour")
    sent = frontdoor.fake.requests(completion.model)[-1]["request"]
    parts = [p for m in sent["messages"] if isinstance(m.get("content"), list) for p in m["content"]]
    assert any(p.get("type") == "image_url" and p["image_url"]["url"] == image for p in parts), sent


def test_embeddings_match_the_provider(frontdoor):
    key = frontdoor.key("fd-chat")
    texts = ["hello world", "the capital of France"]
    ours = frontdoor.client(key).embeddings.create(model="text-embedding-3-small", input=texts)
    direct = openai.OpenAI(api_key="sk-fake-openai", base_url=frontdoor.fake.url + "/v1", max_retries=0) \
        .embeddings.create(model="text-embedding-3-small", input=texts)
    # The openai client asks for base64 (little-endian float32): the fake's values rounded to float32.
    as_float32 = [[struct.unpack("<f", struct.pack("<f", x))[0] for x in d.embedding] for d in direct.data]
    assert [d.embedding for d in ours.data] == as_float32
    assert ours.usage.prompt_tokens == direct.usage.prompt_tokens
    floats = requests.post(frontdoor.url + "/v1/embeddings", headers={"Authorization": f"Bearer {key}"},
                           json={"model": "text-embedding-3-small", "input": texts, "encoding_format": "float"},
                           timeout=30).json()
    assert [d["embedding"] for d in floats["data"]] == [d.embedding for d in direct.data]
    with pytest.raises(openai.NotFoundError):
        frontdoor.client(key).embeddings.create(model="text-embedding-3-large", input="x")  # pro tier only


def test_models_list_the_tier_with_rates(frontdoor):
    key = frontdoor.key("fd-chat")
    models = {m.id: m for m in frontdoor.client(key).models.list()}
    bundle = frontdoor.process.env["SWITCHYARD_BUNDLE_DIR"]
    catalog = json.loads(open(bundle + "/catalog.json").read())
    basic = {m["id"] for m in catalog["models"] if "basic" in m["tiers"]}
    assert set(models) == basic | {"auto"}
    rates = json.loads(open(bundle + "/rates.json").read())
    mini = next(r for r in rates["models"] if r["model"] == "gpt-4o-mini")
    pricing = models["gpt-4o-mini"].model_extra["switchyard"]["pricing"]
    assert Decimal(pricing["input_per_million_usd"]) == Decimal(mini["inputPerMillionTokens"])
    assert Decimal(pricing["output_per_million_usd"]) == Decimal(mini["outputPerMillionTokens"])


def test_usage_reports_the_tenants_own_spend(frontdoor):
    key = frontdoor.key("fd-spend")
    client = frontdoor.client(key)
    costs = []
    for _ in range(3):
        completion = client.chat.completions.create(model="auto", messages=PROMPT)
        costs.append(completion.usage.model_extra["cost_pico_usd"])

    def settled():
        usage = requests.get(frontdoor.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"},
                             timeout=10).json()
        return usage if usage["spent_pico_usd"] == sum(costs) and usage["open_reservations"] == 0 else None
    usage = wait_for(settled)
    assert usage, requests.get(frontdoor.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"}).text
    assert usage["tenant"] == "fd-spend" and usage["budget_usd"] == "5.00"
    assert Decimal(usage["remaining_usd"]) == Decimal("5") - Decimal(sum(costs)) / 10**12


def test_refusals_are_openai_errors(frontdoor):
    key = frontdoor.key("fd-errors")
    with pytest.raises(openai.AuthenticationError) as bad:
        frontdoor.client("sk-sy-000000000000_" + "0" * 64).chat.completions.create(model="auto", messages=PROMPT)
    assert bad.value.code == "invalid_api_key"
    with pytest.raises(openai.BadRequestError) as invalid:
        frontdoor.client(key).chat.completions.create(model="auto", messages=[])
    assert invalid.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as invalid:
        frontdoor.client(key).chat.completions.create(model="auto", messages=PROMPT, temperature=9)
    assert invalid.value.param == "temperature"
    with pytest.raises(openai.NotFoundError) as unknown:
        frontdoor.client(key).chat.completions.create(model="no-such-model", messages=PROMPT)
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):  # a catalog model the basic tier may not use
        frontdoor.client(key).chat.completions.create(model="gpt-4o", messages=PROMPT)


def test_revoked_and_rotated_keys(frontdoor):
    created = frontdoor.keys("create", "--tenant", "fd-errors", "--tier", "basic")
    client = frontdoor.client(created["key"])
    assert client.chat.completions.create(model="auto", messages=PROMPT).choices
    rotated = frontdoor.keys("rotate", created["id"])
    # The server reads the key file again within a second.
    def refused():
        try:
            client.chat.completions.create(model="auto", messages=PROMPT)
            return None
        except openai.AuthenticationError as error:
            return error
    error = wait_for(refused, timeout=5)
    assert error is not None and error.code == "api_key_revoked"
    assert frontdoor.client(rotated["key"]).chat.completions.create(model="auto", messages=PROMPT).choices
    frontdoor.keys("revoke", rotated["id"])
    assert wait_for(lambda: _refused(frontdoor.client(rotated["key"])), timeout=5)
    listed = {k["id"]: k for k in frontdoor.keys("list")["keys"]}
    assert listed[created["id"]]["rotatedTo"] == rotated["id"]
    assert created["key"] not in open(frontdoor.keys_file).read()


def _refused(client) -> bool:
    try:
        client.models.list()
        return False
    except openai.AuthenticationError:
        return True


def test_rate_limit_overrun_is_429_with_retry_after(frontdoor):
    key = frontdoor.key("fd-errors", rpm=2)
    client = frontdoor.client(key)
    client.chat.completions.create(model="auto", messages=PROMPT)
    client.chat.completions.create(model="auto", messages=PROMPT)
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="auto", messages=PROMPT)
    assert limited.value.code == "rate_limit_exceeded"
    # Two a minute refill one every 30 s.
    assert 1 <= int(limited.value.response.headers["retry-after"]) <= 30


def test_concurrent_requests_at_a_nearly_spent_tenant_overshoot_by_at_most_one_ceiling(frontdoor):
    """decisions.md, "Budgets that hold under concurrency": every admitted request reserved its
    ceiling while committed < budget, so committed ends below budget + one ceiling. The provider is
    held for 8 s so no reservation settles during the burst."""
    budget = Decimal("0.0005")
    key = frontdoor.key("fd-tiny")
    requests_sent = 16
    requests.post(frontdoor.fake.url + "/_fake/faults", json={
        "model": "gpt-4o-mini", "fault": "slow", "delay_ms": 8000, "times": requests_sent}, timeout=5)

    def one(_):
        try:
            raw = frontdoor.client(key, timeout=60).chat.completions.with_raw_response.create(
                model="gpt-4o-mini", messages=PROMPT, max_tokens=64)
            return ("ok", Decimal(raw.headers["x-switchyard-cost-ceiling-usd"]))
        except openai.RateLimitError as error:
            return ("refused", error.code)
    with concurrent.futures.ThreadPoolExecutor(requests_sent) as pool:
        outcomes = list(pool.map(one, range(requests_sent)))
    admitted = [c for kind, c in outcomes if kind == "ok"]
    refused = [c for kind, c in outcomes if kind == "refused"]
    requests.post(frontdoor.fake.url + "/_fake/faults", json={"model": "gpt-4o-mini", "times": 0}, timeout=5)
    assert admitted and refused
    assert set(refused) == {"insufficient_quota"}
    ceiling = admitted[0]
    assert set(admitted) == {ceiling}
    # Admitted while committed < budget: exactly ceil(budget / ceiling) requests fit.
    assert len(admitted) == math.ceil(budget / ceiling)
    overshoot = len(admitted) * ceiling - budget
    assert Decimal(0) <= overshoot < ceiling


def test_idempotency_key_runs_and_bills_once(frontdoor):
    key = frontdoor.key("fd-idem")
    client = frontdoor.client(key)
    before = len(frontdoor.fake.all_requests())
    first = client.chat.completions.with_raw_response.create(
        model="auto", messages=PROMPT, extra_headers={"Idempotency-Key": "order-42"})
    second = client.chat.completions.with_raw_response.create(
        model="auto", messages=PROMPT, extra_headers={"Idempotency-Key": "order-42"})
    assert first.parse().id == second.parse().id
    assert second.headers["x-switchyard-idempotent-replay"] == "true"
    assert len(frontdoor.fake.all_requests()) == before + 1
    request_id = first.headers["x-request-id"]
    assert wait_for(lambda: len(records(frontdoor, request_id)) == 2)
    time.sleep(0.5)
    assert len(records(frontdoor, request_id)) == 2


def raw_http(frontdoor, data: bytes, read_timeout: float = 10.0) -> bytes:
    port = int(frontdoor.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                piece = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not piece:
                break
            out += piece
        return out


def test_bad_http_input_gets_typed_errors_and_the_server_keeps_serving(frontdoor):
    key = frontdoor.key("fd-errors")
    auth = f"Authorization: Bearer {key}\r\n".encode()
    malformed = raw_http(frontdoor, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth
                         + b"Content-Length: 9\r\nConnection: close\r\n\r\n{not json")
    assert malformed.startswith(b"HTTP/1.1 400") and b"invalid_request_error" in malformed
    body = b'{"model":"auto","messages":7}'
    wrong_type = raw_http(frontdoor, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth
                          + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    assert wrong_type.startswith(b"HTTP/1.1 400") and b'"param":"messages"' in wrong_type
    giant = raw_http(frontdoor, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth
                     + b"Content-Length: 5000000\r\n\r\n" + b"x" * 1000)
    assert giant.startswith(b"HTTP/1.1 413") and b"payload_too_large" in giant
    huge_head = raw_http(frontdoor, b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    assert huge_head.startswith(b"HTTP/1.1 431")
    garbage = raw_http(frontdoor, b"\x16\x03\x01 not http at all\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400")
    # A slow-loris client that never finishes its head is cut off after the client timeout (2 s).
    started = time.monotonic()
    slow = raw_http(frontdoor, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", read_timeout=15)
    assert time.monotonic() - started < 10
    assert slow == b"" or slow.startswith(b"HTTP/1.1 408")
    # Still serving.
    assert frontdoor.client(key).chat.completions.create(model="auto", messages=PROMPT).choices


def test_pipelined_and_kept_alive_requests_are_answered_in_order(frontdoor):
    """A connection's requests run one after another in its worker task: pipelined requests are
    each answered, in order; a client that leaves before its answer does not stop the server."""
    key = frontdoor.key("fd-errors")
    auth = f"Authorization: Bearer {key}\r\n".encode()

    def chat(text: str, last: bool = False) -> bytes:
        body = json.dumps({"model": "auto", "messages": [{"role": "user", "content": text}]}).encode()
        close = b"Connection: close\r\n" if last else b""
        return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth
                + close + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    texts = ["alpha one", "bravo two", "charlie three", "delta four"]
    out = raw_http(frontdoor, b"".join(chat(t, last=i == len(texts) - 1) for i, t in enumerate(texts)), 30)
    assert out.count(b"HTTP/1.1 200") == len(texts), out[:2000]
    positions = [out.find(b"Echo: " + t.encode()) for t in texts]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), positions
    ids = [line.split(b":", 1)[1].strip() for line in out.split(b"\r\n") if line.lower().startswith(b"x-request-id:")]
    assert len(ids) == len(texts) and len(set(ids)) == len(texts)
    # A client gone before its answer, then the server still answers on new connections.
    port = int(frontdoor.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(chat("echo gone"))
    assert frontdoor.client(key).chat.completions.create(model="auto", messages=PROMPT).choices


def test_a_kept_alive_connection_is_served_after_its_worker_lingered_out(frontdoor):
    """The worker task of a connection ends after `workerLinger` (1 s) without a request; the
    connection stays open (client timeout 2 s) and its next request starts a new worker."""
    key = frontdoor.key("fd-errors")
    body = json.dumps({"model": "auto", "messages": [{"role": "user", "content": "after linger"}]}).encode()
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               + f"Authorization: Bearer {key}\r\n".encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    port = int(frontdoor.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for _ in range(3):
            s.sendall(request)
            answer = b""
            while b"Echo: after linger" not in answer:
                piece = s.recv(65536)
                assert piece, answer
                answer += piece
            assert answer.startswith(b"HTTP/1.1 200"), answer[:500]
            time.sleep(1.4)  # past the linger, within the 2 s client timeout


def test_connections_past_the_cap_are_refused_and_the_server_keeps_serving(frontdoor):
    """`ConnectionLimits.maxConnections` (512 by default; `SWITCHYARD_MAX_CONNECTIONS`, 64 in this
    fixture): the connections past it get an OpenAI-shaped 503 and are closed; once connections
    close, new ones are served again."""
    cap, extra = 64, 8
    key = frontdoor.key("fd-errors")
    time.sleep(2.5)  # the client timeout (2 s) closes the kept-alive connections of earlier tests
    port = int(frontdoor.url.rsplit(":", 1)[1])
    sockets = []
    try:
        for _ in range(cap + extra):
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        deadline = time.monotonic() + 1.0
        refused = {}
        while time.monotonic() < deadline:
            readable, _, _ = select.select([s for s in sockets if s not in refused], [], [], 0.1)
            for s in readable:
                out = b""
                while True:
                    try:
                        piece = s.recv(65536)
                    except ConnectionResetError:
                        break
                    if not piece:
                        break
                    out += piece
                refused[s] = out
        assert len(refused) == extra, len(refused)
        for out in refused.values():
            assert out.startswith(b"HTTP/1.1 503"), out[:300]
            head, _, payload = out.partition(b"\r\n\r\n")
            assert b"retry-after: 1" in head.lower()
            error = json.loads(payload)["error"]
            assert error["type"] == "service_unavailable" and "too many open connections" in error["message"]
        # The held connections are still served.
        held = next(s for s in sockets if s not in refused)
        held.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for s in sockets:
            s.close()
    # Closed connections leave the count: new ones are served.
    assert wait_for(lambda: requests.get(frontdoor.url + "/health", timeout=5).status_code == 200, timeout=5)
    assert frontdoor.client(key).chat.completions.create(model="auto", messages=PROMPT).choices


def test_client_gone_mid_stream_is_still_billed_once(frontdoor):
    key = frontdoor.key("fd-stream")
    requests.post(frontdoor.fake.url + "/_fake/faults", json={
        "model": "gpt-4o-mini", "fault": "slow", "delay_ms": 3000, "times": 1}, timeout=5)
    response = requests.post(frontdoor.url + "/v1/chat/completions", stream=True, timeout=30,
                             headers={"Authorization": f"Bearer {key}"},
                             json={"model": "gpt-4o-mini", "messages": PROMPT, "stream": True})
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    first = next(response.iter_lines())
    assert first.startswith(b"data: ") and b'"role":"assistant"' in first
    response.close()  # the client goes away before any text
    stored = wait_for(lambda: len(records(frontdoor, request_id)) >= 2 and records(frontdoor, request_id), 20)
    assert stored, "the abandoned stream's usage never landed"
    steps = sorted(r["step"] for r in stored)
    assert steps == ["llm", "router"]
    time.sleep(1)
    assert len(records(frontdoor, request_id)) == 2
    # The reservation was settled.
    assert wait_for(lambda: frontdoor.ledger("fd-stream").get("reserved") == 0)


def test_readme_curl_examples_run_as_written(frontdoor):
    import os
    import re
    import subprocess
    from servers import REPO
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- frontdoor-curl -->\s*```sh\n(.*?)```", readme, re.S)
    assert block, "README lost its front-door curl block"
    key = frontdoor.key("fd-chat")
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", block.group(1)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "SWITCHYARD_URL": frontdoor.url, "SWITCHYARD_KEY": key})
    assert out.returncode == 0, out.stderr
    assert '"object":"chat.completion"' in out.stdout
    assert "data: [DONE]" in out.stdout and '"cost_usd"' in out.stdout
    assert '"object":"embedding"' in out.stdout
    assert '"id":"gpt-4o-mini"' in out.stdout
    assert '"object":"usage"' in out.stdout
    # The results (JSONL) come last; the answer before them ends without a newline.
    tail = out.stdout[out.stdout.index('{"id":"a","status"'):]
    results = [json.loads(line) for line in tail.splitlines()]
    assert [r["id"] for r in results] == ["a", "b"] and all(r["status"] == "succeeded" for r in results)
