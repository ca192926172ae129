"""Plain records that classifiers return: hard predictions and probability tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


def mean_probabilities(probas: list[Probabilities]) -> Probabilities:
    """The mean of several models' probabilities for the same sentences (an ensemble); the
    models must share frames, targets and stance labels, in order."""
    first = probas[0]
    for other in probas[1:]:
        if (other.frame_names, other.stance_labels, list(other.stance)) != (
            first.frame_names,
            first.stance_labels,
            list(first.stance),
        ):
            raise ValueError("probabilities of different schemas cannot be averaged")
    return Probabilities(
        frames=np.mean([p.frames for p in probas], axis=0),
        stance={t: np.mean([p.stance[t] for p in probas], axis=0) for t in first.stance},
        frame_names=first.frame_names,
        stance_labels=first.stance_labels,
    )


def predictions_from(proba: Probabilities, thresholds: Mapping[str, float]) -> list[Prediction]:
    """Hard labels from probabilities: frames at or above threshold, stance by argmax."""
    names = proba.frame_names
    cut = np.array([thresholds.get(name, 0.5) for name in names])
    present = proba.frames >= cut if len(names) else np.zeros((len(proba), 0), dtype=bool)
    argmax = {t: p.argmax(axis=1) for t, p in proba.stance.items()}
    out = []
    for i in range(len(proba)):
        frames = [names[j] for j in np.flatnonzero(present[i])]
        stance = {t: proba.stance_labels[int(a[i])] for t, a in argmax.items()}
        out.append(Prediction(frames=frames, stance=stance))
    return out


def proba_row(proba: Probabilities, i: int, digits: int = 6) -> dict[str, Any]:
    """Row `i` of the probability tables as JSON-ready nested dicts (frames, stance per target)."""
    return {
        "frames": {
            f: round(float(proba.frames[i, j]), digits) for j, f in enumerate(proba.frame_names)
        },
        "stance": {
            t: {label: round(float(p[i, k]), digits) for k, label in enumerate(proba.stance_labels)}
            for t, p in proba.stance.items()
        },
    }
