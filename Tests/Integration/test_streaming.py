"""Response streaming end to end: the runtime's streaming mode through the emulator's
InvokeWithResponseStream (read by boto3, the independent decoder of AWS's event-stream framing)
and its plain chunked route, with a real runtime-probe process writing time-spaced chunks."""
from __future__ import annotations

import base64
import json
import re
import socket
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator_fixtures import start_emulator


def config(**probe):
    function = {"name": "runtime-probe", "bootstrap": "${SWITCHYARD_BIN}/runtime-probe-function",
                "timeoutSeconds": 3, "maxConcurrency": 2}
    function.update(probe)
    return {"functions": [function, {"name": "echo", "bootstrap": "${SWITCHYARD_BIN}/echo-function"}]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    em, process = start_emulator(config(), tmp_path=tmp_path_factory.mktemp("streaming"))
    yield em, process
    process.stop()


@pytest.fixture(scope="module")
def emulator(stack):
    return stack[0]


@pytest.fixture(scope="module")
def lam(emulator):
    return boto3.client("lambda", endpoint_url=emulator.url, region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local",
                        config=Config(retries={"max_attempts": 0}, read_timeout=30))


def stream_events(lam, event, function="runtime-probe"):
    """Invokes with InvokeWithResponseStream; returns [(seconds since the call, event)]."""
    started = time.monotonic()
    response = lam.invoke_with_response_stream(FunctionName=function, Payload=json.dumps(event))
    assert response["StatusCode"] == 200
    return [(time.monotonic() - started, e) for e in response["EventStream"]]


def test_chunks_reach_the_caller_as_they_are_written(lam):
    events = stream_events(lam, {"action": "stream", "chunks": 5, "milliseconds": 300})
    chunks = [(t, e["PayloadChunk"]["Payload"]) for t, e in events if "PayloadChunk" in e]
    assert [c for _, c in chunks] == [f"chunk {i}\n".encode() for i in range(5)]
    (end, complete) = events[-1]
    assert complete == {"InvokeComplete": {"LogResult": ""}}
    # The first chunk arrived long before the end, and each ~300 ms after the previous one.
    assert end - chunks[0][0] > 1.0, events
    gaps = [b - a for (a, _), (b, _) in zip(chunks, chunks[1:])]
    assert all(0.2 < gap < 0.6 for gap in gaps), gaps


def test_an_error_after_the_first_chunk_arrives_in_invoke_complete(lam):
    events = [e for _, e in stream_events(lam, {"action": "stream", "chunks": 5, "failAfter": 2})]
    assert [e["PayloadChunk"]["Payload"] for e in events[:-1]] == [b"chunk 0\n", b"chunk 1\n"]
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "Probe.Failure"
    assert events[-1]["InvokeComplete"]["ErrorDetails"] == "failed after 2 chunks"


def test_an_error_before_any_chunk_is_the_only_event(lam):
    events = [e for _, e in stream_events(lam, {"action": "fail", "message": "no such tenant"})]
    assert events == [{"InvokeComplete": {"ErrorCode": "Probe.Failure", "ErrorDetails": "no such tenant",
                                          "LogResult": ""}}]


def test_a_buffered_function_streams_as_one_chunk(lam):
    events = [e for _, e in stream_events(lam, {"a": [1, 2, 3]}, function="echo")]
    assert events == [{"PayloadChunk": {"Payload": b'{"a": [1, 2, 3]}'}}, {"InvokeComplete": {"LogResult": ""}}]


def test_a_deadline_passed_while_streaming_ends_the_stream_with_sandbox_timedout(tmp_path):
    em, process = start_emulator(config(timeoutSeconds=1), tmp_path=tmp_path)
    try:
        client = boto3.client("lambda", endpoint_url=em.url, region_name="us-east-1", aws_access_key_id="local",
                              aws_secret_access_key="local", config=Config(retries={"max_attempts": 0}))
        timed = stream_events(client, {"action": "stream", "chunks": 10, "milliseconds": 300})
        events = [e for _, e in timed]
        assert 2 <= len(events) - 1 <= 4, events
        assert events[-1]["InvokeComplete"]["ErrorCode"] == "Sandbox.Timedout"
        assert timed[-1][0] < 1.2, "reported by the runtime before the platform deadline"
        # The handler saw the cancellation, and the environment stays warm for the next call.
        assert em.invoke("runtime-probe", {"action": "echo", "message": "again"}).json["message"] == "again"
    finally:
        process.stop()
    assert "probe: stream cancelled" in process.output()


def test_throttling_is_a_lambda_error_before_the_stream(lam, emulator):
    import threading
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        emulator.invoke("runtime-probe", {"action": "sleep", "milliseconds": 800}))) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    with pytest.raises(ClientError) as raised:
        lam.invoke_with_response_stream(FunctionName="runtime-probe", Payload=b"{}")
    for t in threads:
        t.join()
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_buffered_invoke_of_a_streamed_response_gets_it_whole(emulator):
    result = emulator.invoke("runtime-probe", {"action": "stream", "chunks": 3})
    assert result.status == 200 and result.function_error is None
    assert result.body == b"chunk 0\nchunk 1\nchunk 2\n"


