"""The project's SQLite database: drawn items, every annotator's answers, decisions and history.

Each answer, undo and decision is one committed transaction (WAL journal, `synchronous=FULL`),
so a crash or a closed tab loses at most the sentence on screen. Nothing is ever deleted from
`history`: an undone answer stays there, and so does every decision.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from framing.errors import ConfigError

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    position INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, record TEXT NOT NULL,
    selection TEXT NOT NULL, draw INTEGER NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    annotator TEXT NOT NULL, item_id TEXT NOT NULL REFERENCES items(id), status TEXT NOT NULL,
    frames TEXT NOT NULL, stance TEXT NOT NULL, flag INTEGER NOT NULL, note TEXT NOT NULL,
    seconds REAL, seq INTEGER NOT NULL, PRIMARY KEY (annotator, item_id));
CREATE TABLE IF NOT EXISTS decisions (
    item_id TEXT PRIMARY KEY REFERENCES items(id), frames TEXT NOT NULL, stance TEXT NOT NULL,
    decided_by TEXT NOT NULL, note TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL,
    item_id TEXT NOT NULL, action TEXT NOT NULL, payload TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Item:
    """One drawn sentence: its canonical record (labels removed), how it was drawn, its context."""

    position: int
    id: str
    record: dict[str, Any]
    selection: str
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The sentence to label."""
        return str(self.record["text"])


