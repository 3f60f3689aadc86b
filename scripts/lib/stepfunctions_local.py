"""The local Step Functions and SQS endpoint: moto's ASL interpreter, plus the few things it lacks.

    python scripts/lib/stepfunctions_local.py --port P --lambda-endpoint http://127.0.0.1:E

moto (`moto[server]`, pinned in requirements.txt) executes Amazon States Language for real: Task,
Choice, Parallel, Map (MaxConcurrency honoured), Retry and Catch. Its Task states make their AWS
calls at `http://localhost:$MOTO_PORT`, for every service. This launcher therefore runs moto on a
private port and serves MOTO_PORT itself, as one endpoint for clients and for moto's own tasks:

- Lambda Invoke paths (`/2015-03-31/functions/…/invocations`) go to the Lambda emulator, which
  accepts the function ARNs the state machine names;
- `StartSyncExecution`, which moto does not implement, starts the execution, waits for it and
  answers in the synchronous response shape (boto3 clients need `inject_host_prefix=False`, since
  AWS serves it on the `sync-states.` host);
- `StartExecution` without a `name` gets a unique one (moto derives the execution ARN from the
  name, so a second unnamed execution would collide with the first);
- everything else (SQS, Step Functions control plane, S3) goes to moto unchanged.

It decides nothing about Switchyard: it forwards bytes and fills the gaps of the engine.
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LAMBDA_INVOKE_PREFIX = "/2015-03-31/functions/"
TARGET_PREFIX = "AWSStepFunctions."
# Express workflows run for at most five minutes; a synchronous start past that is TIMED_OUT.
EXPRESS_LIMIT_SECONDS = 300.0
# How often a synchronous start looks at its execution: an attribute read in this process (moto runs
# here), so a short interval costs nothing and adds at most a millisecond to the measured latency.
POLL_SECONDS = 0.001
# Headers a proxy must not copy hop to hop (RFC 9110 §7.6.1), plus the length it recomputes.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


class Upstream:
    """HTTP/1.1 to one upstream. With `keep_alive`, one connection per proxy thread, and a request
    that fails on a connection the upstream had closed is sent once more on a fresh one; without,
    a fresh connection per request and no second try — for Lambda invokes, which must never run
    twice because a kept-alive connection went stale (loopback connects cost ~0.1 ms)."""

    def __init__(self, base_url: str, keep_alive: bool):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.keep_alive = keep_alive
        self.local = threading.local()

    def connection(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None) if self.keep_alive else None
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=EXPRESS_LIMIT_SECONDS + 60)
            if self.keep_alive:
                self.local.conn = conn
        return conn

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, list, bytes]:
        for attempt in (0, 1) if self.keep_alive else (1,):
            conn = self.connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.status, response.getheaders(), response.read()
                if not self.keep_alive:
                    conn.close()
                return answer
            except (http.client.HTTPException, ConnectionError, socket.timeout):
                conn.close()
                self.local.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


class Gateway:
    """Routes one request to the emulator or to moto, or answers a call moto lacks."""

    def __init__(self, moto_url: str, lambda_url: str, execution_status):
        self.moto = Upstream(moto_url, keep_alive=True)
        self.lambda_ = Upstream(lambda_url, keep_alive=False)
        self.machine_types: dict[str, str] = {}
        # execution ARN → RUNNING, SUCCEEDED…, read from moto's backend in this process; one
        # DescribeExecution over HTTP then gives the answer in moto's own serialisation.
        self.execution_status = execution_status

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        if path.startswith(LAMBDA_INVOKE_PREFIX):
            return self.lambda_.request(method, path, body, headers)
        target = headers.get("X-Amz-Target") or headers.get("x-amz-target") or ""
        if target == TARGET_PREFIX + "StartSyncExecution":
            return self.start_sync_execution(headers, body)
        if target == TARGET_PREFIX + "StartExecution":
            body = self.with_name(body)
        return self.moto.request(method, path, body, headers)

    # MARK: Step Functions calls moto lacks

    @staticmethod
    def with_name(body: bytes) -> bytes:
        request = json.loads(body or b"{}")
        if not request.get("name"):
            request["name"] = uuid.uuid4().hex
        return json.dumps(request).encode()

    def call(self, headers: dict[str, str], action: str, request: dict) -> tuple[int, dict]:
        forwarded = {k: v for k, v in headers.items() if k.lower() != "x-amz-target"}
        forwarded["X-Amz-Target"] = TARGET_PREFIX + action
        status, _, body = self.moto.request("POST", "/", json.dumps(request).encode(), forwarded)
        return status, json.loads(body or b"{}")

    def start_sync_execution(self, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        request = json.loads(self.with_name(body))
        arn = request.get("stateMachineArn", "")
        if arn not in self.machine_types:
            status, described = self.call(headers, "DescribeStateMachine", {"stateMachineArn": arn})
            if status != 200:
                return self.reply(status, described)
            self.machine_types[arn] = described.get("type", "STANDARD")
        if self.machine_types[arn] != "EXPRESS":
            return self.reply(400, {"__type": "StateMachineTypeNotSupported",
                                    "message": "This operation is not supported by this type of state machine"})
        status, started = self.call(headers, "StartExecution", request)
        if status != 200:
            return self.reply(status, started)
        execution = started["executionArn"]
        deadline = time.monotonic() + EXPRESS_LIMIT_SECONDS
        timed_out = False
        while self.execution_status(execution) == "RUNNING":
            if time.monotonic() > deadline:
                self.call(headers, "StopExecution", {"executionArn": execution, "error": "States.Timeout"})
                timed_out = True
                break
            time.sleep(POLL_SECONDS)
        status, described = self.call(headers, "DescribeExecution", {"executionArn": execution})
        # moto sets a finished execution's status a moment before its output (backend/execution.py:
        # exec_status, then output, on the worker's thread): read in between, a SUCCEEDED execution
        # has no output yet (seen in CI under load), so read again until it has, briefly.
        settle = time.monotonic() + 5
        while (status == 200 and described.get("status") == "SUCCEEDED" and "output" not in described
               and time.monotonic() < settle):
            time.sleep(POLL_SECONDS)
            status, described = self.call(headers, "DescribeExecution", {"executionArn": execution})
        if status != 200:
            return self.reply(status, described)
        if timed_out:
            described = {**described, "status": "TIMED_OUT"}
        return self.reply(200, sync_response(described))

    @staticmethod
    def reply(status: int, document: dict) -> tuple[int, list, bytes]:
        return status, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(document).encode()


def sync_response(described: dict) -> dict:
    """DescribeExecution's answer in StartSyncExecution's shape (Express: SUCCEEDED, FAILED or
    TIMED_OUT), with the billing details Express reports: memory in 64 MB steps, duration in 100 ms."""
    status = described["status"]
    if status not in ("SUCCEEDED", "TIMED_OUT"):
        status = "FAILED"
    response = {key: described[key] for key in ("executionArn", "stateMachineArn", "name", "startDate", "stopDate",
                                                 "input", "inputDetails", "output", "outputDetails", "error", "cause",
                                                 "traceHeader") if key in described}
    response["status"] = status
    elapsed_ms = max(0.0, (float(described.get("stopDate", 0)) - float(described.get("startDate", 0))) * 1000)
    response["billingDetails"] = {"billedMemoryUsedInMB": 64,
                                  "billedDurationInMilliseconds": int(-(-elapsed_ms // 100) * 100)}
    return response


def execution_status(arn: str) -> str:
    """An execution's status, from moto's Step Functions backend in this process."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    fields = arn.split(":")  # arn:aws:states:<region>:<account>:execution:<machine>:<name>
    return stepfunctions_parser_backends[fields[4]][fields[3]].describe_execution(arn).status


