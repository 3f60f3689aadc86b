"""Gateway overhead of the single-process front door, side by side in one run (scripts/bench-frontdoor).

Upstream: nginx answering a fixed OpenAI chat completion at once (the C floor). Targets, each loaded
by wrk on loopback with the same POST at concurrency 1, 16 and 64:
  nginx-direct      wrk → nginx (the floor the added latency is measured from)
  nginx-proxy       wrk → nginx proxy_pass → nginx (a C gateway floor)
  switchyard-off    wrk → switchyard-server (billing off) → nginx
  switchyard-on     wrk → switchyard-server (billing on: ledger reservation in SecantusDB, usage
                    fsynced to the journaled queue and drained into SecantusDB) → nginx
  litellm           wrk → LiteLLM proxy (one worker, no database) → nginx
Every response is checked by wrk's Lua hook (status 200 and the upstream's answer text in the
body); a run with any failed call is reported as failed, not timed. RSS is read from /proc after
each run. Added latency = target percentile − nginx-direct percentile at the same concurrency.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from servers import free_port, wait_http  # noqa: E402

ANSWER = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris is the capital."},
                       "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}}
BODY = json.dumps({"model": "gpt-4o-mini", "max_tokens": 16,
                   "messages": [{"role": "user", "content": "What is the capital of France?"}]})

LUA = """
wrk.method = "POST"
wrk.body = [[%(body)s]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
-- Each wrk thread runs response() in its own Lua state; done() runs in the main one, so the
-- counts are globals of each thread, summed through setup()'s thread handles.
local threads = {}
function setup(thread) table.insert(threads, thread) end
bad = 0
shed = 0
function response(status, headers, body)
  if status == 503 and headers["retry-after"] then shed = shed + 1
  elseif status ~= 200 or not string.find(body, "Paris is the capital.", 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b, s = 0, 0
  for _, thread in ipairs(threads) do
    b = b + thread:get("bad")
    s = s + thread:get("shed")
  end
  io.write(string.format("BENCH %%d %%d %%d %%d %%d %%.1f %%d\\n", summary.requests, b,
    latency:percentile(50), latency:percentile(99), latency.mean, summary.requests / (summary.duration / 1e6), s))
end
"""


class Proc:
    def __init__(self, cmd, env=None, log=None, cwd=None):
        self.log = open(log, "wb") if log else subprocess.DEVNULL
        self.p = subprocess.Popen([str(c) for c in cmd], env={**os.environ, **(env or {})}, stdout=self.log,
                                  stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)

    def rss_mib(self) -> float:
        total = 0
        for pid in [self.p.pid] + children(self.p.pid):
            try:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def rss_split_mib(self) -> dict:
        """The server's RSS split by what backs it (/proc/PID/smaps_rollup): anonymous memory (the
        heap, stacks) against file-backed pages (the binary, libraries, mapped files). A growth of
        the anonymous part is the process's own memory; of the file part, pages of a mapped file."""
        fields = {}
        try:
            for line in open(f"/proc/{self.p.pid}/smaps_rollup"):
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    fields[parts[0].rstrip(":")] = int(parts[1])
        except OSError:
            return {}
        anon = fields.get("Anonymous", 0)
        return {"anon_mib": round(anon / 1024, 1), "file_mib": round((fields.get("Rss", 0) - anon) / 1024, 1)}

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and its children so far."""
        total = 0
        for pid in [self.p.pid] + children(self.p.pid):
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def context_switches(self) -> int:
        """Voluntary + involuntary context switches of every thread of the process so far: each
        thread hand-off of a request is a wake-up, so per request this counts them."""
        total = 0
        for task in Path(f"/proc/{self.p.pid}/task").glob("*"):
            try:
                for line in open(task / "status"):
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()


def children(pid: int) -> list[int]:
    out = []
    try:
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            out.append(int(child))
            out += children(int(child))
    except OSError:
        pass
    return out


def nginx(work: Path, port: int, proxy_port: int) -> Proc:
    conf = work / "nginx.conf"
    answer = json.dumps(ANSWER).replace("'", "\\'")
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fcgi;
  uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  keepalive_requests 1000000;
  upstream fake {{ server 127.0.0.1:{port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{answer}'; }}
  }}
  server {{
    listen 127.0.0.1:{proxy_port};
    location / {{ proxy_pass http://fake; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
""")
    return Proc(["nginx", "-c", conf, "-p", work], log=work / "nginx.log")


