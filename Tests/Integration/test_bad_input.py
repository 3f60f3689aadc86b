"""The bad-input corpus: hostile events replayed through the emulator against the real bootstrap
binaries (issue 12: no input can crash, stall or exfiltrate).

For each function with a corpus (`events/<function>/bad/`, described by its `expect.json`), every
hostile event, then every generic hostile document (hostile_documents.py), must get:

- the answer its expectation names, in bounded time: a typed function error (`errorType`), a
  structured failed outcome (`status: failed` with `error.errorType`), the Invoke API's own
  refusal (not JSON, over 6 MB), or for `echo` the bytes back unchanged;
- a warm environment: the function runs with one execution environment, and after each hostile
  event the same process (same pid) answers the function's good event;
- nothing written to the database: the usage store holds only the good event's records.

expect.json:
    {"function": "usage-logger", "pending": "…",          # optional: skip reason, names the branch
     "goodEvent": "events/usage-logger/gpt4o-brief-example.json",
     "boundSeconds": 5,
     "cases": {"negative-tokens.json": {"errorType": "Usage.NegativeCount"}, …},
     "generic": {"default": {"errorType": "Usage.InvalidRecord"}, "nesting-200": {…}, …}}
An expectation is {"errorType": T | [T, …]} (a function error), {"status": S | [S, …],
"errorType": …} (an outcome document; errorType checked when it failed), {"rejected": [T, …]} (a
router decision refusing the request), {"decision": true} (any decision), {"echo": true},
{"invokeError": "…"} (refused by the Invoke API), or {"oneOf": [expectation, …]}; any of them
may add "noEcho": [strings the answer must not contain]. Files ending in .gz are sent
decompressed (large events stay small in the repository). "setup" names what the function needs
(usage-logger: a database; llm-caller: the fake providers).
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import time
from pathlib import Path

import pytest

from emulator_fixtures import start_emulator
from hostile_documents import GENERIC
from mongo_fixtures import mongo  # noqa: F401 (fixture)
from servers import REPO, ManagedProcess, free_port

EVENTS = REPO / "events"
CORPORA = sorted(p.parent for p in EVENTS.glob("*/bad/expect.json"))


def load(corpus: Path) -> dict:
    return json.loads((corpus / "expect.json").read_text())


def children(pid: int) -> set[int]:
    """Pids of the processes whose parent is `pid` (the emulator's execution environments)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces and parentheses: split after the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def function_config(spec: dict, uri: str, database: str, fakes) -> dict:
    """The function's entry of infra/local/functions.json, with one environment and what its
    setup adds: a test database for the usage logger, the fake providers for the llm-caller."""
    name = spec["function"]
    entries = json.loads((REPO / "infra" / "local" / "functions.json").read_text())["functions"]
    entry = dict(next(f for f in entries if f["name"] == name))
    entry["maxConcurrency"] = 1
    environment = dict(entry.get("environment", {}))
    setup = spec.get("setup", name)
    if setup == "usage-logger":
        environment.update({"MONGODB_URI": uri, "SWITCHYARD_DB": database,
                            "USAGE_RATES_FILE": str(REPO / "infra" / "rates.json"), "USAGE_STORE_ATTEMPTS": "2",
                            "USAGE_STORE_BACKOFF_MS": "50", "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000"})
    elif setup == "llm-caller":
        for provider in ("OPENAI", "ANTHROPIC", "BEDROCK", "COMPATIBLE"):
            environment[f"LLM_{provider}_BASE_URL"] = fakes.start().url
    elif setup == "vision":
        # The production image policy (the local stack allows loopback for its own image server);
        # the bundle and the generated in-process model come from start_emulator's environment.
        environment.update({"IMAGE_ACCESS_ALLOW_HTTP": "false", "IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS": "false"})
    elif setup not in ("echo", "router"):
        raise AssertionError(f"no setup for {name} ({setup}): add one to test_bad_input.function_config")
    entry["environment"] = environment
    return {"functions": [entry]}


class LazyFakes:
    """The fake providers, started only for a corpus that needs them, stopped by pid at the end."""

    def __init__(self):
        self.process = None
        self.url = ""

    def start(self) -> "LazyFakes":
        if self.process is None:
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            self.process = ManagedProcess([sys.executable, REPO / "Tests" / "Fakes" / "fake_providers.py", "--port",
                                           str(port)], name="fake-providers", health_url=f"{self.url}/health")
            self.process.start()
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop()


def invoke(emulator, name: str, payload: bytes, timeout: float):
    """Invokes once, retrying throttles (429) for up to 5 s: with one environment the emulator,
    like Lambda, refuses a call that arrives before the previous one has released it, and Step
    Functions retries those (Lambda.TooManyRequestsException)."""
    deadline = time.monotonic() + 5
    while True:
        result = emulator.invoke(name, None, raw=payload, timeout=timeout)
        if result.status != 429 or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


def describe(result) -> str:
    body = result.body[:300].decode(errors="replace")
    return f"status {result.status}, function error {result.function_error}, body {body}"


def matches(expectation: dict, payload: bytes, result) -> bool:
    """True when `result` is what `expectation` names."""
    if "oneOf" in expectation:
        return any(matches(e, payload, result) for e in expectation["oneOf"])
    if any(secret.encode() in result.body for secret in expectation.get("noEcho", [])):
        return False  # the answer repeats something it must not (an address, a credential name)
    if "invokeError" in expectation:
        return result.status >= 400 and result.headers.get("x-amzn-errortype") == expectation["invokeError"]
    if expectation.get("echo"):
        return result.status == 200 and result.function_error is None and result.body == payload
    try:
        document = json.loads(result.body)
    except ValueError:
        return False
    if not isinstance(document, dict) or result.status != 200:
        return False

    def one_of(value, wanted) -> bool:
        return wanted is None or value in ([wanted] if isinstance(wanted, str) else wanted)

    if "rejected" in expectation:
        return (result.function_error is None and document.get("route") == "rejected"
                and one_of((document.get("rejection") or {}).get("errorType"), expectation["rejected"]))
    if expectation.get("decision"):
        return result.function_error is None and "route" in document
    if "status" in expectation:
        if result.function_error is not None or not one_of(document.get("status"), expectation["status"]):
            return False
        if document.get("status") != "failed":
            return True
        return one_of((document.get("error") or {}).get("errorType"), expectation.get("errorType"))
    return result.function_error == "Unhandled" and one_of(document.get("errorType"), expectation.get("errorType"))


def cases(corpus: Path, spec: dict) -> list[tuple[str, bytes, dict]]:
    """(name, payload, expectation) for the corpus files, then the generic documents."""
    def payload(name: str) -> bytes:
        raw = (corpus / name).read_bytes()
        return gzip.decompress(raw) if name.endswith(".gz") else raw  # large events travel compressed

    out = [(name, payload(name), expectation) for name, expectation in spec["cases"].items()]
    generic = spec.get("generic", {})
    for name, (payload, refusal) in GENERIC.items():
        reaches = generic.get(name, generic.get("default"))
        if refusal is None:
            expectation = reaches
        elif refusal.endswith("?"):
            expectation = {"oneOf": [{"invokeError": refusal[:-1]}, reaches]}
        else:
            expectation = {"invokeError": refusal}
        out.append((f"generic:{name}", payload, expectation))
    return out


def test_every_corpus_is_complete():
    """Each corpus lists every file it holds, holds every file it lists, and has at least 15."""
    assert {c.parent.name for c in CORPORA} >= {"echo", "usage-logger", "router", "llm-caller", "vision"}
    for corpus in CORPORA:
        spec = load(corpus)
        files = {p.name for p in corpus.iterdir() if p.name != "expect.json"}
        assert files == set(spec["cases"]), f"{corpus}: listed vs present differ: {files ^ set(spec['cases'])}"
        assert len(files) >= 15, f"{corpus}: {len(files)} hostile events, at least 15 wanted"
        assert (REPO / spec["goodEvent"]).exists(), spec["goodEvent"]
        assert "default" in spec.get("generic", {}), f"{corpus}: generic.default missing"


@pytest.mark.parametrize("corpus", CORPORA, ids=[c.parent.name for c in CORPORA])
def test_bad_input_corpus(corpus, mongo, tmp_path):
    spec = load(corpus)
    if spec.get("pending"):
        pytest.skip(f"pending: {spec['pending']}")
    name = spec["function"]
    database = f"bad_{name.replace('-', '_')}_{os.getpid()}"
    fakes = LazyFakes()
    emulator, process = start_emulator(function_config(spec, mongo.uri, database, fakes), tmp_path=tmp_path)
    try:
        good = (REPO / spec["goodEvent"]).read_bytes()
        first = invoke(emulator, name, good, timeout=30)
        assert first.status == 200 and first.function_error is None, f"good event failed: {describe(first)}"
        environments = children(process.pid)
        assert len(environments) == 1, f"expected one execution environment, found {environments}"
        bound = spec.get("boundSeconds", 5)
        failures = []
        for case, payload, expectation in cases(corpus, spec):
            started = time.monotonic()
            result = invoke(emulator, name, payload, timeout=bound + 30)
            elapsed = time.monotonic() - started
            if not matches(expectation, payload, result):
                failures.append(f"{case}: expected {expectation}, got {describe(result)}")
            if elapsed > bound:
                failures.append(f"{case}: answered after {elapsed:.1f} s (bound {bound} s)")
            after = invoke(emulator, name, good, timeout=30)
            if after.status != 200 or after.function_error is not None:
                failures.append(f"{case}: the good event then failed: {describe(after)}")
            now = children(process.pid)
            if now != environments:
                failures.append(f"{case}: environment changed from {environments} to {now} (a crash or a restart)")
                environments = now
        assert not failures, "\n".join(failures)
        if name == "usage-logger":
            good_records = json.loads(good).get("records") or [json.loads(good)]
            good_ids = {r["requestId"] for r in good_records}
            db = mongo.client()[database]
            stored = set(db.usage.distinct("requestId"))
            assert stored == good_ids, f"hostile events wrote records: {stored - good_ids}"
            assert db.usage.count_documents({}) == len(good_records)
            counted = sum(b.get("count", 0) for b in db.usage_rollups_minute.find())
            assert counted == len(good_records), f"rollups count {counted} records, {len(good_records)} are good"
    finally:
        process.stop()
        fakes.stop()
