"""The dashboard's metrics API against the real usage store: records go in through the Swift sink
(priced, rolled up per minute, hour and day), the API is the real `switchyard-dashboard` server, and
every figure is checked against the same raw records aggregated here in Python."""
from __future__ import annotations

import json
import sys
import uuid

import pytest

from dashboard_fixtures import (BASE_DAY, DAY, HOUR, MINUTE, MONTH_WHATIF_FROM, MONTH_WHATIF_TO, WHATIF_DAY,
                                WHATIF_EDIT, DashboardServer, ensure_built_dashboard, expected_whatif,
                                fixture_records, import_records, month_whatif_records, nearest_rank, reference,
                                stored_records, whatif_records)
from mongo_fixtures import mongo  # noqa: F401  (fixture)
from servers import REPO

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from whatif_answer import comparable  # noqa: E402


# 23:30 on day 0 to 01:15 on day 2: minute, hour and day rollups all take part.
FROM = BASE_DAY + 23 * HOUR + 30 * MINUTE
TO = BASE_DAY + 2 * DAY + HOUR + 15 * MINUTE
RELATIVE_ERROR = 0.01


@pytest.fixture(scope="module")
def seeded(mongo, tmp_path_factory):  # noqa: F811
    database = f"dash_api_{uuid.uuid4().hex[:8]}"
    summary = import_records(mongo.uri, database, fixture_records() + whatif_records() + month_whatif_records(),
                             tmp_path_factory.mktemp("records"))
    assert summary["inserted"] == summary["records"] > 1000, summary
    with mongo.client() as client:
        records = stored_records(client[database])
    ensure_built_dashboard()
    with DashboardServer(mongo.uri, database) as server:
        server.database = database
        yield server, records


def test_volume_series_matches_raw_records(seeded):
    server, records = seeded
    for bucket, ms in [("hour", HOUR), ("day", DAY)]:
        answer = server.get("/api/volume", **{"from": FROM, "to": TO, "bucket": bucket}).json()
        expected = reference(records, FROM, TO, ms)["volume"]
        got = {p["start"]: [p["requests"], p["calls"], p["errors"]] for p in answer["points"] if p["calls"]}
        # Buckets are aligned to the bucket size; the first one starts before FROM.
        assert got == {k: v for k, v in expected.items()}, bucket
        assert answer["totals"]["calls"] == sum(v[1] for v in expected.values())
    minutes = server.get("/api/volume", **{"from": FROM, "to": FROM + 3 * HOUR, "bucket": "minute"}).json()
    assert len(minutes["points"]) == 180
    expected = reference(records, FROM, FROM + 3 * HOUR, MINUTE)["volume"]
    assert {p["start"]: p["calls"] for p in minutes["points"] if p["calls"]} == {k: v[1] for k, v in expected.items()}


@pytest.mark.parametrize("cost_by", ["model", "tenant", "backend"])
def test_cost_breakdown_matches_raw_records(seeded, cost_by):
    server, records = seeded
    answer = server.get("/api/cost", **{"from": FROM, "to": TO, "by": cost_by}).json()
    ref = reference(records, FROM, TO, DAY, cost_by=cost_by)
    assert {g["key"]: g["total"]["picoUSD"] for g in answer["groups"]} == ref["cost"]
    assert answer["total"]["picoUSD"] == sum(ref["cost"].values())
    for series in answer["series"]:
        for day, money in zip(answer["days"], series["points"]):
            assert money["picoUSD"] == ref["costDay"].get((series["key"], day), 0)


