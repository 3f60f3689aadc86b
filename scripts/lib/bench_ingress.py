"""scripts/bench-ingress: what the ingress adds around one synchronous execution.

Reference: the chat request as an InferenceRequest started directly with StartSyncExecution on the local
engine (what the state machine costs by itself). Target: the same request as an API Gateway proxy event
through the ingress function under the emulator (admission routing in process, the ledger reservation in
MongoDB, StartSyncExecution, the usage enqueue on SQS, the streamed answer's prelude). Both alternate in
one run against one stack; added = target − reference at each percentile. Every answer is checked (status,
the fake's answer text); a failed call is counted and reported, never timed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from pipeline_fixtures import LocalStack  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def proxy_event(text: str) -> dict:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    return {"resource": "/v1/chat/completions", "path": "/v1/chat/completions", "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"}, "body": json.dumps(body), "isBase64Encoded": False,
            "requestContext": {"requestId": str(uuid.uuid4()), "authorizer": {
                "tenant": "acme-startup", "tier": "basic", "keyId": "0123456789ab"}}}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    stack = LocalStack(log=lambda line: None, with_llama=False).start()
    direct, ingress, failures = [], [], []
    try:
        for i in range(args.requests + 3):
            tag = uuid.uuid4().hex[:8]
            request = {"requestId": f"bench-{tag}", "tenantId": "acme-startup", "hints": {"model": "gpt-4o-mini"},
                       "messages": [{"role": "user", "content": f"Say hello [{tag}]"}]}
            started = time.perf_counter()
            result = stack.sfn.start_sync(stack.state_machine_arn, request)
            elapsed = (time.perf_counter() - started) * 1000
            ok = result.status == "SUCCEEDED" and result.output.get("llm", {}).get("answer", {}).get("text")
            if not ok:
                failures.append(("direct", result.response.get("error")))
            elif i >= 3:  # warm-up: the first executions start the functions
                direct.append(elapsed)

            started = time.perf_counter()
            answer = stack.emulator.invoke("ingress", proxy_event(f"Say hello [{tag}]"), timeout=120)
            elapsed = (time.perf_counter() - started) * 1000
            prelude, _, body = answer.body.partition(b"\x00" * 8)
            ok = answer.status == 200 and answer.function_error is None and prelude and \
                json.loads(prelude).get("statusCode") == 200 and json.loads(body)["choices"][0]["message"]["content"]
            if not ok:
                failures.append(("ingress", answer.body[:200]))
            elif i >= 3:
                ingress.append(elapsed)
    finally:
        stack.stop()
    load = os.getloadavg()
    print(f"bench-ingress: {len(direct)} direct, {len(ingress)} through the ingress, {len(failures)} failed; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for kind, detail in failures[:5]:
        print(f"  failed ({kind}): {detail}")
    if not direct or not ingress:
        return 1
    print("| path | p50 ms | p90 ms | mean ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in (("StartSyncExecution direct (reference)", direct), ("ingress (proxy event)", ingress)):
        print(f"| {name} | {pct(values, .5):.1f} | {pct(values, .9):.1f} | {statistics.mean(values):.1f} |")
    print(f"| added by the ingress | {pct(ingress, .5) - pct(direct, .5):+.1f} | "
          f"{pct(ingress, .9) - pct(direct, .9):+.1f} | {statistics.mean(ingress) - statistics.mean(direct):+.1f} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
