"""Puts a bulk-load dump (`switchyard-seed month --dump DIR`) into a SecantusDB storage directory
in-process, for `secantusd-py --storage-path` to serve afterwards.

    .venv/bin/python scripts/lib/secantus_load.py --dump DIR --storage PATH --db NAME

The dump holds exactly what `UsageBulkLoader` would send over the wire (`BulkLoadFiles`): the
documents of each collection, the ledger's upserts and the index list. They go through the same
`secantus.storage.Storage` calls the server makes for `insert`, `update` and `createIndexes`
(documents decoded with the same `bson.decode`), so the store ends as the wire path leaves it; what
is skipped is the wire, the server's per-command work and its one thread. The storage directory
must not be in use by a server (WiredTiger allows one process) and must not hold the database.

Indexes are built after the documents, by `build_indexes` (one pass per collection; see there for
why not `create_index`). Prints one JSON line: documents per collection, seconds, records/s.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import bson
from secantus import storage as engine
from secantus.sortkey import COMPOUND_SEP, encode_value_directed
from secantus.storage import Storage
from wiredtiger.packing import pack

# One call of Storage.insert: the server caps a wire batch at 100,000 documents; the storage
# commits every 1,000 documents or 4 MiB anyway (_INSERT_CHUNK_MAX_DOCS), so this only bounds memory.
BATCH = 5_000
RAW = "usage"
DAY = 86_400_000


def documents(path: Path):
    """The documents of a concatenated-BSON file, one at a time."""
    with path.open("rb") as file:
        yield from bson.decode_file_iter(file)


def int64(value):
    """Integers as the Swift sink sends them (BSON int64), so the stored index specs are the same."""
    return bson.int64.Int64(value) if isinstance(value, int) and not isinstance(value, bool) else value


def create_indexes(storage: Storage, db: str, collection: str, indexes: list[dict]) -> None:
    """What the server's `createIndexes` does with each index (commands._create_indexes)."""
    for index in indexes:
        options = {k: int64(v) for k, v in index.items() if k not in ("key", "name")}
        key = {field: int64(direction) for field, direction in index["key"].items()}
        storage.create_index(db, collection, index["name"], key, options)


