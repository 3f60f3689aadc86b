"""The dashboard in a real browser: headless Chromium loads the built app from the local server,
against the real usage store with seeded records, and the test reads what Chart.js draws."""
from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
import uuid

from browser_fixtures import CHART_DATA, chromium_driver, console_errors, panel_states
from dashboard_fixtures import (BASE_DAY, DAY, REPO, WHATIF_DAY, DashboardServer, ensure_built_dashboard,
                                expected_whatif, fixture_records, import_records, reference, stored_records,
                                whatif_records)
from mongo_fixtures import mongo  # noqa: F401  (fixture)
from servers import RUN_DIR

FROM = BASE_DAY
TO = BASE_DAY + 3 * DAY
ARTIFACTS = RUN_DIR / "artifacts"


@pytest.fixture(scope="module")
def dashboard(mongo, tmp_path_factory):  # noqa: F811
    database = f"dash_browser_{uuid.uuid4().hex[:8]}"
    import_records(mongo.uri, database, fixture_records() + whatif_records(), tmp_path_factory.mktemp("records"))
    with mongo.client() as client:
        records = stored_records(client[database])
    ensure_built_dashboard()
    with DashboardServer(mongo.uri, database) as server:
        driver = chromium_driver()
        try:
            yield server, driver, records
        finally:
            driver.quit()


def wait_ready(driver, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    states = {}
    while time.monotonic() < deadline:
        states = panel_states(driver)
        if states and all(state in ("ready", "empty") for state in states.values()) and states.get("volume") == "ready":
            return states
        time.sleep(0.1)
    raise AssertionError(f"panels not ready: {states}")


def wait_for(driver, predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_every_chart_shows_the_seeded_data_and_a_tenant_filter_changes_it(dashboard):
    server, driver, records = dashboard
    started = time.monotonic()
    driver.get(f"{server.url}/?from={FROM}&to={TO}")
    states = wait_ready(driver)
    first_render = time.monotonic() - started
    assert states == {"volume": "ready", "latency": "ready", "cost": "ready", "models": "ready", "errors": "ready",
                      "activity": "ready", "whatif": "ready"}, states
    charts = driver.execute_script(CHART_DATA)
    assert set(charts) >= {"volume", "latency", "cost", "models", "errors"}

    ref = reference(records, FROM, TO, 3_600_000)
    volume = {d["label"]: d["data"] for d in charts["volume"]["datasets"]}
    assert sum(volume["calls"]) == len(ref["records"])
    assert sum(volume["requests"]) == sum(v[0] for v in ref["volume"].values())
    assert sum(volume["errors"]) == sum(v[2] for v in ref["volume"].values())
    # 3 days by the hour.
    assert len(charts["volume"]["labels"]) == 72

    models = dict(zip(charts["models"]["labels"], charts["models"]["datasets"][0]["data"]))
    assert models == ref["models"]
    errors = dict(zip(charts["errors"]["labels"], charts["errors"]["datasets"][0]["data"]))
    assert errors == ref["errors"]
    cost_total = sum(sum(d["data"]) for d in charts["cost"]["datasets"])
    assert cost_total == pytest.approx(sum(ref["cost"].values()) / 1e12, rel=1e-9)
    latency = charts["latency"]
    assert latency["labels"] == sorted(ref["latency"])
    assert [d["label"] for d in latency["datasets"]] == ["p50", "p90", "p99"]

    rows = driver.find_elements("css selector", "table[data-table=activity] tbody tr")
    assert len(rows) == 25
    updated = driver.find_element("css selector", "[data-updated]").text
    assert updated.startswith("last updated")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "dashboard-all-tenants.png"))
    if os.environ.get("DASHBOARD_DOCS_SCREENSHOT"):
        driver.save_screenshot(str(REPO / "docs" / "dashboard.png"))

    # Filter to one tenant: every chart narrows to its records.
    from selenium.webdriver.support.ui import Select
    Select(driver.find_element("css selector", "select[data-filter=tenant]")).select_by_value("initech")
    tenant_ref = reference(records, FROM, TO, 3_600_000, tenant="initech")

    def narrowed():
        data = driver.execute_script(CHART_DATA)
        calls = {d["label"]: d["data"] for d in data["volume"]["datasets"]}["calls"]
        return data if sum(calls) == len(tenant_ref["records"]) else None

    narrowed_charts = wait_for(driver, narrowed)
    assert dict(zip(narrowed_charts["models"]["labels"], narrowed_charts["models"]["datasets"][0]["data"])) \
        == tenant_ref["models"]
    # Read the rows in one script call: the table may re-render between two WebDriver calls.
    wait_for(driver, lambda: set(driver.execute_script(
        "return [...document.querySelectorAll('table[data-table=activity] tbody tr')]"
        ".map(r => r.querySelectorAll('td')[2].textContent)")) == {"initech"})

    # Drill-down: a click on a row lists that request's steps.
    wait_for(driver, lambda: driver.execute_script(
        "const r = document.querySelector('table[data-table=activity] tbody tr'); if (r) r.click(); return !!r;"))
    wait_for(driver, lambda: driver.find_elements("css selector", "[data-detail] table tbody tr"))
    driver.save_screenshot(str(ARTIFACTS / "dashboard-initech.png"))
    assert console_errors(driver) == []
    print(f"first render with data: {first_render * 1000:.0f} ms")


