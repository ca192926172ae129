"""What every model kind shares: the per-epoch record, the backend Protocol, and the rule that
keeps the best epoch and stops early."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from framing.data import Example
from framing.labels import LabelSchema


@dataclass(frozen=True)
class EpochInfo:
    """What one pass over the training data produced (a single 'epoch' for the linear kinds)."""

    epoch: int
    step: int
    train_loss: float | None
    seconds: float
    dev: dict[str, float]


class Backend(Protocol):
    """What every kind implements; the `FramingClassifier` facade adds thresholds and checks."""

    kind: str
    schema: LabelSchema
    reads_pairs: bool  # can be asked about free-text targets (a (target, sentence) pair head)

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Backend], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        """Train, yielding one EpochInfo per epoch; the kept state is the best epoch's."""
        ...

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
        targets: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Frame probabilities (n, n_frames) and stance distributions per target."""
        ...

    def params(self) -> dict[str, Any]:
        """The model config's fields (JSON-safe), recorded in framing.json to rebuild it."""
        ...

    def save(self, path: Path) -> None:
        """Write weights and tokenizer files into an existing folder."""
        ...


class EarlyStopping:
    """Keeps track of the best epoch by a dev score and says when to stop.

    `select_on="macro_f1"` maximises dev macro-F1; `"loss"` minimises dev loss. Without dev
    scores the training loss decides (the only signal there is). Training stops once `patience`
    epochs in a row brought no improvement (Keras' rule; `patience=0` stops at the first one).
    """

    def __init__(self, select_on: str = "macro_f1", patience: int = 1) -> None:
        self.select_on = select_on
        self.patience = patience
        self.best = -np.inf
        self.bad_epochs = 0

    def score(self, dev_scores: dict[str, float], train_loss: float | None) -> float:
        """The number to maximise for this epoch."""
        if self.select_on == "loss" and "loss" in dev_scores:
            return -float(dev_scores["loss"])
        if self.select_on == "macro_f1" and "macro_f1" in dev_scores:
            return float(dev_scores["macro_f1"])
        return -float(train_loss) if train_loss is not None else 0.0

    def update(self, dev_scores: dict[str, float], train_loss: float | None) -> bool:
        """Record an epoch; True when it is the best so far (its state should be kept)."""
        value = self.score(dev_scores, train_loss)
        if value > self.best:
            self.best, self.bad_epochs = value, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        """True once `patience` epochs in a row brought no improvement."""
        return self.bad_epochs > 0 and self.bad_epochs >= self.patience
