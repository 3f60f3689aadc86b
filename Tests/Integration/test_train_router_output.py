"""scripts/train-router replaces a model file by renaming a fully written temporary file over it, so a
router that has the old file mapped (NGramModel maps it read-only) keeps reading the old bytes."""
from __future__ import annotations

import mmap
import os
import sys

import pytest

from servers import REPO

sys.path.insert(0, str(REPO / "scripts" / "lib"))
import train_router  # noqa: E402


def test_a_mapped_old_model_keeps_its_bytes(tmp_path):
    path = tmp_path / "model.bin"
    old = b"OLD-MODEL" * 1000
    path.write_bytes(old)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ) as mapped:
        old_inode = os.fstat(f.fileno()).st_ino
        # Same length, so the old in-place write shows as changed bytes here rather than a SIGBUS.
        train_router.write_atomically(path, b"NEW-MODEL" * 1000)
        assert mapped[:] == old
        assert os.fstat(f.fileno()).st_ino == old_inode
    assert path.read_bytes() == b"NEW-MODEL" * 1000
    assert path.stat().st_ino != old_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_a_failed_write_leaves_the_old_model_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")

    def fail(fd):
        raise OSError("disk full")
    monkeypatch.setattr(train_router.os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        train_router.write_atomically(path, b"new model")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_a_new_directory_is_created(tmp_path):
    path = tmp_path / "classifier" / "router-ngram-9.bin"
    train_router.write_atomically(path, b"model")
    assert path.read_bytes() == b"model"
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
