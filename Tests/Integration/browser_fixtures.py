"""Headless Chromium through selenium, with Debian's chromedriver (never a downloaded one)."""
from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def chromium_driver(width: int = 1440, height: int = 2200):
    """A headless Chromium session that records the page's console."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium missing: scripts/setup installs requirements.txt")
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.skip("chromium and chromium-driver missing: scripts/setup installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


CHART_DATA = """
return Object.fromEntries(Object.entries(window.dashboardCharts || {}).map(([name, chart]) => [name, {
  labels: chart.data.labels,
  datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data}))
}]));
"""


def panel_states(driver) -> dict:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-panel]')]"
        ".map(p => [p.dataset.panel, p.dataset.state]));")


def console_errors(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
