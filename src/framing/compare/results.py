"""A comparison folder read back: its summary, estimate and difference rows, and evidence, with
the estimates indexed by cell for the report and its plots.

Nothing is computed here: every number is a cell of estimates.csv or differences.csv.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Results:
    """The files of a comparison folder, as written by `framing.compare.job`."""

    summary: dict[str, Any]
    estimates: list[dict[str, str]]
    differences: list[dict[str, str]]
    evidence: list[dict[str, Any]]
    syndication: list[dict[str, str]] = field(default_factory=list)


def read_results(folder: Path) -> Results:
    """Read summary.json, estimates.csv, differences.csv and evidence.jsonl (the last three may
    be missing: they read as empty)."""
    summary: dict[str, Any] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    evidence: list[dict[str, Any]] = []
    if (folder / "evidence.jsonl").is_file():
        with open(folder / "evidence.jsonl", encoding="utf-8") as handle:
            evidence = [json.loads(line) for line in handle if line.strip()]
    return Results(
        summary=summary,
        estimates=_read_csv(folder / "estimates.csv"),
        differences=_read_csv(folder / "differences.csv"),
        evidence=evidence,
        syndication=_read_csv(folder / "syndication.csv"),
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def number(text: str | None) -> float:
    """A CSV cell as a float (NaN when empty)."""
    return float(text) if text not in ("", None) else math.nan


_SHOWN_ZERO = 0.0005  # shares below this print as 0.0%


@dataclass(frozen=True)
class Cell:
    """One estimate as the report shows it; `fallback`: the corrected estimate standing in for
    a missing design-based one."""

    estimate: float
    low: float
    high: float
    estimator: str
    fallback: bool
    n_sentences: int
    n_docs: int
    note: str
    naive: float = math.nan

    @property
    def unresolvable(self) -> str:
        """Why the correction cannot resolve this cell ('' when it can, for naive cells and for
        empty ones): it clipped at 0 (or 100%) in every resample, the dev confusion matrix is near
        singular, or too few gold sentences (with no corrected estimate to stand in)."""
        if self.estimator == "naive" or self.n_sentences == 0 or self.note == "no sentences":
            return ""
        if not math.isfinite(self.estimate):
            return self.note or "not estimable"
        if self.note.startswith("at floor") or self.high < _SHOWN_ZERO:
            # The interval would read [0.0%, 0.0%]: the estimate clipped at 0 in (nearly)
            # every resample, a floor set by the error rates, not a measured share.
            return f"{self.estimator} clips at 0 in (nearly) every resample"
        if self.low > 1 - _SHOWN_ZERO:
            # [100.0%, 100.0%]: every other class clipped at 0, so this one is a ceiling.
            return f"{self.estimator} clips at 100% in (nearly) every resample"
        return ""


class HeadlineTable:
    """Headline cells indexed by (level, source, group, period, label)."""

    def __init__(self, rows: Sequence[dict[str, str]], headline: str) -> None:
        self.headline = headline
        by_key: dict[tuple[str, ...], dict[str, dict[str, str]]] = {}
        for row in rows:
            key = (row["level"], row["source"], row["group"], row["period"], row["label"])
            by_key.setdefault(key, {})[row["estimator"]] = row
        self.by_key = by_key

    def cell(
        self,
        level: str,
        source: str,
        group: str,
        period: str,
        label: str,
        estimator: str | None = None,
    ) -> Cell:
        """The cell's `estimator` estimate (default: the headline one, with the corrected
        estimate standing in where the design-based one is empty)."""
        rows = self.by_key.get((level, source, group, period, label), {})
        name = estimator or self.headline
        row = rows.get(name)
        fallback = False
        if estimator is None and name == "design" and (row is None or row["estimate"] == ""):
            if "corrected" in rows and rows["corrected"]["estimate"] != "":
                row, fallback = rows["corrected"], True
        naive = number(rows["naive"]["estimate"]) if "naive" in rows else math.nan
        if row is None:
            return Cell(math.nan, math.nan, math.nan, name, False, 0, 0, "not estimated", naive)
        note = row["note"]
        if fallback and rows.get(name):
            note = f"{rows[name]['note']}; corrected: {note}" if note else rows[name]["note"]
        return Cell(
            number(row["estimate"]),
            number(row["ci_low"]),
            number(row["ci_high"]),
            row["estimator"],
            fallback,
            int(row["n_sentences"] or 0),
            int(row["n_docs"] or 0),
            note,
            naive,
        )
