"""`switchyard-server` without a key file reads its API keys from MongoDB's `keys` collection, the
store the authorizer reads on AWS: a key created with `switchyard-keys --mongo` works with the
openai client, a revoked one is refused within the cache's TTL, and one never created is refused."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import openai
import pytest

from emulator_fixtures import bin_dir
from frontdoor_fixtures import server_environment, write_bundle
from llm_fixtures import FAKE
from mongo_fixtures import MongoServer
from servers import ManagedProcess, free_port

TTL_MS = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (bin_dir() / "switchyard-server").exists():
        pytest.fail(f"switchyard-server is not built in {bin_dir()}")
    root = tmp_path_factory.mktemp("frontdoor-mongo-keys")
    fake_port = free_port()
    with ManagedProcess([sys.executable, FAKE, "--port", str(fake_port)], name="fake-providers",
                        health_url=f"http://127.0.0.1:{fake_port}/health"):
        mongo = MongoServer(root / "mongo")
        mongo.start()
        try:
            bundle = write_bundle(root / "bundle", f"http://127.0.0.1:{fake_port}")
            port = free_port()
            # One event loop: a key read that blocked it would stall every other connection.
            env = server_environment(bundle, root / "unused-keys.json", mongo.uri, root / "queue", port,
                                     SWITCHYARD_KEYS_TTL_MS=str(TTL_MS), SWITCHYARD_THREADS="1")
            del env["SWITCHYARD_KEYS_FILE"]
            with ManagedProcess([bin_dir() / "switchyard-server"], name="switchyard-server", env=env,
                                health_url=f"http://127.0.0.1:{port}/health", timeout=60):
                yield f"http://127.0.0.1:{port}", mongo
        finally:
            mongo.stop()


def keys(mongo: MongoServer, *args: str) -> dict:
    out = subprocess.run([bin_dir() / "switchyard-keys", "--mongo", mongo.uri, "--json", *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def client(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=url + "/v1", max_retries=0, timeout=30)


def test_a_key_created_in_mongodb_is_served_and_revoking_it_takes_effect_within_the_ttl(server):
    url, mongo = server
    created = keys(mongo, "create", "--tenant", "fd-chat", "--tier", "basic")
    assert mongo.client()["switchyard"]["keys"].find_one({"_id": created["id"]})["tenant"] == "fd-chat"
    wait_until_served(url, created["key"])
    answer = client(url, created["key"]).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], max_tokens=8)
    assert answer.choices[0].message.content
    assert [m.id for m in client(url, created["key"]).models.list()][0] == "auto"

    keys(mongo, "revoke", created["id"])
    deadline = time.monotonic() + TTL_MS / 1000 + 5
    while True:
        try:
            client(url, created["key"]).models.list()
        except openai.AuthenticationError as error:
            assert error.body["code"] == "api_key_revoked", error.body
            break
        assert time.monotonic() < deadline, "the revoked key was still accepted"
        time.sleep(0.05)


def test_a_key_that_was_never_created_is_refused(server):
    url, mongo = server
    made_up = keys(mongo, "create", "--tenant", "fd-chat", "--tier", "basic")["key"]
    # Same id, different secret: the stored hash does not match.
    tampered = made_up[:-4] + ("0000" if not made_up.endswith("0000") else "1111")
    with pytest.raises(openai.AuthenticationError) as refused:
        client(url, tampered).models.list()
    assert refused.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        client(url, "sk-sy-000000000000_" + "a" * 64).models.list()


def test_a_key_is_served_the_moment_it_is_created(server):
    """An unknown key id waits for a read of MongoDB that starts after the request came (at most one
    read per 100 ms): a key created and used at once is served, 20 times in a row (before, one created
    within 100 ms of the server's last read was refused: 2 runs in 9)."""
    url, mongo = server
    for i in range(20):
        created = keys(mongo, "create", "--tenant", "fd-chat", "--tier", "basic")
        status, seconds = timed_get(url + "/v1/models", created["key"])
        assert status == 200, f"key {i} was refused at once ({seconds:.3f} s)"


def wait_until_served(url: str, key: str) -> None:
    """A new key is served at once (the test above); this waits anyway where a test is about something
    else, so that a failure there names its own cause."""
    deadline = time.monotonic() + 10
    while timed_get(url + "/v1/models", key)[0] != 200:
        assert time.monotonic() < deadline, "a newly created key was not served within 10 s"
        time.sleep(0.1)


def timed_get(url: str, key: str | None = None) -> tuple[int, float]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def test_a_key_store_that_does_not_answer_stalls_no_other_connection(server):
    """MongoDB stopped (SIGSTOP: connections hang, as with a slow store) while one request waits for a
    key read (an unknown key id looks again) and the cached keys have expired: the server, on one
    event loop, still answers other connections at once, from the keys it has."""
    url, mongo = server
    created = keys(mongo, "create", "--tenant", "fd-chat", "--tier", "basic")
    wait_until_served(url, created["key"])
    group = mongo.process.pid
    os.killpg(group, signal.SIGSTOP)
    try:
        time.sleep(TTL_MS / 1000 + 0.1)  # the cached keys are now past their TTL
        unknown: list[tuple[int, float]] = []
        waiting = threading.Thread(
            target=lambda: unknown.append(timed_get(url + "/v1/models", "sk-sy-0000000000aa_" + "b" * 64)))
        waiting.start()
        time.sleep(0.2)
        others = [timed_get(url + "/health") for _ in range(5)]
        others += [timed_get(url + "/v1/models", created["key"]) for _ in range(5)]
        assert all(status == 200 for status, _ in others), others
        slowest = max(seconds for _, seconds in others)
        # A blocked event loop holds them for the key read's 2 s (1.96 s measured before the fix);
        # 1.5 s leaves a loaded CI machine room without letting that through.
        assert slowest < 1.5, f"other connections waited {slowest:.2f} s for the key store"
        waiting.join(timeout=30)
        assert not waiting.is_alive()
        # The key read gave up (2 s) and the unknown key was refused with the keys the server had.
        assert unknown and unknown[0][0] == 401, unknown
    finally:
        os.killpg(group, signal.SIGCONT)
    # MongoDB answers again: a key created now is served.
    fresh = keys(mongo, "create", "--tenant", "fd-chat", "--tier", "basic")
    wait_until_served(url, fresh["key"])
