"""Tests for framing.compare.columns: the column layout."""

from __future__ import annotations

from framing.compare.columns import label_columns
from framing.labels import LabelSchema

SCHEMA = LabelSchema(frames=("threat", "pressure"), targets=("west",), name="tiny")


def test_compare_label_columns_layout() -> None:
    columns = label_columns(SCHEMA)
    assert columns.n_columns == 7
    assert columns.offsets == (0, 2, 4)
    assert [label for _, label in columns.reported()] == [
        "frame:threat",
        "frame:pressure",
        "stance:west:favor",
        "stance:west:against",
        "stance:west:none",
    ]
