"""scripts/bench-pipeline: the state machine end to end on the local stack, and what each hop costs.

Three parts, in one run:

1. Engine overhead, against its reference. The echo function invoked directly through the emulator's
   Invoke API (the reference: what a Lambda call costs without an engine) beside the same function as
   one Task, as three chained Tasks, and as a Map of items — so the engine's share per Task and per
   Map item is measured, not assumed. Every output is compared with its input.
2. Scenarios: each events/requests/*.json as synchronous executions of the deployed state machine
   (p50/p99 over --executions), split into hops from the execution history and the outcomes:
   engine (transitions, the usage send, the synchronous wait), emulator (a Lambda task's time beyond
   the function's own), function, and backend (provider or detector time the outcomes report).
3. Batch throughput: images/s through the Map at MaxConcurrency 1, 4 and 8 (the deployed file, with
   the decision given directly so the concurrency is the benchmark's to set).

Every execution is validated (status, route, each outcome's status); a failed one is counted and
reported, never timed.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from pipeline_fixtures import EVENT_IMAGES_PORT, LocalStack  # noqa: E402
from statemachine_fixtures import function_arn, state_machine_file  # noqa: E402

# What each scenario must answer to count: its route and acceptable statuses.
SCENARIOS = {"cheap-text": "llm", "legal-pro": "llm", "image-detect": "vision", "image-question": "vision+llm",
             "rejected-tier": "rejected"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    if not values:
        return "no valid runs"
    return f"p50 {pct(values, 50):8.1f} ms   p99 {pct(values, 99):8.1f} ms   (n={len(values)})"


def when(event: dict) -> float:
    stamp = event["timestamp"]
    return (stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))).timestamp() * 1000


def lambda_tasks(history: list[dict]) -> dict[str, float]:
    """Milliseconds the engine waited on each Lambda task state (scheduled → succeeded or failed,
    retries included), by state name."""
    started: dict[str, float] = {}
    spent: dict[str, float] = {}
    state = ""
    for event in history:
        if event["type"] == "TaskStateEntered":
            state = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"]["resourceType"] == "lambda":
            started[state] = when(event)
        elif event["type"] in ("TaskSucceeded", "TaskFailed") and state in started:
            spent[state] = spent.get(state, 0.0) + when(event) - started.pop(state)
    return spent


def function_and_backend_ms(output: dict) -> tuple[float, float]:
    """Time inside the backend functions and inside their backends, as the outcomes report it."""
    function, backend = 0.0, 0.0
    llm, vision = output.get("llm"), output.get("vision")
    if llm:
        function += llm.get("latencyMs", 0)
        backend += sum(a.get("latencyMs", 0) for a in llm.get("attempts", []))
    if vision and vision.get("timings"):
        function += vision["timings"]["totalMs"]
        backend += vision["timings"].get("inferenceMs", 0) + vision["timings"].get("fetchMs", 0)
    return function, backend


# MARK: part 1 — the engine against a direct invoke

def engine_overhead(stack: LocalStack, runs: int) -> None:
    print("\n== 1. engine overhead (echo function; reference: the same invoke without the engine)")
    sfn = stack.sfn

    def task(next_state: str | None) -> dict:
        state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": function_arn("echo"), "Payload.$": "$"}, "OutputPath": "$.Payload"}
        return {**state, "Next": next_state} if next_state else {**state, "End": True}

    one = sfn.deploy(json.dumps({"StartAt": "A", "States": {"A": task(None)}}))
    three = sfn.deploy(json.dumps({"StartAt": "A", "States": {"A": task("B"), "B": task("C"), "C": task(None)}}))
    fan = sfn.deploy(json.dumps({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "A", "States": {"A": task(None)}}, "End": True}}}))
    document = {"requestId": "bench", "payload": "x" * 512}
    direct, failed = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = stack.emulator.invoke("echo", document)
        elapsed = (time.perf_counter() - started) * 1000
        if result.status == 200 and result.json == document:
            direct.append(elapsed)
        else:
            failed += 1
    print(f"   direct Invoke (reference)   {summary(direct)}" + (f"   {failed} failed" if failed else ""))
    timings = {}
    for label, arn, payload, expected in (
            ("1 Task", one, document, document), ("3 Tasks", three, document, document),
            ("Map, 10 items, serial", fan, {"items": list(range(10))}, list(range(10)))):
        values, failed = [], 0
        for _ in range(runs if label != "Map, 10 items, serial" else max(5, runs // 5)):
            result = sfn.start_sync(arn, payload)
            if result.status == "SUCCEEDED" and result.output == expected:
                values.append(result.elapsed_ms)
            else:
                failed += 1
        timings[label] = values
        print(f"   {label:<27} {summary(values)}" + (f"   {failed} failed" if failed else ""))
    if direct and timings["1 Task"] and timings["3 Tasks"]:
        per_task = (pct(timings["3 Tasks"], 50) - pct(timings["1 Task"], 50)) / 2
        print(f"   engine per Lambda Task (p50, from 3 vs 1 Tasks): {per_task:.1f} ms; "
              f"a Lambda call itself: {pct(direct, 50):.1f} ms; execution fixed cost: "
              f"{pct(timings['1 Task'], 50) - per_task:.1f} ms")
    if timings["Map, 10 items, serial"] and direct:
        per_item = pct(timings["Map, 10 items, serial"], 50) / 10
        print(f"   engine per Map item (serial, p50): {per_item:.1f} ms including the {pct(direct, 50):.1f} ms call")


# MARK: part 2 — scenarios

def scenarios(stack: LocalStack, runs: int) -> None:
    print(f"\n== 2. scenarios through the deployed state machine ({runs} executions each)")
    print(f"   {'scenario':<22} {'total':<44} hops (p50 ms): engine / router / emulator / function / backend")
    for name, route in SCENARIOS.items():
        request = json.loads((REPO / "events" / "requests" / f"{name}.json").read_text())
        totals, hops, failures = [], [], []
        for i in range(runs):
            request["requestId"] = f"bench-{name}-{i}-{time.monotonic_ns()}"
            result = stack.sfn.start_sync(stack.state_machine_arn, request)
            output = result.output if result.status == "SUCCEEDED" else None
            problem = None
            if output is None:
                problem = f"{result.status} {result.response.get('error')}"
            elif output.get("route") != route:
                problem = f"route {output.get('route')}, expected {route}"
            elif output.get("status") not in ("succeeded", "degraded", "rejected"):
                problem = f"status {output.get('status')}"
            if problem:
                failures.append(problem)
                continue
            tasks = lambda_tasks(stack.sfn.history(result.execution_arn))
            router = tasks.pop("Route", 0.0)
            waited = sum(tasks.values())  # parallel branches overlap: an upper bound on their share
            function, backend = function_and_backend_ms(output)
            totals.append(result.elapsed_ms)
            hops.append((max(0.0, result.elapsed_ms - router - waited), router, max(0.0, waited - function),
                         function - backend, backend))
        line = f"   {name:<22} {summary(totals):<44}"
        if hops:
            line += " " + " / ".join(f"{statistics.median(h[k] for h in hops):.1f}" for k in range(5))
        print(line)
        if failures:
            print(f"   {'':<22} {len(failures)} failed, not timed: {sorted(set(failures))[:3]}")


# MARK: part 3 — batch throughput

def batch_throughput(stack: LocalStack, items: int, runs: int) -> None:
    print(f"\n== 3. batch throughput: {items} images through the Map (detector per item)")
    arn = stack.sfn.deploy(state_machine_file(), {**stack.substitutions(), "RouterFunctionArn": function_arn("echo")})
    photo = f"{stack.images_url}/astronaut.png"
    for concurrency in (1, 4, 8):
        decision = batch_decision(items, concurrency, photo)
        rates, failures = [], []
        for _ in range(runs):
            result = stack.sfn.start_sync(arn, decision)
            output = result.output if result.status == "SUCCEEDED" else None
            bad = None if output else f"{result.status} {result.response.get('error')}"
            if output and [o.get("status") for o in output["items"]] != ["succeeded"] * items:
                bad = "items " + ",".join(sorted({str(o.get("status")) for o in output["items"]}))
            if bad:
                failures.append(bad)
            else:
                rates.append(items / (result.elapsed_ms / 1000))
        rate = f"{statistics.median(rates):6.1f} images/s (median of {len(rates)})" if rates else "no valid runs"
        print(f"   MaxConcurrency {concurrency:<2}  {rate}" + (f"   {len(failures)} failed: {failures[:2]}"
                                                                if failures else ""))


def batch_decision(items: int, concurrency: int, photo: str) -> dict:
    """A router decision for a labelling batch, as the router writes it (RouteDecision)."""
    context = {"requestId": "bench-batch", "tenantId": "acme-startup", "tier": "basic", "bundleVersion": "bench"}
    return {"requestId": "bench-batch", "tenantId": "acme-startup", "tier": "basic", "bundleVersion": "bench",
            "route": "batch", "costCeilingPicoUSD": 0, "estimatedCostPicoUSD": 0, "qualityFloorRelaxed": False,
            "candidates": [], "explanation": "benchmark batch", "context": context, "usage": [],
            # maxDetections as the router caps it for an inline batch (the results must fit 256 KiB).
            "vision": {"candidates": [{"model": "yolov8n-lambda", "attemptTimeoutMs": 10000,
                                       "estimatedCostPicoUSD": 0, "estimatedLatencyMs": 0}], "maxDetections": 46},
            "batch": {"items": [{"id": f"img-{i:02d}", "images": [photo]} for i in range(items)],
                      "itemRoute": "vision", "maxConcurrency": concurrency}}


def main() -> int:
    parser = argparse.ArgumentParser(description="local pipeline latency per hop and batch throughput")
    parser.add_argument("--executions", type=int, default=100, help="executions per scenario (default 100)")
    parser.add_argument("--batch-items", type=int, default=20)
    parser.add_argument("--batch-runs", type=int, default=3)
    parser.add_argument("--only", choices=["engine", "scenarios", "batch"], action="append")
    args = parser.parse_args()
    parts = set(args.only or ["engine", "scenarios", "batch"])
    print("== starting the local stack")
    stack = LocalStack(images_port=EVENT_IMAGES_PORT)  # events/requests name the photos on this port
    try:
        stack.start()
        if "engine" in parts:
            engine_overhead(stack, args.executions)
        if "scenarios" in parts:
            scenarios(stack, args.executions)
        if "batch" in parts:
            batch_throughput(stack, args.batch_items, args.batch_runs)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
