"""Plain records that classifiers return: hard predictions and probability tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Prediction:
    """One sentence's predicted frames (a subset of the schema's frames) and stance per target."""

    frames: list[str]
    stance: dict[str, str]


@dataclass(frozen=True)
class Probabilities:
    """Probabilities for n sentences, columns in the schema's fixed order.

    `frames` is (n, n_frames), each cell P(frame present), independent per column (multi-label).
    `stance[target]` is (n, n_stance_labels), each row a distribution over `stance_labels`.
    """

    frames: np.ndarray
    stance: dict[str, np.ndarray]
    frame_names: tuple[str, ...]
    stance_labels: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.frames.shape[0])
