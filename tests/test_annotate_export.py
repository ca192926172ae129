"""The export: canonical JSONL that read_examples accepts, decision over agreement over the
first annotator, and selection, flags, notes and history carried along."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from annotate_helpers import write_project

from framing.annotate.drawing import open_project
from framing.annotate.export import export_labels
from framing.annotate.project import load_annotate_config
from framing.annotate.store import Answer, Decision
from framing.data import read_examples
from framing.errors import ConfigError

A = Answer(("isolation",), {"russia": "against", "the_west": "none"})
B = Answer((), {"russia": "none", "the_west": "none"}, flag=True, note="ambiguous")


def test_export_reads_back_with_final_labels(tmp_path: Path, schema) -> None:
    store, _ = open_project(load_annotate_config(write_project(tmp_path)))
    ids = [item.id for item in store.items()]
    store.save_answer("ann", ids[0], A)
    store.save_answer("bob", ids[0], A)  # agreed
    store.save_answer("ann", ids[1], A)
    store.save_answer("bob", ids[1], B)  # disagree, decided below
    store.decide(ids[1], Decision((), {"russia": "favor", "the_west": "none"}, "judge"))
    store.save_answer("ann", ids[2], B)
    store.save_answer("bob", ids[2], A)  # disagree, undecided: the first annotator's
    store.save_answer("ann", ids[3], Answer(status="skipped"))
    out = tmp_path / "labels.jsonl"
    assert export_labels(store, out, with_history=True) == 3
    examples = {ex.id: ex for ex in read_examples(out, schema)}
    assert set(examples) == set(ids[:3])
    assert examples[ids[0]].frames == ("isolation",)
    assert examples[ids[1]].stance["russia"] == "favor"
    assert examples[ids[1]].extra["adjudicated"] is True
    assert examples[ids[2]].frames == () and examples[ids[2]].extra["adjudicated"] is False
    assert examples[ids[2]].extra["flagged_by"] == ["ann"]
    assert examples[ids[2]].extra["notes"] == {"ann": "ambiguous"}
    assert examples[ids[0]].extra["selection"] == "random"
    assert examples[ids[0]].extra["annotators"] == ["ann", "bob"]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [h["action"] for h in rows[1]["history"]] == ["done", "done", "decide"]
    assert list(rows[0])[:3] == ["id", "doc_id", "source"]


def test_export_one_annotator_and_refusals(tmp_path: Path, schema) -> None:
    store, _ = open_project(load_annotate_config(write_project(tmp_path)))
    first = store.items()[0].id
    store.save_answer("ann", first, A)
    store.save_answer("bob", first, B)
    out = tmp_path / "bob.jsonl"
    assert export_labels(store, out, annotator="bob") == 1
    assert read_examples(out, schema)[0].frames == ()
    with pytest.raises(ConfigError, match="already exists"):
        export_labels(store, out)
    with pytest.raises(ConfigError, match="expected a .jsonl"):
        export_labels(store, tmp_path / "x.csv")
