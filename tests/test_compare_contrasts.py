"""Tests for framing.compare.levels and framing.compare.contrasts: cells, notes, differences
and trends on hand-made replicates."""

from __future__ import annotations

import numpy as np
import pytest

from framing.compare.contrasts import pairwise, trend_slopes, trends
from framing.compare.estimates import CellEstimates
from framing.compare.levels import Level, cell_note

REPORTED = [(1, "frame:f")]


def _cells(values: np.ndarray, n_docs: list[int]) -> CellEstimates:
    """Replicates (B+1, cells) of one frame's 'present' share as CellEstimates."""
    reps = np.stack([1 - values, values], axis=-1)
    n = np.array(n_docs, dtype=float) * 10
    notes = {"naive": np.array([""] * len(n_docs), dtype=object)}
    return CellEstimates({"naive": reps}, n, np.array(n_docs), np.zeros((len(n_docs), 1)), notes)


def test_compare_corrected_cell_at_floor_is_marked() -> None:
    assert cell_note("corrected", 0.0, 0.0).startswith("at floor")
    assert cell_note("corrected", 0.0, 0.02) == ""
    assert cell_note("naive", 0.0, 0.0) == ""
    assert cell_note("design", float("nan"), float("nan")) == "not estimable"


def test_compare_trend_slopes_hand_case() -> None:
    # one replicate rising 0.1 per period, one flat, one with a missing period
    reps = np.array([[0.1, 0.2, 0.3], [0.2, 0.2, 0.2], [0.1, np.nan, 0.3]])[:, :, None]
    slopes = trend_slopes(reps, np.array([2020.0, 2021.0, 2022.0]))
    assert slopes[0, 0] == pytest.approx(0.1) and slopes[1, 0] == pytest.approx(0.0)
    assert np.isnan(slopes[2, 0])
    assert np.isnan(trend_slopes(reps, np.array([1.0, 1.0, 1.0]))).all()


def test_compare_pairwise_skips_empty_cells_and_keeps_the_largest() -> None:
    rng = np.random.default_rng(0)
    values = np.clip(np.array([0.5, 0.2, 0.3, 0.0]) + rng.normal(0, 0.02, (201, 4)), 0, 1)
    values[0] = [0.5, 0.2, 0.3, 0.0]
    cells = _cells(values, [30, 20, 10, 0])
    level = Level(
        "group",
        [("all", g, "all") for g in ("w", "e", "s", "empty")],
        np.zeros(60, dtype=np.int64),
    )
    rows = pairwise(level, cells, REPORTED, None, 0.95)
    assert len(rows) == 3  # the empty cell is in no pair
    assert [(r["a"], r["b"]) for r in rows] == [("w", "e"), ("w", "s"), ("e", "s")]
    assert rows[0]["difference"] == pytest.approx(0.3)
    assert rows[0]["p_holm"] <= 3 * rows[0]["p_value"] + 1e-12
    limited = pairwise(level, cells, REPORTED, 2, 0.95)
    assert len(limited) == 1 and limited[0]["n_docs_a"] == 30 and limited[0]["n_docs_b"] == 20


def test_compare_trends_per_group_share_one_holm_family() -> None:
    periods = ["2020", "2021", "2022"]
    rising = np.tile([0.1, 0.2, 0.3], (101, 1)) + np.linspace(-0.01, 0.01, 101)[:, None]
    by_name = {
        "period": Level("period", [("all", "all", p) for p in periods], np.zeros(1, np.int64)),
        "group_period": Level(
            "group_period",
            [("all", g, p) for g in ("w", "e") for p in periods],
            np.zeros(1, np.int64),
        ),
    }
    kept = {
        "period": _cells(rising, [5, 5, 5]),
        "group_period": _cells(np.concatenate([rising, rising[:, ::-1]], axis=1), [5] * 6),
    }
    rows = trends(by_name, kept, REPORTED, 0.95)
    assert [(r["level"], r["a"]) for r in rows] == [
        ("period", "all"),
        ("group_period", "w"),
        ("group_period", "e"),
    ]
    assert [r["difference"] for r in rows] == pytest.approx([0.1, 0.1, -0.1])
    assert all(r["period"] == "2020-2022" and r["n_docs_a"] == 15 for r in rows)
    assert all(r["p_holm"] >= r["p_value"] for r in rows)
