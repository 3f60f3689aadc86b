"""The local Step Functions engine itself: moto's interpreter behind scripts/lib/stepfunctions_local.py,
calling real bootstrap binaries (echo, runtime-probe) through the Lambda emulator.

These check what the Switchyard state machine relies on — functions named by ARN, synchronous
starts, unnamed executions, Retry with backoff on the errors decisions.md assigns to Step Functions
(`Sandbox.Timedout`, `Runtime.ExitError`, `Lambda.TooManyRequestsException`), Catch, Map with a
MaxConcurrency taken from the input, and SQS sendMessage into moto's own queue — each against what
the emulator and the queue observed, not against the engine's own report alone.
"""
from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest

from emulator_fixtures import start_emulator
from statemachine_fixtures import function_arn, start_stepfunctions, substitute

LAMBDA_ERRORS = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                 "Lambda.TooManyRequestsException"]


def task(function: str, *, payload: str = "$", retry: list | None = None, catch: list | None = None, **fields) -> dict:
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": function_arn(function), "Payload.$": payload},
             "OutputPath": "$.Payload", **fields}
    if retry:
        state["Retry"] = retry
    if catch:
        state["Catch"] = catch
    if "Next" not in fields:
        state["End"] = True
    return state


def machine(states: dict, start: str | None = None) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states})


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("engine")
    config = {"functions": [
        {"name": "echo", "bootstrap": "${SWITCHYARD_BIN}/echo-function", "timeoutSeconds": 3, "memoryMB": 128,
         "maxConcurrency": 4, "environment": {}},
        # Two environments at most and a one-second timeout: throttling and Sandbox.Timedout on demand.
        {"name": "runtime-probe", "bootstrap": "${SWITCHYARD_BIN}/runtime-probe-function", "timeoutSeconds": 1,
         "memoryMB": 128, "maxConcurrency": 2, "environment": {}},
    ]}
    emulator, emulator_process = start_emulator(config, tmp_path=tmp)
    sfn, process = start_stepfunctions(emulator.url)
    sfn.emulator = emulator
    try:
        yield sfn
    finally:
        process.stop()
        emulator_process.stop()


def task_attempts(sfn, execution_arn: str) -> list[dict]:
    """The engine's TaskScheduled/TaskFailed/TaskSucceeded events, in order."""
    return [e for e in sfn.history(execution_arn) if e["type"] in ("TaskScheduled", "TaskFailed", "TaskSucceeded")]


def test_a_synchronous_execution_invokes_a_function_by_its_arn_and_answers_in_the_sync_shape(engine):
    arn = engine.deploy(machine({"Echo": task("echo")}))
    document = {"requestId": "r-1", "nested": {"list": [1, 2.5, "ü"]}}
    result = engine.start_sync(arn, document)
    assert result.status == "SUCCEEDED"
    assert result.output == document
    response = result.response
    assert response["stateMachineArn"] == arn and json.loads(response["input"]) == document
    assert response["stopDate"] >= response["startDate"]
    assert response["billingDetails"]["billedMemoryUsedInMB"] == 64
    assert response["billingDetails"]["billedDurationInMilliseconds"] % 100 == 0
    assert response["billingDetails"]["billedDurationInMilliseconds"] >= 100


@pytest.mark.parametrize("identifier", [function_arn("echo"), quote(function_arn("echo"), safe=""), "echo",
                                        "echo:$LATEST"])
def test_the_emulator_takes_a_function_by_name_or_arn_and_answers_with_a_request_id(engine, identifier):
    result = engine.emulator.invoke(identifier, {"via": identifier})
    assert result.status == 200 and result.json == {"via": identifier}
    assert len(result.headers["x-amzn-requestid"]) == 36
    missing = engine.emulator.invoke(function_arn("no-such-function"), {})
    assert missing.status == 404 and missing.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert missing.headers["x-amzn-requestid"]


def test_unnamed_executions_each_run(engine):
    arn = engine.deploy(machine({"Echo": task("echo")}))
    results = [engine.start_sync(arn, {"n": n}) for n in range(3)]
    assert [r.output for r in results] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len({r.execution_arn for r in results}) == 3


def test_a_named_execution_keeps_its_name(engine):
    arn = engine.deploy(machine({"Echo": task("echo")}))
    result = engine.start_sync(arn, {"n": 1}, name="checkout-42")
    assert result.response["name"] == "checkout-42"
    assert result.execution_arn.endswith(":checkout-42")


def test_sync_start_of_a_standard_machine_is_refused_as_on_aws(engine):
    from botocore.exceptions import ClientError

    arn = engine.deploy(machine({"Echo": task("echo")}), machine_type="STANDARD")
    with pytest.raises(ClientError) as raised:
        engine.start_sync(arn, {})
    assert raised.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"


