"""Tests for framing.compare.levels and framing.compare.contrasts."""

from __future__ import annotations

from framing.compare.levels import cell_note


def test_compare_corrected_cell_at_floor_is_marked() -> None:
    assert cell_note("corrected", 0.0, 0.0).startswith("at floor")
    assert cell_note("corrected", 0.0, 0.02) == ""
    assert cell_note("naive", 0.0, 0.0) == ""
    assert cell_note("design", float("nan"), float("nan")) == "not estimable"
