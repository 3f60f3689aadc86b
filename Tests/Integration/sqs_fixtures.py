"""moto's SQS (`moto[server]`, pinned in requirements.txt) as a test server: the usage queue and
its dead-letter queue with a real redrive policy, on 127.0.0.1 and a free port, stopped by pid."""
from __future__ import annotations

import json
import time

import boto3
import pytest

from servers import REPO, ManagedProcess, free_port

MOTO = REPO / ".venv" / "bin" / "moto_server"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}


class MotoServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = ManagedProcess([MOTO, "-H", "127.0.0.1", "-p", str(self.port)], name=f"moto-{self.port}",
                                      health_url=f"{self.url}/moto-api/")

    def start(self) -> "MotoServer":
        if not MOTO.exists():
            raise RuntimeError(f"{MOTO} missing: run scripts/setup --no-build (requirements.txt pins moto[server])")
        self.process.start()
        return self

    def stop(self) -> None:
        self.process.stop()

    def sqs(self):
        return boto3.client("sqs", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                            aws_secret_access_key="test")

    def make_queue(self, name: str, max_receive_count: int, visibility_seconds: int) -> tuple[str, str]:
        """A queue whose redrive policy moves a message to `<name>-dlq` after `max_receive_count` receives."""
        sqs = self.sqs()
        dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = sqs.create_queue(QueueName=name, Attributes={
            "VisibilityTimeout": str(visibility_seconds),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receive_count)})})
        return queue["QueueUrl"], dlq

    def depth(self, queue_url: str) -> int:
        """Messages in the queue, visible or in flight."""
        attributes = self.sqs().get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        return sum(int(v) for v in attributes["Attributes"].values())

    def drain(self, queue_url: str, wait: float = 0) -> list[dict]:
        """Receives (and deletes) everything in a queue, e.g. its dead-letter queue."""
        sqs, found, deadline = self.sqs(), [], time.monotonic() + wait
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            for message in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            found += messages
            if not messages and time.monotonic() >= deadline:
                return found
            if not messages:
                time.sleep(0.2)


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()
