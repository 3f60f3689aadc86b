"""The authorizer with its keys in MongoDB (collection `keys`), as deployed: the key tool writes keys with
`--mongo`, the real authorizer bootstrap under the emulator reads them (cached for a short TTL) and turns a
bearer key into tenant, tier and the tier's usage-plan key. Valid, revoked, rotated, unknown and tampered
keys; a key created after the authorizer started; MongoDB holds only hashes.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time

import pytest

from emulator_fixtures import bin_dir, start_emulator
from mongo_fixtures import MongoServer

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/POST/v1/chat/completions"
PLANS = {"basic": "plan-basic", "pro": "plan-pro", "enterprise": "plan-enterprise"}
TTL_MS = 300


class Keys:
    def __init__(self, uri: str):
        self.uri = uri

    def __call__(self, *args) -> dict:
        out = subprocess.run([bin_dir() / "switchyard-keys", "--mongo", self.uri, "--json", *args],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("authorizer-mongo")
    mongo = MongoServer(root / "db").start()
    try:
        keys = Keys(mongo.uri)
        pro = keys("create", "--tenant", "lexcorp-legal", "--tier", "pro")
        config = {"functions": [{
            "name": "authorizer", "bootstrap": "${SWITCHYARD_BIN}/authorizer-function", "timeoutSeconds": 5,
            "memoryMB": 128, "maxConcurrency": 1,
            "environment": {"MONGODB_URI": mongo.uri, "SWITCHYARD_KEYS_TTL_MS": str(TTL_MS),
                            "SWITCHYARD_USAGE_PLAN_KEYS": json.dumps(PLANS)}}]}
        emulator, process = start_emulator(config, tmp_path=root)
        try:
            yield emulator, keys, mongo, pro
        finally:
            process.stop()
    finally:
        mongo.stop()


def authorize(emulator, key: str | None):
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return emulator.invoke("authorizer", {"type": "REQUEST", "methodArn": ARN, "headers": headers})


def assert_unauthorized(result):
    assert result.function_error, result.body
    assert result.json == {"errorType": "FrontDoor.Unauthorized", "errorMessage": "Unauthorized"} or (
        result.json["errorType"] == "FrontDoor.Unauthorized" and result.json["errorMessage"] == "Unauthorized")


def test_a_valid_key_from_mongodb(setup):
    emulator, _, _, pro = setup
    result = authorize(emulator, pro["key"])
    assert result.function_error is None, result.body
    answer = result.json
    assert answer["principalId"] == "lexcorp-legal" and answer["usageIdentifierKey"] == "plan-pro"
    assert answer["context"]["tenant"] == "lexcorp-legal" and answer["context"]["keyId"] == pro["id"]


def test_mongodb_holds_only_the_hash(setup):
    _, _, mongo, pro = setup
    document = mongo.client()["switchyard"]["keys"].find_one({"_id": pro["id"]})
    assert document["hash"] == hashlib.sha256(pro["key"].encode()).hexdigest()
    assert pro["key"] not in json.dumps(document, default=str)


def test_unknown_and_tampered_keys_are_unauthorized(setup):
    emulator, _, _, pro = setup
    assert_unauthorized(authorize(emulator, None))
    assert_unauthorized(authorize(emulator, "sk-sy-000000000000_" + "0" * 64))
    # The right id with another secret: found by id, refused by the constant-time hash comparison.
    tampered = pro["key"][:-1] + ("0" if pro["key"][-1] != "0" else "1")
    assert_unauthorized(authorize(emulator, tampered))
    assert authorize(emulator, pro["key"]).function_error is None


def test_a_key_created_after_start_is_accepted_without_waiting_for_the_ttl(setup):
    emulator, keys, _, _ = setup
    fresh = keys("create", "--tenant", "acme-startup", "--tier", "basic")
    # An unknown key id makes the authorizer read MongoDB again (at most every 100 ms), not after the TTL.
    time.sleep(0.15)
    result = authorize(emulator, fresh["key"])
    assert result.function_error is None, result.body
    assert result.json["usageIdentifierKey"] == "plan-basic"


def test_revoked_and_rotated_keys_are_refused_within_the_ttl(setup):
    emulator, keys, _, _ = setup
    first = keys("create", "--tenant", "globex-health", "--tier", "pro")
    # As above: a new id is found on the next re-read, which comes at most every 100 ms.
    time.sleep(0.15)
    assert authorize(emulator, first["key"]).function_error is None
    rotated = keys("rotate", first["id"])
    time.sleep(TTL_MS / 1000 + 0.3)
    assert_unauthorized(authorize(emulator, first["key"]))
    assert authorize(emulator, rotated["key"]).json["context"]["tenant"] == "globex-health"
    keys("revoke", rotated["id"])
    time.sleep(TTL_MS / 1000 + 0.3)
    assert_unauthorized(authorize(emulator, rotated["key"]))
    listed = subprocess.run([bin_dir() / "switchyard-keys", "--mongo", keys.uri, "list"], capture_output=True,
                            text=True, timeout=30, check=True).stdout
    assert f"{rotated['id']}  revoked" in listed and f"{first['id']}  revoked" in listed
