"""The ingress function's real bootstrap under the local Lambda emulator, invoked with API Gateway REST
proxy events as the deployed API would send them (the authorizer's context names tenant, tier and key),
against the whole local stack: the Express state machine on moto's engine (StartSyncExecution), the
router, llm-caller and usage-logger binaries, the provider fakes, SecantusDB, and moto's S3.

The answer comes in API Gateway's response-streaming format (JSON prelude, eight zero bytes, body), as a
buffered invoke of a streaming function returns it whole. Checked: a good request's answer and its usage
records in MongoDB (written by the state machine's functions, with the front door's request id); refusals
for a missing or malformed authorizer context; a body above ~200 KiB whose inline image is put to S3 and
passed as an s3:// reference; oversize, garbage and non-proxy events as typed 4xx; streamed chat.
"""
from __future__ import annotations

import base64
import json
import uuid

import boto3
import pytest

from pipeline_fixtures import LocalStack, sample_photo_dir

UPLOAD_BUCKET = "switchyard-data"
MAX_BODY = 1 << 20
KEY_ID = "0123456789ab"


@pytest.fixture(scope="module")
def stack():
    # The stack's one moto endpoint (SQS_ENDPOINT) serves Step Functions, SQS and S3 to every function.
    stack = LocalStack(log=lambda line: None, with_llama=False, extra_env={
        "SWITCHYARD_UPLOAD_S3": f"s3://{UPLOAD_BUCKET}/uploads/",
        # The functions read what the ingress uploaded, inside the deployment's allow-list.
        "IMAGE_ACCESS_S3": f"s3://{UPLOAD_BUCKET}/uploads/",
    }).start()
    try:
        s3 = boto3.client("s3", endpoint_url=stack.sfn.url, region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local")
        s3.create_bucket(Bucket=UPLOAD_BUCKET)
        stack.s3 = s3
        yield stack
    finally:
        stack.stop()


def event(body, *, path="/v1/chat/completions", method="POST", tenant="acme-startup", tier="basic",
          key_id=KEY_ID, authorizer=True, base64_body=False, headers=None) -> dict:
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    context = {"requestId": str(uuid.uuid4()), "stage": "v1"}
    if authorizer:
        # API Gateway passes the authorizer's context values as strings.
        context["authorizer"] = {"tenant": tenant, "tier": tier, "keyId": key_id, "requestsPerMinute": "600",
                                 "tokensPerMinute": "1000000", "principalId": tenant}
    return {"resource": "/v1/chat/completions", "path": path, "httpMethod": method,
            "headers": {"Content-Type": "application/json", **(headers or {})}, "multiValueHeaders": None,
            "queryStringParameters": None, "requestContext": context, "body": text,
            "isBase64Encoded": base64_body}


def answer(stack, proxy_event) -> tuple[int, dict, bytes]:
    """Invokes the ingress; returns (status, headers, body) from the streamed HTTP integration response."""
    result = stack.emulator.invoke("ingress", proxy_event, timeout=120)
    assert result.status == 200 and result.function_error is None, result.body[:500]
    prelude, separator, body = result.body.partition(b"\x00" * 8)
    assert separator, result.body[:300]
    head = json.loads(prelude)
    return head["statusCode"], {k.lower(): v for k, v in head["headers"].items()}, body


def chat(text: str, **extra) -> dict:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


def test_a_chat_completion_runs_through_the_state_machine_and_is_billed(stack):
    before = len(stack.sfn.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"])
    status, headers, body = answer(stack, event(chat(f"Say hello [{uuid.uuid4().hex[:8]}]")))
    assert status == 200, body
    completion = json.loads(body)
    assert completion["object"] == "chat.completion" and completion["choices"][0]["message"]["content"]
    request_id = headers["x-request-id"]
    assert headers["x-switchyard-model"] == "gpt-4o-mini"
    # One synchronous execution more on the state machine.
    after = stack.sfn.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
    assert len(after) == before + 1
    records = stack.usage_records(request_id, at_least=2)
    steps = sorted(r["step"] for r in records)
    assert "llm" in steps and "router" in steps, records
    llm = [r for r in records if r["step"] == "llm"]
    # The state machine's llm-caller invocation, stored once although both its Log state and the front
    # door enqueued it.
    assert len(llm) == 1 and not llm[0]["invocationId"].startswith("inproc-"), llm
    assert all(r["tenant"] == "acme-startup" for r in records)
    assert completion["usage"]["prompt_tokens"] == llm[0]["tokens"]["input"]


@pytest.mark.parametrize("case", ["no authorizer", "bad tenant", "bad key id", "bad limits"])
def test_without_a_valid_authorizer_context_the_request_is_unauthenticated(stack, case):
    proxy = {"no authorizer": lambda: event(chat("hi"), authorizer=False),
             "bad tenant": lambda: event(chat("hi"), tenant="acme\u0000startup"),
             "bad key id": lambda: event(chat("hi"), key_id="x"),
             "bad limits": lambda: event(chat("hi"))}[case]()
    if case == "bad limits":
        proxy["requestContext"]["authorizer"]["requestsPerMinute"] = "-5"
    status, _, body = answer(stack, proxy)
    assert status == 401, body
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_api_key" and error["type"] == "authentication_error"


def test_the_tenant_comes_from_the_authorizer_never_from_the_body(stack):
    status, headers, body = answer(stack, event(chat("hello", user="x", tenant_id="spendy-pro",
                                                     tenantId="spendy-pro")))
    assert status in (200, 400), body
    if status == 200:
        records = stack.usage_records(headers["x-request-id"], at_least=2)
        assert {r["tenant"] for r in records} == {"acme-startup"}


def test_a_body_above_200_kib_has_its_image_put_to_s3(stack):
    photo = (sample_photo_dir() / "chelsea.png").read_bytes()
    data_url = "data:image/png;base64," + base64.b64encode(photo).decode()
    body = {"model": "auto", "messages": [{"role": "user", "content": [
        {"type": "text", "text": f"What animal is this? [{uuid.uuid4().hex[:8]}]"},
        {"type": "image_url", "image_url": {"url": data_url}}]}]}
    assert len(json.dumps(body)) > 200 * 1024
    before = {o["Key"] for o in stack.s3.list_objects_v2(Bucket=UPLOAD_BUCKET).get("Contents", [])}
    status, headers, answer_body = answer(stack, event(body))
    objects = {o["Key"] for o in stack.s3.list_objects_v2(Bucket=UPLOAD_BUCKET).get("Contents", [])} - before
    assert len(objects) == 1, objects
    key = objects.pop()
    assert key.startswith("uploads/") and key.endswith(".png")
    assert stack.s3.get_object(Bucket=UPLOAD_BUCKET, Key=key)["Body"].read() == photo
    # The execution's input named the object, not the bytes.
    executions = stack.sfn.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
    newest = max(executions, key=lambda e: e["startDate"])
    described = stack.sfn.sfn.describe_execution(executionArn=newest["executionArn"])
    assert f"s3://{UPLOAD_BUCKET}/{key}" in described["input"] and len(described["input"]) < 64 * 1024
    assert status == 200, answer_body
    # The functions read the object through the allow-list: the detector found things in the photo.
    output = json.loads(described["output"])
    assert output["status"] in ("succeeded", "degraded") and output["llm"]["answer"]["text"], output


def test_oversize_garbage_and_foreign_events_get_typed_4xx(stack):
    status, _, body = answer(stack, event("x" * ((5 << 20) + 1)))
    assert status == 413 and json.loads(body)["error"]["code"] == "payload_too_large", body[:300]
    # Still above an execution's 256 KiB input after the offload (text, no image to move): a 413 up front.
    long_text = chat("x" * (300 << 10))
    status, _, body = answer(stack, event(long_text))
    assert status == 413 and json.loads(body)["error"]["code"] == "payload_too_large", body[:300]
    status, _, body = answer(stack, event("{not json"))
    assert status == 400 and json.loads(body)["error"]["type"] == "invalid_request_error", body
    status, _, body = answer(stack, event("%%%", base64_body=False, headers={}) | {"isBase64Encoded": True})
    assert status == 400, body
    status, _, body = answer(stack, {"hello": "world"})
    assert status == 400 and json.loads(body)["error"]["type"] == "invalid_request_error", body
    status, _, body = answer(stack, event(chat("hi"), path="/v1/nope"))
    assert status == 404, body


def test_streamed_chat_runs_in_process_and_streams_sse(stack):
    before = len(stack.sfn.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"])
    status, headers, body = answer(stack, event(chat(f"Stream please [{uuid.uuid4().hex[:8]}]", stream=True,
                                                     stream_options={"include_usage": True})))
    assert status == 200 and headers["content-type"].startswith("text/event-stream"), body[:300]
    events = [line[6:] for line in body.decode().splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert chunks[-1]["usage"]["completion_tokens"] > 0
    # No execution: Step Functions cannot stream.
    after = len(stack.sfn.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"])
    assert after == before
    records = stack.usage_records(headers["x-request-id"], at_least=2)
    assert any(r["step"] == "llm" for r in records)
