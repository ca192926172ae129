"""`FramingClassifier`: the one class users hold, whatever model kind is inside."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from framing.data import Example, parse_record
from framing.errors import ConfigError, DataError, FramingError, ModelError, NotFittedError
from framing.evaluation import selection_scores, tune_thresholds
from framing.files import atomic_dir
from framing.labels import LabelSchema
from framing.modelfolder import read_index, write_index
from framing.models import KINDS, Backend, EpochInfo, build_backend, load_backend
from framing.predictions import Prediction, Probabilities, predictions_from

logger = logging.getLogger(__name__)


def as_texts(texts: Any, method: str = "predict") -> list[str]:
    """Accept a list of strings or a `datasets.Dataset` with a `text` column; reject a bare str."""
    if isinstance(texts, str):
        raise TypeError(
            f"{method}() expects a list of strings, got str; "
            f"wrap a single text: clf.{method}([text])"
        )
    if hasattr(texts, "column_names") and hasattr(texts, "__getitem__"):
        if "text" not in texts.column_names:
            raise TypeError(
                f"{method}() got a Dataset without a 'text' column (columns: "
                f"{', '.join(texts.column_names)})"
            )
        texts = texts["text"]
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{method}() expects strings; item {i} is {type(text).__name__}")
    return texts


def _as_examples(
    items: Sequence[Example | Mapping[str, Any]], schema: LabelSchema
) -> list[Example]:
    examples = []
    for i, item in enumerate(items):
        if isinstance(item, Example):
            examples.append(parse_record(_example_record(item), f"example {i}", schema))
        elif isinstance(item, Mapping):
            examples.append(parse_record(dict(item), f"example {i}", schema))
        else:
            raise TypeError(
                f"fit() expects Example objects or dicts; item {i} is {type(item).__name__}"
            )
    return examples


def _example_record(ex: Example) -> dict[str, Any]:
    return {
        "id": ex.id,
        "text": ex.text,
        "source": ex.source,
        "doc_id": ex.doc_id,
        "date": ex.date,
        "frames": list(ex.frames) if ex.frames is not None else None,
        "stance": ex.stance,
        **ex.extra,
    }


class FramingClassifier:
    """Frames (multi-label) and stance per target, with one interface for every model kind.

    Example:
        >>> clf = FramingClassifier(kind="tfidf", frames=["isolation"], targets=["russia"])
        >>> clf.fit(examples)                                   # list of Example or dicts
        >>> clf.predict(["Russia is not isolated."])[0].stance  # {"russia": "favor"}
        >>> clf.save("out/model"); FramingClassifier.load("out/model")
    """

    def __init__(
        self,
        kind: str = "tfidf",
        *,
        schema: LabelSchema | None = None,
        frames: Sequence[str] | None = None,
        targets: Sequence[str] | None = None,
        stance_labels: Sequence[str] = ("favor", "against", "none"),
        model: Mapping[str, Any] | None = None,
        train: Mapping[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.schema_arg = schema
        self.frames_arg = frames
        self.targets_arg = targets
        self.stance_labels = tuple(stance_labels)
        self.model = model
        self.train = train

    # -- fitted state -------------------------------------------------------------------------
    backend_: Backend
    schema_: LabelSchema
    thresholds_: dict[str, float]
    history_: list[EpochInfo]

    def _check_fitted(self) -> None:
        if not hasattr(self, "backend_"):
            raise NotFittedError(
                "This FramingClassifier instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator, or load one with FramingClassifier.load()."
            )

    @property
    def schema(self) -> LabelSchema:
        """The label schema (fitted or loaded)."""
        self._check_fitted()
        return self.schema_

    @property
    def frames(self) -> tuple[str, ...]:
        return self.schema.frames

    @property
    def targets(self) -> tuple[str, ...]:
        return self.schema.targets

    @property
    def thresholds(self) -> dict[str, float]:
        self._check_fitted()
        return dict(self.thresholds_)

    def _resolve_schema(self) -> LabelSchema:
        if self.schema_arg is not None:
            return self.schema_arg
        return LabelSchema(
            frames=tuple(self.frames_arg or ()),
            targets=tuple(self.targets_arg or ()),
            stance_labels=self.stance_labels,
        )

    def _model_config(self) -> Any:
        from pydantic import TypeAdapter, ValidationError

        from framing.config import ModelConfig, TrainConfig
        from framing.labels import format_validation_error

        if self.kind not in KINDS:
            raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        try:
            model = TypeAdapter(ModelConfig).validate_python(
                {"kind": self.kind, **(self.model or {})}
            )
            train = TrainConfig.model_validate(dict(self.train or {}))
        except ValidationError as exc:
            raise ConfigError(format_validation_error("FramingClassifier arguments", exc)) from None
        return model, train

    def fit(
        self,
        examples: Sequence[Example | Mapping[str, Any]],
        dev: Sequence[Example | Mapping[str, Any]] | None = None,
        *,
        show_progress: bool = False,
        on_epoch: Callable[[EpochInfo], None] | None = None,
    ) -> FramingClassifier:
        """Train on labelled examples; `dev` selects epochs/C and tunes frame thresholds."""
        if getattr(self, "runtime_", "torch") == "onnx":
            raise FramingError(
                "this classifier was loaded from an exported ONNX folder, which is for inference "
                "only; train the torch model and export it again"
            )
        schema = self._resolve_schema()
        model_config, train_config = self._model_config()
        train = _as_examples(examples, schema)
        dev_examples = _as_examples(dev, schema) if dev else None
        if not any(ex.frames is not None or ex.stance for ex in train):
            raise DataError("fit() got no labelled examples: every example lacks frames and stance")
        backend = build_backend(model_config, schema, train_config)
        self.schema_ = schema
        self.history_ = []
        for info in backend.fit(
            train,
            dev_examples,
            show_progress=show_progress,
            score_dev=_dev_scorer(schema, dev_examples),
        ):
            self.history_.append(info)
            if on_epoch is not None:
                on_epoch(info)
        self.backend_ = backend
        self.thresholds_ = {frame: 0.5 for frame in schema.frames}
        if dev_examples:
            frame_proba, _ = backend.predict_proba([ex.text for ex in dev_examples])
            self.thresholds_ = tune_thresholds(frame_proba, dev_examples, schema.frames)
        return self

    def predict_proba(
        self,
        texts: Any,
        *,
        targets: Sequence[str] | None = None,
        batch_size: int | None = None,
        show_progress: bool = False,
    ) -> Probabilities:
        """Frame probabilities and stance distributions, columns in the schema's fixed order.

        Args:
            texts: a list of strings or a `datasets.Dataset` with a `text` column.
            targets: stance targets to ask about; defaults to the schema's. Free-text targets
                (e.g. "NATO") need the `finetune` kind, which reads (target, sentence) pairs.
        """
        self._check_fitted()
        texts = as_texts(texts, "predict_proba")
        targets = self._check_targets(targets)
        frames, stance = self.backend_.predict_proba(
            texts,
            batch_size=batch_size,
            show_progress=show_progress,
            targets=None if targets == self.schema_.targets else targets,
        )
        return Probabilities(
            frames=frames,
            stance={t: stance[t] for t in targets},
            frame_names=self.schema_.frames,
            stance_labels=self.schema_.stance_labels,
        )

    def _check_targets(self, targets: Sequence[str] | None) -> tuple[str, ...]:
        if targets is None:
            return self.schema_.targets
        if isinstance(targets, str):
            raise TypeError("targets must be a list of strings, got str; wrap it: targets=[target]")
        unknown = [t for t in targets if t not in self.schema_.targets]
        if unknown and self.kind != "finetune":
            raise ValueError(
                f"targets {unknown} are not in the schema ({', '.join(self.schema_.targets)}); "
                "free-text targets need a model of kind 'finetune'"
            )
        return tuple(targets)

    def predict(
        self,
        texts: Any,
        *,
        targets: Sequence[str] | None = None,
        batch_size: int | None = None,
        show_progress: bool = False,
    ) -> list[Prediction]:
        """Per sentence: the frames at or above their threshold, and the stance per target."""
        proba = self.predict_proba(
            as_texts(texts, "predict"),
            targets=targets,
            batch_size=batch_size,
            show_progress=show_progress,
        )
        return predictions_from(proba, self.thresholds_)

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write a model folder (framing.json + safetensors + tokenizer files); never pickles.

        The folder is built next to `path` and renamed into place, so a crash leaves no
        half-written model; an existing non-empty folder is an error.
        """
        self._check_fitted()
        path = Path(path)
        if path.exists() and any(path.iterdir()):
            raise ModelError(f"{path} already exists and is not empty; choose a new folder")
        with atomic_dir(path) as tmp:
            self.backend_.save(tmp)
            write_index(
                tmp,
                {
                    "kind": self.kind,
                    "schema": self.schema_.to_dict(),
                    "thresholds": self.thresholds_,
                    "params": self.backend_.params(),
                },
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> FramingClassifier:
        """Load a model folder written by `save`, checking every file against its recorded hash."""
        path = Path(path)
        index = read_index(path)
        schema = LabelSchema.from_dict(index["schema"])
        clf = cls(kind=index["kind"], schema=schema)
        try:
            if index.get("runtime") == "onnx":
                from framing.runtime import OnnxBackend

                clf.backend_ = OnnxBackend(index["kind"], schema, path, index.get("params", {}))
                clf.runtime_ = "onnx"
            else:
                clf.backend_ = load_backend(index["kind"], path, schema, index.get("params", {}))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(
                f"{path}: could not rebuild the {index['kind']} model ({exc})"
            ) from None
        clf.schema_ = schema
        clf.thresholds_ = {k: float(v) for k, v in index.get("thresholds", {}).items()}
        clf.history_ = []
        return clf

    def __repr__(self) -> str:
        fitted = hasattr(self, "backend_")
        schema = self.schema_ if fitted else self._resolve_schema()
        return (
            f"FramingClassifier(kind={self.kind!r}, frames={list(schema.frames)}, "
            f"targets={list(schema.targets)}{'' if fitted else ', unfitted'})"
        )


def _dev_scorer(
    schema: LabelSchema, dev: Sequence[Example] | None
) -> Callable[[Backend], dict[str, float]] | None:
    """A function scoring a backend on dev (macro F1, frames and stance) to select epochs."""
    if not dev:
        return None

    def score(backend: Backend) -> dict[str, float]:
        frames, stance = backend.predict_proba([ex.text for ex in dev])
        proba = Probabilities(frames, stance, schema.frames, schema.stance_labels)
        return selection_scores(dev, proba, schema)

    return score
