"""Structural checks of the deployed ASL files (infra/statemachine/*.asl.json), cheap enough for every CI run.

- every StartAt, Next, Default, Choice and Catch target names a state of the same scope, every state
  is reachable, and state names are unique across the whole machine (AWS rejects duplicates);
- every error name in Retry/Catch is one Step Functions or Lambda defines, or an errorType the
  Swift sources raise (a string literal in Sources/), so no rule waits for an error that never comes;
- Lambda tasks use the `lambda:invoke` integration with a `${…Arn}` placeholder, retry only what
  decisions.md gives Step Functions, with jitter, and catch everything else into a logged path;
- every placeholder is one the local launcher and the SAM template substitute.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from servers import REPO

DEFINITIONS = sorted((REPO / "infra" / "statemachine").glob("*.asl.json"))
SUBSTITUTIONS = {"RouterFunctionArn", "LLMCallerFunctionArn", "VisionFunctionArn", "UsageQueueUrl"}
# Error names Step Functions itself defines, and those of the Lambda integration (Lambda.<API error code>).
STATES_ERRORS = {"States.ALL", "States.TaskFailed", "States.Timeout", "States.HeartbeatTimeout", "States.Runtime",
                 "States.Permissions", "States.ResultPathMatchFailure", "States.ParameterPathFailure",
                 "States.BranchFailed", "States.NoChoiceMatched", "States.IntrinsicFailure",
                 "States.ExceedToleratedFailureThreshold", "States.ItemReaderFailed", "States.ResultWriterFailed",
                 "States.DataLimitExceeded"}
LAMBDA_SERVICE_ERRORS = {"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                         "Lambda.TooManyRequestsException"}
# decisions.md: Step Functions retries only what a function cannot handle itself.
STEP_FUNCTIONS_RETRIES = LAMBDA_SERVICE_ERRORS | {"Sandbox.Timedout", "Runtime.ExitError"}


def swift_error_types() -> set[str]:
    """Every `"Area.Name"` string literal in the Swift sources: the errorType vocabulary."""
    names: set[str] = set()
    for path in (REPO / "Sources").rglob("*.swift"):
        names.update(re.findall(r'"([A-Z][A-Za-z]+\.[A-Z][A-Za-z]+)"', path.read_text()))
    return names


def scopes(machine: dict, path: str = ""):
    """(path, States) of the machine and of every Parallel branch and Map processor inside it."""
    yield path or "/", machine
    for name, state in machine["States"].items():
        for i, branch in enumerate(state.get("Branches", [])):
            yield from scopes(branch, f"{path}/{name}[{i}]")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from scopes(processor, f"{path}/{name}")


def all_states(machine: dict):
    for _, scope in scopes(machine):
        yield from scope["States"].items()


def targets(state: dict) -> list[str]:
    found = [state[k] for k in ("Next", "Default") if k in state]
    found += [choice["Next"] for choice in state.get("Choices", [])]
    found += [catch["Next"] for catch in state.get("Catch", [])]
    return found


@pytest.fixture(params=DEFINITIONS, ids=lambda p: p.name)
def definition(request) -> tuple[Path, dict]:
    return request.param, json.loads(request.param.read_text())


def test_both_definitions_exist():
    assert {p.name for p in DEFINITIONS} >= {"switchyard.asl.json", "batch-job.asl.json"}


def test_every_transition_names_a_state_of_its_scope_and_every_state_is_reachable(definition):
    _, machine = definition
    for where, scope in scopes(machine):
        names = set(scope["States"])
        assert scope["StartAt"] in names, f"{where}: StartAt {scope['StartAt']}"
        for name, state in scope["States"].items():
            for target in targets(state):
                assert target in names, f"{where}/{name}: {target} is not a state of this scope"
            ends = state.get("End") is True or state["Type"] in ("Fail", "Succeed", "Choice")
            assert ends or "Next" in state, f"{where}/{name} neither ends nor has Next"
        reached, todo = set(), [scope["StartAt"]]
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo += targets(scope["States"][name])
        assert reached == names, f"{where}: unreachable {sorted(names - reached)}"


def test_state_names_are_unique_across_the_machine(definition):
    _, machine = definition
    names = [name for name, _ in all_states(machine)]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_every_error_name_is_defined_by_aws_or_raised_by_our_functions(definition):
    _, machine = definition
    raised = swift_error_types()
    assert {"Sandbox.Timedout", "Runtime.ExitError"} <= raised, "the emulator's error types moved"
    for name, state in all_states(machine):
        for rule in state.get("Retry", []) + state.get("Catch", []):
            for error in rule["ErrorEquals"]:
                known = error in STATES_ERRORS or error in LAMBDA_SERVICE_ERRORS or error in raised
                assert known, f"{name}: {error} is neither an AWS error nor an errorType in Sources/"
        for rules in (state.get("Retry", []), state.get("Catch", [])):
            for i, rule in enumerate(rules):
                if "States.ALL" in rule["ErrorEquals"]:
                    assert rule["ErrorEquals"] == ["States.ALL"] and i == len(rules) - 1, \
                        f"{name}: States.ALL must stand alone in the last rule"


def test_lambda_tasks_retry_only_service_faults_with_jitter_and_catch_the_rest(definition):
    _, machine = definition
    tasks = [(n, s) for n, s in all_states(machine) if s.get("Resource") == "arn:aws:states:::lambda:invoke"]
    assert tasks
    for name, state in tasks:
        assert re.fullmatch(r"\$\{[A-Za-z]+FunctionArn\}", state["Parameters"]["FunctionName"]), name
        retried = {e for rule in state["Retry"] for e in rule["ErrorEquals"]}
        assert retried == STEP_FUNCTIONS_RETRIES, f"{name}: retries {sorted(retried)}"
        for rule in state["Retry"]:
            assert rule["JitterStrategy"] == "FULL" and rule["BackoffRate"] > 1, name
        assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], f"{name}: a failure must reach a logged path"
    # Provider faults are the llm-caller's to retry (decisions.md): none may appear here.
    for name, state in all_states(machine):
        for rule in state.get("Retry", []):
            assert not any(e.startswith("Provider.") for e in rule["ErrorEquals"]), name


def follow(states: dict, start: str) -> list[str]:
    """The states a path visits from `start` along Next (Choices are not followed)."""
    path: list[str] = []
    while start and start not in path:
        path.append(start)
        start = states[start].get("Next")
    return path


def sends_usage(state: dict) -> bool:
    return state.get("Resource") == "arn:aws:states:::sqs:sendMessage"


def test_every_lambda_failure_path_reaches_a_usage_log(definition):
    """At the top level a Catch path logs before it ends. Inside a Parallel branch or an inline Map,
    it ends in a stand-in outcome, and the state after the Parallel or Map logs it."""
    _, machine = definition
    top = machine["States"]
    for name, state in top.items():
        if state.get("Resource") == "arn:aws:states:::lambda:invoke":
            for catch in state["Catch"]:
                assert any(sends_usage(top[s]) for s in follow(top, catch["Next"])), f"{name}: Catch path logs nothing"
        inner = [b["States"] for b in state.get("Branches", [])]
        if "ItemProcessor" in state:
            inner.append(state["ItemProcessor"]["States"])
        for states in inner:
            lambda_tasks = [s for s in states.values() if s.get("Resource") == "arn:aws:states:::lambda:invoke"]
            for catch in (c for s in lambda_tasks for c in s["Catch"]):
                path = follow(states, catch["Next"])
                logged_inside = any(sends_usage(states[s]) for s in path)
                assert logged_inside or (states[path[-1]].get("End") and any(
                    sends_usage(top[s]) for s in follow(top, state["Next"]))), f"{name}: {catch['Next']}"


def test_placeholders_are_the_substituted_ones(definition):
    path, _ = definition
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", path.read_text()))
    assert used and used <= SUBSTITUTIONS, sorted(used - SUBSTITUTIONS)


def test_every_log_state_sends_a_usage_batch_to_the_queue(definition):
    _, machine = definition
    fields = {"records", "batches", "failures", "context", "execution"}
    logs = [(n, s) for n, s in all_states(machine) if s.get("Resource") == "arn:aws:states:::sqs:sendMessage"]
    assert logs
    for name, state in logs:
        body = state["Parameters"]["MessageBody"]
        assert state["Parameters"]["QueueUrl"] == "${UsageQueueUrl}", name
        assert {k.removesuffix(".$") for k in body} <= fields, f"{name}: {sorted(body)}"
        assert state["ResultPath"] is None, f"{name} must pass its input through"
