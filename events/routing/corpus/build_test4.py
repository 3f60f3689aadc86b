#!/usr/bin/env python3
"""Build test-4.jsonl (see README-test-4.md): build_heldout.py, for this split."""
from build_heldout import main

if __name__ == "__main__":
    main("test-4")
