"""End to end: InferenceRequests through the deployed state machine on the local stack — the real
router, llm-caller, vision and usage-logger binaries under the Lambda emulator, moto's engine,
SecantusDB, llama.cpp, the YOLOv8 endpoint and the provider fakes — down to the usage records in
MongoDB.

Each test checks the answer, the route taken, and the usage records: one per billed step, each key
once, each cost equal to the independent reference (rates_reference.py over infra/rates.json), and
the tokens billed equal to what the provider said it served (the fake's own log).

"""
from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest

from pipeline_fixtures import LocalStack, sample_photo_dir
from rates_reference import expected_cost, load_rates
from servers import REPO

STATE_LIMIT = 256 * 1024
MAX_INLINE_ITEMS = 40


@pytest.fixture(scope="module")
def stack():
    functions = json.loads((REPO / "infra" / "local" / "functions.json").read_text())
    assert functions.get("eventSourceMappings"), "the usage drain (usage-logger's SQS mapping) is not configured"
    subprocess.run([REPO / "scripts" / "build-dashboard"], check=False, capture_output=True, timeout=120)
    stack = LocalStack(log=lambda line: None, with_dashboard=True).start()
    try:
        yield stack
    finally:
        stack.stop()


def request(tag: str, text: str | None = None, *, tenant: str = "acme-startup", **fields) -> dict:
    """An InferenceRequest with a unique id; the id is in the prompt too, so the fake's log finds it."""
    rid = f"e2e-{tag}-{uuid.uuid4().hex[:8]}"
    document = {"requestId": rid, "tenantId": tenant, "user": "e2e"}
    if text is not None:
        document["messages"] = [{"role": "user", "content": f"{text} [{rid}]"}]
    document.update(fields)
    return document


def run(stack: LocalStack, document: dict):
    result = stack.sfn.start_sync(stack.state_machine_arn, document)
    assert result.status == "SUCCEEDED", result.response
    return result.output


def provider_calls(stack: LocalStack, request_id: str) -> list[dict]:
    """What the provider fake received for this request (its id is in the prompt), in order."""
    import urllib.request

    with urllib.request.urlopen(f"{stack.fakes_url}/_fake/requests", timeout=5) as response:
        return [e for e in json.loads(response.read())["requests"] if request_id in json.dumps(e.get("request"))]


def arm(stack: LocalStack, provider_model: str, **options) -> None:
    """Arms a fault in the provider fake for the next `times` requests of a model the catalog names."""
    fake(stack, "faults", {"model": provider_model, **options})


def disarm(stack: LocalStack) -> None:
    """Clears armed faults (and the fake's counters and log)."""
    fake(stack, "reset", {})


def fake(stack: LocalStack, call: str, document: dict) -> None:
    import urllib.request

    body = json.dumps(document).encode()
    urllib.request.urlopen(urllib.request.Request(f"{stack.fakes_url}/_fake/{call}", data=body, method="POST"),
                           timeout=5).read()


def premium_request(tag: str) -> dict:
    # Pinned to legal and `best`: the prompt carries the random request id, which the classifier reads,
    # and its difficulty verdict picks between two legal rules (cheapest at 0.86 → gpt-4.1, best →
    # claude-3-5-sonnet), so unpinned the primary changed from one request to the next.
    return request(tag, "Is an uncapped indemnification clause enforceable under New York law?",
                   tenant="lexcorp-legal", hints={"category": "legal", "route": "best"})


def primary_provider_model(stack: LocalStack) -> str:
    """The provider-side model name of the primary the router picks for the premium request."""
    document = premium_request("learn")
    output = run(stack, document)
    assert output["llm"]["attempts"][0]["provider"] in ("openai", "anthropic"), output["llm"]["attempts"]
    return provider_calls(stack, document["requestId"])[0]["model"]