def test_empty_range_shows_empty_states(dashboard):
    server, driver, _ = dashboard
    driver.get(f"{server.url}/?from={BASE_DAY - 10 * DAY}&to={BASE_DAY - 9 * DAY}")
    wait_for(driver, lambda: (s := panel_states(driver)) and all(s.get(p) == "empty" for p in
                                                                ("volume", "cost", "activity", "models")))
    assert console_errors(driver) == []


def test_api_errors_show_an_error_state(dashboard):
    server, driver, _ = dashboard
    # A range the API refuses (to before from is fixed up by the page; a 400-year span is not).
    driver.get(f"{server.url}/?from=1000&to={BASE_DAY}")
    states = wait_for(driver, lambda: (s := panel_states(driver)) and s.get("volume") == "error" and s)
    assert "Dashboard.InvalidParameter" in driver.find_element("css selector", "#volume .state.error").text
    # The failed fetches themselves are logged by the browser as 400s; nothing else.
    others = [e for e in console_errors(driver) if "400" not in e["message"]]
    assert others == []


def test_the_whatif_view_shows_the_saving_of_a_policy_change(dashboard):
    server, driver, _ = dashboard
    from selenium.webdriver.support.ui import Select
    driver.get(f"{server.url}/?from={WHATIF_DAY}&to={WHATIF_DAY + DAY}")
    wait_for(driver, lambda: panel_states(driver).get("whatif") == "ready")
    Select(driver.find_element("css selector", "select[data-whatif=tier]")).select_by_value("enterprise")
    wait_for(driver, lambda: driver.find_element("css selector", "select[data-whatif=strategy]")
             .get_attribute("value") == "best")
    Select(driver.find_element("css selector", "select[data-whatif=strategy]")).select_by_value("cheapest")
    driver.find_element("css selector", "button[data-action=whatif]").click()
    wait_for(driver, lambda: driver.find_elements("css selector", "[data-whatif-result=ready]"))
    headline = driver.find_element("css selector", "[data-whatif-result] .headline")
    expected = expected_whatif()
    assert Decimal(headline.get_attribute("data-difference")) * 10**12 == expected["difference"]
    assert headline.text.startswith("Saving")
    rows = {row.get_attribute("data-group"): row for row in
            driver.find_elements("css selector", "table[data-table=whatif] tbody tr")}
    assert set(rows) == {"initech/creative", "initech/chat", "lexcorp-legal/chat"}
    assert console_errors(driver) == []
