"""The project database: answers survive a crash, undo and skip order, history is never lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from framing.annotate.store import Answer, Decision, Item, Store
from framing.errors import ConfigError

DONE = Answer(("isolation",), {"russia": "against"})


def _store(tmp_path: Path, n: int = 3) -> Store:
    store = Store(tmp_path / "p.sqlite")
    items = [Item(0, f"s{i}", {"id": f"s{i}", "text": f"text {i}"}, "random") for i in range(n)]
    store.add_items(items, 0, {"method": "random", "n": n})
    return store


def test_store_answers_survive_an_unclosed_connection(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save_answer("ann", "s0", DONE)
    # A second connection sees the answer at once: it was committed, not left in a buffer.
    other = sqlite3.connect(tmp_path / "p.sqlite")
    assert other.execute("SELECT item_id, frames FROM answers").fetchall() == [
        ("s0", '["isolation"]')
    ]
    other.close()
    reopened = Store(tmp_path / "p.sqlite")
    assert reopened.answers("ann")[("ann", "s0")] == DONE
    assert reopened.next_item("ann").id == "s1"
    assert store.meta("draws") == [{"method": "random", "n": 3}]


def test_store_skipped_items_come_back_last(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save_answer("ann", "s0", Answer(status="skipped"))
    assert store.next_item("ann").id == "s1"
    store.save_answer("ann", "s1", DONE)
    store.save_answer("ann", "s2", DONE)
    assert store.next_item("ann").id == "s0"
    store.save_answer("ann", "s0", DONE)
    assert store.next_item("ann") is None
    assert store.progress("ann") == {"done": 3, "skipped": 0, "total": 3}


def test_store_undo_reopens_the_latest_answer_and_keeps_history(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save_answer("ann", "s0", DONE)
    store.save_answer("ann", "s1", Answer(note="odd <b>", flag=True))
    store.save_answer("bob", "s0", DONE)
    assert store.undo("ann") == "s1"
    assert store.next_item("ann").id == "s1"
    assert store.last_answer("ann", "s1") == Answer(note="odd <b>", flag=True)
    assert [r["action"] for r in store.history("s1")] == ["done", "undo"]
    assert store.undo("ann") == "s0" and store.undo("ann") is None
    assert ("bob", "s0") in store.answers()  # one annotator's undo never touches another's
    assert store.annotators() == ["ann", "bob"]


def test_store_decisions_replace_and_are_logged(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.decide("s0", Decision(("isolation",), {"russia": "none"}, "judge"))
    store.decide("s0", Decision((), {"russia": "favor"}, "judge", "second thoughts"))
    assert store.decisions()["s0"].stance == {"russia": "favor"}
    assert [r["action"] for r in store.history("s0")] == ["decide", "decide"]
    assert store.annotators() == []  # adjudicators are not annotators


def test_store_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("just some text, not SQLite at all " * 20)
    with pytest.raises(ConfigError, match="database: cannot open"):
        Store(path)
    with pytest.raises(ConfigError, match="is a folder"):
        Store(tmp_path)
