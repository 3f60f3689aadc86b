"""The single-process front door for tests: a bundle (the repo's policy with test tenants, the
catalog with the fake providers as endpoints, the rates), a key file written by the real key tool,
the protocol-exact provider fake, SecantusDB, and `switchyard-server` on a free port.

`FrontDoor.key(tenant, tier, rpm=…)` creates a key with `switchyard-keys`; `FrontDoor.client(key)` is
the official `openai` client pointed at the server (no retries, so a 429 is seen as it is).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import openai
import pymongo
import pytest

from emulator_fixtures import bin_dir
from llm_fixtures import FAKE, FakeProviders, OPENAI_KEY, ANTHROPIC_KEY
from mongo_fixtures import MongoServer
from servers import REPO, ManagedProcess, free_port

# Test tenants added to the repo's policy: their own ledgers, so tests do not share budgets.
TEST_TENANTS = [
    {"id": "fd-chat", "tier": "basic"},
    {"id": "fd-errors", "tier": "basic"},
    {"id": "fd-spend", "tier": "basic"},
    {"id": "fd-idem", "tier": "basic"},
    {"id": "fd-stream", "tier": "basic"},
    # Nearly spent: the budget test fires concurrent requests at it.
    {"id": "fd-tiny", "tier": "basic", "monthlyBudgetUSD": "0.0005"},
    {"id": "fd-zero", "tier": "basic", "monthlyBudgetUSD": "0"},
]


def write_bundle(directory: Path, fake_url: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    policy = json.loads((REPO / "infra" / "policy.json").read_text())
    policy["tenants"] += TEST_TENANTS
    (directory / "policy.json").write_text(json.dumps(policy))
    shutil.copy(REPO / "infra" / "catalog.json", directory / "catalog.json")
    shutil.copy(REPO / "infra" / "rates.json", directory / "rates.json")
    shutil.copytree(REPO / "infra" / "classifier", directory / "classifier", dirs_exist_ok=True)
    overlay = json.loads((REPO / "infra" / "local" / "catalog-overlay.json").read_text())
    for patch in overlay["models"].values():
        patch["endpoint"] = fake_url
    (directory / "overlay.json").write_text(json.dumps(overlay))
    return directory


class FrontDoor:
    def __init__(self, url: str, keys_file: Path, mongo: MongoServer, fake: FakeProviders, process: ManagedProcess):
        self.url = url
        self.keys_file = keys_file
        self.mongo = mongo
        self.fake = fake
        self.process = process

    def keys(self, *args: str) -> dict:
        out = subprocess.run([bin_dir() / "switchyard-keys", "--file", self.keys_file, "--json", *args],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def key(self, tenant: str, tier: str = "basic", **limits) -> str:
        extra = []
        for name, value in limits.items():
            extra += [f"--{name}", str(value)]
        return self.keys("create", "--tenant", tenant, "--tier", tier, *extra)["key"]

    def client(self, key: str, **options) -> openai.OpenAI:
        options.setdefault("timeout", 30)
        return openai.OpenAI(api_key=key, base_url=self.url + "/v1", max_retries=0, **options)

    def db(self):
        return pymongo.MongoClient(self.mongo.uri, serverSelectionTimeoutMS=10_000)["switchyard"]

    def ledger(self, tenant: str) -> dict:
        return self.db().usage_budget_ledger.find_one({"tenant": tenant}) or {}


def server_environment(bundle: Path, keys_file: Path, mongo_uri: str, queue: Path, port: int, **extra) -> dict:
    env = {
        "SWITCHYARD_BUNDLE_DIR": str(bundle), "SWITCHYARD_CATALOG_OVERLAY": str(bundle / "overlay.json"),
        "SWITCHYARD_KEYS_FILE": str(keys_file), "SWITCHYARD_PORT": str(port), "MONGODB_URI": mongo_uri,
        "SWITCHYARD_USAGE_QUEUE_DIR": str(queue), "OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "LLM_RETRY_BASE_MS": "20", "LLM_COOLDOWN_FAILURES": "1000", "SWITCHYARD_CLIENT_TIMEOUT_MS": "2000",
        "SWITCHYARD_MAX_BODY_BYTES": str(1 << 20),
        # SecantusDB on 2 loaded CI cores can take longer than the 250 ms default to answer a
        # reservation (a 503 admission_busy in CI); tests of that refusal set their own bound.
        "SWITCHYARD_ADMISSION_WAIT_MS": "5000",
    }
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def frontdoor(tmp_path_factory):
    if not (bin_dir() / "switchyard-server").exists():
        pytest.fail(f"switchyard-server is not built in {bin_dir()}")
    root = tmp_path_factory.mktemp("frontdoor")
    fake_port = free_port()
    with ManagedProcess([sys.executable, FAKE, "--port", str(fake_port)], name="fake-providers",
                        health_url=f"http://127.0.0.1:{fake_port}/health"):
        fake = FakeProviders(fake_port)
        mongo = MongoServer(root / "mongo")
        mongo.start()
        try:
            bundle = write_bundle(root / "bundle", fake.url)
            keys_file = root / "keys.json"
            port = free_port()
            # A small connection cap, so the cap test opens few sockets (quick on loaded CI cores)
            # and SWITCHYARD_MAX_CONNECTIONS is read; no other test here holds more than 16 at once.
            env = server_environment(bundle, keys_file, mongo.uri, root / "queue", port,
                                     SWITCHYARD_MAX_CONNECTIONS="64")
            # The key file must exist before the server starts.
            subprocess.run([bin_dir() / "switchyard-keys", "--file", keys_file, "create", "--tenant", "fd-chat",
                            "--tier", "basic"], check=True, capture_output=True, timeout=30)
            with ManagedProcess([bin_dir() / "switchyard-server"], name="switchyard-server", env=env,
                                health_url=f"http://127.0.0.1:{port}/health", timeout=60) as process:
                yield FrontDoor(f"http://127.0.0.1:{port}", keys_file, mongo, fake, process)
        finally:
            mongo.stop()
