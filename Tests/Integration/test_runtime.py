"""The runtime loop and the emulator end to end: real bootstrap processes behind the Invoke API."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from emulator_fixtures import bin_dir, start_emulator
from servers import REPO


def config(**probe_overrides):
    probe = {"name": "runtime-probe", "bootstrap": "${SWITCHYARD_BIN}/runtime-probe-function", "timeoutSeconds": 2,
             "maxConcurrency": 2, "environment": {}}
    probe.update(probe_overrides)
    return {"functions": [{"name": "echo", "bootstrap": "${SWITCHYARD_BIN}/echo-function"}, probe]}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    em, process = start_emulator(config(), tmp_path=tmp_path_factory.mktemp("emulator"))
    yield em
    process.stop()


def error_of(result):
    assert result.status == 200
    assert result.function_error == "Unhandled", result.body
    return result.json


def test_echo_returns_the_event_byte_for_byte(emulator):
    event = (REPO / "events" / "echo" / "hello.json").read_bytes()
    result = emulator.invoke("echo", None, raw=event)
    assert result.status == 200 and result.function_error is None
    assert result.body == event


def test_replay_script_prints_the_echoed_event():
    out = subprocess.run([str(REPO / "scripts" / "replay"), "echo", "events/echo/hello.json"], cwd=REPO,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "SWITCHYARD_BIN": str(bin_dir())})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == json.loads((REPO / "events" / "echo" / "hello.json").read_text())


def test_function_error_keeps_its_type(emulator):
    doc = error_of(emulator.invoke("runtime-probe", {"action": "fail", "message": "no such tenant"}))
    assert doc == {"errorMessage": "no such tenant", "errorType": "Probe.Failure", "stackTrace": []}


def test_unknown_swift_error_is_unhandled(emulator):
    assert error_of(emulator.invoke("runtime-probe", {"action": "unhandled"}))["errorType"] == "Switchyard.Unhandled"


def test_unencodable_output_is_a_typed_error_not_invalid_json(emulator):
    doc = error_of(emulator.invoke("runtime-probe", {"action": "nan"}))
    assert doc["errorType"] == "Runtime.InvalidResponse"


def test_malformed_event_is_a_typed_error(emulator):
    doc = error_of(emulator.invoke("runtime-probe", {"action": 12}))
    assert doc["errorType"] == "Runtime.InvalidEvent"
    assert "action: expected string, found number" in doc["errorMessage"]


def test_oversized_response_is_reported_not_crashed(tmp_path):
    # Its own emulator with a long timeout: encoding 7 MB takes seconds in a debug build on a busy machine.
    em, process = start_emulator(config(timeoutSeconds=30, maxConcurrency=1), tmp_path=tmp_path)
    try:
        doc = error_of(em.invoke("runtime-probe", {"action": "big", "bytes": 7_000_000}))
        assert doc["errorType"] == "Function.ResponseSizeTooLarge"
        # The same environment keeps serving.
        assert em.invoke("runtime-probe", {"action": "echo", "message": "still here"}).json["message"] == "still here"
    finally:
        process.stop()


@pytest.mark.parametrize("action", ["sleep", "block"])
def test_deadline_overrun_is_reported_by_the_runtime(emulator, action):
    started = time.monotonic()
    doc = error_of(emulator.invoke("runtime-probe", {"action": action, "milliseconds": 10_000}))
    elapsed = time.monotonic() - started
    assert doc["errorType"] == "Sandbox.Timedout"
    assert 1.5 < elapsed < 3.0, elapsed


def test_a_frozen_process_is_killed_by_the_emulator_at_the_timeout(emulator):
    started = time.monotonic()
    doc = error_of(emulator.invoke("runtime-probe", {"action": "freeze"}))
    assert doc["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in doc["errorMessage"]
    assert time.monotonic() - started < 3.5
    assert emulator.invoke("runtime-probe", {"action": "echo", "message": "fresh"}).json["message"] == "fresh"


def test_a_crash_is_reported_and_the_next_invoke_gets_a_new_environment(tmp_path):
    # One environment only, so the invocations after the crash cannot land on a second one.
    em, process = start_emulator(config(maxConcurrency=1), tmp_path=tmp_path)
    try:
        before = em.invoke("runtime-probe", {"action": "env"}).json["pid"]
        doc = error_of(em.invoke("runtime-probe", {"action": "crash"}))
        assert doc["errorType"] == "Runtime.ExitError"
        assert "exit status 3" in doc["errorMessage"]
        after = em.invoke("runtime-probe", {"action": "env"}).json["pid"]
        assert after != before
        with pytest.raises(ProcessLookupError):
            os.kill(before, 0)
    finally:
        process.stop()


def test_warm_environments_are_reused(emulator):
    pids = {emulator.invoke("runtime-probe", {"action": "env"}).json["pid"] for _ in range(5)}
    assert len(pids) == 1


def test_context_trace_id_and_client_context_reach_the_handler(emulator):
    result = emulator.invoke("runtime-probe", {"action": "env", "names": ["_X_AMZN_TRACE_ID", "AWS_LAMBDA_FUNCTION_NAME",
                                                                          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]},
                             client_context={"custom": {"tenant": "acme"}})
    doc = result.json
    assert doc["_X_AMZN_TRACE_ID"].startswith("Root=1-") and doc["_X_AMZN_TRACE_ID"] == doc["traceId"]
    assert doc["AWS_LAMBDA_FUNCTION_NAME"] == "runtime-probe"
    assert doc["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert json.loads(doc["clientContext"]) == {"custom": {"tenant": "acme"}}
    assert doc["functionArn"].endswith(":function:runtime-probe")
    assert 0 < doc["remainingMs"] <= 2000


def test_concurrent_invokes_use_separate_environments_up_to_the_limit_then_throttle(emulator):
    results = []

    def call():
        results.append(emulator.invoke("runtime-probe", {"action": "sleep", "milliseconds": 800}))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 200, 429], [(r.status, r.body) for r in results]
    throttled = next(r for r in results if r.status == 429)
    assert throttled.headers["x-amzn-errortype"] == "TooManyRequestsException"
    assert all(r.json == {"slept": 800} for r in results if r.status == 200)


def test_invoke_api_errors_match_lambda(emulator):
    missing = emulator.invoke("nope", {})
    assert missing.status == 404 and missing.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    bad = emulator.invoke("echo", None, raw=b"{not json")
    assert bad.status == 400 and bad.headers["x-amzn-errortype"] == "InvalidRequestContentException"
    huge = emulator.invoke("echo", None, raw=b'"' + b"x" * (6 * 1024 * 1024 + 10) + b'"')
    assert huge.status == 413 and huge.headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    by_arn = emulator.invoke("arn:aws:lambda:us-east-1:000000000000:function:echo", {"a": 1})
    assert by_arn.status == 200 and by_arn.json == {"a": 1}
    assert emulator.invoke("echo", {"a": 1}, invocation_type="Event").status == 202
    assert emulator.invoke("echo", {"a": 1}, invocation_type="DryRun").status == 204


def test_init_failure_is_reported_with_its_type(tmp_path):
    em, process = start_emulator(config(environment={"PROBE_INIT_FAIL": "1"}), tmp_path=tmp_path)
    try:
        doc = error_of(em.invoke("runtime-probe", {"action": "echo"}))
        assert doc["errorType"] == "Config.Missing"
        assert "PROBE_REQUIRED_SETTING" in doc["errorMessage"]
    finally:
        process.stop()


def test_json_log_format_is_honoured(tmp_path):
    em, process = start_emulator(config(), tmp_path=tmp_path, env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
    try:
        em.invoke("runtime-probe", {"action": "fail", "message": "logged"})
        # The invocation's line is written just after the answer is posted.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and "Probe.Failure" not in process.output():
            time.sleep(0.02)
    finally:
        process.stop()
    lines = [json.loads(l) for l in process.output().splitlines() if l.startswith("{")]
    failure = next(l for l in lines if l.get("errorType") == "Probe.Failure")
    assert failure["level"] == "ERROR" and failure["requestId"] and failure["timestamp"].endswith("Z")


def test_stopping_the_emulator_stops_every_environment_it_started(tmp_path):
    em, process = start_emulator(config(), tmp_path=tmp_path)
    pid = em.invoke("runtime-probe", {"action": "env"}).json["pid"]
    os.kill(pid, 0)  # alive
    process.stop()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"bootstrap {pid} outlived the emulator")


# MARK: - Children of the emulator

def process_state(pid: int) -> str | None:
    """The state letter from /proc/<pid>/stat (Z for a zombie), or None when the pid is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def test_each_child_runs_in_its_own_process_group(tmp_path):
    em, process = start_emulator(config(), tmp_path=tmp_path)
    try:
        pid = em.invoke("runtime-probe", {"action": "env"}).json["pid"]
        assert os.getpgid(pid) == pid
        assert os.getpgid(pid) != os.getpgid(process.pid)
    finally:
        process.stop()


