#!/usr/bin/env python3
"""Near-duplicate check of an evaluation split against the prompts a model was trained or tuned on.

Each prompt becomes the set of its character 5-grams (lowercased, whitespace collapsed); a pair whose
Jaccard similarity reaches the threshold (default 0.5) is a near-duplicate. Prints every flagged pair
and a summary line, and writes the flagged ids (one per line) to --ids when given.
  near_duplicates.py TEST.jsonl TRAIN.jsonl [MORE.jsonl ...] [--threshold 0.5] [--ids OUT]
"""
from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict


def shingles(text: str, n: int = 5) -> set[str]:
    t = re.sub(r"\s+", " ", text.lower()).strip()
    if len(t) < n:
        return {t} if t else set()
    return {t[i:i + n] for i in range(len(t) - n + 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("split")
    parser.add_argument("reference", nargs="+")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--ids")
    args = parser.parse_args()
    load = lambda path: [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    split = load(args.split)
    reference = [r for path in args.reference for r in load(path)]
    ref_sets = [shingles(r["text"]) for r in reference]
    index: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(ref_sets):
        for g in s:
            index[g].append(j)
    flagged = []
    best_overall = []
    for record in split:
        s = shingles(record["text"])
        overlap: dict[int, int] = defaultdict(int)
        for g in s:
            for j in index.get(g, ()):
                overlap[j] += 1
        best, best_j = 0.0, -1
        for j, shared in overlap.items():
            jaccard = shared / (len(s) + len(ref_sets[j]) - shared)
            if jaccard > best:
                best, best_j = jaccard, j
        best_overall.append(best)
        if best >= args.threshold and s:
            flagged.append(record["id"])
            print(f"near-duplicate {record['id']} ~ {reference[best_j]['id']} (Jaccard {best:.2f}): "
                  f"{record['text'][:70]!r} / {reference[best_j]['text'][:70]!r}")
    best_overall.sort()
    median = best_overall[len(best_overall) // 2] if best_overall else 0
    print(f"near-duplicates: {len(flagged)} of {len(split)} prompts at Jaccard >= {args.threshold} on character "
          f"5-grams against {len(reference)} training/validation prompts (median best match {median:.2f})")
    if args.ids:
        with open(args.ids, "w") as f:
            f.writelines(i + "\n" for i in flagged)


if __name__ == "__main__":
    main()
