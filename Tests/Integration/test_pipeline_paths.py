"""The deployed state machine's routing and failure paths, on the real engine with real binaries.

infra/statemachine/switchyard.asl.json runs unchanged; only its `${…}` substitutions differ: the
echo function stands in the router's place (so a test's input *is* the decision the Choice
branches on), and runtime-probe stands in a backend's place, where it fails every call the way a
crashed or mis-deployed function does (`Runtime.InvalidEvent`, `Runtime.ExitError`). That reaches
the Catch paths that working functions never take, and checks what each path sends to the usage
queue and answers — the exact UsageBatch, field by field.
"""
from __future__ import annotations

import json

import pytest

from emulator_fixtures import start_emulator
from statemachine_fixtures import function_arn, start_stepfunctions, state_machine_file

MAX_INLINE_ITEMS = 40  # decisions.md: larger labelling jobs go to the Standard workflow
STATE_LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    def fn(name: str, binary: str, timeout: int = 3) -> dict:
        return {"name": name, "bootstrap": f"${{SWITCHYARD_BIN}}/{binary}", "timeoutSeconds": timeout,
                "memoryMB": 128, "maxConcurrency": 8, "environment": {}}

    config = {"functions": [fn("echo", "echo-function"), fn("broken", "runtime-probe-function")]}
    emulator, emulator_process = start_emulator(config, tmp_path=tmp_path_factory.mktemp("paths"))
    sfn, process = start_stepfunctions(emulator.url)
    queue, _ = sfn.create_usage_queue(name="paths-usage")

    def machine(router: str, backend: str) -> str:
        return sfn.deploy(state_machine_file(), {
            "RouterFunctionArn": function_arn(router), "LLMCallerFunctionArn": function_arn(backend),
            "VisionFunctionArn": function_arn(backend), "UsageQueueUrl": queue})

    sfn.echo_router_broken_backends = machine("echo", "broken")
    sfn.broken_router = machine("broken", "broken")
    sfn.queue = queue
    try:
        yield sfn
    finally:
        process.stop()
        emulator_process.stop()


def context() -> dict:
    return {"requestId": "req-1", "tenantId": "acme", "tier": "basic", "route": "llm cheapest", "bundleVersion": "b1"}


def router_record() -> dict:
    return {"requestId": "req-1", "step": "router", "invocationId": "inv-router", "attempt": 0, "timestamp": 1,
            "tenant": "acme", "backend": "lambda", "modality": "none", "latency": {"totalMs": 2},
            "status": "succeeded", "compute": {"kind": "lambda", "memoryMB": 256, "durationMs": 2}}


def decision(route: str, **fields) -> dict:
    """A RouteDecision (as the router returns it) with the plans the branch needs."""
    document = {"requestId": "req-1", "tenantId": "acme", "tier": "basic", "bundleVersion": "b1", "route": route,
                "costCeilingPicoUSD": 0, "estimatedCostPicoUSD": 0, "qualityFloorRelaxed": False, "candidates": [],
                "explanation": f"{route} for the test", "context": context(), "usage": [router_record()],
                "llm": {"candidates": [{"model": "gpt-4o-mini", "attemptTimeoutMs": 1000, "contextWindow": 128000,
                                        "estimatedCostPicoUSD": 0, "estimatedLatencyMs": 0}],
                        "maxOutputTokens": 64, "groundWithDetections": False},
                "vision": {"candidates": [{"model": "yolov8n-lambda", "attemptTimeoutMs": 1000,
                                           "estimatedCostPicoUSD": 0, "estimatedLatencyMs": 0}]}}
    document.update(fields)
    return document


def run(stack, arn: str, document: dict):
    result = stack.start_sync(arn, document)
    assert result.status in ("SUCCEEDED", "FAILED"), result.response
    [message] = stack.receive_all(stack.queue, wait_seconds=2)
    assert stack.receive_all(stack.queue) == [], "one usage message per execution"
    return result, message


