"""The authorizer function's real bootstrap through the local Lambda emulator: a key written by the
key tool is turned into tenant, tier and the tier's usage-plan key; a missing, unknown or revoked key
fails with exactly `Unauthorized` (what API Gateway turns into a 401)."""
from __future__ import annotations

import json
import subprocess

import pytest

from emulator_fixtures import bin_dir, start_emulator

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/v1/chat/completions"
PLANS = {"basic": "switchyard-basic-test", "pro": "switchyard-pro-test", "enterprise": "switchyard-enterprise-test"}


def keys(keys_file, *args) -> dict:
    out = subprocess.run([bin_dir() / "switchyard-keys", "--file", keys_file, "--json", *args],
                         capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def authorizer(tmp_path_factory):
    root = tmp_path_factory.mktemp("authorizer")
    keys_file = root / "keys.json"
    pro = keys(keys_file, "create", "--tenant", "lexcorp-legal", "--tier", "pro")
    revoked = keys(keys_file, "create", "--tenant", "lexcorp-legal", "--tier", "pro")
    keys(keys_file, "revoke", revoked["id"])
    config = {"functions": [{
        "name": "authorizer", "bootstrap": "${SWITCHYARD_BIN}/authorizer-function", "timeoutSeconds": 5,
        "memoryMB": 128, "maxConcurrency": 1,
        "environment": {"SWITCHYARD_KEYS_FILE": str(keys_file), "SWITCHYARD_USAGE_PLAN_KEYS": json.dumps(PLANS)}}]}
    emulator, process = start_emulator(config, tmp_path=root)
    try:
        yield emulator, pro, revoked
    finally:
        process.stop()


def test_a_key_becomes_tenant_tier_and_usage_plan_key(authorizer):
    emulator, pro, _ = authorizer
    result = emulator.invoke("authorizer", {"type": "REQUEST", "methodArn": ARN,
                                            "headers": {"Authorization": f"Bearer {pro['key']}"}})
    assert result.status == 200 and result.function_error is None, result.body
    answer = result.json
    assert answer["principalId"] == "lexcorp-legal"
    assert answer["usageIdentifierKey"] == "switchyard-pro-test"
    assert answer["context"] == {"tenant": "lexcorp-legal", "tier": "pro", "keyId": pro["id"],
                                 "requestsPerMinute": 600, "tokensPerMinute": 1000000}
    assert answer["policyDocument"]["Statement"] == [{
        "Action": "execute-api:Invoke", "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*"}]


@pytest.mark.parametrize("header", [None, "Basic x", "Bearer sk-sy-000000000000_" + "0" * 64, "revoked"])
def test_refusals_are_unauthorized(authorizer, header):
    emulator, _, revoked = authorizer
    headers = {} if header is None else {"authorization": f"Bearer {revoked['key']}" if header == "revoked" else header}
    result = emulator.invoke("authorizer", {"type": "REQUEST", "methodArn": ARN, "headers": headers})
    assert result.function_error, result.headers
    assert result.json["errorMessage"] == "Unauthorized"
    assert result.json["errorType"] == "FrontDoor.Unauthorized"