def stage_server(work: Path, upstream: int, server_bin: Path) -> tuple[dict[str, str], str]:
    """The server's bundle under `work` (the repo's policy, catalog, rates and classifier, every model
    pointed at the upstream) and a key file with one enterprise key: its environment and the key."""
    bundle = work / "bundle"
    bundle.mkdir()
    for name in ("policy.json", "catalog.json", "rates.json"):
        shutil.copy(REPO / "infra" / name, bundle / name)
    shutil.copytree(REPO / "infra" / "classifier", bundle / "classifier")
    overlay = json.loads((REPO / "infra" / "local" / "catalog-overlay.json").read_text())
    for patch in overlay["models"].values():
        patch["endpoint"] = f"http://127.0.0.1:{upstream}"
    (bundle / "overlay.json").write_text(json.dumps(overlay))
    keys = work / "keys.json"
    key = json.loads(subprocess.run(
        [server_bin.parent / "switchyard-keys", "--file", keys, "--json", "create", "--tenant", "initech",
         "--tier", "enterprise", "--rpm", "10000000", "--tpm", "10000000"],
        check=True, capture_output=True, text=True, timeout=60).stdout)["key"]
    env = {"SWITCHYARD_BUNDLE_DIR": str(bundle), "SWITCHYARD_CATALOG_OVERLAY": str(bundle / "overlay.json"),
           "SWITCHYARD_KEYS_FILE": str(keys), "OPENAI_API_KEY": "sk-bench", "ANTHROPIC_API_KEY": "sk-bench"}
    return env, key


def wrk(url: str, key: str, connections: int, seconds: int, work: Path) -> dict:
    script = work / "post.lua"
    script.write_text(LUA % {"body": BODY, "key": key})
    threads = 1 if connections == 1 else 2
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", script,
                          "--timeout", "10s", url + "/v1/chat/completions"], capture_output=True, text=True,
                         timeout=seconds + 60)
    match = re.search(r"BENCH (\d+) (\d+) (\d+) (\d+) (\d+) ([\d.]+) (\d+)", out.stdout)
    if not match:
        raise RuntimeError(f"wrk gave no summary: {out.stdout}\n{out.stderr}")
    requests, bad, p50, p99, mean, rps, shed = match.groups()
    errors = re.search(r"Socket errors: (.*)", out.stdout)
    # `shed`: 503 with retry-after, the server's back-pressure (billing on, usage not yet stored):
    # refused on purpose, reported apart from failures and not counted as served.
    return {"requests": int(requests), "failed": int(bad), "shed": int(shed), "p50_ms": int(p50) / 1000,
            "p99_ms": int(p99) / 1000,
            "mean_ms": int(mean) / 1000,
            # Answered requests per second; refused (shed) ones are not throughput.
            "rps": float(rps) * (int(requests) - int(shed)) / max(1, int(requests)),
            "socket_errors": errors.group(1) if errors else ""}


