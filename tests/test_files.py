"""Writing outputs: a folder or file the system refuses is one clear error before any work,
even where os.access says yes (a read-only file system, or root)."""

from __future__ import annotations

import errno
import os
import tempfile

import pytest

from framing import files
from framing.errors import FramingError


def _refuse(*args, **kwargs):
    raise OSError(errno.EROFS, "Read-only file system")


def test_check_writable_probes_the_folder(tmp_path, monkeypatch):
    files.check_writable(tmp_path / "out" / "report")  # creates the parent, leaves no probe
    assert list((tmp_path / "out").iterdir()) == []
    monkeypatch.setattr(tempfile, "mkstemp", _refuse)
    with pytest.raises(FramingError, match=r"cannot write .*report: Read-only file system in"):
        files.check_writable(tmp_path / "out" / "report")


def test_outputs_the_system_refuses_are_one_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "mkdtemp", _refuse)
    with pytest.raises(FramingError, match=r"cannot write .*model: Read-only file system"):
        with files.atomic_dir(tmp_path / "model"):
            pass
    monkeypatch.undo()
    monkeypatch.setattr(os, "open", _refuse)
    with pytest.raises(FramingError, match=r"cannot write .*preds.jsonl: Read-only file system"):
        with files.atomic_file(tmp_path / "preds.jsonl") as handle:
            handle.write("x")
    monkeypatch.undo()
    assert not (tmp_path / "preds.jsonl").exists() and not (tmp_path / "model").exists()
