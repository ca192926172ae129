"""The three model kinds behind one small interface; `build_backend`/`load_backend` pick by kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from framing.data import Example
from framing.errors import ConfigError
from framing.labels import LabelSchema

if TYPE_CHECKING:
    from framing.config import ModelConfig, TrainConfig

KINDS = ("tfidf", "encoder", "finetune")


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

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Backend], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        """Train, yielding one EpochInfo per epoch; the last yielded state is the kept one."""
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
        """JSON-safe settings recorded in framing.json."""
        ...

    def save(self, path: Path) -> None:
        """Write weights and tokenizer files into an existing folder."""
        ...


def build_backend(
    model: ModelConfig, schema: LabelSchema, train: TrainConfig | None = None
) -> Backend:
    """A fresh, unfitted backend for one model config."""
    from framing.config import TrainConfig

    train = train or TrainConfig()
    if model.kind == "tfidf":
        from framing.models.tfidf import TfidfBackend

        return TfidfBackend(schema, model, seed=train.seed)
    if model.kind == "encoder":
        from framing.models.encoder import EncoderBackend

        return EncoderBackend(schema, model, train)
    if model.kind == "finetune":
        from framing.models.finetune import FinetuneBackend

        return FinetuneBackend(schema, model, train)
    raise ConfigError(f"model.kind must be one of {', '.join(KINDS)}, got {model.kind!r}")


def load_backend(kind: str, path: Path, schema: LabelSchema, params: dict[str, Any]) -> Backend:
    """Rebuild a saved backend from its folder (files already checked by the caller)."""
    if kind == "tfidf":
        from framing.models.tfidf import TfidfBackend

        return TfidfBackend.load(path, schema, params)
    if kind == "encoder":
        from framing.models.encoder import EncoderBackend

        return EncoderBackend.load(path, schema, params)
    if kind == "finetune":
        from framing.models.finetune import FinetuneBackend

        return FinetuneBackend.load(path, schema, params)
    raise ConfigError(f"unknown model kind {kind!r}; expected one of {', '.join(KINDS)}")