def check(url: str, key: str):
    request = urllib.request.Request(url + "/v1/chat/completions", data=BODY.encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        body = r.read().decode()
    if "Paris is the capital." not in body:
        raise RuntimeError(f"{url} answered {body[:300]}")


def main() -> int:
    seconds = int(os.environ.get("SECONDS_PER_RUN", "10"))
    # Commas or spaces ("1,64" or "1 64"); anything else is refused with the value, not a traceback.
    text = os.environ.get("CONCURRENCY", "1,16,64")
    parts = text.replace(",", " ").split()
    if not parts or not all(p.isdigit() and 1 <= int(p) <= 4096 for p in parts):
        print(f"bench-frontdoor: CONCURRENCY={text!r}: expected connection counts 1-4096, e.g. 1,16,64",
              file=sys.stderr)
        return 2
    levels = [int(p) for p in parts]
    server_bin = Path(sys.argv[1])
    litellm = os.environ.get("LITELLM_BIN", "")
    work = REPO / ".build" / "bench-frontdoor"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    procs: list[Proc] = []
    try:
        up, proxy = free_port(), free_port()
        procs.append(nginx(work, up, proxy))
        wait_http(f"http://127.0.0.1:{up}/", 20)
        targets = {"nginx-direct": (f"http://127.0.0.1:{up}", "x", None),
                   "nginx-proxy": (f"http://127.0.0.1:{proxy}", "x", None)}

        common, key = stage_server(work, up, server_bin)
        mongo_port = free_port()
        (work / "mongo").mkdir()
        (work / "mongo.toml").write_text("")
        mongo = Proc([REPO / ".venv" / "bin" / "secantusd-py", "--config", work / "mongo.toml", "--host",
                           "127.0.0.1", "--port", mongo_port, "--storage-path", work / "mongo", "--log-level",
                           "WARNING"], log=work / "mongo.log")
        procs.append(mongo)
        servers = {}
        # BASELINE_BIN: another switchyard-server binary, run billing off beside this one (a same-run
        # A/B of two builds); BASELINE_ENV / CANDIDATE_ENV: extra variables for each, as JSON.
        baseline = os.environ.get("BASELINE_BIN", "")
        modes = [m for m in os.environ.get("MODES", "off,on").split(",") if m]
        runs = ([("baseline-off", Path(baseline), "off", json.loads(os.environ.get("BASELINE_ENV", "{}")))]
                if baseline else [])
        runs += [(f"switchyard-{mode}", server_bin, mode, json.loads(os.environ.get("CANDIDATE_ENV", "{}")))
                 for mode in modes]
        for name, binary, mode, extra in runs:
            port = free_port()
            env = {**common, "SWITCHYARD_PORT": str(port), "SWITCHYARD_BILLING": mode,
                   "SWITCHYARD_USAGE_QUEUE_DIR": str(work / f"queue-{name}"), **extra}
            # Billing on is the whole system: ledger reservations, usage stored, and the router's
            # live spend and health signals read from the same store. Billing off has no store at all.
            if mode == "on":
                env["MONGODB_URI"] = f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true"
            proc = Proc([binary], env=env, log=work / f"{name}.log")
            procs.append(proc)
            wait_http(f"http://127.0.0.1:{port}/health", 60)
            servers[name] = proc
            targets[name] = (f"http://127.0.0.1:{port}", key, proc)
        if litellm:
            port = free_port()
            config = work / "litellm.yaml"
            config.write_text(f"""model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:{up}/v1
      api_key: sk-bench
""")
            proc = Proc([litellm, "--config", config, "--port", port, "--host", "127.0.0.1", "--num_workers", "1"],
                        env={"LITELLM_MASTER_KEY": "sk-litellm-bench", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                             "LITELLM_LOG": "ERROR"}, log=work / "litellm.log")
            procs.append(proc)
            wait_http(f"http://127.0.0.1:{port}/health/liveliness", 180)
            targets["litellm"] = (f"http://127.0.0.1:{port}", "sk-litellm-bench", proc)

        for name, (url, k, _) in targets.items():
            if name.startswith(("switchyard", "baseline", "litellm")):
                check(url, k)
        soak_minutes = int(os.environ.get("SOAK_MINUTES", "0"))
        if soak_minutes:
            return soak(targets[os.environ.get("SOAK_TARGET", "switchyard-on")], soak_minutes, work,
                        f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true")
        # Everything runs side by side: a target that burns CPU while idle (a spinning drain, a
        # polling proxy) slows the others on 2 cores, so each one's idle CPU is measured first.
        idle = {name: proc for name, (_, _, proc) in targets.items() if proc} | {"secantusdb": mongo}
        before = {name: proc.cpu_seconds() for name, proc in idle.items()}
        time.sleep(5)
        print(json.dumps({"idle_cpu_percent": {
            name: round(100 * (proc.cpu_seconds() - before[name]) / 5, 1) for name, proc in idle.items()}}),
            flush=True)
        results = []
        # ROUNDS > 1 repeats every cell, targets interleaved, so an A/B sees the same machine load.
        for round_ in range(1, int(os.environ.get("ROUNDS", "1")) + 1):
            for connections in levels:
                for name, (url, k, proc) in targets.items():
                    wrk(url, k, connections, 2, work)  # warm-up
                    cpu, switches = (proc.cpu_seconds(), proc.context_switches()) if proc else (0, 0)
                    r = wrk(url, k, connections, seconds, work)
                    r.update(target=name, connections=connections, round=round_, load=os.getloadavg()[0],
                             rss_mib=round(proc.rss_mib(), 1) if proc else None)
                    if proc:
                        # The server's own cost per request, which the machine's load does not inflate
                        # the way it inflates latency: CPU and thread wake-ups.
                        n = max(1, r["requests"])
                        r["cpu_ms_per_request"] = round(1000 * (proc.cpu_seconds() - cpu) / n, 3)
                        r["switches_per_request"] = round((proc.context_switches() - switches) / n, 2)
                    results.append(r)
                    print(json.dumps(r), flush=True)
        (work / "results.json").write_text(json.dumps(results, indent=1))
        print_table(results)
        return 0 if all(r["failed"] == 0 for r in results) else 1
    finally:
        for proc in reversed(procs):
            proc.stop()


def soak(target, minutes: int, work: Path, mongo_uri: str) -> int:
    """RSS of switchyard-server (billing on, or SOAK_TARGET=switchyard-off) sampled after each minute of
    load at c=16; prints the slope, and beside it what the store holds: usage records stored, the
    ledger's open reservations (they must be settled as fast as they are made) and the journaled
    queue's size on disk (the drain's backlog)."""
    import pymongo

    url, key, proc = target
    db = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=10_000)["switchyard"]
    queue = work / "queue-switchyard-on"

    def store_state() -> dict:
        ledger = list(db.usage_budget_ledger.find({}, {"open": 1}))
        return {"stored": db.usage.estimated_document_count(),
                "open_reservations": sum(len(d.get("open") or {}) for d in ledger),
                "queue_kib": round(sum(f.stat().st_size for f in queue.rglob("*") if f.is_file()) / 1024)}

    # A probe beside wrk's 16 connections: one request at a time, each timed and sorted by answer, so
    # refusals' latency is reported apart from served requests' (wrk's percentiles mix both).
    import threading
    probes: list[tuple[int, float]] = []
    stop = threading.Event()

    def probe():
        while not stop.is_set():
            request = urllib.request.Request(url + "/v1/chat/completions", data=BODY.encode(), method="POST",
                                             headers={"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {key}"})
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    answer.read()
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            except Exception:  # a timeout or a reset: a failure of its own
                status = 0
            probes.append((status, 1000 * (time.monotonic() - started)))
            stop.wait(0.05)

    def pct(values: list[float], q: float) -> float | None:
        return round(sorted(values)[min(len(values) - 1, int(q * len(values)))], 1) if values else None

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    samples = [(0, proc.rss_mib())]
    failed = 0
    try:
        for minute in range(1, minutes + 1):
            seen = len(probes)
            r = wrk(url, key, 16, 60, work)
            failed += r["failed"]
            samples.append((minute, proc.rss_mib()))
            window = probes[seen:]
            refused = [ms for status, ms in window if status == 503]
            served = [ms for status, ms in window if status == 200]
            print(json.dumps({"minute": minute, "load": round(os.getloadavg()[0], 1),
                              "rss_mib": round(samples[-1][1], 1), **proc.rss_split_mib(),
                              "rps": round(r["rps"], 1),
                              "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "failed": r["failed"],
                              "shed": r["shed"], "shed_per_s": round(r["shed"] / 60, 1),
                              "probe_served": len(served), "probe_served_p50_ms": pct(served, 0.5),
                              "probe_refused": len(refused), "probe_refused_p50_ms": pct(refused, 0.5),
                              "probe_refused_p99_ms": pct(refused, 0.99),
                              "probe_refused_max_ms": round(max(refused), 1) if refused else None,
                              "probe_other": len(window) - len(served) - len(refused), **store_state()}),
                  flush=True)
    finally:
        stop.set()
        prober.join(timeout=35)
    xs = [m for m, _ in samples[1:]]
    ys = [v for _, v in samples[1:]]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / max(1e-9, sum((x - mx) ** 2 for x in xs))
    print(f"soak: {minutes} min at c=16, RSS {ys[0]:.1f} → {ys[-1]:.1f} MiB, slope {slope:+.3f} MiB/min "
          f"(minutes 1..{minutes}), failed calls {failed}")
    return 0 if failed == 0 else 1


def print_table(results: list[dict]):
    # Added latency is against nginx-direct in the same round and at the same concurrency.
    floor = {(r.get("round", 1), r["connections"]): r for r in results if r["target"] == "nginx-direct"}
    print("\n| round | load | target | c | p50 ms | p99 ms | added p50 ms | added p99 ms | req/s | failed | shed (503) "
          "| RSS MiB | CPU ms/req | switches/req |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        f = floor[(r.get("round", 1), r["connections"])]
        print(f"| {r.get('round', 1)} | {r.get('load', 0):.1f} | {r['target']} | {r['connections']} | "
              f"{r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
              f"{r['p50_ms'] - f['p50_ms']:+.3f} | {r['p99_ms'] - f['p99_ms']:+.3f} | {r['rps']:.0f} | "
              f"{r['failed']} | {r['shed']} | {r['rss_mib'] if r['rss_mib'] is not None else '-'} | "
              f"{r.get('cpu_ms_per_request', '-')} | {r.get('switches_per_request', '-')} |")


if __name__ == "__main__":
    sys.exit(main())