def test_sigkilling_the_emulator_takes_its_children_within_a_second(tmp_path):
    em, process = start_emulator(config(), tmp_path=tmp_path)
    probe_pid = em.invoke("runtime-probe", {"action": "env"}).json["pid"]
    assert process_state(probe_pid) not in (None, "Z")
    os.kill(process.pid, signal.SIGKILL)  # the emulator only, not its group: no handler can run
    started = time.monotonic()
    while time.monotonic() - started < 1.0 and process_state(probe_pid) not in (None, "Z"):
        time.sleep(0.02)
    state = process_state(probe_pid)
    process.stop()
    assert state in (None, "Z"), f"bootstrap {probe_pid} outlived a SIGKILLed emulator (state {state})"


# MARK: - Configuration

@pytest.mark.parametrize("field,value,message", [
    ("initTimeoutSeconds", 1e300, "initTimeoutSeconds"),
    ("initTimeoutSeconds", 0, "initTimeoutSeconds"),
    ("timeoutSeconds", 901, "timeoutSeconds"),
    ("memoryMB", 64, "memoryMB"),
    ("memoryMB", 1e30, "memoryMB"),
    ("maxConcurrency", 0, "maxConcurrency"),
    ("name", "bad name/../x", "name"),
])
def test_out_of_range_config_values_are_refused_with_a_typed_error(tmp_path, field, value, message):
    path = tmp_path / "functions.json"
    function = {"name": "probe", "bootstrap": "/bin/true", field: value}
    path.write_text(json.dumps({"functions": [function]}))
    out = subprocess.run([str(bin_dir() / "switchyard-emulator"), "--config", str(path), "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 78, out
    assert "Config.InvalidDocument" in out.stderr and message in out.stderr, out.stderr


def test_the_emulator_survives_abuse_of_the_runtime_api(emulator):
    result = emulator.invoke("runtime-probe", {"action": "abuse"})
    assert result.status == 200 and result.function_error is None, result.body
    answers = result.json
    assert answers["unknownRequestId"].startswith("HTTP/1.1 400"), answers
    assert answers["unknownPath"].startswith("HTTP/1.1 404"), answers
    for case in ("garbage", "hugeHeader", "cutOff"):
        assert answers[case] == "closed" or answers[case].split()[1][0] == "4", (case, answers)
    assert emulator.invoke("runtime-probe", {"action": "echo", "message": "ok"}).json["message"] == "ok"


# MARK: - Deadlines and compute

def test_handlers_get_the_deadline_less_the_runtime_margin_and_can_still_answer(tmp_path):
    em, process = start_emulator(config(environment={"SWITCHYARD_DEADLINE_MARGIN_MS": "300"}), tmp_path=tmp_path)
    try:
        started = time.monotonic()
        result = em.invoke("runtime-probe", {"action": "deadline"})
        elapsed = time.monotonic() - started
    finally:
        process.stop()
    assert result.status == 200 and result.function_error is None, result.body
    doc = result.json
    assert doc["platformDeadlineMs"] - doc["handlerDeadlineMs"] == 300
    assert doc["answeredAtMs"] < doc["platformDeadlineMs"]
    assert 1.5 < elapsed < 2.0, elapsed  # timeout 2 s, less the 300 ms margin


def test_the_default_margin_is_200_ms(emulator):
    doc = emulator.invoke("runtime-probe", {"action": "deadline"}).json
    assert doc["platformDeadlineMs"] - doc["handlerDeadlineMs"] == 200


def test_compute_facts_reach_the_handler(tmp_path):
    em, process = start_emulator(config(memoryMB=512), tmp_path=tmp_path)
    try:
        doc = em.invoke("runtime-probe", {"action": "compute", "milliseconds": 120}).json
    finally:
        process.stop()
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[os.uname().machine]
    assert doc["memoryMB"] == 512 and doc["architecture"] == machine
    assert 120 <= doc["elapsedMs"] < 1000


# MARK: - One line per invocation, and logs that cannot be forged

def emf_records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_each_invocation_writes_one_embedded_metric_format_line(tmp_path):
    em, process = start_emulator(config(maxConcurrency=1), tmp_path=tmp_path)
    try:
        em.invoke("runtime-probe", {"action": "echo", "message": "secret prompt text"})
        em.invoke("runtime-probe", {"action": "fail", "message": "no such tenant"})
        em.invoke("runtime-probe", {"action": "sleep", "milliseconds": 10_000})
        # Each line is written after the answer is posted: give the last one a moment.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and len(emf_records(process.output())) < 3:
            time.sleep(0.02)
    finally:
        process.stop()
    records = [r for r in emf_records(process.output()) if r["function"] == "runtime-probe"]
    assert [r["outcome"] for r in records] == ["success", "error", "timeout"]
    first, failed, timed_out = records
    # EMF: every metric a directive names is a number at the top level; dimensions are strings.
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "Switchyard"
            for dimensions in directive["Dimensions"]:
                assert all(isinstance(record[d], str) for d in dimensions)
            for metric in directive["Metrics"]:
                assert isinstance(record[metric["Name"]], (int, float)), metric
        assert record["MemorySize"] == 128 and record["MaxMemoryUsed"] > 0
        assert record["BilledDuration"] >= record["Duration"]
        assert record["requestId"] and record["timestamp"].endswith("Z")
    assert "InitDuration" in first and "InitDuration" not in failed
    assert first["BilledDuration"] >= first["Duration"] + first["InitDuration"]
    assert first["Errors"] == 0 and failed["Errors"] == 1 and timed_out["Errors"] == 1
    assert failed["errorType"] == "Probe.Failure" and timed_out["errorType"] == "Sandbox.Timedout"
    assert [d["Dimensions"] for d in failed["_aws"]["CloudWatchMetrics"]] == [[["function"]], [["function",
                                                                                                  "errorType"]]]
    assert 1800 < timed_out["Duration"] < 2000
    assert "secret prompt text" not in process.output(), "no event or response text in logs"


def test_log_lines_cannot_be_forged_and_secrets_are_redacted(tmp_path):
    em, process = start_emulator(config(), tmp_path=tmp_path)
    key = "sk-proj-" + "A1b2C3d4" * 4
    try:
        em.invoke("runtime-probe", {"action": "log", "message": f"calling with Bearer {key}\nERROR forged entry",
                                    "metadata": {"authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE",
                                                 "note": "line one\r\nline two", "x-api-key": "k-123"}})
    finally:
        process.stop()
    output = process.output()
    logged = [line for line in output.splitlines() if "calling with" in line]
    assert len(logged) == 1, output
    assert not any(line.startswith("ERROR forged") for line in output.splitlines())
    assert "\\nERROR forged entry" in logged[0] and "line one\\r\\nline two" in logged[0]
    for secret in (key, "AKIAIOSFODNN7EXAMPLE", "k-123"):
        assert secret not in output
    assert "authorization=[REDACTED]" in logged[0] and "x-api-key=[REDACTED]" in logged[0]
