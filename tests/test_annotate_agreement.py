"""Krippendorff's α per label from stored answers, checked against the library on the same
matrix, and the list of disagreements."""

from __future__ import annotations

from pathlib import Path

import krippendorff
import numpy as np
import pytest

from framing.annotate.agreement import agreement, disagreements
from framing.annotate.store import Answer, Item, Store
from framing.labels import LabelSchema

SCHEMA = LabelSchema(frames=("isolation", "security_threat"), targets=("russia",))


def _answer(frames: tuple[str, ...], russia: str) -> Answer:
    return Answer(frames, {"russia": russia})


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "a.sqlite")
    items = [Item(0, f"s{i}", {"id": f"s{i}", "text": f"t{i}"}, "random") for i in range(5)]
    store.add_items(items, 0, {})
    a = [(("isolation",), "favor"), ((), "none"), (("isolation",), "against"), ((), "none")]
    b = [(("isolation",), "favor"), (("isolation",), "none"), ((), "against"), ((), "none")]
    for i, (x, y) in enumerate(zip(a, b)):
        store.save_answer("ann", f"s{i}", _answer(*x))
        store.save_answer("bob", f"s{i}", _answer(*y))
    store.save_answer("ann", "s4", _answer(("isolation",), "favor"))  # one annotator: left out
    store.save_answer("bob", "s4", Answer(status="skipped"))
    return store


def test_agreement_alpha_matches_krippendorff(store: Store) -> None:
    rows = {r.label: r for r in agreement(store, SCHEMA)}
    expected = krippendorff.alpha(
        reliability_data=np.array([[1, 0, 1, 0], [1, 1, 0, 0]], dtype=float),
        level_of_measurement="nominal",
    )
    assert rows["isolation"].alpha == pytest.approx(expected)
    assert rows["isolation"].items == 4 and rows["isolation"].disagreements == 2
    assert rows["russia"].alpha == pytest.approx(1.0)
    assert rows["security_threat"].alpha is None and "same value" in rows["security_threat"].reason


def test_agreement_lists_disagreements_with_their_labels(store: Store) -> None:
    cases = disagreements(store, SCHEMA)
    assert [c.item.id for c in cases] == ["s1", "s2"]
    assert cases[0].labels == ("isolation",) and set(cases[0].answers) == {"ann", "bob"}


def test_agreement_without_shared_items_is_undefined(tmp_path: Path) -> None:
    store = Store(tmp_path / "b.sqlite")
    store.add_items([Item(0, "s0", {"id": "s0", "text": "t"}, "random")], 0, {})
    store.save_answer("ann", "s0", _answer(("isolation",), "favor"))
    rows = agreement(store, SCHEMA)
    assert all(r.alpha is None and r.items == 0 and "no item" in r.reason for r in rows)
