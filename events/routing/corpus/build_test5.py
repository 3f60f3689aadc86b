#!/usr/bin/env python3
"""Build test-5.jsonl (see README-test-5.md): build_heldout.py, for this split."""
from build_heldout import main

if __name__ == "__main__":
    main("test-5")
