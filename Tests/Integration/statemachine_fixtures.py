"""The local Step Functions engine as a test fixture: scripts/lib/stepfunctions_local.py (moto's ASL
interpreter behind a small routing launcher) in front of a Lambda emulator, plus the deploy steps a
SAM template does on AWS — the usage queue with its dead-letter queue, and the state machine created
from the very ASL file that is deployed, its `${…}` placeholders substituted as
`DefinitionSubstitutions` substitutes them.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from servers import REPO, ManagedProcess, free_port

LAUNCHER = REPO / "scripts" / "lib" / "stepfunctions_local.py"
STATEMACHINE_DIR = REPO / "infra" / "statemachine"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/switchyard-statemachine"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def function_arn(name: str) -> str:
    """The ARN a deployed definition names a function by (the emulator accepts it as the name)."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def substitute(definition: str, values: dict[str, str]) -> str:
    """Replaces every `${Name}` as CloudFormation's DefinitionSubstitutions does; a placeholder
    without a value is an error here (on AWS the deploy would ship it literally)."""
    missing = sorted({m for m in PLACEHOLDER.findall(definition) if m not in values})
    if missing:
        raise KeyError(f"no substitution for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], definition)


@dataclass
class SyncResult:
    """A StartSyncExecution answer, with the output parsed."""
    response: dict
    elapsed_ms: float

    @property
    def status(self) -> str:
        return self.response["status"]

    @property
    def output(self):
        return json.loads(self.response["output"]) if "output" in self.response else None

    @property
    def execution_arn(self) -> str:
        return self.response["executionArn"]


class StepFunctionsLocal:
    """Clients for the launcher's endpoint and the deploy steps the tests, demo and benchmark share."""

    def __init__(self, port: int, process: ManagedProcess | None):
        import boto3
        from botocore.config import Config

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = process
        common = dict(endpoint_url=self.url, region_name=REGION, aws_access_key_id="local",
                      aws_secret_access_key="local")
        # StartSyncExecution lives on the sync-states. host on AWS; a local endpoint has no prefix.
        # No client retries: a throttled or failed call is reported as it happened.
        config = Config(inject_host_prefix=False, retries={"total_max_attempts": 1}, read_timeout=330)
        self.sfn = boto3.client("stepfunctions", config=config, **common)
        self.sqs = boto3.client("sqs", config=Config(retries={"total_max_attempts": 1}), **common)

    # MARK: deploy

    def create_usage_queue(self, name: str = "switchyard-usage", max_receives: int = 5) -> tuple[str, str]:
        """The usage queue and its dead-letter queue (redrive after `max_receives` receives)."""
        dlq = self.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = self.sqs.create_queue(QueueName=name, Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}),
            # The mapping uses the queue's visibility, as Lambda's does. Short locally, so a batch the
            # logger could not store (database down) comes back within seconds; a second delivery
            # while the first still runs is harmless (records are keyed, written once).
            "VisibilityTimeout": "5"})["QueueUrl"]
        return queue, dlq

    def deploy(self, definition: str | Path, substitutions: dict[str, str] | None = None, *, name: str | None = None,
               machine_type: str = "EXPRESS") -> str:
        """Creates a state machine from an ASL file (or text) and returns its ARN."""
        text = definition.read_text() if isinstance(definition, Path) else definition
        text = substitute(text, substitutions or {})
        name = name or f"switchyard-{uuid.uuid4().hex[:8]}"
        return self.sfn.create_state_machine(name=name, definition=text, roleArn=ROLE_ARN,
                                             type=machine_type)["stateMachineArn"]

    # MARK: run

    def start_sync(self, arn: str, document, *, name: str | None = None) -> SyncResult:
        """One synchronous execution; `document` is JSON text or a value to encode."""
        text = document if isinstance(document, str) else json.dumps(document)
        arguments = {"stateMachineArn": arn, "input": text}
        if name:
            arguments["name"] = name
        started = time.perf_counter()
        response = self.sfn.start_sync_execution(**arguments)
        return SyncResult(response, (time.perf_counter() - started) * 1000)

    def history(self, execution_arn: str) -> list[dict]:
        events: list[dict] = []
        token = None
        while True:
            page = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000,
                                                  **({"nextToken": token} if token else {}))
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events

    def receive_all(self, queue_url: str, wait_seconds: float = 0.0) -> list[dict]:
        """Every message on the queue now (received and deleted), message bodies parsed."""
        bodies: list[dict] = []
        deadline = time.monotonic() + wait_seconds
        while True:
            page = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = page.get("Messages", [])
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not messages:
                if time.monotonic() >= deadline:
                    return bodies
                time.sleep(0.05)


def queue_url(port: int, name: str) -> str:
    """The URL moto gives queue `name` when created through the endpoint on `port`."""
    return f"http://127.0.0.1:{port}/{ACCOUNT}/{name}"


def start_stepfunctions(lambda_endpoint: str, port: int | None = None) -> tuple[StepFunctionsLocal, ManagedProcess]:
    """Starts the launcher on `port` (default: a free one) in front of `lambda_endpoint`."""
    port = port or free_port()
    process = ManagedProcess([REPO / ".venv" / "bin" / "python", LAUNCHER, "--port", str(port),
                              "--lambda-endpoint", lambda_endpoint],
                             name="stepfunctions-local", health_url=f"http://127.0.0.1:{port}/health", timeout=120)
    process.start()
    return StepFunctionsLocal(port, process), process


def state_machine_file(name: str = "switchyard") -> Path:
    return STATEMACHINE_DIR / f"{name}.asl.json"
