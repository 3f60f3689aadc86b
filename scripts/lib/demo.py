"""scripts/demo: the whole system on one machine, with real requests going through it.

Starts SecantusDB, llama.cpp (SmolLM2-135M), the fake OpenAI/Anthropic server, the local YOLOv8
endpoint and the Lambda emulator running the real bootstrap binaries, then plays the routing
scenarios in events/router/ the way the state machine will: router → (llm-caller | vision |
both in parallel | a fan-out for batches) → usage-logger, and prints what each request cost.
Everything it started is stopped at the end, by pid.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import tempfile
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from emulator_fixtures import start_emulator  # noqa: E402
from servers import ManagedProcess, free_port  # noqa: E402

SCENARIOS = ["local-model", "chat-basic", "realtime-chat", "legal-pro", "cheapest-hint-code", "image-detect", "image-question",
             "batch-labeling", "over-budget-reject"]


def run_script(*args: str) -> str:
    return subprocess.run([str(REPO / "scripts" / args[0]), *args[1:]], cwd=REPO, check=True, capture_output=True,
                          text=True).stdout.strip()


class Demo:
    def __init__(self) -> None:
        self.started: list = []
        self.env: dict[str, str] = {}

    # MARK: services

    def start_services(self) -> None:
        print("== starting local services")
        # A fresh database each run, so the figures printed are this run's alone.
        storage = tempfile.mkdtemp(prefix="switchyard-demo-db-")
        self.env["MONGODB_URI"] = run_script("start-mongo", "--name", "demo", "--storage", storage)
        self.started.append(lambda: shutil.rmtree(storage, ignore_errors=True))
        self.started.append(lambda: run_script("stop-mongo", "--name", "demo"))
        print(f"   SecantusDB        {self.env['MONGODB_URI']}")

        llama = run_script("start-llama")
        self.started.append(lambda: run_script("stop-llama"))
        self.env["LLM_COMPATIBLE_BASE_URL"] = llama
        print(f"   llama.cpp         {llama} (SmolLM2-135M-Instruct)")

        port = free_port()
        fakes = ManagedProcess([REPO / "scripts" / "fake-providers", "--port", str(port)], name="fake-providers", port=port)
        fakes.start()
        self.started.append(fakes.stop)
        for key in ("LLM_OPENAI_BASE_URL", "LLM_ANTHROPIC_BASE_URL", "LLM_BEDROCK_BASE_URL"):
            self.env[key] = f"http://127.0.0.1:{port}"
        print(f"   OpenAI/Anthropic  http://127.0.0.1:{port} (protocol-exact fakes: no keys, nothing leaves the machine)")

        port = free_port()
        vision = ManagedProcess([REPO / "scripts" / "vision-endpoint", "--port", str(port)], name="vision-endpoint",
                                health_url=f"http://127.0.0.1:{port}/ping", timeout=120)
        vision.start()
        self.started.append(vision.stop)
        self.env["SWITCHYARD_VISION_ENDPOINT"] = f"http://127.0.0.1:{port}/invocations"
        metadata = REPO / ".run" / "vision" / "yolov8-test.json"
        if metadata.exists():
            self.env["SWITCHYARD_VISION_METADATA"] = str(metadata)
        print(f"   YOLOv8 endpoint   http://127.0.0.1:{port} (generated YOLOv8-format ONNX model)")

        self.emulator, process = start_emulator(REPO / "infra" / "local" / "functions.json", env=self.env)
        self.started.append(process.stop)
        print(f"   Lambda emulator   {self.emulator.url} (real bootstrap binaries)\n")

    def stop(self) -> None:
        for stop in reversed(self.started):
            try:
                stop()
            except Exception as e:  # keep stopping the rest
                print(f"   (stop failed: {e})", file=sys.stderr)

    # MARK: the flow the state machine will run

    def invoke(self, function: str, payload) -> dict:
        result = self.emulator.invoke(function, payload)
        doc = result.json
        if result.function_error:
            raise FunctionFailed(function, doc)
        return doc

    def route(self, name: str) -> None:
        event = json.loads((REPO / "events" / "router" / f"{name}.json").read_text())
        started = time.monotonic()
        try:
            decision = self.invoke("router", event)
        except FunctionFailed as e:
            print(f"{name:<20} router → {e.doc.get('errorType')}: {e.doc.get('errorMessage', '')[:90]}")
            return
        backend = decision["backend"]
        outputs = []
        if backend == "llm":
            outputs.append(("llm", self.call_llm(event, decision)))
        elif backend == "vision":
            outputs.append(("vision", self.call_vision(event, decision)))
        elif backend == "vision+llm":
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                vision = pool.submit(self.call_vision, event, decision)
                llm = pool.submit(self.call_llm, event, decision)
                outputs += [("vision", vision.result()), ("llm", llm.result())]
        elif backend == "batch":
            items = event.get("batch") or event.get("items") or []
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                outputs += [("llm", o) for o in pool.map(lambda item: self.call_llm(item_event(event, item), decision), items)]
        elapsed = (time.monotonic() - started) * 1000
        if os.environ.get("DEMO_VERBOSE"):
            for step, output in outputs:
                print(json.dumps({k: v for k, v in output.items() if k in ("attempts", "error", "text")})[:600])
        cost = self.log_usage(event, decision, outputs, elapsed)
        models = ", ".join(sorted({describe(step, o, decision) for step, o in outputs}))
        print(f"{name:<20} {decision['tier']:<10} {backend:<11} {models:<44} {elapsed:>7.0f} ms  ${cost}")
        print(f"{'':<20} why: {decision.get('explanation', '')[:110]}")

    def call_llm(self, event: dict, decision: dict) -> dict:
        choices = [decision["primary"], *decision.get("fallbacks", [])]
        candidates = [{"provider": c["provider"], "model": c["provider_model"], "timeoutMs": c["attempt_timeout_ms"]}
                      for c in choices if c.get("kind") == "llm"]
        messages = [llm_message(m) for m in event.get("messages") or [{"role": "user", "content": event.get("prompt", "")}]]
        try:
            return self.invoke("llm-caller", {"requestId": decision["request_id"], "tenantId": decision["tenant_id"],
                                              "messages": messages, "maxTokens": 64, "candidates": candidates})
        except FunctionFailed as e:
            return {"outcome": "failed", "error": e.doc}

    def call_vision(self, event: dict, decision: dict) -> dict:
        # The sample events point at images on the internet; the demo sends a real photograph
        # that ships with scikit-image instead, inline. The event is the contract's VisionStepInput:
        # the decision's vision plan when it has one, else the in-process detector.
        request_id = decision.get("requestId") or decision.get("request_id")
        tenant = decision.get("tenantId") or decision.get("tenant_id")
        plan = decision.get("vision") if "candidates" in (decision.get("vision") or {}) else {
            "candidates": [{"model": "yolov8n-lambda", "attemptTimeoutMs": 10000, "estimatedCostPicoUSD": 0,
                            "estimatedLatencyMs": 0}]}
        payload = {"request": {"requestId": request_id, "tenantId": tenant, "images": [sample_photo()]},
                   "plan": plan, "context": decision.get("context") or {"requestId": request_id, "tenantId": tenant}}
        try:
            return self.invoke("vision", payload)
        except FunctionFailed as e:
            return {"outcome": "failed", "error": e.doc}

    def log_usage(self, event: dict, decision: dict, outputs: list, elapsed_ms: float) -> str:
        """One usage record per billed step. For an LLM call that is every attempt that reported
        usage (a failed attempt the provider charged for is billed too), never the sum twice."""
        records = []
        base = {"requestId": decision["request_id"], "executionId": f"demo:{decision['request_id']}",
                "tenant": decision["tenant_id"], "user": event.get("user", "demo"), "tier": decision["tier"],
                "route": f"rule={decision.get('matched_rule')} strategy={decision.get('strategy')}"}
        for index, (step, output) in enumerate(outputs):
            if step == "llm":
                attempts = output.get("attempts") or []
                for number, attempt in enumerate(attempts):
                    usage = attempt.get("usage")
                    if not usage:
                        continue  # never sent, or the provider charged nothing
                    records.append({**base, "step": f"llm-{index}-attempt-{number}", "timestamp": int(time.time() * 1000),
                                    "provider": attempt["provider"], "model": catalog_id(decision, attempt["model"]),
                                    "backend": "external" if attempt["provider"] != "openai-compatible" else "lambda",
                                    "modality": "text", "attempts": 1,
                                    "status": "succeeded" if attempt.get("outcome") == "ok" else "failed",
                                    "latency": {"totalMs": int(elapsed_ms), "backendMs": int(attempt.get("latencyMs", 0))},
                                    "tokens": {"input": usage.get("inputTokens", 0), "output": usage.get("outputTokens", 0),
                                               "cached": usage.get("cachedInputTokens", 0),
                                               "reasoning": usage.get("reasoningTokens", 0)},
                                    # The llm-caller Lambda's own time while it waited on this attempt.
                                    "compute": {"kind": "lambda", "architecture": "x86_64", "memoryMB": 256,
                                                "durationMs": max(1, int(attempt.get("latencyMs", 0)))}})
            elif isinstance(output.get("usage"), list):
                records.extend(output["usage"])  # the vision outcome's own records, one per detector call
            else:
                vision = (decision.get("vision") or {}).get("primary") or decision["primary"]
                vision_usage = output.get("usage") or {}
                records.append({**base, "step": f"vision-{index}", "timestamp": int(time.time() * 1000),
                                "provider": vision.get("provider", "sagemaker"), "model": vision["model"],
                                "backend": "sagemaker", "modality": "image", "attempts": 1,
                                "status": "failed" if output.get("outcome") == "failed" else "succeeded",
                                "latency": {"totalMs": int(elapsed_ms),
                                            "backendMs": int((output.get("timings") or {}).get("totalMs", 0))},
                                "images": {"count": vision_usage.get("images", 1), "pixels": vision_usage.get("pixels", 0)},
                                # GPU time on the endpoint, amortised per invocation.
                                "compute": {"kind": "endpoint", "instanceType": "ml.g4dn.xlarge",
                                            "durationMs": max(1, int((output.get("timings") or {}).get("inferenceMs", 0)))}})
        if not records:
            return "0"
        # The Express workflow is billed once per request: requests plus GB-seconds.
        records[0]["orchestration"] = {"memoryMB": 64, "durationMs": max(1, int(elapsed_ms)), "requests": 1}
        try:
            logged = self.invoke("usage-logger", {"records": records} if len(records) > 1 else records[0])
        except FunctionFailed as e:
            return f"(usage-logger: {e.doc.get('errorType')})"
        costs = logged.get("costs") or []
        unpriced = sorted({u for c in costs for u in c.get("unpriced", [])})
        total = sum(c.get("costPicoUSD", 0) for c in costs)  # exact: integer pico-dollars
        return f"{total // 10**12}.{total % 10**12:012d}".rstrip("0").rstrip(".") + (f" (unpriced: {', '.join(unpriced)})" if unpriced else "")

    def report(self) -> None:
        try:
            import pymongo
        except ImportError:
            return
        client = pymongo.MongoClient(self.env["MONGODB_URI"], serverSelectionTimeoutMS=3000)
        db = client[os.environ.get("SWITCHYARD_DB", "switchyard")]
        print("\n== usage in MongoDB")
        for name in sorted(db.list_collection_names()):
            print(f"   {name:<24} {db[name].estimated_document_count()} documents")


class FunctionFailed(Exception):
    def __init__(self, function: str, doc: dict):
        super().__init__(f"{function}: {doc}")
        self.doc = doc


def describe(step: str, output: dict, decision: dict) -> str:
    if output.get("outcome") == "failed":
        return f"{step} failed: {(output.get('error') or {}).get('errorType')}"
    if step == "vision":
        found = sum(len(r.get("detections", [])) for r in output.get("results", []))
        return f"yolov8 ({found} objects)"
    usage = output.get("usage") or {}
    return f"{catalog_id(decision, output.get('model'))} ({usage.get('inputTokens', 0)}+{usage.get('outputTokens', 0)} tok)"


def catalog_id(decision: dict, provider_model: str | None) -> str | None:
    """The router's catalog id (what billing prices) for the provider's model name."""
    for choice in [decision["primary"], *decision.get("fallbacks", [])]:
        if choice["provider_model"] == provider_model:
            return choice["model"]
    return provider_model


def llm_message(message: dict) -> dict:
    """OpenAI-style content parts (what clients send the router) → the llm-caller's parts."""
    content = message.get("content")
    if isinstance(content, str):
        return message
    parts = []
    for part in content or []:
        if part.get("type") == "text":
            parts.append({"type": "text", "text": part["text"]})
        elif part.get("type") == "image_url":
            parts.append({"type": "image", "url": "data:image/jpeg;base64," + sample_photo()})
    return {"role": message["role"], "content": parts}


_PHOTO: list[str] = []


def sample_photo() -> str:
    if not _PHOTO:
        import base64
        import cv2
        from skimage import data
        image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
        _PHOTO.append(base64.b64encode(cv2.imencode(".jpg", image)[1].tobytes()).decode())
    return _PHOTO[0]


def item_event(event: dict, item) -> dict:
    text = item.get("prompt") or item.get("text") if isinstance(item, dict) else str(item)
    return {**event, "messages": [{"role": "user", "content": text or ""}]}


def main() -> int:
    demo = Demo()
    try:
        demo.start_services()
        print(f"{'scenario':<20} {'tier':<10} {'path':<11} {'model':<44} {'latency':>10}  cost (USD)")
        for name in SCENARIOS:
            demo.route(name)
        demo.report()
    finally:
        print("\n== stopping what the demo started")
        demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
