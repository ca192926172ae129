"""benchmarks/vast.py: several model folders are scored as one ensemble (the mean of their
stance probabilities) with each member's own scores beside it; members whose stance labels
differ are refused in one line."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import load_script

LABELS = ("favor", "against", "none")
# (comment, topic, gold, seen): two topics, one zero-shot and one few-shot.
ROWS = [
    {"text": f"comment {i}", "topic": topic, "label": label, "seen": seen}
    for i, (topic, label, seen) in enumerate(
        [
            ("taxes", "favor", 0),
            ("taxes", "against", 0),
            ("taxes", "none", 0),
            ("trade", "favor", 1),
            ("trade", "against", 1),
            ("trade", "none", 1),
        ]
    )
]


class _Model:
    """Stands in for a finetune classifier: fixed probabilities per comment."""

    def __init__(self, by_text: dict[str, list[float]], labels=LABELS):
        self.by_text = by_text
        self.schema = SimpleNamespace(stance_labels=tuple(labels))
        self.backend_ = SimpleNamespace(max_length=64)

    def predict_proba(self, texts, targets):
        stance = np.array([self.by_text[t] for t in texts])
        return SimpleNamespace(stance={targets[0]: stance})


def _patched(monkeypatch, models: dict[str, _Model]):
    module = load_script("benchmarks/vast.py")
    monkeypatch.setattr(module, "load_model", lambda path, rows, split: (models[path.name], []))
    return module


def test_ensemble_averages_probabilities_and_keeps_members(monkeypatch):
    right = {r["text"]: list(np.eye(3)[LABELS.index(r["label"])]) for r in ROWS}
    # Each member is wrong on comment 0 (gold favor) in its own way; only their mean is right.
    a = dict(right, **{"comment 0": [0.45, 0.55, 0.0]})
    b = dict(right, **{"comment 0": [0.45, 0.0, 0.55]})
    module = _patched(monkeypatch, {"a": _Model(a), "b": _Model(b)})
    out = module.evaluate_vast([Path("a"), Path("b")], ROWS)
    assert out["all"]["macro_f1"] == 1.0
    assert out["all"]["predicted"] == {"favor": 2, "against": 2, "none": 2}
    assert out["members"][0]["all"]["predicted"] == {"favor": 1, "against": 3, "none": 2}
    assert out["members"][1]["all"]["predicted"] == {"favor": 1, "against": 2, "none": 3}
    assert out["members"][1]["zero_shot"]["macro_f1"] < 1.0
    assert out["zero_shot"]["n"] == 3 and out["few_shot"]["n"] == 3
    assert out["models"] == ["a", "b"] and len(out["pairs_per_second"]) == 2


def test_one_model_has_no_members(monkeypatch):
    right = {r["text"]: list(np.eye(3)[LABELS.index(r["label"])]) for r in ROWS}
    module = _patched(monkeypatch, {"a": _Model(right)})
    out = module.evaluate_vast([Path("a")], ROWS)
    assert "members" not in out and out["models"] == ["a"]


def test_members_with_other_labels_are_refused(monkeypatch):
    right = {r["text"]: [1.0, 0.0, 0.0] for r in ROWS}
    module = _patched(
        monkeypatch,
        {"a": _Model(right), "b": _Model(right, labels=("against", "favor", "none"))},
    )
    with pytest.raises(SystemExit, match="an ensemble needs the same labels"):
        module.evaluate_vast([Path("a"), Path("b")], ROWS)
