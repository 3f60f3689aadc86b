#!/usr/bin/env python3
"""Builds the second held-out test split (test-2.jsonl) from test-2-sources/*.txt.

Written in one sitting on 2026-11-30, before the router-ngram-2 training data and model changes
(the commit order is the evidence), by a session that had not read the training sources. Same
record format as sources/ (`::: <category> <difficulty> [lang=xx] [images=N]`), same label rule as
README-test.md (what the user asks the model to DO). Never used for training or tuning.
Prompts that scripts/lib/near_duplicates.py flagged against train + validation when the split was
written (Jaccard >= 0.5) are listed in test-2-near-duplicates.txt and left out.

Run: python3 events/routing/corpus/build_test2.py
"""
import collections
import json
import pathlib
import sys

from build_corpus import CATEGORIES, parse

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    records = []
    for path in sorted((HERE / "test-2-sources").glob("*.txt")):
        records += parse(path)
    excluded_file = HERE / "test-2-near-duplicates.txt"
    excluded = set(excluded_file.read_text().split()) if excluded_file.exists() else set()
    records = [r for r in records if r["id"] not in excluded]
    with open(HERE / "test-2.jsonl", "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    missing = CATEGORIES - {r["category"] for r in records}
    assert not missing, f"test-2 lacks {missing}"
    counts = collections.Counter(r["category"] for r in records)
    print(f"test-2: {len(records)} prompts from {len({r['source'] for r in records})} sources; "
          + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())), file=sys.stderr)
    print("difficulty: " + str(dict(collections.Counter(r["difficulty"] for r in records))), file=sys.stderr)
    print("language: " + str(dict(collections.Counter(r["language"] for r in records))), file=sys.stderr)


if __name__ == "__main__":
    main()