def check_attempts_billed(stack: LocalStack, document: dict, output: dict) -> None:
    """Every attempt that was sent has its record (failed ones too), and no Task was retried by
    Step Functions: provider faults are the llm-caller's."""
    sent = [a for a in output["llm"]["attempts"] if a["outcome"] != "skipped"]
    check_usage(stack, document["requestId"], {"router": 1, "llm": len(sent), "orchestration": 1})


def check_usage(stack: LocalStack, request_id: str, steps: dict[str, int]) -> list[dict]:
    """The request's records in MongoDB: `steps` maps a step (or a `batch/` prefix) to how many
    records it has; every key is unique and every cost equals the reference."""
    expected = sum(steps.values())
    records = stack.usage_records(request_id, at_least=expected, timeout=30)
    # A little longer, so a duplicate that arrives late is seen too.
    time.sleep(0.5)
    records = stack.usage_records(request_id, at_least=expected + 1, timeout=0)
    keys = [(r["step"], r["invocationId"], r["attempt"]) for r in records]
    assert len(keys) == len(set(keys))
    counted: dict[str, int] = {}
    for record in records:
        step = "batch/" if record["step"].startswith("batch/") else record["step"]
        counted[step] = counted.get(step, 0) + 1
    assert counted == steps, records
    rates = load_rates()
    for record in records:
        cost = record["cost"]
        reference = expected_cost(record, rates)
        assert cost["unpriced"] == [] == reference["unpriced"], record
        assert {k: cost[k] for k in reference if k != "unpriced"} == {k: v for k, v in reference.items()
                                                                      if k != "unpriced"}, record
        assert record["tenant"] and record["requestId"] == request_id
    return records


def check_tokens_match_the_provider(stack: LocalStack, request_id: str, records: list[dict]) -> None:
    served = [c for c in provider_calls(stack, request_id) if c["status"] == 200 and c.get("usage")]
    billed = [r for r in records if r["step"] == "llm" and r.get("tokens") and r["status"] != "failed"]
    for record in billed:
        if record.get("provider") in ("openai", "anthropic"):
            usage = served.pop(0)["usage"]
            reported_input = usage.get("prompt_tokens", usage.get("input_tokens"))
            reported_output = usage.get("completion_tokens", usage.get("output_tokens"))
            assert (record["tokens"]["input"], record["tokens"]["output"]) == (reported_input, reported_output)


def test_cheap_text_on_the_basic_tier(stack):
    document = request("cheap", "Recommend one sci-fi novel in a sentence.")
    output = run(stack, document)
    assert output["route"] == "llm" and output["status"] == "succeeded"
    assert output["tier"] == "basic"
    answer = output["llm"]["answer"]
    assert answer["text"].strip() and answer["fallbackUsed"] is False
    records = check_usage(stack, document["requestId"], {"router": 1, "llm": 1, "orchestration": 1})
    [llm] = [r for r in records if r["step"] == "llm"]
    assert llm["model"] == answer["model"] and llm["status"] == "succeeded"
    check_tokens_match_the_provider(stack, document["requestId"], records)
    stack.cheap_model = answer["model"]


def test_legal_text_on_pro_gets_a_premium_model(stack):
    document = request("legal", "Is an uncapped indemnification clause enforceable under New York law?",
                       tenant="lexcorp-legal")
    output = run(stack, document)
    assert output["route"] == "llm" and output["tier"] == "pro" and output["status"] == "succeeded"
    model = output["llm"]["answer"]["model"]
    rates = {m["model"]: m for m in load_rates()["models"]}
    basic = getattr(stack, "cheap_model", "gpt-4o-mini")
    assert float(rates[model]["outputPerMillionTokens"]) > float(rates[basic]["outputPerMillionTokens"])
    records = check_usage(stack, document["requestId"], {"router": 1, "llm": 1, "orchestration": 1})
    check_tokens_match_the_provider(stack, document["requestId"], records)


