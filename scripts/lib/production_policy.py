"""The AWS deployment's policy: infra/policy.json with infra/policy.production.json applied as a JSON
Merge Patch (RFC 7396: objects merge key by key, null removes a key, anything else replaces), so the
production file holds only what differs (today: the retrieval embedding model) and cannot drift from
the rest of the local policy. scripts/deploy uploads the result as the bundle's policy.json;
scripts/ingest --production and scripts/atlas-index read it too.

    python3 scripts/lib/production_policy.py [BASE PATCH] > policy.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "infra" / "policy.json"
PATCH = REPO / "infra" / "policy.production.json"


def merge_patch(target, patch):
    """RFC 7396 section 2."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def production_policy(base: Path = BASE, patch: Path = PATCH) -> dict:
    return merge_patch(json.loads(base.read_text()), json.loads(patch.read_text()))


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:3]] if len(sys.argv) >= 3 else [BASE, PATCH]
    json.dump(production_policy(*paths), sys.stdout, indent=2)
    sys.stdout.write("\n")