def cache_task_clients() -> None:
    """moto builds a new boto3 client for every Task state (~10–35 ms each here, more than the call
    it makes); keep one per region and service instead. Clients are thread-safe, and every one
    points at the same endpoint (MOTO_PORT) with the same fixed credentials."""
    import functools

    from moto.stepfunctions.parser.asl.utils import boto_client

    build = boto_client.boto_client_for

    @functools.lru_cache(maxsize=None)
    def cached(region: str, service: str):
        return build(region=region, service=service)

    def boto_client_for(region: str, service: str, state_credentials=None):
        # Task-level Credentials (role assumption) have no meaning against a local endpoint.
        return cached(region, service)

    boto_client.boto_client_for = boto_client_for
    # Modules that imported the function by name before this point keep their own reference.
    for module in list(sys.modules.values()):
        if getattr(module, "boto_client_for", None) is build:
            module.boto_client_for = boto_client_for


def cache_parsed_definitions() -> None:
    """moto parses the definition with its ANTLR grammar at every execution start: ~0.5–2 s for the
    Switchyard state machine here, more than the execution itself. Parse each definition once.

    The parsed program is shared by the executions of a definition the way moto already shares it
    between the concurrent iterations of one Map: its components are configured at parse time and
    keep every execution's data in that execution's environment."""
    from moto.stepfunctions.parser.asl.parse import asl_parser

    parse = asl_parser.AmazonStateLanguageParser.parse
    parsed: dict[str, tuple] = {}

    def parse_once(definition: str):
        if definition not in parsed:
            parsed[definition] = parse(definition)  # a syntax error raises and is not cached
        return parsed[definition]

    asl_parser.AmazonStateLanguageParser.parse = staticmethod(parse_once)


def make_handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, the second waits for the client's
        # delayed ACK (~40 ms a response).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args) -> None:  # noqa: A002 — quiet: one line per call is noise
            pass

        def respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.command == "GET" and self.path == "/health":
                status, headers, payload = 200, [("Content-Type", "application/json")], b'{"status":"ok"}'
            else:
                headers_in = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                try:
                    status, headers, payload = gateway.handle(self.command, self.path, headers_in, body)
                except (OSError, http.client.HTTPException) as e:
                    status, headers = 502, [("Content-Type", "application/json")]
                    payload = json.dumps({"message": f"upstream unreachable: {e}"}).encode()
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = respond

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the endpoint clients and moto's tasks call")
    parser.add_argument("--lambda-endpoint", required=True, help="the Lambda emulator's Invoke API base URL")
    parser.add_argument("--moto-port", type=int, default=0, help="moto's own port (default: a free one)")
    args = parser.parse_args()

    # moto reads MOTO_PORT when a task builds its client: set it before any execution starts.
    os.environ["MOTO_PORT"] = str(args.port)
    from moto.core.config import default_user_config
    from moto.server import ThreadedMotoServer

    # werkzeug logs a line per request: with a poll per synchronous start, that is all noise.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    cache_task_clients()
    cache_parsed_definitions()
    # The same two-write stall in moto's werkzeug server, which this process runs.
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    MotoRequestHandler.disable_nagle_algorithm = True
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=args.moto_port, verbose=False)
    moto.start()
    host, moto_port = moto.get_host_and_port()

    gateway = Gateway(f"http://{host}:{moto_port}", args.lambda_endpoint, execution_status)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(gateway))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"stepfunctions-local: http://127.0.0.1:{args.port} (moto on {moto_port}, Lambda at {args.lambda_endpoint})",
          flush=True)
    server.serve_forever()
    moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
