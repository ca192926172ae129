"""Probability tables: the mean of several models' tables (an ensemble teacher)."""

from __future__ import annotations

import numpy as np
import pytest

from framing.predictions import Probabilities, mean_probabilities


def _table(frames, stance, labels=("favor", "against", "none")):
    return Probabilities(np.array(frames), {"russia": np.array(stance)}, ("isolation",), labels)


def test_mean_probabilities_averages_every_column():
    a = _table([[0.2]], [[0.6, 0.2, 0.2]])
    b = _table([[0.6]], [[0.2, 0.2, 0.6]])
    mean = mean_probabilities([a, b])
    np.testing.assert_allclose(mean.frames, [[0.4]])
    np.testing.assert_allclose(mean.stance["russia"], [[0.4, 0.2, 0.4]])


def test_mean_probabilities_refuses_tables_of_different_schemas():
    a = _table([[0.2]], [[0.6, 0.2, 0.2]])
    b = _table([[0.6]], [[0.2, 0.2, 0.6]], labels=("pro", "con", "none"))
    with pytest.raises(ValueError, match="different schemas"):
        mean_probabilities([a, b])