def test_image_detection_runs_the_detector_the_router_chose(stack):
    document = request("detect", tenant="globex-health", images=[f"{stack.images_url}/astronaut.png"],
                       hints={"category": "detection"})
    output = run(stack, document)
    assert output["route"] == "vision" and output["status"] == "succeeded"
    vision = output["vision"]
    assert len(vision["results"]) == 1 and vision["results"][0]["width"] == 512
    records = check_usage(stack, document["requestId"], {"router": 1, "vision": 1, "orchestration": 1})
    [record] = [r for r in records if r["step"] == "vision"]
    assert record["model"] == vision["model"]
    assert record["images"] == {"count": 1, "pixels": 512 * 512}


def red_square_png() -> bytes:
    """Gray with a saturated red square: the generated YOLOv8 test model reports "person" over it."""
    import cv2
    import numpy as np

    image = np.full((480, 640, 3), 96, np.uint8)
    image[120:360, 200:440] = (0, 0, 255)  # BGR red
    return cv2.imencode(".png", image)[1].tobytes()


def serve_once(payload: bytes, content_type: str = "image/png"):
    """A throwaway HTTP server answering every GET with `payload`; returns (url, server)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/square.png", server


def test_image_and_question_ground_the_llm_in_the_detections(stack):
    url, server = serve_once(red_square_png())
    try:
        document = request("ground", tenant="globex-health")
        document["messages"] = [{"role": "user", "content": [
            {"type": "text", "text": f"Who is in this picture? [{document['requestId']}]"},
            {"type": "image_url", "image_url": {"url": url}}]}]
        result = stack.sfn.start_sync(stack.state_machine_arn, document)
    finally:
        server.shutdown()
    assert result.status == "SUCCEEDED", result.response
    output = result.output
    assert output["route"] == "vision+llm" and output["status"] == "succeeded"
    found = {d["className"] for r in output["vision"]["results"] for d in r["detections"]}
    assert "person" in found
    assert output["llm"]["answer"]["text"].strip()
    visited = [e["stateEnteredEventDetails"]["name"] for e in stack.sfn.history(result.execution_arn)
               if e["type"].endswith("StateEntered")]
    assert visited.index("DetectForGrounding") < visited.index("CallGroundedLLM")
    # The prompt the provider received names what the detector found.
    [call] = [c for c in provider_calls(stack, document["requestId"]) if c["status"] == 200]
    assert "person" in json.dumps(call["request"]["messages"]), call["request"]["messages"]
    check_usage(stack, document["requestId"], {"router": 1, "vision": 1, "llm": 1, "orchestration": 1})


def test_a_batch_of_twenty_images_goes_through_the_map(stack):
    items = [{"id": f"img-{i:02d}", "images": [f"{stack.images_url}/astronaut.png"]} for i in range(20)]
    document = request("batch", hints={"category": "detection"}, batch=items)
    result = stack.sfn.start_sync(stack.state_machine_arn, document)
    assert result.status == "SUCCEEDED", result.response
    output = result.output
    assert output["route"] == "batch"
    assert [o["itemId"] for o in output["items"]] == [i["id"] for i in items]
    assert {o["status"] for o in output["items"]} == {"succeeded"}
    assert len(result.response["output"].encode()) < STATE_LIMIT
    check_usage(stack, document["requestId"], {"router": 1, "batch/": 20, "orchestration": 1})


def test_the_largest_inline_batch_stays_under_the_state_limit(stack):
    items = [{"id": f"doc-{i:02d}", "text": f"Label the sentiment of review {i}: great value, slow delivery."}
             for i in range(MAX_INLINE_ITEMS)]
    document = request("batch40", batch=items)
    result = stack.sfn.start_sync(stack.state_machine_arn, document)
    assert result.status == "SUCCEEDED", result.response
    assert len(result.output["items"]) == MAX_INLINE_ITEMS
    assert len(result.response["output"].encode()) < STATE_LIMIT


def test_a_rejected_request_is_answered_and_its_routing_billed(stack):
    document = request("reject", "Write a long market analysis.", tenant="free-demo", hints={"model": "gpt-4o"})
    output = run(stack, document)
    assert output["route"] == "rejected" and output["status"] == "rejected"
    assert output["rejection"]["errorType"].startswith("Router.")
    check_usage(stack, document["requestId"], {"router": 1, "orchestration": 1})


def test_usage_waits_in_the_queue_while_mongodb_is_down_and_lands_once(stack):
    document = request("mongo-down", "Say hello.")
    stack.mongo.stop()
    try:
        output = run(stack, document)
        assert output["status"] == "succeeded"
        time.sleep(3)  # the drain tries and fails; the messages stay on the queue
    finally:
        stack.mongo.start()
    check_usage(stack, document["requestId"], {"router": 1, "llm": 1, "orchestration": 1})
    dead = stack.sfn.sqs.get_queue_attributes(QueueUrl=stack.dlq_url,
                                              AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert dead["ApproximateNumberOfMessages"] == "0"


def test_a_task_step_functions_retries_bills_once_and_overwrites_nothing(stack):
    """The detector's environment crashes mid-invocation (Runtime.ExitError); Step Functions retries
    the Task on a new environment. The crashed try reported nothing; the retry's records land
    beside the router's, each once."""
    import os
    import signal
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    photo = (sample_photo_dir() / "astronaut.png").read_bytes()
    first_request, release = threading.Event(), threading.Event()

    class SlowFirst(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if not first_request.is_set():
                first_request.set()
                release.wait(20)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(photo)))
            self.end_headers()
            self.wfile.write(photo)

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowFirst)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        document = request("retried", tenant="globex-health", hints={"category": "detection"},
                           images=[f"http://127.0.0.1:{server.server_address[1]}/astronaut.png"])
        results = []
        worker = threading.Thread(target=lambda: results.append(
            stack.sfn.start_sync(stack.state_machine_arn, document)))
        worker.start()
        assert first_request.wait(30), "the detector never fetched the image"
        for pid in stack.function_pids("vision-function"):
            os.kill(pid, signal.SIGKILL)
        release.set()
        worker.join(60)
    finally:
        release.set()
        server.shutdown()
    [result] = results
    assert result.status == "SUCCEEDED", result.response
    assert result.output["route"] == "vision" and result.output["status"] == "succeeded"
    failed = [e["taskFailedEventDetails"]["error"] for e in stack.sfn.history(result.execution_arn)
              if e["type"] == "TaskFailed"]
    assert failed == ["Runtime.ExitError"]
    check_usage(stack, document["requestId"], {"router": 1, "vision": 1, "orchestration": 1})


