import sys
from pathlib import Path

# Test helper modules (servers.py, *_fixtures.py) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


# Under SWITCHYARD_REQUIRE_SERVICES=1 (scripts/test, CI) a test that skips because something it
# needs is missing (a server that did not start, a tool that was not built) fails instead. Only
# skips whose reason starts with "pending:" (work waiting on another branch) stay skips.
import os  # noqa: E402

import pytest  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("SWITCHYARD_REQUIRE_SERVICES") != "1" or not report.skipped:
        return
    reason = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
    if reason.startswith("Skipped: pending:") or reason.startswith("pending:"):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped, but SWITCHYARD_REQUIRE_SERVICES=1 requires it to run: {reason}"
