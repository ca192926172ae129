"""Helpers for the annotation tests: a project YAML over the tiny fixture (or any corpus)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

TESTS = Path(__file__).parent
TINY = TESTS / "data" / "tiny.jsonl"
SCHEMA = TESTS.parent / "configs" / "labels" / "geopolitics.yaml"
HOSTILE = '<script>window.pwned = 1</script> Sanctions are <b>coercion</b> & "pressure".'


def write_project(tmp_path: Path, corpus: Path = TINY, **top: Any) -> Path:
    """A project YAML drawing 6 random sentences of `corpus`, its database in tmp_path."""
    config = {
        "name": "tiny",
        "schema": str(SCHEMA),
        "corpus": str(corpus),
        "database": str(tmp_path / "tiny.sqlite"),
        "context_size": 1,
        "draws": [{"method": "random", "n": 6, "seed": 1}],
        **top,
    }
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def write_hostile_corpus(tmp_path: Path) -> Path:
    """Three sentences of one document, the middle one full of markup."""
    rows = [
        {"id": "h-0", "doc_id": "h", "source": "<i>Outlet</i>", "text": "A calm first sentence."},
        {"id": "h-1", "doc_id": "h", "source": "<i>Outlet</i>", "text": HOSTILE},
        {"id": "h-2", "doc_id": "h", "source": "<i>Outlet</i>", "text": "</p><script>x()</script>"},
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
