"""The driver of scripts/bench-dashboard (see there). Env: MONGODB_URI, REQUESTS, DAYS, REPEAT, BIN."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import requests

from whatif_answer import comparable

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from servers import ManagedProcess, free_port  # noqa: E402

DAY = 86_400_000
uri, bin_dir = os.environ["MONGODB_URI"], Path(os.environ["BIN"])
n_requests, days, repeat = int(os.environ["REQUESTS"]), int(os.environ["DAYS"]), int(os.environ["REPEAT"])
database = "bench_dashboard"
env = {**os.environ, "MONGODB_URI": uri, "SWITCHYARD_DB": database, "SWITCHYARD_BUNDLE_DIR": str(REPO / "infra"),
       # The deadline the deployed function answers within (infra/template.yaml): the month's what-if must fit.
       # DASHBOARD_TIMEOUT_MS overrides it, to measure what does not fit (say so with the numbers).
       "DASHBOARD_TIMEOUT_MS": os.environ.get("DASHBOARD_TIMEOUT_MS", "25000"),
       "MONGODB_SOCKET_TIMEOUT_MS": "120000", "USAGE_OPERATION_TIMEOUT_MS": "120000"}

# MARK: - Seed (or, with EXISTING_DB, measure a database seeded before)
if os.environ.get("EXISTING_DB"):
    database = os.environ["EXISTING_DB"]
    env["SWITCHYARD_DB"] = database
    db = pymongo.MongoClient(uri)[database]
    if os.environ.get("LOAD_SUMMARY"):
        # SecantusDB sorts in memory: the newest of a million records is minutes and gigabytes.
        end = max(map(int, json.loads(Path(os.environ["LOAD_SUMMARY"]).read_text())["rawDays"])) + DAY
    else:
        newest = db.usage.find({"timestamp": {"$gte": 0}}, {"timestamp": 1}).sort([("timestamp", -1)]).limit(1)
        end = (next(iter(newest))["timestamp"] // DAY + 1) * DAY
    stored = db.usage.estimated_document_count()
    print(f"existing database {database}: {stored:,} records (seeding not timed in this run)")
else:
    end = (int(time.time() * 1000) // DAY) * DAY
    # The seed's own timeouts: building one index over the month takes minutes on SecantusDB.
    seed_env = {k: v for k, v in env.items() if k not in ("MONGODB_SOCKET_TIMEOUT_MS", "USAGE_OPERATION_TIMEOUT_MS")}
    started = time.monotonic()
    seed = subprocess.run([bin_dir / "switchyard-seed", "month", "--days", str(days), "--requests", str(n_requests),
                           "--end", str(end), "--seed", "11", "--batch", "5000", "--bulk"], env=seed_env, cwd=REPO,
                          capture_output=True, text=True)
    seconds = time.monotonic() - started
    if seed.returncode != 0:
        sys.exit(f"seeding failed: {seed.stderr[-2000:]}")
    summary = json.loads(seed.stdout.strip().splitlines()[-1])
    db = pymongo.MongoClient(uri)[database]
    stored = db.usage.count_documents({})
    if stored != summary["records"]:
        sys.exit(f"seeding stored {stored} records, sent {summary['records']}")
    print(f"seeded {stored:,} records ({n_requests:,} requests over {days} days) in {seconds:.0f} s "
          f"({stored / seconds:,.0f} records/s; bulk path: raw inserts, {summary['buckets']:,} buckets written once, "
          f"then the indexes built in {summary.get('indexBuildSeconds', 0):,.0f} s)")
frm, to = end - days * DAY, end

# MARK: - Reference: the month's totals by $group over raw records
# ONLY_WHATIF=1: measure the what-if alone (no reference $group, endpoints or render).
only_whatif = bool(os.environ.get("ONLY_WHATIF"))
# LOAD_SUMMARY: secantus_load.py's answer, whose per-day sums of the raw documents (taken as they
# went in) replace the $group, which takes minutes over a million records on SecantusDB.
started = time.monotonic()
if only_whatif:
    raw = []
elif os.environ.get("LOAD_SUMMARY"):
    loaded_days = json.loads(Path(os.environ["LOAD_SUMMARY"]).read_text())["rawDays"]
    month_days = [v for k, v in loaded_days.items() if frm <= int(k) < to]
    raw = [{"n": sum(v[0] for v in month_days), "cost": sum(v[1] for v in month_days)}]
    print("reference: the raw documents' sums per day, taken by secantus_load.py as they went in")
else:
    raw = list(db.usage.aggregate([
        {"$match": {"timestamp": {"$gte": frm, "$lt": to}}},
        {"$group": {"_id": None, "n": {"$sum": 1}, "cost": {"$sum": "$cost.totalPicoUSD"}}}]))
    print(f"reference: $group over the raw records of the month: {(time.monotonic() - started) * 1000:,.0f} ms")

# MARK: - Endpoints
port = free_port()
url = f"http://127.0.0.1:{port}"
server = ManagedProcess([bin_dir / "switchyard-dashboard", "--port", str(port), "--dist",
                         str(REPO / "dashboard" / "dist")], name="bench-dashboard", health_url=f"{url}/api/health",
                        env=env, cwd=REPO, timeout=120)
server.start()


def following(call):
    """Calls until the answer is not 503 Dashboard.Warming (a cold range read across calls, each
    keeping what it read), at most 60 times: (last response, calls, ms in all, progress seen)."""
    t = time.monotonic()
    progress = []
    for n in range(1, 61):
        response = call()
        if response.status_code != 503 or response.json().get("errorType") != "Dashboard.Warming":
            break
        progress.append(f"{response.json()['done']}/{response.json()['total']}")
    return response, n, (time.monotonic() - t) * 1000, progress


try:
    if not only_whatif:
        first, calls, ms, progress = following(
            lambda: requests.get(f"{url}/api/summary", params={"from": frm, "to": to}, timeout=120))
        print(f"month summary, cold: {first.status_code} after {calls} calls, {ms:,.0f} ms in all "
              f"(progress {', '.join(progress) or '-'}; load average {os.getloadavg()[0]:.1f})")
        summary_answer = first.json()
        if summary_answer["volume"]["totals"]["calls"] != raw[0]["n"] or summary_answer["cost"]["total"]["picoUSD"] \
                != raw[0]["cost"]:
            sys.exit(f"rollups disagree with the raw records: {summary_answer['volume']['totals']} vs {raw}")
        print(f"rollups agree with the raw records: {raw[0]['n']:,} records, cost {raw[0]['cost']} pico-USD")
        activity = requests.get(f"{url}/api/activity", params={"from": frm, "to": to, "limit": 50}, timeout=60).json()
        some_request = activity["entries"][0]["requestId"]
        month = {"from": frm, "to": to}
        day = {"from": to - DAY, "to": to}

        def nonempty(key):
            return lambda body: bool(body.get(key))

        endpoints = [
            ("summary (month)", "/api/summary", month, lambda b: b["volume"]["totals"]["calls"] == raw[0]["n"]),
            ("summary (24 h, minutes)", "/api/summary", {**day, "bucket": "minute"},
             lambda b: len(b["volume"]["points"]) == 1440),
            ("volume (month, hours)", "/api/volume", {**month, "bucket": "hour"},
             lambda b: len(b["points"]) == days * 24),
            ("latency by backend", "/api/latency", month, nonempty("groups")),
            ("latency by model", "/api/latency", {**month, "by": "model"}, nonempty("groups")),
            ("cost by tenant", "/api/cost", {**month, "by": "tenant"}, nonempty("groups")),
            ("models", "/api/models", month, nonempty("models")),
            ("errors", "/api/errors", month, nonempty("types")),
            ("summary (month, one tenant)", "/api/summary", {**month, "tenant": "initech"},
             lambda b: b["volume"]["totals"]["calls"] > 0),
            ("activity (page 1)", "/api/activity", {**month, "limit": 50}, lambda b: len(b["entries"]) == 50),
            ("activity (one tenant, failed)", "/api/activity", {**month, "tenant": "initech", "status": "failed"},
             nonempty("entries")),
            ("activity (failed, all tenants)", "/api/activity", {**month, "status": "failed"}, nonempty("entries")),
            ("activity (tier pro, failed)", "/api/activity", {**month, "tier": "pro", "status": "failed"},
             nonempty("entries")),
            ("activity (one tenant, one model)", "/api/activity",
             {**month, "tenant": "initech", "model": "gpt-4o-mini"}, lambda b: "entries" in b),
            ("request drill-down", f"/api/requests/{some_request}", {}, nonempty("steps")),
            ("dimensions", "/api/dimensions", month, nonempty("tenants")),
        ]
        print(f"\nload average {os.getloadavg()[0]:.1f} (1 min)")
        print(f"\n{'endpoint':32} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8}   (first call, then {repeat} calls)")
        for name, path, params, valid in endpoints:
            times = []
            failures = 0
            cold = None
            for i in range(repeat + 1):
                t = time.monotonic()
                response = requests.get(url + path, params=params, timeout=120)
                elapsed = time.monotonic() - t
                if i == 0 and response.status_code == 503 and response.json().get("errorType") == "Dashboard.Warming":
                    response, calls, ms, _ = following(lambda: requests.get(url + path, params=params, timeout=120))
                    elapsed += ms / 1000
                    print(f"   {name}: cold over {calls + 1} calls (Dashboard.Warming)")
                if response.status_code != 200 or not valid(response.json()):
                    failures += 1
                    print(f"   {name}: bad answer {response.status_code} {response.text[:200]}")
                    continue
                if i == 0:
                    cold = elapsed * 1000
                else:
                    times.append(elapsed * 1000)
            if failures or not times:
                print(f"{name:32} FAILED ({failures} bad answers)")
                continue
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(f"{name:32} {cold:8.0f} {statistics.median(times):8.1f} {p95:8.1f}")

    # MARK: - What-if: a day, a week, the month
    print(f"\nload average {os.getloadavg()[0]:.1f} (1 min)")
    # WHATIF_EDIT: another policy edit (JSON), e.g. one that sends basic tenants to their budgets.
    edit_policy = json.loads(os.environ.get("WHATIF_EDIT", '{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}}}'))
    print(f"what-if edit: {json.dumps(edit_policy)}")

    def whatif(base, span):
        t = time.monotonic()
        response = requests.post(f"{base}/api/whatif", json={"from": to - span, "to": to, "policy": edit_policy},
                                 timeout=660)
        return response, (time.monotonic() - t) * 1000

    # The reference: every call replayed from raw records (no day counts as settled), 60 s allowed.
    ref_port = free_port()
    ref_url = f"http://127.0.0.1:{ref_port}"
    reference_server = ManagedProcess(
        [bin_dir / "switchyard-dashboard", "--port", str(ref_port), "--dist", str(REPO / "dashboard" / "dist")],
        name="bench-dashboard-raw", health_url=f"{ref_url}/api/health",
        env={**env, "DASHBOARD_WHATIF_SETTLE_MS": str(400 * DAY),
             "DASHBOARD_TIMEOUT_MS": os.environ.get("REFERENCE_TIMEOUT_MS", "60000")}, cwd=REPO,
        timeout=120)
    reference_server.start()
    try:
        references = {}
        # REFERENCE_SPANS (e.g. "a day"): replay only those raw (the month raw is minutes at 1M records).
        wanted = os.environ.get("REFERENCE_SPANS")
        for label, span in [("a day", DAY), ("a week", 7 * DAY), ("the month", days * DAY)]:
            if wanted and label not in wanted.split(","):
                print(f"what-if over {label}, raw replay: not run (REFERENCE_SPANS)")
                continue
            response, ms = whatif(ref_url, span)
            if response.status_code != 200:
                print(f"what-if over {label}, raw replay: FAILED after {ms:,.0f} ms: {response.status_code} "
                      f"{response.text[:200]}")
                continue
            body = response.json()
            references[label] = body
            print(f"what-if over {label}, raw replay (reference, "
                  f"{int(os.environ.get('REFERENCE_TIMEOUT_MS', '60000')) // 1000} s allowed): {ms:,.0f} ms; "
                  f"{body['callsRead']:,} calls, {body['totals']['changed']:,} moved, "
                  f"difference {body['totals']['difference']['usd']} USD")
    finally:
        reference_server.stop()
    print(f"load average {os.getloadavg()[0]:.1f} (1 min)")
    for label, span in [("a day", DAY), ("a week", 7 * DAY), ("the month", days * DAY)]:
        # Cold: settled days replayed from records and their summaries stored (a run the 25 s
        # deadline stops keeps what it stored; the next continues), then warm runs from summaries.
        # A 503 Dashboard.Warming says how many tenant-days are summarised so far; the app calls again.
        cold = []
        for attempt in range(int(os.environ.get("COLD_ATTEMPTS", "30"))):
            response, ms = whatif(url, span)
            cold.append((response.status_code, ms))
            if response.status_code == 200 or response.json().get("errorType") != "Dashboard.Warming":
                break
        warm = []
        body = None
        for i in range(int(os.environ.get("WARM_RUNS", "5"))):
            response, ms = whatif(url, span)
            if response.status_code != 200:
                print(f"what-if over {label}: FAILED after {ms:,.0f} ms: {response.status_code} {response.text[:200]}")
                break
            body = response.json()
            warm.append(ms)
        if not body or not warm:
            continue
        agree = label in references and comparable(body) == comparable(references[label])
        warm.sort()
        print(f"what-if over {label}: cold runs {', '.join(f'{c} in {m:,.0f} ms' for c, m in cold)} "
              f"({sum(m for _, m in cold):,.0f} ms in all); "
              f"from summaries p50 {statistics.median(warm):,.0f} ms, max {warm[-1]:,.0f} ms; "
              f"{body['callsRead']:,} calls, {body.get('summaryCalls', 0):,} from summaries' groups, "
              f"{body.get('logCalls', 0):,} from their call logs, "
              f"tenant-days from records: {body.get('recordTenantDays') or 'none'}, "
              f"{body['totals']['changed']:,} moved, difference {body['totals']['difference']['usd']} USD; "
              f"rounding bound {body.get('roundingBoundPicoUSD', 0)} pico-USD; "
              f"{'equals' if agree else 'DIFFERS FROM' if label in references else 'not compared with'} the raw replay;"
              f" load average {os.getloadavg()[0]:.1f}")
    if os.environ.get("ONLY_WHATIF"):
        sys.exit(0)

    # MARK: - First render in Chromium
    try:
        from browser_fixtures import chromium_driver, panel_states
        import pytest  # noqa: F401  (browser_fixtures skips through pytest when Chromium is missing)
        driver = chromium_driver(1440, 2700)
    except BaseException as error:  # pytest.skip raises a BaseException subclass
        print(f"first render: not measured ({error})")
    else:
        renders = []
        try:
            for _ in range(5):
                driver.get("about:blank")
                t = time.monotonic()
                driver.get(f"{url}/?from={frm}&to={to}")
                while time.monotonic() - t < 60:
                    states = panel_states(driver)
                    if states and all(s in ("ready", "empty") for s in states.values()) and \
                            states.get("volume") == "ready" and states.get("activity") == "ready":
                        renders.append(time.monotonic() - t)
                        break
                    time.sleep(0.02)
                else:
                    print(f"first render: panels not ready after 60 s: {states}")
            # The README's picture: the seeded month, every panel with data, a what-if run.
            from selenium.webdriver.support.ui import Select
            Select(driver.find_element("css selector", "select[data-whatif=tier]")).select_by_value("enterprise")
            time.sleep(0.3)
            Select(driver.find_element("css selector", "select[data-whatif=strategy]")).select_by_value("cheapest")
            driver.find_element("css selector", "button[data-action=whatif]").click()
            t = time.monotonic()
            while not driver.find_elements("css selector", "[data-whatif-result=ready]") and time.monotonic() - t < 120:
                time.sleep(0.1)
            # SCREENSHOT: where it goes (docs/dashboard-1m.png for the million-record month).
            shot = os.environ.get("SCREENSHOT", "docs/dashboard.png")
            state = driver.find_elements("css selector", "[data-whatif-result=ready]")
            driver.save_screenshot(str(REPO / shot))
            print(f"screenshot: {shot} (what-if {'ready' if state else 'NOT ready'})")
        finally:
            driver.quit()
        if renders:
            print(f"first render with data (month, every panel ready): median {statistics.median(renders) * 1000:,.0f}"
                  f" ms of {len(renders)} loads (min {min(renders) * 1000:,.0f} ms)")
finally:
    server.stop()
