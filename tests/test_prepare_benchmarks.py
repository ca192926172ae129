"""scripts/prepare_benchmarks.py: VAST dev becomes many-topic training data for a pair model
(topic names the schema accepts, duplicates merged, disagreeing copies dropped), and the result
loads as a schema and a training file."""

from __future__ import annotations

import json
from pathlib import Path

from framing import read_examples
from framing.labels import load_schema

from conftest import load_script

SCRIPT = "scripts/prepare_benchmarks.py"


def _vast(folder: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A made-up vast.jsonl: (split, comment, topic, label) rows."""
    path = folder / "vast" / "vast.jsonl"
    path.parent.mkdir(parents=True)
    lines = [
        {"id": f"v{i}", "text": t, "target": topic, "label": label, "split": split, "seen": 0}
        for i, (split, t, topic, label) in enumerate(rows)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    return path


def test_vast_pairs_merges_filters_and_loads(tmp_path):
    shared, out = tmp_path / "shared", tmp_path / "out"
    _vast(
        shared,
        [
            ("dev", "Comment one.", "gun control", "pro"),
            ("dev", "Comment one.", "gun control", "pro"),  # duplicate copy: merged
            ("dev", "Comment one.", "taxes", "neutral"),
            ("dev", "Comment two.", "greece 's debt", "con"),  # not a valid name: left out
            ("dev", "Comment two.", "euro", "pro"),
            ("dev", "Comment two.", "euro", "con"),  # copies disagree: dropped
            ("dev", "Comment three.", "euro", "con"),
            ("test", "A test comment.", "school", "pro"),  # test never trains
        ],
    )
    counts = load_script(SCRIPT).prepare_vast_pairs(shared, out)
    assert counts == {"train": 2}
    schema = load_schema(out / "vast_pairs" / "schema.yaml")
    assert set(schema.targets) == {"gun control", "taxes", "euro"}
    examples = read_examples(out / "vast_pairs" / "train.jsonl", schema)
    stance = {ex.text: ex.stance for ex in examples}
    assert stance == {
        "Comment one.": {"gun control": "favor", "taxes": "none"},
        "Comment three.": {"euro": "against"},
    }


def test_vast_pairs_missing_input_is_one_line(tmp_path, capsys):
    assert load_script(SCRIPT).prepare_vast_pairs(tmp_path, tmp_path / "out") is None
    assert capsys.readouterr().out.startswith("skipped: vast_pairs: data not found at ")
