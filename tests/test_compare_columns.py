"""Tests for framing.compare.columns: the column layout and the encoding of predictions/gold."""

from __future__ import annotations

import numpy as np
import pytest

from framing.compare.columns import encode_gold, encode_predictions, label_columns
from framing.data import Example
from framing.errors import ConfigError, ModelError
from framing.labels import LabelSchema
from framing.predictions import Probabilities

SCHEMA = LabelSchema(frames=("threat", "pressure"), targets=("west",), name="tiny")


def _proba(frames: list[list[float]], west: list[list[float]]) -> Probabilities:
    return Probabilities(
        frames=np.array(frames),
        stance={"west": np.array(west)},
        frame_names=SCHEMA.frames,
        stance_labels=SCHEMA.stance_labels,
    )


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


def test_compare_label_columns_subset_and_unknown() -> None:
    columns = label_columns(SCHEMA, ["pressure"])
    assert columns.tasks == ("pressure",)
    with pytest.raises(ConfigError, match=r"^labels: 'nope' not in the model's schema 'tiny'"):
        label_columns(SCHEMA, ["nope"])


def test_compare_encode_predictions_uses_thresholds_and_argmax() -> None:
    columns = label_columns(SCHEMA)
    proba = _proba([[0.6, 0.3], [0.4, 0.9]], [[0.2, 0.5, 0.3], [0.7, 0.1, 0.2]])
    hard, soft = encode_predictions(proba, {"threat": 0.7}, columns)
    # threat 0.6 < its threshold 0.7: absent; pressure has none, so 0.5 applies
    assert hard[0].tolist() == [1, 0, 1, 0, 0, 1, 0]
    assert hard[1].tolist() == [1, 0, 0, 1, 1, 0, 0]
    assert soft[0, :2].tolist() == pytest.approx([0.4, 0.6])


def test_compare_encode_predictions_missing_frame_is_a_model_error() -> None:
    other = LabelSchema(frames=("threat", "climate"), targets=("west",), name="other")
    proba = _proba([[0.6, 0.3]], [[0.2, 0.5, 0.3]])
    with pytest.raises(ModelError, match="no probability for frame 'climate'"):
        encode_predictions(proba, {}, label_columns(other))


def test_compare_encode_gold_masks_unlabelled_tasks() -> None:
    columns = label_columns(SCHEMA)
    examples = [
        Example(id="a", text="x", frames=("pressure",), stance=None),
        Example(id="b", text="y", frames=None, stance={"west": "against"}),
    ]
    y, mask = encode_gold(examples, columns)
    assert mask.tolist() == [[True, True, False], [False, False, True]]
    assert y[0].tolist() == [1, 0, 0, 1, 0, 0, 0]
    assert y[1].tolist() == [0, 0, 0, 0, 0, 1, 0]