def build_indexes(storage: Storage, db: str, collection: str, indexes: list[dict], verify: bool) -> int:
    """Builds a collection's indexes in one pass over its documents, as `create_index` would.

    `create_index` walks the collection once per index, decodes every document each time and
    writes each entry in its own WiredTiger transaction: ~0.7 ms per entry here, two hours for a
    million usage records' eleven indexes. This walks once, decodes once, encodes each key with the
    engine's own `encode_value_directed` (joined by `COMPOUND_SEP`, as `_index_key_variants` does
    for a document whose indexed fields are scalars; any other document goes through
    `_index_key_variants` itself), and writes the entries of 2,000 documents per transaction, sorted,
    through a raw cursor. The catalog row is the one `create_index` writes. `verify` rebuilds each
    index with `create_index` under another name and compares every entry (for tests).
    Returns the number of entries written.
    """
    plans = []
    for index in indexes:
        options = {k: int64(v) for k, v in index.items() if k not in ("key", "name")}
        key = {field: int64(direction) for field, direction in index["key"].items()}
        special = any(isinstance(d, str) for d in key.values()) or set(options) - {"unique", "sparse",
                                                                                    "expireAfterSeconds"}
        if special:  # geo, partial, collation: the engine's own build
            storage.create_index(db, collection, index["name"], key, options)
            continue
        plans.append((index["name"], key, [(f, int(d)) for f, d in key.items()], bool(options.get("sparse")),
                      bool(options.get("unique")), options))
    if not plans:
        return 0
    session = storage._session()
    # The Python binding packs keys in Python (wiredtiger.packing) and hands the bytes to `_set_key`;
    # the keys here are packed once, below, and handed over directly.
    entries = session.open_cursor(engine._IDX_ENTRIES_TABLE, None, None)
    unique_keys = session.open_cursor(engine._UNIQ_TABLE, None, "overwrite=false")
    empty = b""  # pack("u", b"")
    prefixes = {name: pack("SSS", db, collection, name) for name, *_ in plans}
    seen_unique: dict[str, set[bytes]] = {name: set() for name, _k, _f, _s, unique, _o in plans if unique}
    multikey: set[str] = set()
    encoded: dict[tuple, bytes] = {}  # strings repeat (tenants, models, statuses): encode each once
    written = 0
    after = engine._INT64_MIN
    while True:
        with storage._lock:
            chunk = scan_chunk(storage, db, collection, after, 2_000)
        if not chunk:
            break
        after = chunk[-1][0]
        pending: list[tuple[bytes, str, bytes, int]] = []
        for recordid, blob in chunk:
            document = bson.decode(blob)
            numbers: dict[tuple, bytes] = {}
            for name, key, fields, sparse, unique, _options in plans:
                if sparse and not engine._sparse_covers(document, key):
                    continue
                parts = []
                for field, direction in fields:
                    value = document.get(field) if "." not in field else _MISSING
                    kind = type(value)
                    if kind is str or value is None:  # a missing field is keyed as null
                        cache = encoded
                    elif kind is int or kind is bson.int64.Int64:
                        cache = numbers
                    else:
                        parts = None
                        break
                    part = cache.get((kind, value, direction))
                    if part is None:
                        part = cache[(kind, value, direction)] = encode_value_directed(value, direction)
                    parts.append(part)
                if parts is None:
                    if engine._doc_makes_multikey(document, key):
                        multikey.add(name)
                    variants = engine._index_key_variants(document, key, sparse=sparse)
                else:
                    variants = [parts[0] if len(parts) == 1 else COMPOUND_SEP.join(parts)]
                for kb in variants:
                    if unique:
                        if kb in seen_unique[name]:
                            raise engine.IndexConflict(name, document.get("_id"))
                        seen_unique[name].add(kb)
                    # A trailing `u` column packs as its bytes (no length prefix).
                    pending.append((prefixes[name] + engine._pack_entry(kb, recordid), name, kb, recordid))
        pending.sort()
        with storage._lock:
            session.begin_transaction()
            try:
                for entry_key, name, kb, recordid in pending:
                    entries._set_key(entry_key)
                    entries._set_value(empty)
                    entries.insert()
                    if name in seen_unique:
                        unique_key, unique_value = prefixes[name] + engine._escape_kb(kb), pack("q", recordid)
                        unique_keys._set_key(unique_key)
                        unique_keys._set_value(unique_value)
                        unique_keys.insert()
            except BaseException:
                session.rollback_transaction()
                raise
            session.commit_transaction()
        written += len(pending)
    entries.close()
    unique_keys.close()
    with storage._lock:
        catalog = storage._cursor(engine._IDX_TABLE)
        for name, key, _fields, _sparse, _unique, options in plans:
            options = dict(options)
            if name in multikey:
                options["multikey"] = True
            options["entryFormat"] = engine._ENTRY_FORMAT
            catalog.reset()
            catalog[db, collection, name] = bson.encode({"key": dict(key), "options": options})
    if verify:
        for name, key, _fields, _sparse, _unique, options in plans:
            check = name + "_check"
            storage.create_index(db, collection, check, key, {k: v for k, v in options.items() if k != "unique"})
            ours, theirs = index_entries(storage, db, collection, name), index_entries(storage, db, collection, check)
            storage.drop_index(db, collection, check)
            if ours != theirs:
                sys.exit(f"secantus_load: index {collection}.{name} differs from create_index's "
                         f"({len(ours)} entries against {len(theirs)})")
    return written


_MISSING = object()


def scan_chunk(storage: Storage, db: str, collection: str, after: int, limit: int) -> list[tuple[int, bytes]]:
    """Up to `limit` (RecordId, BSON) of the collection after RecordId `after` (`Storage._scan_docs`)."""
    cursor = storage._cursor_optional(engine._doc_table_for(db, collection))
    if cursor is None:
        return []
    cursor.set_key(db, collection, after)
    found = cursor.search_near()
    if found == engine.wt.WT_NOTFOUND:
        return []
    if found <= 0 and cursor.next() != 0:  # at or before `after`: step past it
        return []
    out = []
    while len(out) < limit:
        key = cursor.get_key()
        if key[0] != db or key[1] != collection:
            break
        if int(key[2]) > after:
            out.append((int(key[2]), engine._unframe_doc_value(bytes(cursor.get_value()))[1]))
        if cursor.next() != 0:
            break
    cursor.reset()
    return out


