"""scripts/demo: the whole system on one machine, with real requests going through the state machine.

Starts the local stack (Tests/Integration/pipeline_fixtures.py: SecantusDB, llama.cpp SmolLM2,
the provider fakes, the YOLOv8 endpoint, the sample photographs, the Lambda emulator with every
function, the Step Functions engine with the state machine and the usage queue, the usage drain),
sends each events/requests/*.json as one synchronous execution, and prints the route, the answer
and the exact cost read back from MongoDB. It starts things and prints; the state machine and the
functions do the rest. Everything it started is stopped at the end, by pid.

    scripts/demo            every scenario
    scripts/demo --keep     then keep the stack up (prints how to send more) until Ctrl-C

The stack includes the monitoring dashboard (switchyard-dashboard: the built app and the metrics
API on one port); the demo prints its URL.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from pipeline_fixtures import EVENT_IMAGES_PORT, LocalStack  # noqa: E402

SCENARIOS = ["cheap-text", "local-model", "legal-pro", "legal-rag", "image-detect", "image-detect-in-lambda",
             "image-question",
             "batch-images",
             "rejected-tier"]


def usd(pico: int) -> str:
    """Exact: integer pico-dollars printed as dollars, no float in between."""
    return f"${pico // 10**12}.{pico % 10**12:012d}".rstrip("0").rstrip(".")


def answer(output: dict) -> str:
    """A one-line look at what the execution answered."""
    if output.get("llm", {}).get("answer"):
        text = " ".join(output["llm"]["answer"]["text"].split())
        cited = output["llm"].get("citations")
        if cited:
            sources = ", ".join(f"[{c['index']}] {c['source'].rsplit('/', 1)[-1]}#{c['position']}" for c in cited[:3])
            return f"{output['llm']['answer']['model']}: {text[:50]} — cites {sources}"
        return f"{output['llm']['answer']['model']}: {text[:70]}"
    if output.get("vision", {}).get("results") is not None:
        found = sum(len(r["detections"]) for r in output["vision"]["results"])
        return f"{output['vision'].get('model')}: {found} objects"
    if "items" in output:
        return f"{len(output['items'])} items: " + ", ".join(sorted({i["status"] for i in output["items"]}))
    if "rejection" in output:
        return f"{output['rejection']['errorType']}: {output['rejection']['errorMessage'][:60]}"
    return (output.get("error") or {}).get("errorType", "")


def settled_records(stack: LocalStack, request_id: str) -> list[dict]:
    """The request's usage records once the queue's drain has stopped adding to them (the
    execution answers before its usage lands): unchanged for a second, at most ten seconds."""
    records = stack.usage_records(request_id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(1.0)
        again = stack.usage_records(request_id, timeout=0)
        if len(again) == len(records):
            break
        records = again
    return records


def main() -> int:
    keep = "--keep" in sys.argv[1:]
    print("== starting the local stack")
    subprocess.run([REPO / "scripts" / "build-dashboard"], check=False)
    stack = LocalStack(images_port=EVENT_IMAGES_PORT, with_dashboard=True)
    try:
        stack.start()
        if stack.e5_url:
            corpus = sorted((REPO / "events" / "retrieval" / "corpus").rglob("*.md"))
            summary = stack.ingest("lexcorp-legal", "knowledge", [p.relative_to(REPO) for p in corpus])
            print(f"   retrieval corpus  {summary['chunks']} chunks of {summary['files']} documents in lexcorp-legal's "
                  f"'knowledge' collection ({summary['embedded']} embedded, {summary['ms']['total'] / 1000:.1f} s)")
        print(f"\n{'scenario':<22} {'route':<11} {'status':<9} {'latency':>8}  {'cost (from MongoDB)':<22} answer")
        for name in SCENARIOS:
            request = (REPO / "events" / "requests" / f"{name}.json").read_text()
            result = stack.sfn.start_sync(stack.state_machine_arn, request)
            if result.status != "SUCCEEDED":
                print(f"{name:<22} {'-':<11} {result.status:<9} {result.elapsed_ms:>6.0f} ms  "
                      f"{result.response.get('error')}: {str(result.response.get('cause'))[:80]}")
                continue
            output = result.output
            records = settled_records(stack, json.loads(request)["requestId"])
            costs = [r["cost"]["totalPicoUSD"] for r in records if r.get("cost")]
            cost = f"{usd(sum(costs))} ({len(records)} records)" if records else "(not in the database yet)"
            print(f"{name:<22} {output['route']:<11} {output['status']:<9} {result.elapsed_ms:>6.0f} ms  "
                  f"{cost:<22} {answer(output)}")
            if os.environ.get("DEMO_VERBOSE"):
                print(json.dumps(output, indent=2)[:3000])
        if stack.dashboard_url:
            print(f"\ndashboard: {stack.dashboard_url} (every panel shows the requests above; --keep keeps it up)")
        if keep:
            print(f"\nexport SWITCHYARD_STEPFUNCTIONS_ENDPOINT={stack.sfn.url}")
            print(f"export SWITCHYARD_STATE_MACHINE_ARN={stack.state_machine_arn}")
            print("scripts/replay statemachine events/requests/<scenario>.json   (Ctrl-C stops the stack)")
            try:
                while True:
                    os.pause() if hasattr(os, "pause") else None
            except KeyboardInterrupt:
                pass
    finally:
        print("\n== stopping what the demo started")
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
