"""The local gateway: `switchyard-server --gateway` runs each request's pipeline through the state machine
on the local Step Functions endpoint (the same StepFunctionsBackend as the AWS ingress, pointed at moto's
engine with the local credentials), with the official `openai` client in front — the whole local stack
behind it (router, llm-caller, vision and usage-logger binaries under the emulator, SecantusDB, the provider
fakes, the YOLOv8 endpoint).

Checked: a chat completion answered by the state machine's llm-caller (a new execution; usage records in
MongoDB under the front door's request id, the LLM's from the Lambda invocation, stored once); an image
request through the ASL's path (the execution's history shows the detector or LLM task); a streamed chat
served in process (no execution); the budget reservation made at admission is settled once usage lands.
"""
from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest

from emulator_fixtures import bin_dir
from llm_fixtures import ANTHROPIC_KEY, OPENAI_KEY
from pipeline_fixtures import LocalStack
from servers import REPO, ManagedProcess, free_port


class Gateway:
    def __init__(self, stack: LocalStack, url: str, keys_file):
        self.stack = stack
        self.url = url
        self.keys_file = keys_file

    def key(self, tenant: str, tier: str) -> str:
        out = subprocess.run([bin_dir() / "switchyard-keys", "--file", self.keys_file, "--json", "create",
                              "--tenant", tenant, "--tier", tier], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["key"]

    def client(self, key: str):
        import openai

        return openai.OpenAI(api_key=key, base_url=self.url + "/v1", max_retries=0, timeout=120)

    def newest(self) -> str:
        """The ARN of the execution started last."""
        return max(self.executions(), key=lambda e: e["startDate"])["executionArn"]

    def executions(self) -> list[dict]:
        sfn = self.stack.sfn.sfn
        return sfn.list_executions(stateMachineArn=self.stack.state_machine_arn, maxResults=1000)["executions"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    root = tmp_path_factory.mktemp("gateway")
    stack = LocalStack(log=lambda line: None, with_llama=False).start()
    try:
        keys_file = root / "keys.json"
        subprocess.run([bin_dir() / "switchyard-keys", "--file", keys_file, "create", "--tenant", "acme-startup",
                        "--tier", "basic"], check=True, capture_output=True, timeout=30)
        port = free_port()
        env = {**stack.env,
               # The same bundle and overlay as the functions under the emulator, so admission routing and
               # the state machine's Route state decide alike.
               "SWITCHYARD_BUNDLE_DIR": str(REPO / "infra"),
               "SWITCHYARD_CATALOG_OVERLAY": str(REPO / "infra" / "local" / "catalog-overlay.json"),
               "SWITCHYARD_SIGNALS_FILE": str(REPO / "infra" / "local" / "router-signals.json"),
               "SWITCHYARD_KEYS_FILE": str(keys_file), "SWITCHYARD_PORT": str(port),
               "SWITCHYARD_USAGE_QUEUE_DIR": str(root / "queue"),
               "OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
               "SWITCHYARD_STATE_MACHINE_ARN": stack.state_machine_arn, "AWS_ENDPOINT_URL": stack.sfn.url,
               "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
               "IMAGE_ACCESS_ALLOW_HTTP": "true", "IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS": "true"}
        with ManagedProcess([bin_dir() / "switchyard-server", "--gateway"], name="switchyard-gateway", env=env,
                            health_url=f"http://127.0.0.1:{port}/health", timeout=60):
            yield Gateway(stack, f"http://127.0.0.1:{port}", keys_file)
    finally:
        stack.stop()


def test_chat_runs_through_the_state_machine_with_usage_in_mongodb(gateway):
    client = gateway.client(gateway.key("acme-startup", "basic"))
    before = len(gateway.executions())
    tag = uuid.uuid4().hex[:8]
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Say hello [{tag}]"}])
    completion = raw.parse()
    assert completion.choices[0].message.content
    request_id = raw.headers["x-request-id"]
    assert raw.headers["x-switchyard-model"] == "gpt-4o-mini"
    executions = gateway.executions()
    assert len(executions) == before + 1
    described = gateway.stack.sfn.sfn.describe_execution(executionArn=gateway.newest())
    assert json.loads(described["input"])["requestId"] == request_id
    assert json.loads(described["output"])["llm"]["answer"]["text"] == completion.choices[0].message.content
    records = gateway.stack.usage_records(request_id, at_least=2)
    llm = [r for r in records if r["step"] == "llm"]
    assert len(llm) == 1 and not llm[0]["invocationId"].startswith("inproc-"), records
    assert llm[0]["tenant"] == "acme-startup"
    assert completion.usage.prompt_tokens == llm[0]["tokens"]["input"]
    assert completion.usage.completion_tokens == llm[0]["tokens"]["output"]
    # The reservation made at admission (the ledger's `open` entry "r<hex of the request id>") is closed
    # once the usage landed: nothing of this tenant's month stays reserved.
    ledger = gateway.stack.mongo.client()["switchyard"]["usage_budget_ledger"]
    entry = "r" + request_id.encode().hex()
    deadline = time.monotonic() + 30
    while True:
        months = list(ledger.find({"tenant": "acme-startup"}))
        settled = months and all(entry not in (m.get("open") or {}) and m.get("reserved", 0) == 0 for m in months)
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert months, "the admission made no reservation"
    assert settled, [(m.get("open"), m.get("reserved")) for m in months]


def test_an_image_request_runs_the_asl_path(gateway):
    client = gateway.client(gateway.key("acme-startup", "basic"))
    before = len(gateway.executions())
    image = f"{gateway.stack.images_url}/chelsea.png"
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": [
            {"type": "text", "text": f"What animal is in this photo? [{uuid.uuid4().hex[:8]}]"},
            {"type": "image_url", "image_url": {"url": image}}]}])
    completion = raw.parse()
    assert completion.choices[0].message.content
    executions = gateway.executions()
    assert len(executions) == before + 1
    history = gateway.stack.sfn.history(gateway.newest())
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    # The router sends a photo question down the grounded path: the detector first, then the LLM with
    # the detections, as the ASL runs it.
    assert entered[0] == "Route" and "DetectForGrounding" in entered and "CallGroundedLLM" in entered, entered
    assert raw.headers["x-switchyard-route"].startswith("vision+llm"), raw.headers["x-switchyard-route"]
    output = json.loads(gateway.stack.sfn.sfn.describe_execution(executionArn=gateway.newest())["output"])
    assert output["route"] == "vision+llm" and output["vision"]["results"], output.get("vision")
    assert output["llm"]["answer"]["text"] == completion.choices[0].message.content
    records = gateway.stack.usage_records(raw.headers["x-request-id"], at_least=3)
    steps = {r["step"] for r in records}
    assert {"router", "llm"} <= steps and any(s.startswith("vision") for s in steps), steps


def test_a_streamed_chat_runs_in_process(gateway):
    client = gateway.client(gateway.key("acme-startup", "basic"))
    before = len(gateway.executions())
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Stream [{uuid.uuid4().hex[:8]}]"}],
        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage.completion_tokens > 0
    assert len(gateway.executions()) == before