def test_a_provider_429_is_retried_inside_the_llm_caller(stack):
    # As in the fallback test below, the primary can change between the learning request and this
    # one (the live health signals refresh; the prompt carries a random id, and the classifier reads
    # it): only a run whose first call went to the armed model tests the retry.
    for round in range(3):
        model = primary_provider_model(stack)
        arm(stack, model, fault="rate_limit", times=1, retry_after=0)
        try:
            document = premium_request(f"429-{round}")
            result = stack.sfn.start_sync(stack.state_machine_arn, document)
            calls = provider_calls(stack, document["requestId"])
        finally:
            disarm(stack)
        if calls and calls[0]["model"] == model:
            break
    assert calls and calls[0]["model"] == model, "the router's primary kept changing"
    assert result.status == "SUCCEEDED", result.response
    output = result.output
    assert output["status"] == "succeeded" and output["llm"]["answer"]["fallbackUsed"] is False
    assert [c["status"] for c in calls] == [429, 200]
    assert [a["outcome"] for a in output["llm"]["attempts"]] == ["failed", "ok"]
    assert output["llm"]["attempts"][0]["errorType"] == "Provider.RateLimited"
    assert not [e for e in stack.sfn.history(result.execution_arn) if e["type"] == "TaskFailed"]
    check_attempts_billed(stack, document, output)