def lambda_tasks(stack, result) -> list[dict]:
    return [e for e in stack.history(result.execution_arn)
            if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resourceType"] == "lambda"]


def check_execution_facts(message: dict, result) -> None:
    facts = message["execution"]
    assert facts["executionId"] == result.execution_arn
    assert facts["startTime"] <= facts["endTime"]


def test_a_rejected_request_logs_the_routers_usage_and_answers_the_rejection(stack):
    rejection = {"errorType": "Router.BudgetExceeded", "errorMessage": "acme is over its monthly budget"}
    result, message = run(stack, stack.echo_router_broken_backends, decision("rejected", rejection=rejection))
    assert result.status == "SUCCEEDED"
    assert result.output == {"requestId": "req-1", "route": "rejected", "tier": "basic",
                             "explanation": "rejected for the test", "status": "rejected", "rejection": rejection}
    assert message["records"] == [router_record()] and message["context"] == context()
    assert set(message) == {"records", "context", "execution"}
    check_execution_facts(message, result)


@pytest.mark.parametrize("route, step", [("llm", "llm"), ("vision", "vision")])
def test_a_backend_that_fails_as_a_lambda_is_caught_logged_and_answered_as_failed(stack, route, step):
    result, message = run(stack, stack.echo_router_broken_backends, decision(route))
    assert result.status == "SUCCEEDED", result.response
    output = result.output
    assert output["status"] == "failed" and output["route"] == route
    # The runtime could not decode the step input into the probe's event: a function error that is
    # not Step Functions' to retry, so it is caught at once.
    assert output["error"]["errorType"] == "Runtime.InvalidEvent"
    assert output[step]["status"] == "failed" and output[step]["usage"] == []
    [failure] = message["failures"]
    assert failure["step"] == step and failure["error"] == "Runtime.InvalidEvent"
    assert json.loads(failure["cause"])["errorType"] == "Runtime.InvalidEvent"
    assert message["batches"] == [[router_record()], []]
    assert message["context"] == context()
    check_execution_facts(message, result)
    assert len(lambda_tasks(stack, result)) == 2, "router once, backend once: a function error is not retried"


@pytest.mark.parametrize("grounded", [False, True])
def test_vision_and_llm_failures_are_both_logged_and_the_answer_is_failed(stack, grounded):
    document = decision("vision+llm")
    document["llm"]["groundWithDetections"] = grounded
    result, message = run(stack, stack.echo_router_broken_backends, document)
    assert result.status == "SUCCEEDED", result.response
    assert result.output["status"] == "failed"
    assert result.output["vision"]["status"] == "failed" and result.output["llm"]["status"] == "failed"
    assert sorted(f["step"] for f in message["failures"]) == ["llm", "vision"]
    assert message["batches"] == [[router_record()], [], []]
    names = [e["stateEnteredEventDetails"]["name"] for e in stack.history(result.execution_arn)
             if e["type"].endswith("StateEntered")]
    if grounded:
        assert names.index("DetectForGrounding") < names.index("CallGroundedLLM")
        assert "DetectAndAnswer" not in names
    else:
        assert "DetectAndAnswer" in names and "CallGroundedLLM" not in names


def test_a_batch_at_the_largest_inline_size_fails_item_by_item_within_the_state_limit(stack):
    items = [{"id": f"item-{i:02d}", "text": f"label me {i}"} for i in range(MAX_INLINE_ITEMS)]
    document = decision("batch", batch={"items": items, "itemRoute": "llm", "maxConcurrency": 8})
    result = stack.start_sync(stack.echo_router_broken_backends, document)
    assert result.status == "SUCCEEDED", result.response
    output = result.output
    assert [o["itemId"] for o in output["items"]] == [i["id"] for i in items]
    assert {o["status"] for o in output["items"]} == {"failed"}
    assert len(result.response["output"].encode()) < STATE_LIMIT
    # Each item logs its own usage (its failure here); the execution logs the router's and itself.
    messages = stack.receive_all(stack.queue, wait_seconds=2)
    [top] = [m for m in messages if "execution" in m]
    assert top["records"] == [router_record()] and top["context"] == context()
    check_execution_facts(top, result)
    per_item = [m for m in messages if "execution" not in m]
    assert sorted(f["step"] for m in per_item for f in m["failures"]) == [f"batch/{i['id']}/llm" for i in items]
    assert all(m["records"] == [] and m["context"] == context() for m in per_item)
    # The Map ran every item through the llm-caller's place, once each.
    assert len(lambda_tasks(stack, result)) == 1 + MAX_INLINE_ITEMS


def test_a_route_without_a_branch_logs_usage_and_fails_by_name(stack):
    result, message = run(stack, stack.echo_router_broken_backends, decision("embedding"))
    assert result.status == "FAILED"
    assert result.response["error"] == "Switchyard.RouteNotSupported"
    assert message["records"] == [router_record()]


def test_a_router_that_crashes_is_retried_once_then_the_failure_is_logged(stack):
    request = {"requestId": "req-9", "tenantId": "acme", "action": "crash"}
    result, message = run(stack, stack.broken_router, request)
    assert result.status == "FAILED"
    # The execution fails with the router's own error, after logging it.
    assert result.response["error"] == "Runtime.ExitError"
    assert json.loads(result.response["cause"])["errorType"] == "Runtime.ExitError"
    [failure] = message["failures"]
    assert failure["step"] == "router" and failure["error"] == "Runtime.ExitError"
    assert message["context"] == {"requestId": "req-9", "tenantId": "acme"}
    failed = [e for e in stack.history(result.execution_arn) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == ["Runtime.ExitError"] * 2


def batch_job() -> dict:
    return json.loads(state_machine_file("batch-job").read_text())


@pytest.mark.parametrize("map_state, step", [("LabelWithLLM", "llm"), ("LabelWithDetector", "vision")])
def test_the_standard_jobs_item_path_logs_each_items_usage_itself(stack, map_state, step):
    """A Distributed Map runs each item as a child Express execution of its ItemProcessor: run that
    processor, from the deployed file, as one."""
    processor = batch_job()["States"][map_state]["ItemProcessor"]
    definition = json.dumps({"StartAt": processor["StartAt"], "States": processor["States"]})
    arn = stack.deploy(definition, {"LLMCallerFunctionArn": function_arn("broken"),
                                    "VisionFunctionArn": function_arn("broken"), "UsageQueueUrl": stack.queue})
    item = {"id": "row-7", "text": "label me"}
    plan = decision("batch")[step]
    result, message = run(stack, arn, {"item": item, "plan": plan, "context": context()})
    assert result.status == "SUCCEEDED", result.response
    assert result.output["itemId"] == "row-7" and result.output["status"] == "failed"
    assert result.output["requestId"] == "req-1"
    assert message["records"] == [] and message["context"] == context()
    [failure] = message["failures"]
    assert failure["step"] == f"batch/row-7/{step}" and failure["error"] == "Runtime.InvalidEvent"
    # The child execution is an Express execution of its own, billed as one.
    check_execution_facts(message, result)