@pytest.mark.parametrize("action, error", [("sleep", "Sandbox.Timedout"), ("crash", "Runtime.ExitError")])
def test_a_function_failure_is_retried_with_backoff_then_caught(engine, action, error):
    retry = [{"ErrorEquals": ["Sandbox.Timedout", "Runtime.ExitError"], "IntervalSeconds": 1, "MaxAttempts": 2,
              "BackoffRate": 2.0, "MaxDelaySeconds": 2, "JitterStrategy": "FULL"}]
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Caught"}]
    arn = engine.deploy(machine({
        "Probe": task("runtime-probe", retry=retry, catch=catch),
        "Caught": {"Type": "Pass", "Parameters": {"error.$": "$.failure.Error"}, "End": True}}))
    result = engine.start_sync(arn, {"action": action, "milliseconds": 5000})
    assert result.status == "SUCCEEDED"
    assert result.output == {"error": error}
    attempts = task_attempts(engine, result.execution_arn)
    # The first try and two retries, each failing with the emulator's error type.
    assert [e["type"] for e in attempts] == ["TaskScheduled", "TaskFailed"] * 3
    assert {e["taskFailedEventDetails"]["error"] for e in attempts if e["type"] == "TaskFailed"} == {error}


def test_an_error_outside_retry_goes_straight_to_catch(engine):
    retry = [{"ErrorEquals": LAMBDA_ERRORS + ["Sandbox.Timedout", "Runtime.ExitError"], "MaxAttempts": 3}]
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Caught"}]
    arn = engine.deploy(machine({
        "Probe": task("runtime-probe", retry=retry, catch=catch),
        "Caught": {"Type": "Pass", "Parameters": {"error.$": "$.failure.Error", "cause.$": "$.failure.Cause"},
                   "End": True}}))
    result = engine.start_sync(arn, {"action": "fail", "message": "no such model"})
    assert result.output["error"] == "Probe.Failure"
    assert json.loads(result.output["cause"])["errorMessage"] == "no such model"
    assert [e["type"] for e in task_attempts(engine, result.execution_arn)] == ["TaskScheduled", "TaskFailed"]


def map_machine(retry: list | None = None) -> str:
    return machine({"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrencyPath": "$.maxConcurrency",
        "ItemSelector": {"action": "sleep", "milliseconds.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "Sleep", "States": {"Sleep": task("runtime-probe", retry=retry)}},
        "End": True}})


def test_map_honours_max_concurrency_from_the_input(engine):
    arn = engine.deploy(map_machine())
    items = [300] * 4
    sequential = engine.start_sync(arn, {"items": items, "maxConcurrency": 1})
    assert sequential.status == "SUCCEEDED", sequential.response
    assert sequential.output == [{"slept": 300}] * 4
    # One at a time cannot take less than the sum of the sleeps.
    assert sequential.elapsed_ms >= 4 * 300
    paired = engine.start_sync(arn, {"items": items, "maxConcurrency": 2})
    assert paired.output == [{"slept": 300}] * 4
    assert paired.elapsed_ms >= 2 * 300
    assert paired.elapsed_ms < sequential.elapsed_ms


def test_throttling_by_lambda_is_retried_with_jitter_until_every_item_runs(engine):
    # Four at once against a function limited to two environments: Lambda answers 429, the engine
    # sees Lambda.TooManyRequestsException and retries.
    retry = [{"ErrorEquals": LAMBDA_ERRORS, "IntervalSeconds": 1, "MaxAttempts": 6, "BackoffRate": 1.5,
              "MaxDelaySeconds": 3, "JitterStrategy": "FULL"}]
    arn = engine.deploy(map_machine(retry))
    result = engine.start_sync(arn, {"items": [400] * 4, "maxConcurrency": 4})
    assert result.status == "SUCCEEDED", result.response
    assert result.output == [{"slept": 400}] * 4
    failures = [e for e in engine.history(result.execution_arn) if e["type"] == "TaskFailed"]
    assert failures, "four concurrent invokes of a two-environment function must be throttled at least once"
    assert {e["taskFailedEventDetails"]["error"] for e in failures} == {"Lambda.TooManyRequestsException"}


def test_sqs_send_message_reaches_the_queue_with_its_dead_letter_queue(engine):
    queue, dlq = engine.create_usage_queue(name=f"usage-{time.monotonic_ns()}")
    attributes = engine.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"]
    dlq_arn = engine.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn
    definition = substitute(machine({"Send": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "${UsageQueueUrl}", "MessageBody": {
            "records.$": "$.records", "execution": {"executionId.$": "$$.Execution.Id",
                                                    "startTime.$": "$$.Execution.StartTime",
                                                    "endTime.$": "$$.State.EnteredTime"}}},
        "ResultPath": None, "End": True}}), {"UsageQueueUrl": queue})
    arn = engine.deploy(definition)
    result = engine.start_sync(arn, {"records": [{"step": "llm"}]})
    assert result.status == "SUCCEEDED", result.response
    assert result.output == {"records": [{"step": "llm"}]}
    [body] = engine.receive_all(queue)
    assert body["records"] == [{"step": "llm"}]
    assert body["execution"]["executionId"] == result.execution_arn
    assert body["execution"]["startTime"] <= body["execution"]["endTime"]
