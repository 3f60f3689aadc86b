#!/usr/bin/env python3
"""Builds the router classifier's training and validation splits from the hand-written batches.

Each file in sources/ is one *source*: a batch written in one sitting for one kind of user (a law
firm, a photo app, terse search-box queries, ...). A record starts with a header line

    ::: <category> <difficulty> [lang=xx] [images=N]

and its prompt is every line up to the next header (blank lines at either end dropped). Files named
t-*.txt go to train.jsonl, v-*.txt to validation.jsonl: the split is by source, never by row, so
phrasing habits of one batch cannot leak from training into validation.

seen-test-1.jsonl is the first held-out test split (410 prompts, 65 sources, by an independent
author; README-seen-test-1.md). It was scored once for router-ngram-1 and its errors were read, so it
no longer measures anything; since router-ngram-2 it is training data, split by source too: every
fourth of its sources (sorted by name) goes to validation, the rest to train. The held-out test split
is now test-2.jsonl (build_test2.py), written by someone who wrote none of these prompts.

Retired test splits train the next model (the lead's rule: a split scored once and published no longer
measures anything). test-2 to test-5 (RETIRED) were each scored once (test-5 for router-ngram-5) and are
training data since router-ngram-6: their sources (test-N-sources/*.txt, with the ids
test-N-near-duplicates.txt lists left out, exactly the prompts of test-N.jsonl) are split like
seen-test-1's, every fourth source of each split (sorted by name) to validation, the rest to train, so
validation keeps prompts by independent authors. The next honest score is on test-6, which this script
never reads.

Run: python3 events/routing/corpus/build_corpus.py
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
CATEGORIES = {"chat", "code", "summarization", "extraction", "translation", "creative", "math", "legal",
              "medical", "vision-qa", "detection", "embedding"}
DIFFICULTIES = {"easy", "medium", "hard"}


def parse(path: pathlib.Path) -> list[dict]:
    source = path.stem
    records, header, lines = [], None, []

    def flush():
        if header is None:
            return
        text = "\n".join(lines).strip("\n")
        category, difficulty, options = header
        records.append({"id": f"{source}-{len(records):03d}", "source": source, "text": text,
                        "images": int(options.get("images", 0)), "category": category,
                        "difficulty": difficulty, "language": options.get("lang", "en")})

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("::: "):
            flush()
            parts = line[4:].split()
            if len(parts) < 2 or parts[0] not in CATEGORIES or parts[1] not in DIFFICULTIES:
                sys.exit(f"{path.name}:{number}: bad header {line!r}")
            options = dict(p.split("=", 1) for p in parts[2:])
            header, lines = (parts[0], parts[1], options), []
        elif header is not None:
            lines.append(line)
    flush()
    return records


RETIRED = ["test-2", "test-3", "test-4", "test-5"]


def retired(split: str) -> list[dict]:
    """A retired test split's prompts, parsed from its sources as its build script does (test-2 with this
    file's parser, ids from 000; later splits with build_heldout.py's, ids from 001), near-duplicates out."""
    from build_heldout import parse as parse_heldout
    parser = parse if split == "test-2" else parse_heldout
    records = []
    for path in sorted((HERE / f"{split}-sources").glob("*.txt")):
        records += parser(path)
    excluded = set()
    for line in (HERE / f"{split}-near-duplicates.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            excluded.add(line.split()[0])
    assert excluded <= {r["id"] for r in records}, f"{split}: unknown near-duplicate ids"
    return [r for r in records if r["id"] not in excluded]


def main() -> None:
    splits = {"train": [], "validation": []}
    for path in sorted((HERE / "sources").glob("*.txt")):
        split = {"t": "train", "v": "validation"}[path.name[0]]
        splits[split] += parse(path)
    seen = [json.loads(line) for line in open(HERE / "seen-test-1.jsonl", encoding="utf-8") if line.strip()]
    seen_sources = sorted({r["source"] for r in seen})
    to_validation = set(seen_sources[3::4])
    for record in seen:
        splits["validation" if record["source"] in to_validation else "train"].append(record)
    for split in RETIRED:
        records = retired(split)
        names = sorted({r["source"] for r in records})
        to_validation = set(names[3::4])
        for record in records:
            splits["validation" if record["source"] in to_validation else "train"].append(record)
    for name, records in splits.items():
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    train_sources = {r["source"] for r in splits["train"]}
    assert not train_sources & {r["source"] for r in splits["validation"]}
    for name, records in splits.items():
        missing = CATEGORIES - {r["category"] for r in records}
        assert not missing, f"{name} lacks {missing}"
        print(f"{name}: {len(records)} prompts from {len({r['source'] for r in records})} sources", file=sys.stderr)


if __name__ == "__main__":
    main()