def test_the_primary_down_falls_back_to_the_next_model(stack):
    # The router ranks by live health from the usage store, and the tests before this one stored
    # failures: the primary can change between the learning request and this one when the signals
    # refresh in between. Only a run whose first attempt went to the disabled model tests fallback.
    for round in range(3):
        model = primary_provider_model(stack)
        arm(stack, model, fault="server_error", times=1000)
        try:
            document = premium_request(f"fallback-{round}")
            output = run(stack, document)
        finally:
            disarm(stack)
        # The disabled model answers every call with a 500: the first attempt failed only if it
        # went there (the fake records served calls, not faulted ones).
        first_failed = output["llm"]["attempts"][0]["outcome"] == "failed"
        if first_failed:
            break
    assert first_failed, "the router's primary kept changing"
    assert output["status"] == "degraded" and output["llm"]["status"] == "degraded"
    answer = output["llm"]["answer"]
    assert answer["fallbackUsed"] is True and answer["model"] != output["llm"]["attempts"][0]["model"]
    assert answer["text"].strip()
    check_attempts_billed(stack, document, output)


def test_every_model_down_gives_the_degraded_answer_and_bills_the_charged_attempts(stack):
    catalog = REPO / "infra" / "catalog.json"
    models = [m.get("providerModel") or m["id"] for m in json.loads(catalog.read_text())["models"]
              if m["kind"] == "llm" and m["provider"] in ("openai", "anthropic", "bedrock")]
    for model in models:
        arm(stack, model, fault="server_error", times=1000)
    if stack.llama:
        stack.llama.stop()
    try:
        document = premium_request("all-down")
        output = run(stack, document)
    finally:
        disarm(stack)
        if stack.llama:
            stack.llama.start()
    assert output["status"] == "failed" and output["llm"]["status"] == "failed"
    assert output["error"]["errorType"] and output["error"] == output["llm"]["error"]
    assert "answer" not in output["llm"]
    assert {a["outcome"] for a in output["llm"]["attempts"]} <= {"failed", "skipped"}
    check_attempts_billed(stack, document, output)


def test_the_dashboard_shows_this_stack_s_traffic(stack):
    """The local stack's dashboard reads the usage the requests above billed: every panel has data."""
    if not stack.dashboard_url:
        pytest.skip("switchyard-dashboard or dashboard/dist missing")
    import time

    import requests

    document = request("dashboard", "Say hello to the dashboard.")
    run(stack, document)
    stack.usage_records(document["requestId"], at_least=2)
    collection = stack.mongo.client()[stack.env.get("SWITCHYARD_DB", "switchyard")]["usage"]
    to = (int(time.time() * 1000) // 60_000 + 1) * 60_000
    params = {"from": to - 6 * 3_600_000, "to": to}
    summary = requests.get(f"{stack.dashboard_url}api/summary", params=params, timeout=30).json()
    stored = list(collection.find({"timestamp": {"$gte": params["from"], "$lt": to}}, {"_id": 0}))
    assert summary["volume"]["totals"]["calls"] == len(stored) > 0
    assert summary["volume"]["totals"]["requests"] == sum(r["step"] == "router" for r in stored)
    assert summary["cost"]["total"]["picoUSD"] == sum(r.get("cost", {}).get("totalPicoUSD", 0) for r in stored)
    assert summary["latencyByBackend"]["groups"] and summary["models"]["models"]
    assert summary["errors"]["calls"] == sum(1 for r in stored if r.get("model"))
    activity = requests.get(f"{stack.dashboard_url}api/activity", params=params, timeout=30).json()
    assert activity["entries"] and activity["entries"][0]["timestamp"] == max(r["timestamp"] for r in stored)
    page = requests.get(stack.dashboard_url, timeout=30)
    assert page.status_code == 200 and "<div id=\"root\">" in page.text