def index_entries(storage: Storage, db: str, collection: str, name: str) -> list[bytes]:
    with storage._lock:
        cursor = storage._cursor(engine._IDX_ENTRIES_TABLE)
        cursor.set_key(db, collection, name, b"")
        found = cursor.search_near()
        out = []
        if found == engine.wt.WT_NOTFOUND or (found < 0 and cursor.next() != 0):
            return out
        while True:
            key = cursor.get_key()
            if tuple(key[:3]) != (db, collection, name):
                break
            out.append(bytes(key[3]))
            if cursor.next() != 0:
                break
        cursor.reset()
        return out


def load(dump: Path, storage_path: Path, db: str, verify: bool = False) -> dict:
    specification = json.loads((dump / "indexes.json").read_text())
    counts: dict[str, int] = {}
    # Records and cost per UTC day, summed from the raw documents as they go in: a reference for
    # the rollups that needs no `$group` over a million records afterwards (bench-dashboard).
    days: dict[str, list[int]] = {}
    timings: dict[str, float] = {}
    started = time.monotonic()
    # Standalone, as scripts/start-mongo serves it: no oplog (the server enables it only for a replica
    # set). Durable (journal, checkpoint on close) so the server reopens exactly this.
    storage = Storage(str(storage_path), enable_oplog=False, durable=True, sync_on_commit=False)
    try:
        if db in storage.list_databases():
            sys.exit(f"secantus_load: {storage_path} already holds database {db}")
        for entry in specification:
            storage.create_collection(db, entry["collection"])
        for path in sorted(dump.glob("*.bson")):
            t = time.monotonic()
            if path.name.endswith(".upserts.bson"):
                collection = path.name[: -len(".upserts.bson")]
                n = 0
                for operation in documents(path):
                    result = storage.update_matching(db, collection, operation["q"], operation["u"], upsert=True)
                    if not (result.get("did_upsert") or result.get("modified")):
                        sys.exit(f"secantus_load: upsert into {collection} changed nothing: {result}")
                    n += 1
            else:
                collection = path.name[: -len(".bson")]
                n = 0
                batch: list[dict] = []
                for document in documents(path):
                    batch.append(document)
                    if collection == RAW:
                        day = days.setdefault(str(document["timestamp"] // DAY * DAY), [0, 0])
                        day[0] += 1
                        day[1] += document.get("cost", {}).get("totalPicoUSD", 0)
                    if len(batch) >= BATCH:
                        n += insert(storage, db, collection, batch)
                        batch = []
                if batch:
                    n += insert(storage, db, collection, batch)
            counts[collection] = counts.get(collection, 0) + n
            timings[path.name] = round(time.monotonic() - t, 1)
        # Indexes after the documents, all of a collection's in one pass (build_indexes).
        entries = 0
        for entry in specification:
            t = time.monotonic()
            entries += build_indexes(storage, db, entry["collection"], entry["indexes"], verify)
            timings["indexes " + entry["collection"]] = round(time.monotonic() - t, 1)
    finally:
        t = time.monotonic()
        storage.close()
        timings["close"] = round(time.monotonic() - t, 1)
    seconds = time.monotonic() - started
    return {"documents": counts, "indexEntries": entries, "seconds": round(seconds, 1), "timings": timings,
            "recordsPerSecond": round(counts.get(RAW, 0) / seconds) if seconds else 0, "verified": verify,
            "rawDays": days}


def insert(storage: Storage, db: str, collection: str, batch: list[dict]) -> int:
    inserted, errors = storage.insert(db, collection, batch, ordered=False)
    if errors:
        sys.exit(f"secantus_load: {len(errors)} documents refused by {collection}, first: {errors[0]}")
    return inserted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", required=True, type=Path)
    parser.add_argument("--storage", required=True, type=Path)
    parser.add_argument("--db", required=True)
    parser.add_argument("--verify", action="store_true",
                        help="check every index entry against the engine's create_index (slow: for tests)")
    args = parser.parse_args()
    os.makedirs(args.storage, exist_ok=True)
    print(json.dumps(load(args.dump, args.storage, args.db, args.verify), sort_keys=True))


if __name__ == "__main__":
    main()
