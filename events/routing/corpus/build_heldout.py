#!/usr/bin/env python3
"""Build a held-out split (test-N.jsonl) from its hand-written sources under test-N-sources/.

    python3 build_heldout.py test-N [--all]

Each source file test-N-sources/tN-<persona>.txt holds records: a header line
``::: <category> <difficulty> [lang=xx] [images=N]`` followed by the prompt text
(up to the next header). Lines starting with '#' before the first header are comments.
Ids listed in test-N-near-duplicates.txt (first token of each non-comment line) are left out.
"""
import collections
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
CATEGORIES = {"code", "extraction", "math", "chat", "summarization", "vision-qa", "embedding",
              "creative", "translation", "legal", "medical", "detection"}
DIFFICULTIES = {"easy", "medium", "hard"}


def parse(path):
    source = path.stem
    records, header, lines = [], None, []

    def flush():
        if header is None:
            return
        text = "\n".join(lines).strip()
        if not text:
            sys.exit(f"{path}: empty prompt after {header!r}")
        parts = header.split()
        cat, diff = parts[1], parts[2]
        opts = dict(p.split("=", 1) for p in parts[3:])
        if cat not in CATEGORIES or diff not in DIFFICULTIES or set(opts) - {"lang", "images"}:
            sys.exit(f"{path}: bad header {header!r}")
        images = int(opts.get("images", "0"))
        records.append({"id": f"{source}-{len(records) + 1:03d}", "source": source, "text": text,
                        "images": 1 if images else 0, "category": cat, "difficulty": diff,
                        "language": opts.get("lang", "en")})

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(":::"):
            flush()
            header, lines = line, []
        elif header is None:
            continue  # comment / persona description
        else:
            lines.append(line)
    flush()
    return records


def main(split):
    prefix = "t" + split.removeprefix("test-")
    excluded = set()
    dup_file = HERE / f"{split}-near-duplicates.txt"
    if dup_file.exists() and "--all" not in sys.argv:
        for line in dup_file.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                excluded.add(line.split()[0])
    records = []
    for path in sorted((HERE / f"{split}-sources").glob(f"{prefix}-*.txt")):
        records.extend(parse(path))
    written = len(records)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    unknown = excluded - set(ids)
    if unknown:
        sys.exit(f"near-duplicate ids not in the sources: {sorted(unknown)}")
    records = [r for r in records if r["id"] not in excluded]
    out = HERE / f"{split}.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{out}: {len(records)} prompts from {len({r['source'] for r in records})} sources "
          f"({written} written, {len(excluded)} near-duplicates left out)")
    for key in ("category", "difficulty", "language", "images"):
        c = collections.Counter(r[key] for r in records)
        print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))))
    table = collections.Counter((r["category"], r["difficulty"]) for r in records)
    print("category x difficulty (easy/medium/hard):")
    for cat in sorted(CATEGORIES):
        print(f"  {cat:14s} {table[cat, 'easy']:3d} {table[cat, 'medium']:3d} {table[cat, 'hard']:3d}")


if __name__ == "__main__":
    if len(sys.argv) < 2 or not sys.argv[1].startswith("test-"):
        sys.exit("usage: build_heldout.py test-N [--all]")
    main(sys.argv[1])