@pytest.mark.parametrize("by", ["backend", "model"])
def test_latency_percentiles_within_the_stated_error(seeded, by):
    server, records = seeded
    answer = server.get("/api/latency", **{"from": FROM, "to": TO, "by": by}).json()
    assert answer["relativeError"] <= RELATIVE_ERROR
    ref = reference(records, FROM, TO, DAY)["latency" if by == "backend" else "latencyModel"]
    assert {g["key"] for g in answer["groups"]} == set(ref)
    for group in answer["groups"]:
        values = ref[group["key"]]
        assert group["count"] == len(values)
        for q, field in [(0.5, "p50Ms"), (0.9, "p90Ms"), (0.99, "p99Ms")]:
            exact = nearest_rank(values, q)
            assert abs(group[field] - exact) <= exact * answer["relativeError"] + 1e-9, (group["key"], q)
        assert group["meanMs"] == pytest.approx(sum(values) / len(values))


def test_model_share_and_errors_match_raw_records(seeded):
    server, records = seeded
    ref = reference(records, FROM, TO, DAY)
    models = server.get("/api/models", **{"from": FROM, "to": TO}).json()
    assert models["totalCalls"] == ref["calls"]
    assert {m["model"]: m["calls"] for m in models["models"]} == ref["models"]
    assert sum(m["share"] for m in models["models"]) == pytest.approx(1)
    errors = server.get("/api/errors", **{"from": FROM, "to": TO}).json()
    assert errors["failed"] == ref["failed"]
    assert {e["errorType"]: e["count"] for e in errors["types"]} == ref["errors"]
    assert errors["errorRate"] == pytest.approx(ref["failed"] / ref["calls"])


@pytest.mark.parametrize("tenant,tier", [("lexcorp-legal", None), (None, "pro"), ("initech", "enterprise")])
def test_tenant_and_tier_filters(seeded, tenant, tier):
    server, records = seeded
    params = {"from": FROM, "to": TO, "bucket": "day"}
    if tenant:
        params["tenant"] = tenant
    if tier:
        params["tier"] = tier
    summary = server.get("/api/summary", **params).json()
    ref = reference(records, FROM, TO, DAY, tenant=tenant, tier=tier)
    assert summary["volume"]["totals"]["calls"] == len(ref["records"])
    assert summary["cost"]["total"]["picoUSD"] == sum(ref["cost"].values())
    assert summary["models"]["totalCalls"] == ref["calls"]
    everything = server.get("/api/summary", **{"from": FROM, "to": TO, "bucket": "day"}).json()
    assert summary["volume"]["totals"]["calls"] < everything["volume"]["totals"]["calls"]


