#!/usr/bin/env python3
"""Build test-6.jsonl (see README-test-6.md): build_heldout.py, for this split."""
from build_heldout import main

if __name__ == "__main__":
    main("test-6")