# MARK: - The plain chunked route

class ChunkedReader:
    """Reads an HTTP/1.1 chunked response from a raw socket, time-stamping each chunk."""

    def __init__(self, port, path, body):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.started = time.monotonic()
        self.sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.buffer = b""

    def _line(self):
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buffer) < n:
            self.buffer += self.sock.recv(65536)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def head(self):
        status = int(self._line().split()[1])
        headers = {}
        while line := self._line():
            name, value = line.decode().split(":", 1)
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def chunk(self):
        """(seconds, bytes) of the next chunk, or (seconds, trailers dict) at the end."""
        size = int(self._line().split(b";")[0], 16)
        if size == 0:
            trailers = {}
            while line := self._line():
                name, value = line.decode().split(":", 1)
                trailers[name.strip().lower()] = value.strip()
            return time.monotonic() - self.started, trailers
        data = self._exactly(size)
        assert self._line() == b""
        return time.monotonic() - self.started, data

    def close(self):
        self.sock.close()


def test_plain_chunked_mode_relays_chunks_then_error_trailers(emulator):
    reader = ChunkedReader(emulator.port, "/stream/runtime-probe",
                           json.dumps({"action": "stream", "chunks": 3, "milliseconds": 300, "failAfter": 2}).encode())
    try:
        status, headers = reader.head()
        assert status == 200 and headers["content-type"] == "text/plain"
        assert headers["transfer-encoding"] == "chunked"
        first = reader.chunk()
        second = reader.chunk()
        end, trailers = reader.chunk()
    finally:
        reader.close()
    assert (first[1], second[1]) == (b"chunk 0\n", b"chunk 1\n")
    assert second[0] - first[0] > 0.2, "the second chunk came later, as written"
    assert trailers["lambda-runtime-function-error-type"] == "Probe.Failure"
    document = json.loads(base64.b64decode(trailers["lambda-runtime-function-error-body"]))
    assert document == {"errorMessage": "failed after 2 chunks", "errorType": "Probe.Failure", "stackTrace": []}


def test_plain_chunked_mode_error_before_the_stream_is_a_502(emulator):
    reader = ChunkedReader(emulator.port, "/stream/runtime-probe", b'{"action": "fail", "message": "nope"}')
    try:
        status, headers = reader.head()
        body = reader._exactly(int(headers["content-length"]))
    finally:
        reader.close()
    assert status == 502 and headers["x-amz-function-error"] == "Probe.Failure"
    assert json.loads(body)["errorMessage"] == "nope"


def test_a_caller_that_disconnects_cancels_the_handler(stack):
    emulator, process = stack
    reader = ChunkedReader(emulator.port, "/stream/runtime-probe",
                           json.dumps({"action": "stream", "chunks": 30, "milliseconds": 100}).encode())
    status, _ = reader.head()
    _, first = reader.chunk()
    reader.close()
    assert status == 200 and first == b"chunk 0\n"
    # The handler notices at its next write (within a chunk or two), logs it and stops.
    deadline = time.monotonic() + 5
    written = None
    while time.monotonic() < deadline and written is None:
        match = re.search(r"probe: stream cancelled.*probe\.chunksWritten=(\d+)", process.output())
        written = int(match.group(1)) if match else None
        time.sleep(0.05)
    assert written is not None, process.output()[-2000:]
    assert 1 <= written < 10, written
    records = [json.loads(line) for line in process.output().splitlines() if line.startswith('{"_aws"')]
    assert any(r["outcome"] == "disconnected" and r["function"] == "runtime-probe" for r in records)
    # The environment is still good for the next caller.
    assert emulator.invoke("runtime-probe", {"action": "echo", "message": "next"}).json["message"] == "next"