def test_recent_activity_pages_through_raw_records_newest_first(seeded):
    server, records = seeded
    frm, to = BASE_DAY + DAY, BASE_DAY + DAY + 6 * HOUR
    expected = sorted((r for r in records if frm <= r["timestamp"] < to and r["tenant"] == "initech"),
                      key=lambda r: (r["timestamp"], f"{r['requestId']}\x1f{r['step']}\x1f{r['invocationId']}"
                                                      f"\x1f{r['attempt']}"), reverse=True)
    seen, cursor = [], None
    while True:
        params = {"from": frm, "to": to, "tenant": "initech", "limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = server.get("/api/activity", **params).json()
        seen += [(e["requestId"], e["step"], e["attempt"]) for e in page["entries"]]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert seen == [(r["requestId"], r["step"], r["attempt"]) for r in expected]
    failed = server.get("/api/activity", **{"from": FROM, "to": TO, "status": "failed", "limit": 500}).json()
    assert failed["entries"] and all(e["status"] == "failed" for e in failed["entries"])


def test_filtered_activity_reads_raw_records_through_a_compound_index(seeded, mongo):  # noqa: F811
    """Every query the activity list sends pins exactly one index's equality fields and a time range,
    so the server walks only matching index entries: the store's profiler records the queries the
    API really sent, and `explain` shows each as an IXSCAN of an index keyed by exactly its
    equalities, then time. The answers are the raw records, newest first."""
    server, records = seeded
    cases = [{"tenant": "initech", "status": "failed"}, {"status": "failed"}, {"tier": "pro", "status": "failed"},
             {"tenant": "initech", "model": "gpt-4o-mini"}, {"tenant": "initech"}, {},
             {"tenant": "initech", "tier": "enterprise", "status": "failed", "model": "gpt-4o-mini"}]
    with mongo.client() as client:
        db = client[server.database]
        db.command("profile", 2)
        try:
            answers = [server.get("/api/activity", **{"from": FROM, "to": TO, "limit": 500, **case}).json()
                       for case in cases]
        finally:
            db.command("profile", 0)
        finds = [e["command"]["filter"] for e in db.system.profile.find({"ns": f"{server.database}.usage"})
                 if "find" in e["command"]]
        db.system.profile.drop()
        assert len(finds) >= len(cases)
        pinned_sets = set()
        for query in finds:
            pinned = tuple(sorted(k for k in query if k != "timestamp"))
            pinned_sets.add(pinned)
            plan = db.command("explain", {"find": "usage", "filter": query})["queryPlanner"]["winningPlan"]
            scan = plan.get("inputStage", plan)
            assert scan["stage"] == "IXSCAN", (query, plan)
            key = list(scan["keyPattern"])
            assert key[-1] == "timestamp" and tuple(sorted(key[:-1])) == pinned, (query, key)
    # The rare status is pinned with the tenant or tier, not left to a filter over the tenant's records.
    assert {("status", "tenant"), ("status",), ("status", "tier"), ("model", "tenant"), ("tenant",), ()} <= pinned_sets

    def key(r):
        return r["timestamp"], f"{r['requestId']}\x1f{r['step']}\x1f{r['invocationId']}\x1f{r['attempt']}"
    for case, answer in zip(cases, answers):
        expected = sorted((r for r in records if FROM <= r["timestamp"] < TO
                           and all(r.get(k) == v for k, v in case.items())), key=key, reverse=True)[:500]
        assert [(e["requestId"], e["step"], e["attempt"]) for e in answer["entries"]] == \
            [(r["requestId"], r["step"], r["attempt"]) for r in expected], case
    assert answers[0]["entries"], "the fixtures hold failed calls of initech"


def test_request_drill_down_lists_its_steps(seeded):
    server, records = seeded
    retried = next(r for r in records if r["step"] == "llm" and r["attempt"] == 1)
    steps = [r for r in records if r["requestId"] == retried["requestId"]]
    detail = server.get(f"/api/requests/{retried['requestId']}").json()
    assert sorted((s["step"], s["attempt"]) for s in detail["steps"]) == sorted((r["step"], r["attempt"]) for r in steps)
    assert detail["total"]["picoUSD"] == sum(r.get("cost", {}).get("totalPicoUSD", 0) for r in steps)
    assert server.get("/api/requests/no-such-request").status_code == 404


@pytest.mark.parametrize("path,params,error", [
    ("/api/summary", {"from": "yesterday"}, "Dashboard.InvalidParameter"),
    ("/api/summary", {"from": TO, "to": FROM}, "Dashboard.InvalidParameter"),
    ("/api/volume", {"from": 0, "to": 30 * DAY, "bucket": "minute"}, "Dashboard.TooManyPoints"),
    ("/api/latency", {"by": "region"}, "Dashboard.InvalidParameter"),
    ("/api/activity", {"limit": 100000}, "Dashboard.InvalidParameter"),
    ("/api/activity", {"cursor": "garbage!"}, "Dashboard.InvalidParameter"),
    ("/api/summary", {"tenant": "a\x01b"}, "Dashboard.InvalidParameter"),
])
def test_bad_parameters_are_typed_4xx(seeded, path, params, error):
    server, _ = seeded
    response = server.get(path, **params)
    assert response.status_code == 400
    assert response.json()["errorType"] == error


def test_admin_key_is_enforced(mongo):  # noqa: F811
    with DashboardServer(mongo.uri, "dash_admin", admin_key="k-123") as server:
        assert server.get("/api/summary").status_code == 401
        assert server.get("/api/health").status_code == 200
        ok = requests_get(server, "/api/summary", {"x-admin-key": "k-123"})
        assert ok.status_code == 200


def requests_get(server, path, headers):
    import requests
    return requests.get(server.url + path, headers=headers, timeout=30)


def test_whatif_policy_lists_what_may_be_edited(seeded):
    server, _ = seeded
    policy = server.get("/api/whatif/policy").json()
    assert policy["tiers"]["enterprise"]["defaultStrategy"] == "best"
    assert "enterprise-routine" in policy["rules"] and "gpt-4.1" in policy["models"]


def test_whatif_saving_matches_the_figure_worked_out_by_hand(seeded):
    server, _ = seeded
    answer = server.post("/api/whatif", {"from": WHATIF_DAY, "to": WHATIF_DAY + DAY, "policy": WHATIF_EDIT})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = expected_whatif()
    totals = body["totals"]
    assert (totals["calls"], totals["changed"], totals["rejected"]) == (expected["calls"], expected["changed"], 0)
    assert totals["actual"]["picoUSD"] == expected["actual"]
    assert totals["whatIf"]["picoUSD"] == expected["whatIf"]
    assert totals["difference"]["picoUSD"] == expected["difference"] < 0
    assert body["changes"] == ["enterprise: default strategy best → cheapest"]
    groups = {(g["tenant"], g["category"]): g for g in body["groups"]}
    assert set(groups) == {("initech", "creative"), ("initech", "chat"), ("lexcorp-legal", "chat")}
    creative = groups[("initech", "creative")]
    assert creative["moves"] == [{"from": "claude-3-opus", "to": "gpt-4.1", "calls": 3}]
    # Catalog creative quality: claude-3-opus 0.94, gpt-4.1 0.89.
    assert creative["totals"]["actualQuality"] == pytest.approx(0.94)
    assert creative["totals"]["whatIfQuality"] == pytest.approx(0.89)
    assert body["totals"]["whatIfQuality"] < body["totals"]["actualQuality"]
    for key in [("initech", "chat"), ("lexcorp-legal", "chat")]:
        assert groups[key]["totals"]["changed"] == 0 and groups[key]["totals"]["difference"]["picoUSD"] == 0

    # No edit: the fixtures are what today's policy chooses, so nothing moves and nothing changes.
    same = server.post("/api/whatif", {"from": WHATIF_DAY, "to": WHATIF_DAY + DAY, "policy": {}}).json()
    assert same["totals"]["changed"] == 0 and same["totals"]["difference"]["picoUSD"] == 0


def test_whatif_over_a_month_reads_it_in_pages_and_matches_the_figure_worked_out_by_hand(seeded, mongo):  # noqa: F811
    """Thirty days of the hand-worked calls: the month's answer is thirty times the day's figure
    (worked out in expected_whatif), read a day at a time by default and, on a server whose pages
    hold at most 4 calls, in pages smaller than a day, with the same answer."""
    server, _ = seeded
    edit = {"from": MONTH_WHATIF_FROM, "to": MONTH_WHATIF_TO, "policy": WHATIF_EDIT}
    answer = server.post("/api/whatif", edit)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = expected_whatif(month_whatif_records())
    day = expected_whatif()
    assert expected["difference"] == 30 * day["difference"] < 0
    totals = body["totals"]
    assert (totals["calls"], totals["changed"], totals["rejected"]) == (expected["calls"], expected["changed"], 0)
    assert body["callsRead"] == expected["calls"] == 180
    assert (totals["actual"]["picoUSD"], totals["whatIf"]["picoUSD"], totals["difference"]["picoUSD"]) == \
        (expected["actual"], expected["whatIf"], expected["difference"])
    groups = {(g["tenant"], g["category"]): g for g in body["groups"]}
    assert groups[("initech", "creative")]["moves"] == [{"from": "claude-3-opus", "to": "gpt-4.1", "calls": 90}]
    # These fixture days lie ahead of the clock: they are not settled, so no summary is built or
    # used. A server that treats them as settled replays them from raw records once, storing each
    # tenant-day's summary, and the next run decides them from the summaries with the same answer
    # to the pico-dollar (the moved calls cost whole pico-dollars per token: pricing a group's sums
    # rounds nothing).
    assert body["summaryCalls"] == 0
    settled = {"DASHBOARD_WHATIF_SETTLE_MS": str(-200 * DAY)}
    with DashboardServer(mongo.uri, server.database, extra_env=settled) as ahead:
        cold = ahead.post("/api/whatif", edit)
        assert cold.status_code == 200, cold.text
        assert cold.json()["summaryCalls"] == 0
        with mongo.client() as client:
            stored = list(client[server.database]["usage_whatif_days"].find(
                {"day": {"$gte": MONTH_WHATIF_FROM, "$lt": MONTH_WHATIF_TO}}, {"_id": 0, "day": 1, "tenant": 1,
                                                                               "g": 1, "groups": 1, "log": 1}))
        tenants = {r["tenant"] for r in month_whatif_records()}
        assert len(stored) == 30 * len(tenants), stored[:3]
        # Groups are stored packed: one JSON string per tenant-day, not an array of documents.
        assert all(isinstance(r["g"], str) and "groups" not in r for r in stored), stored[:1]
        assert sum(g["calls"] for r in stored for g in json.loads(r["g"])) == 180
        # And its calls one by one, in time order (the call log, one string): 180 in all.
        assert all(isinstance(r["log"], str) for r in stored), stored[:1]
        assert sum(len(r["log"].split(" ")) for r in stored if r["log"]) == 180
        warm = ahead.post("/api/whatif", edit)
        assert warm.status_code == 200, warm.text
        warm = warm.json()
        assert warm["summaryCalls"] == 180
        assert comparable(warm) == comparable(body)
        assert comparable(cold.json()) == comparable(body)
    with DashboardServer(mongo.uri, server.database, extra_env={"DASHBOARD_WHATIF_PAGE_CALLS": "4"}) as small:
        paged = small.post("/api/whatif", edit)
        assert paged.status_code == 200, paged.text
        assert comparable(paged.json()) == comparable(body)




@pytest.mark.parametrize("policy,error", [
    ({"tiers": {"platinum": {"defaultStrategy": "cheapest"}}}, "Dashboard.InvalidPolicy"),
    ({"disableRules": ["no-such-rule"]}, "Dashboard.InvalidPolicy"),
    ({"tiers": {"pro": {"defaultStrategy": "cheapest-ish"}}}, "Dashboard.InvalidParameter"),
])
def test_bad_whatif_edits_are_typed_4xx(seeded, policy, error):
    server, _ = seeded
    answer = server.post("/api/whatif", {"from": WHATIF_DAY, "to": WHATIF_DAY + DAY, "policy": policy})
    assert answer.status_code == 400 and answer.json()["errorType"] == error


def test_a_bundle_that_does_not_validate_fails_only_the_whatif(seeded, mongo, tmp_path):  # noqa: F811
    """The routing bundle is read on the first what-if call, not at start (docs/packaging.md): a policy
    that does not parse leaves the server starting and its other pages answering, and every what-if call
    answering the same typed 500."""
    server, _ = seeded
    broken = tmp_path / "policy.json"
    broken.write_text('{"version": "broken", "tiers": ')
    with DashboardServer(mongo.uri, server.database, extra_env={"SWITCHYARD_POLICY": str(broken)}) as bad:
        params = {"from": str(FROM), "to": str(TO), "bucket": "day"}
        volume = bad.get("/api/volume", **params)
        assert volume.status_code == 200 and volume.json() == server.get("/api/volume", **params).json()
        for answer in (bad.get("/api/whatif/policy"), bad.get("/api/whatif/policy"),
                       bad.post("/api/whatif", {"from": WHATIF_DAY, "to": WHATIF_DAY + DAY, "policy": {}})):
            assert answer.status_code == 500, answer.text[:300]
            body = answer.json()
            assert body["errorType"] == "Dashboard.BundleUnavailable", body
            assert str(broken) in body["errorMessage"], body


def test_seed_month_bulk_load_leaves_the_store_as_the_write_path_does(mongo):  # noqa: F811
    """`switchyard-seed month --bulk` (inserts, buckets written once) against the write path
    (upserts, guarded increments) on the same generated month: raw records, minute/hour/day
    buckets and the ledger's month spend are identical (a missing field counts as 0), and so are
    the indexes."""
    from dashboard_fixtures import tool
    import os
    import subprocess

    end = BASE_DAY + 2 * DAY
    for database, extra in [("seed_bulk", ["--bulk"]), ("seed_write", [])]:
        env = {**os.environ, "MONGODB_URI": mongo.uri, "SWITCHYARD_DB": database}
        result = subprocess.run([tool("switchyard-seed"), "month", "--requests", "150", "--days", "2", "--end",
                                 str(end), "--seed", "5", "--batch", "250", *extra], env=env, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]

    def normalised(db, collection):
        # `b`, `at` and the loader's insert mark `lm` are bookkeeping, not figures.
        return {d["_id"]: {k: v for k, v in d.items() if k not in ("_id", "b", "at", "lm") and v != 0}
                for d in db[collection].find()}

    with mongo.client() as client:
        bulk, write = client["seed_bulk"], client["seed_write"]
        assert bulk.usage.count_documents({}) > 400
        for collection in ["usage", "usage_rollups_minute", "usage_rollups_hour", "usage_rollups_day",
                           "usage_budget_ledger"]:
            assert normalised(bulk, collection) == normalised(write, collection), collection
            # The bulk loader drops the indexes while it loads and builds them at the end: the same ones.
            assert bulk[collection].index_information() == write[collection].index_information(), collection


def test_the_dashboard_api_function_answers_api_gateway_events(seeded, mongo, tmp_path):  # noqa: F811
    """The `dashboard-api` bootstrap through the Lambda emulator: API Gateway proxy events in, the
    same answers as the local server out; bad parameters are 4xx responses, not function errors."""
    import base64
    import json

    from emulator_fixtures import start_emulator
    from servers import REPO

    server, _ = seeded
    emulator, process = start_emulator(REPO / "infra" / "local" / "functions.json",
                                       env={"MONGODB_URI": mongo.uri, "SWITCHYARD_DB": server.database})
    try:
        def call(method, path, params=None, body=None, encode=False):
            event = {"httpMethod": method, "path": path, "headers": {"Accept": "application/json"},
                     "queryStringParameters": params}
            if body is not None:
                text = json.dumps(body)
                event["body"] = base64.b64encode(text.encode()).decode() if encode else text
                event["isBase64Encoded"] = encode
            result = emulator.invoke("dashboard-api", event)
            assert result.status == 200 and not result.function_error, result.body[:500]
            return result.json

        params = {"from": str(FROM), "to": str(TO), "bucket": "day"}
        answer = call("GET", "/api/volume", params)
        assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"] == "application/json"
        assert json.loads(answer["body"]) == server.get("/api/volume", **params).json()
        bad = call("GET", "/api/latency", {"by": "region"})
        assert bad["statusCode"] == 400 and json.loads(bad["body"])["errorType"] == "Dashboard.InvalidParameter"
        whatif = call("POST", "/api/whatif", body={"from": WHATIF_DAY, "to": WHATIF_DAY + DAY, "policy": WHATIF_EDIT},
                      encode=True)
        assert whatif["statusCode"] == 200
        assert json.loads(whatif["body"])["totals"]["difference"]["picoUSD"] == expected_whatif()["difference"]
    finally:
        process.stop()
