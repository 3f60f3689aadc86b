"""The offline seed (`switchyard-seed month --dump` + `scripts/lib/secantus_load.py` into a storage
directory, then `secantusd-py` serving it) leaves the store exactly as the usage logger's write path
(`MongoUsageSink.write`: upserts, guarded bucket increments) leaves it for the same generated
records: every raw record, every minute, hour and day rollup, the ledger's month spend, and the
indexes. The loader's own index entries are checked against the engine's `create_index`, entry by
entry (`--verify`), and the loaded store answers an indexed query with an index scan."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from dashboard_fixtures import BASE_DAY, DAY, tool
from mongo_fixtures import MongoServer, mongo  # noqa: F401  (fixture)
from servers import REPO

SEED = ["month", "--requests", "650", "--days", "2", "--end", str(BASE_DAY + 2 * DAY), "--seed", "5"]


def normalised(db, collection):
    # `b` (batch claims) and `at` (a write time) are the write path's bookkeeping; a missing
    # counter and a 0 are the same figure (the bulk loader writes only what is non-zero).
    return {d["_id"]: {k: v for k, v in d.items() if k not in ("_id", "b", "at") and v != 0}
            for d in db[collection].find()}


def test_offline_load_leaves_the_store_as_the_usage_write_path_does(mongo, tmp_path):  # noqa: F811
    dump = tmp_path / "dump"
    dump.mkdir()
    seeded = subprocess.run([tool("switchyard-seed"), *SEED, "--batch", "5000", "--dump", dump],
                            env={k: v for k, v in os.environ.items() if k != "MONGODB_URI"},
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    records = json.loads(seeded.stdout.strip().splitlines()[-1])["records"]
    assert records >= 2000, records

    storage = tmp_path / "storage"
    loaded = subprocess.run([sys.executable, REPO / "scripts" / "lib" / "secantus_load.py", "--dump", dump,
                             "--storage", storage, "--db", "seed_offline", "--verify"],
                            capture_output=True, text=True, timeout=600, cwd=REPO)
    assert loaded.returncode == 0, loaded.stderr[-2000:] + loaded.stdout[-2000:]
    assert json.loads(loaded.stdout)["documents"]["usage"] == records

    written = subprocess.run([tool("switchyard-seed"), *SEED, "--batch", "1000"],
                             env={**os.environ, "MONGODB_URI": mongo.uri, "SWITCHYARD_DB": "seed_write"},
                             capture_output=True, text=True, timeout=600, cwd=REPO)
    assert written.returncode == 0, written.stderr[-2000:]

    server = MongoServer(storage).start()
    try:
        with server.client() as offline_client, mongo.client() as write_client:
            offline, write = offline_client["seed_offline"], write_client["seed_write"]
            assert write.usage.count_documents({}) == records
            assert sorted(offline.list_collection_names()) == sorted(write.list_collection_names())
            for collection in write.list_collection_names():
                assert normalised(offline, collection) == normalised(write, collection), collection
                assert offline[collection].index_information() == write[collection].index_information(), collection
            # The loaded entries serve queries: the activity list's shape goes through its index.
            failed = {"tenant": "acme-startup", "status": "failed", "timestamp": {"$gte": 0}}
            plan = offline.usage.find(failed).explain()["queryPlanner"]["winningPlan"]
            assert "tenant_status_time" in json.dumps(plan), plan
            assert offline.usage.count_documents(failed) == write.usage.count_documents(failed) > 0
    finally:
        server.stop()
