"""Per-function mode of scripts/bench-runtime: every packaged zip under the neutral Runtime API harness.

Each zip is unpacked and its bootstrap started as Lambda starts it (LAMBDA_TASK_ROOT=<dir>,
LD_LIBRARY_PATH=<dir>/lib, nothing else inherited) by Benchmarks/RuntimeHarness, beside echo and the
C + libcurl loop, in one run. Every invocation is checked by the harness (a POST to /error or a response
without the expected text is counted as a failure and never timed; a function with any failure is
reported as FAILED).

The services the functions call are local and answer at once: SecantusDB (router signals, usage-logger,
dashboard-api), the canned C OpenAI server (llm-caller). Vision runs its in-process detector (the zip's
onnxruntime) on the local stack's generated model (scripts/vision-make-model --local).

Init against echo is measured in pairs (`paired_init`): each function's cold start right beside one of
echo's (echo, f, then f, echo, alternating, so a trend hits both alike), `--pairs` times, and the ratio
taken within each pair; the reported ratio is the median of those per-pair ratios (with its quartiles and
the ratio of the two medians over the same pairs beside it). Echo's own median moves by a third between
runs on a shared machine, so a ratio of medians measured in separate phases flips between runs; a
ratio within each pair does not carry that drift. The rounds' table keeps its init medians as measured.

    bench_functions.py OUT DIST [--before DIST] [--colds N] [--warms N] [--rounds N] [--pairs N]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Every packaged function (scripts/package's list: infra/local/functions.json less the test probe).
FUNCTIONS = [f["name"] for f in json.load(open(os.path.join(ROOT, "infra", "local", "functions.json")))["functions"]
             if f["name"] != "runtime-probe"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"bench-runtime: {url} did not answer within {seconds} s")


class Services:
    """Starts the local services, each on a free loopback port, and stops exactly those processes."""

    def __init__(self, out):
        self.out = out
        self.processes = []
        self.mongo_name = f"bench-runtime-{os.getpid()}"

    def start(self, needed):
        env = {}
        if needed & {"router", "usage-logger", "dashboard-api", "authorizer", "ingress"}:
            storage = os.path.join(self.out, "mongo")
            shutil.rmtree(storage, ignore_errors=True)
            uri = subprocess.run([os.path.join(ROOT, "scripts/start-mongo"), "--name", self.mongo_name, "--storage",
                                  storage], check=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
            env["MONGODB_URI"] = uri
        if "llm-caller" in needed:
            server = os.path.join(self.out, "canned-server")
            subprocess.run(["cc", "-O2", "-D_GNU_SOURCE", "-o", server,
                            os.path.join(ROOT, "Benchmarks/LLMCannedServer/main.c"), "-lpthread"], check=True)
            port = free_port()
            self.processes.append(subprocess.Popen([server, str(port)], stdout=subprocess.DEVNULL))
            wait_http(f"http://127.0.0.1:{port}/health")
            env["LLM_PORT"] = str(port)
        if "vision" in needed:
            subprocess.run([os.path.join(ROOT, "scripts/vision-make-model"), "--local"], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            env["VISION_MODEL_DIR"] = os.path.join(ROOT, ".run")
        return env

    def stop(self):
        for p in self.processes:
            try:
                p.terminate()
            except ProcessLookupError:
                pass
            p.wait(timeout=10)
        subprocess.run([os.path.join(ROOT, "scripts/stop-mongo"), "--name", self.mongo_name], cwd=ROOT,
                       capture_output=True)


def llm_bundle(out, port):
    """A catalog naming one OpenAI model served by the canned server, and the event that calls it."""
    bundle = os.path.join(out, "llm-bundle")
    os.makedirs(bundle, exist_ok=True)
    catalog = {"version": "bench", "models": [{
        "id": "gpt-4o-mini", "provider": "openai", "kind": "llm", "contextWindow": 128000, "maxOutputTokens": 16384,
        "capabilities": ["streaming"], "latency": {"p50Ms": 500, "p95Ms": 2000}, "quality": {"chat": 0.8},
        "tiers": ["basic"], "endpoint": f"http://127.0.0.1:{port}"}]}
    json.dump(catalog, open(os.path.join(bundle, "catalog.json"), "w"))
    event = {"request": {"requestId": "bench", "tenantId": "bench",
                         "messages": [{"role": "user", "content": "Write a paragraph of filler text."}],
                         "parameters": {"maxTokens": 300}, "stream": False},
             "plan": {"candidates": [{"model": "gpt-4o-mini", "attemptTimeoutMs": 30000, "contextWindow": 128000,
                                      "estimatedCostPicoUSD": 0, "estimatedLatencyMs": 0}],
                      "maxOutputTokens": 300, "groundWithDetections": False},
             "context": {"requestId": "bench", "tenantId": "bench"}}
    path = os.path.join(out, "event-llm-caller.json")
    json.dump(event, open(path, "w"))
    return bundle, path


def setups(out, services):
    """Per function: (event file, text every response must hold, environment)."""
    ev = lambda *p: os.path.join(ROOT, "events", *p)
    s = {"echo": (ev("echo", "hello.json"), "hello from Switchyard", {})}
    if "MONGODB_URI" in services:
        mongo = {"MONGODB_URI": services["MONGODB_URI"], "SWITCHYARD_DB": "bench_runtime"}
        s["router"] = (ev("router", "chat-basic.json"), '"backend"', mongo)
        s["usage-logger"] = (ev("usage-logger", "gpt4o-brief-example.json"), '"costPicoUSD"', mongo)
        api_event = os.path.join(out, "event-dashboard-api.json")
        json.dump({"httpMethod": "GET", "path": "/api/volume", "headers": {"Accept": "application/json"},
                   "queryStringParameters": {"from": "0", "to": "86400000", "bucket": "day"}}, open(api_event, "w"))
        s["dashboard-api"] = (api_event, '"statusCode":200', mongo)
        key, key_id = authorizer_key(services["MONGODB_URI"], "bench_runtime")
        auth_event = os.path.join(out, "event-authorizer.json")
        json.dump({"type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api/v1/GET/v1/models",
                   "headers": {"Authorization": f"Bearer {key}"}}, open(auth_event, "w"))
        s["authorizer"] = (auth_event, '"Allow"', {
            **mongo, "SWITCHYARD_USAGE_PLAN_KEYS": '{"basic": "b", "pro": "p", "enterprise": "e"}'})
        # The ingress as API Gateway invokes it behind the authorizer: GET /v1/models answers from the
        # bundle (no execution, no provider); init builds everything a chat request needs.
        ingress_event = os.path.join(out, "event-ingress.json")
        json.dump({"resource": "/v1/models", "path": "/v1/models", "httpMethod": "GET",
                   "headers": {"Accept": "application/json"}, "multiValueHeaders": None,
                   "queryStringParameters": None, "body": None, "isBase64Encoded": False,
                   "requestContext": {"requestId": "bench", "stage": "v1", "authorizer": {
                       "tenant": "bench", "tier": "basic", "keyId": key_id, "requestsPerMinute": "600",
                       "tokensPerMinute": "1000000", "principalId": "bench"}}}, open(ingress_event, "w"))
        s["ingress"] = (ingress_event, '"object":"list"', {
            **mongo, "OPENAI_API_KEY": "sk-bench", "ANTHROPIC_API_KEY": "sk-ant-bench",
            "SWITCHYARD_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:switchyard",
            "USAGE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/switchyard-usage"})
    if "LLM_PORT" in services:
        bundle, event = llm_bundle(out, services["LLM_PORT"])
        s["llm-caller"] = (event, '"succeeded"', {"SWITCHYARD_BUNDLE_DIR": bundle, "OPENAI_API_KEY": "sk-bench"})
    if "VISION_MODEL_DIR" in services:
        model_dir = {"VISION_MODEL_DIR": services["VISION_MODEL_DIR"]}
        s["vision"] = (ev("vision", "red-square.json"), '"succeeded"', model_dir)
    return s


def authorizer_key(uri, database):
    """A key in the key store (collection `keys`, as `switchyard-keys --mongo` writes it: only its SHA-256)."""
    import hashlib
    import pymongo
    key_id, secret = os.urandom(6).hex(), os.urandom(32).hex()
    key = f"sk-sy-{key_id}_{secret}"
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=10000)
    try:
        client[database]["keys"].replace_one({"_id": key_id}, {
            "_id": key_id, "id": key_id, "hash": hashlib.sha256(key.encode()).hexdigest(), "tenant": "bench",
            "tier": "basic", "createdAtMs": int(time.time() * 1000),
            "limits": {"requestsPerMinute": 600, "tokensPerMinute": 1000000}}, upsert=True)
    finally:
        client.close()
    return key, key_id


def unpack(zip_path, into):
    shutil.rmtree(into, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(into)
    os.chmod(os.path.join(into, "bootstrap"), 0o755)


def harness(out, binary, colds, warms, event, expect, env):
    args = [os.path.join(out, "harness"), binary, str(colds), str(warms), event]
    if expect:
        args += ["--expect", expect]
    args += [f"{k}={v}" for k, v in env.items()]
    # The harness ends a run whose runtime stops talking for 10 s; this bounds the whole run too.
    r = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        return {"failed": (r.stderr.strip() or r.stdout.strip())[:400]}
    doc = json.loads(r.stdout)
    if doc["failures"]:
        return {"failed": f"{doc['failures']} wrong answers: " + r.stderr.strip()[:400]}
    return doc


def quantile(values, q):
    """The q-quantile of values, linear between the two nearest ranks."""
    v = sorted(values)
    x = q * (len(v) - 1)
    i = int(x)
    return v[i] if i + 1 >= len(v) else v[i] + (v[i + 1] - v[i]) * (x - i)


def paired_init(out, runs, setup, pairs):
    """For every function run but echo itself: `pairs` cold starts of it, each beside a cold start of echo
    (echo first in even pairs, the function first in odd ones). One harness call per cold start (1 cold
    start, 1 invoke, every answer checked). Returns {(label, f): {...}} or {"failed": why}."""
    echo_task = next(task for label, f, task, _ in runs if label == "" and f == "echo")
    echo_event, echo_expect, echo_extra = setup["echo"]
    echo_env = lambda_environment("echo", echo_task, echo_extra)
    echo_args = (os.path.join(echo_task, "bootstrap"), 1, 1, echo_event, echo_expect, echo_env)
    result = {}
    for label, f, task, _ in runs:
        if label == "" and f == "echo":
            continue
        event, expect, extra = setup[f]
        args = (os.path.join(task, "bootstrap"), 1, 1, event, expect, lambda_environment(f, task, extra))
        echo_us, f_us, f_first_us, failed = [], [], [], None
        for i in range(pairs):
            order = [("echo", echo_args), ("f", args)] if i % 2 == 0 else [("f", args), ("echo", echo_args)]
            for which, call in order:
                r = harness(out, *call)
                if "failed" in r:
                    failed = f"{which}: {r['failed']}"
                    break
                if which == "echo":
                    echo_us.append(r["init_median_us"])
                else:
                    f_us.append(r["init_median_us"])
                    f_first_us.append(r["first_invoke_median_us"])
            if failed:
                break
        if failed:
            result[(label, f)] = {"failed": failed}
            continue
        ratios = [x / e for x, e in zip(f_us, echo_us)]
        result[(label, f)] = {
            "pairs": pairs, "init_median_us": quantile(f_us, 0.5), "echo_init_median_us": quantile(echo_us, 0.5),
            "first_invoke_median_us": quantile(f_first_us, 0.5),
            "ratio_median": quantile(ratios, 0.5), "ratio_p25": quantile(ratios, 0.25),
            "ratio_p75": quantile(ratios, 0.75),
            "ratio_of_medians": quantile(f_us, 0.5) / quantile(echo_us, 0.5),
            "init_us": f_us, "echo_init_us": echo_us}
    return result


def lambda_environment(function, task, extra):
    """What Lambda sets for a function unpacked in task, plus what it needs to finish init."""
    return {"LAMBDA_TASK_ROOT": task, "LD_LIBRARY_PATH": os.path.join(task, "lib"),
            "AWS_LAMBDA_FUNCTION_NAME": function, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example",
            "AWS_SESSION_TOKEN": "example", **extra}


def callgrind_init(out, label, function, task, env_vars, event):
    """Instructions from exec to the first GET /next (valgrind's callgrind, one cold start): a count
    that, unlike wall time, load on a shared machine does not move. Returns (total Ir, top functions)."""
    name = f"{label.strip() or 'after'}-{function}"
    profile = os.path.join(out, f"callgrind.{name}.out")
    wrapper = os.path.join(out, f"callgrind-{name}.sh")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec /usr/bin/valgrind -q --tool=callgrind --callgrind-out-file={profile} "
                f"{os.path.join(task, 'bootstrap')}\n")
    os.chmod(wrapper, 0o755)
    if os.path.exists(profile):
        os.remove(profile)
    args = [os.path.join(out, "harness"), wrapper, "1", "0", event, "--init-only", "--wait-ms", "300000"]
    r = subprocess.run(args + [f"{k}={v}" for k, v in env_vars.items()], capture_output=True, text=True, timeout=900)
    if r.returncode != 0 or not os.path.exists(profile):
        return None, (r.stderr.strip() or "no profile")[:200]
    total = None
    for line in open(profile):
        if line.startswith(("totals:", "summary:")):
            total = int(line.split()[1])
    top = subprocess.run(["callgrind_annotate", "--threshold=60", profile], capture_output=True, text=True,
                         timeout=120).stdout
    return total, top


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("dist")
    ap.add_argument("--before", help="a dist/ folder of an earlier build, measured in the same run")
    ap.add_argument("--colds", type=int, default=30)
    ap.add_argument("--warms", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=0,
                    help="cold starts of each function paired with echo's for the init ratio (default 3 x colds)")
    ap.add_argument("--callgrind", action="store_true",
                    help="also count init's instructions under callgrind, one cold start per zip")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    sets = [("", os.path.abspath(a.dist))] + ([("before ", os.path.abspath(a.before))] if a.before else [])
    present = [f for f in FUNCTIONS if os.path.exists(os.path.join(sets[0][1], f + ".zip"))]
    services = Services(out)
    try:
        env = services.start(set(present))
        setup = setups(out, env)
        runs = []  # (label, function, dir, zip path)
        for label, dist in sets:
            for f in present:
                zip_path = os.path.join(dist, f + ".zip")
                if os.path.exists(zip_path):
                    task = os.path.join(out, "task", (label.strip() or "after"), f)
                    unpack(zip_path, task)
                    runs.append((label, f, task, zip_path))
        best = {}
        # Rounds interleave every binary, so drift on a shared machine hits all of them; each keeps its
        # better round (lower warm p50), and a failed round is never picked over a clean one.
        for _ in range(a.rounds):
            for label, f, task, zip_path in runs:
                event, expect, extra = setup[f]
                env_vars = lambda_environment(f, task, extra)
                r = harness(out, os.path.join(task, "bootstrap"), a.colds, a.warms, event, expect, env_vars)
                key = (label, f)
                prev = best.get(key)
                if prev is None or ("failed" in prev and "failed" not in r) or (
                        "failed" not in r and r["warm_p50_us"] < prev["warm_p50_us"]):
                    best[key] = r
            r = harness(out, os.path.join(out, "echo-c"), a.colds, a.warms, *setup["echo"])
            prev = best.get(("", "C + libcurl"))
            if prev is None or ("failed" in prev and "failed" not in r) or (
                    "failed" not in r and r["warm_p50_us"] < prev["warm_p50_us"]):
                best[("", "C + libcurl")] = r
        paired = paired_init(out, runs, setup, a.pairs or 3 * a.colds) if ("", "echo") in {
            (label, f) for label, f, _, _ in runs} else {}
        sizes = {(label, f): os.path.getsize(z) for label, f, _, z in runs}
        instructions = {}
        if a.callgrind:
            # Not vision: its init is onnxruntime's (loading it and a warm-up inference), minutes under valgrind.
            for label, f, task, zip_path in [r for r in runs if r[1] != "vision"]:
                event, expect, extra = setup[f]
                env_vars = lambda_environment(f, task, extra)
                instructions[(label, f)] = callgrind_init(out, label, f, task, env_vars, event)
    finally:
        services.stop()

    echo = best.get(("", "echo"))
    print(f"{'function':<22}{'init med':>10}{'x echo':>8}{'1st inv':>11}{'warm p50':>10}{'warm p99':>10}"
          f"{'RSS init':>10}{'peak RSS':>10}{'zip':>8}{'.so':>5}")
    failed = False
    order = [(label, f) for label, _ in sets for f in present] + [("", "C + libcurl")]
    for key in order:
        if key not in best:
            continue
        r, name = best[key], (key[0] + key[1])
        if "failed" in r:
            failed = True
            print(f"{name:<22}FAILED (not timed): {r['failed']}")
            continue
        ratio = f"{r['init_median_us'] / echo['init_median_us']:.2f}" if echo and "failed" not in echo else "-"
        size = f"{sizes[key] / 1e6:.1f}MB" if key in sizes else "-"
        print(f"{name:<22}{r['init_median_us'] / 1000:>8.2f}ms{ratio:>8}{r['first_invoke_median_us']:>9.0f}µs"
              f"{r['warm_p50_us']:>8.0f}µs{r['warm_p99_us']:>8.0f}µs{r['init_rss_kb'] / 1024:>8.1f}MB"
              f"{r['vm_hwm_kb'] / 1024:>8.1f}MB{size:>8}{r['shared_libraries']:>5}")
    print(f"\n{a.colds} cold starts and {a.warms} warm invokes per binary, best of {a.rounds} interleaved rounds; "
          "RSS init: resident at the first /next; .so: shared objects mapped (AL2023 base included); "
          "zip in 10^6 bytes")
    if paired:
        n = next((p["pairs"] for p in paired.values() if "pairs" in p), 0)
        print(f"\ninit beside echo ({n} pairs of cold starts per function, echo and the function alternating "
              "which starts first; ratio = median of the per-pair ratios, p25-p75 its quartiles):")
        print(f"{'function':<22}{'init med':>10}{'echo med':>10}{'ratio':>8}{'p25-p75':>13}{'ratio of med':>14}"
              f"{'1st inv':>11}")
        for key in order:
            p = paired.get(key)
            if p is None:
                continue
            if "failed" in p:
                failed = True
                print(f"{key[0] + key[1]:<22}FAILED (not timed): {p['failed']}")
                continue
            print(f"{key[0] + key[1]:<22}{p['init_median_us'] / 1000:>8.2f}ms{p['echo_init_median_us'] / 1000:>8.2f}ms"
                  f"{p['ratio_median']:>8.2f}{p['ratio_p25']:>7.2f}-{p['ratio_p75']:.2f}{p['ratio_of_medians']:>14.2f}"
                  f"{p['first_invoke_median_us']:>9.0f}µs")
    if instructions:
        echo_ir = instructions.get(("", "echo"), (None, ""))[0]
        print("\ninit instructions (callgrind, exec to the first /next; profiles in "
              f"{out}/callgrind.*.out):")
        for key in order:
            if key in instructions:
                total, detail = instructions[key]
                if total is None:
                    print(f"{key[0] + key[1]:<22}FAILED: {detail}")
                else:
                    ratio = f"{total / echo_ir:.2f}x echo" if echo_ir else ""
                    print(f"{key[0] + key[1]:<22}{total / 1e6:>9.1f} M Ir  {ratio}")
    targets = {}
    for f in present:
        r = best.get(("", f))
        if not r or "failed" in r or not echo or "failed" in echo:
            continue
        p = paired.get(("", f))
        # The paired ratio where there is one (echo has none: it is the reference, 1.0 by definition).
        init_ok = (p["ratio_median"] <= 1.5 if "failed" not in p else False) if p else (
            r["init_median_us"] <= 1.5 * echo["init_median_us"])
        targets[f] = {"init_le_1.5x_echo": init_ok,
                      "zip_le_8MB": sizes[("", f)] <= 8e6, "rss_init_le_15MB": r["init_rss_kb"] <= 15 * 1024}
        b = best.get(("before ", f))
        if b and "failed" not in b:
            targets[f]["warm_p50_within_10pct_of_before"] = r["warm_p50_us"] <= 1.10 * b["warm_p50_us"]
    for f, t in targets.items():
        print(f"targets {f:<14}" + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in t.items()))
    json.dump({" ".join(k).strip(): v for k, v in best.items()}, open(os.path.join(out, "functions.json"), "w"),
              indent=2)
    json.dump({" ".join(k).strip(): v for k, v in paired.items()}, open(os.path.join(out, "paired-init.json"), "w"),
              indent=2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