@dataclass(frozen=True)
class Answer:
    """One annotator's answer to one item; `status` is `done` or `skipped`."""

    frames: tuple[str, ...] = ()
    stance: dict[str, str] = field(default_factory=dict)
    status: str = "done"
    flag: bool = False
    note: str = ""
    seconds: float | None = None

    def labels(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """The labels alone (sorted), for comparing two answers."""
        return tuple(sorted(self.frames)), tuple(sorted(self.stance.items()))


@dataclass(frozen=True)
class Decision:
    """The adjudicated label of an item."""

    frames: tuple[str, ...]
    stance: dict[str, str]
    decided_by: str
    note: str = ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _item(row: sqlite3.Row) -> Item:
    return Item(
        position=row["position"],
        id=row["id"],
        record=json.loads(row["record"]),
        selection=row["selection"],
        before=json.loads(row["before"]),
        after=json.loads(row["after"]),
    )


def _answer(row: sqlite3.Row) -> Answer:
    return Answer(
        frames=tuple(json.loads(row["frames"])),
        stance=json.loads(row["stance"]),
        status=row["status"],
        flag=bool(row["flag"]),
        note=row["note"],
        seconds=row["seconds"],
    )


class Store:
    """One project database; safe to share between the server's threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ConfigError(f"database: {self.path} is a folder; expected a .sqlite file path")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_TABLES)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise ConfigError(
                f"database: cannot open {self.path} as an annotation database ({exc}); "
                "give a new file path under `database:`"
            ) from None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection (every write is already committed)."""
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta and items --------------------------------------------------------------------
    def meta(self, key: str) -> Any:
        """A JSON value stored under `key`, or None."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row["value"])

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under `key` (committed)."""
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def add_items(self, items: Sequence[Item], draw: int, settings: dict[str, Any]) -> None:
        """Append one draw's items and record its settings, in one transaction."""
        with self._lock, self._conn:
            start = self._conn.execute("SELECT COALESCE(MAX(position), 0) FROM items").fetchone()
            for offset, item in enumerate(items, start=start[0] + 1):
                self._conn.execute(
                    "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        offset,
                        item.id,
                        json.dumps(item.record, ensure_ascii=False),
                        item.selection,
                        draw,
                        json.dumps(item.before, ensure_ascii=False),
                        json.dumps(item.after, ensure_ascii=False),
                    ),
                )
            draws = json.loads(self._meta_raw("draws") or "[]") + [settings]
            self._conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('draws', ?)", (json.dumps(draws),)
            )

    def _meta_raw(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row["value"]

    def items(self) -> list[Item]:
        """Every item in the order annotators see them."""
        rows = self._conn.execute("SELECT * FROM items ORDER BY position").fetchall()
        return [_item(row) for row in rows]

    def item(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        row = self._conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        return None if row is None else _item(row)

    def count_items(self) -> int:
        """How many items the project holds."""
        return int(self._conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])

    # -- answers -------------------------------------------------------------------------------
    def _log(self, who: str, item_id: str, action: str, payload: dict[str, Any]) -> int:
        cursor = self._conn.execute(
            "INSERT INTO history (at, who, item_id, action, payload) VALUES (?, ?, ?, ?, ?)",
            (_now(), who, item_id, action, json.dumps(payload, ensure_ascii=False)),
        )
        return int(cursor.lastrowid or 0)

    def save_answer(self, annotator: str, item_id: str, answer: Answer) -> None:
        """Store (or replace) an annotator's answer and log it; committed before returning."""
        payload = {
            "status": answer.status,
            "frames": list(answer.frames),
            "stance": answer.stance,
            "flag": answer.flag,
            "note": answer.note,
            "seconds": answer.seconds,
        }
        with self._lock, self._conn:
            seq = self._log(annotator, item_id, answer.status, payload)
            self._conn.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    annotator,
                    item_id,
                    answer.status,
                    json.dumps(list(answer.frames)),
                    json.dumps(answer.stance),
                    int(answer.flag),
                    answer.note,
                    answer.seconds,
                    seq,
                ),
            )

    def undo(self, annotator: str) -> str | None:
        """Withdraw the annotator's latest answer (kept in history); returns its item id."""
        with self._lock, self._conn:
            row = self._conn.execute(
                "SELECT item_id FROM answers WHERE annotator = ? ORDER BY seq DESC LIMIT 1",
                (annotator,),
            ).fetchone()
            if row is None:
                return None
            self._log(annotator, row["item_id"], "undo", {})
            self._conn.execute(
                "DELETE FROM answers WHERE annotator = ? AND item_id = ?",
                (annotator, row["item_id"]),
            )
            return str(row["item_id"])

    def next_item(self, annotator: str) -> Item | None:
        """The first item the annotator has not answered; then the skipped ones, oldest first."""
        row = self._conn.execute(
            "SELECT i.* FROM items i LEFT JOIN answers a ON a.item_id = i.id AND a.annotator = ? "
            "WHERE a.item_id IS NULL ORDER BY i.position LIMIT 1",
            (annotator,),
        ).fetchone()
        if row is None:
            row = self._conn.execute(
                "SELECT i.* FROM items i JOIN answers a ON a.item_id = i.id AND a.annotator = ? "
                "WHERE a.status = 'skipped' ORDER BY a.seq LIMIT 1",
                (annotator,),
            ).fetchone()
        return None if row is None else _item(row)

    def last_answer(self, annotator: str, item_id: str) -> Answer | None:
        """The annotator's latest answer to the item from the history (an undone one too)."""
        row = self._conn.execute(
            "SELECT action, payload FROM history WHERE who = ? AND item_id = ? "
            "AND action IN ('done', 'skipped') "
            "ORDER BY seq DESC LIMIT 1",
            (annotator, item_id),
        ).fetchone()
        if row is None:
            return None
        payload = json.loads(row["payload"])
        return Answer(
            frames=tuple(payload["frames"]),
            stance=payload["stance"],
            status=payload["status"],
            flag=bool(payload["flag"]),
            note=payload["note"],
            seconds=payload["seconds"],
        )

    def answers(self, annotator: str | None = None) -> dict[tuple[str, str], Answer]:
        """(annotator, item id) → answer, for one annotator or all."""
        query, args = "SELECT * FROM answers", ()
        if annotator is not None:
            query, args = query + " WHERE annotator = ?", (annotator,)
        rows = self._conn.execute(query + " ORDER BY seq", args).fetchall()
        return {(row["annotator"], row["item_id"]): _answer(row) for row in rows}

    def annotators(self) -> list[str]:
        """Everyone who has answered, in order of their first answer."""
        rows = self._conn.execute(
            "SELECT who FROM history WHERE action != 'decide' GROUP BY who ORDER BY MIN(seq)"
        ).fetchall()
        return [row["who"] for row in rows]

    def progress(self, annotator: str) -> dict[str, int]:
        """Counts of the annotator's done and skipped answers, and of all items."""
        rows = self._conn.execute(
            "SELECT status, COUNT(*) AS n FROM answers WHERE annotator = ? GROUP BY status",
            (annotator,),
        ).fetchall()
        counts = {row["status"]: row["n"] for row in rows}
        return {
            "done": counts.get("done", 0),
            "skipped": counts.get("skipped", 0),
            "total": self.count_items(),
        }

    # -- decisions and history -------------------------------------------------------------
    def decide(self, item_id: str, decision: Decision) -> None:
        """Store the adjudicated label of an item (a later decision replaces it; both logged)."""
        payload = {
            "frames": list(decision.frames),
            "stance": decision.stance,
            "note": decision.note,
        }
        with self._lock, self._conn:
            seq = self._log(decision.decided_by, item_id, "decide", payload)
            self._conn.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    item_id,
                    json.dumps(list(decision.frames)),
                    json.dumps(decision.stance),
                    decision.decided_by,
                    decision.note,
                    seq,
                ),
            )

    def decisions(self) -> dict[str, Decision]:
        """Item id → its adjudicated label."""
        rows = self._conn.execute("SELECT * FROM decisions").fetchall()
        return {
            row["item_id"]: Decision(
                frames=tuple(json.loads(row["frames"])),
                stance=json.loads(row["stance"]),
                decided_by=row["decided_by"],
                note=row["note"],
            )
            for row in rows
        }

    def history(self, item_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every logged action (answers, skips, undos, decisions), oldest first."""
        query, args = "SELECT * FROM history", ()
        if item_id is not None:
            query, args = query + " WHERE item_id = ?", (item_id,)
        for row in self._conn.execute(query + " ORDER BY seq", args).fetchall():
            yield {
                "seq": row["seq"],
                "at": row["at"],
                "who": row["who"],
                "item_id": row["item_id"],
                "action": row["action"],
                **json.loads(row["payload"]),
            }
