"""`FramingClassifier`: the one class users hold, whatever model kind is inside."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framing.data import Example, parse_record
from framing.errors import ConfigError, DataError, FramingError, ModelError, NotFittedError
from framing.labels import LabelSchema
from framing.models import KINDS, Backend, EpochInfo, build_backend, load_backend
from framing.predictions import Prediction, Probabilities

logger = logging.getLogger(__name__)

FORMAT = 1
INDEX = "framing.json"


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries a saved model depends on."""
    return {
        name: _version(name)
        for name in ("framing", "scikit-learn", "numpy", "torch", "transformers", "safetensors")
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def tune_thresholds(
    frame_proba: np.ndarray, examples: Sequence[Example], frames: Sequence[str]
) -> dict[str, float]:
    """Per-frame decision threshold that maximises F1 on labelled dev examples (0.5 if none)."""
    from sklearn.metrics import precision_recall_curve

    rows = [i for i, ex in enumerate(examples) if ex.frames is not None]
    thresholds: dict[str, float] = {}
    for j, frame in enumerate(frames):
        y = np.array([frame in examples[i].frames for i in rows])  # type: ignore[operator]
        if len(rows) == 0 or y.sum() == 0 or y.all():
            thresholds[frame] = 0.5
            continue
        precision, recall, cuts = precision_recall_curve(y, frame_proba[rows, j])
        f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
        best = int(np.argmax(f1[:-1]))
        thresholds[frame] = float(np.clip(cuts[best], 0.01, 0.99))
    return thresholds


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
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
        try:
            self.backend_.save(tmp)
            files = {
                p.relative_to(tmp).as_posix(): _sha256(p)
                for p in sorted(tmp.rglob("*"))
                if p.is_file()
            }
            index = {
                "format": FORMAT,
                "kind": self.kind,
                "schema": self.schema_.to_dict(),
                "thresholds": self.thresholds_,
                "params": self.backend_.params(),
                "versions": library_versions(),
                "files": files,
            }
            (tmp / INDEX).write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n")
            if path.exists():
                path.rmdir()
            os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
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


def read_index(path: Path) -> dict[str, Any]:
    """Read and check framing.json and the files it lists."""
    index_path = path / INDEX
    if not path.is_dir():
        raise ModelError(f"model folder not found: {path}")
    if not index_path.is_file():
        raise ModelError(f"{path}: no {INDEX}; this is not a framing model folder")
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{index_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    for key in ("format", "kind", "schema", "files"):
        if key not in index:
            raise ModelError(f"{index_path}: missing key '{key}'")
    if index["format"] != FORMAT:
        raise ModelError(
            f"{index_path}: model format {index['format']!r} is not supported (expected {FORMAT}); "
            "upgrade framing"
        )
    for name, digest in index["files"].items():
        file = path / name
        if not file.is_file():
            raise ModelError(f"{path}: file '{name}' listed in {INDEX} is missing")
        if _sha256(file) != digest:
            raise ModelError(
                f"{path}: file '{name}' does not match its SHA-256 in {INDEX}; "
                "the folder was modified after saving"
            )
    _warn_versions(path, index.get("versions", {}))
    return index


def _warn_versions(path: Path, saved: Mapping[str, str | None]) -> None:
    current = library_versions()
    differ = [
        f"{name} {saved[name]} -> {current.get(name)}"
        for name in ("scikit-learn", "torch", "transformers")
        if saved.get(name) and current.get(name) and saved[name] != current[name]
    ]
    if differ:
        warnings.warn(
            f"{path} was saved with other library versions ({'; '.join(differ)}); "
            "predictions may differ slightly",
            UserWarning,
            stacklevel=3,
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


def _dev_scorer(
    schema: LabelSchema, dev: Sequence[Example] | None
) -> Callable[[Backend], dict[str, float]] | None:
    """A function scoring a backend on dev (macro F1, frames and stance) to select epochs."""
    if not dev:
        return None

    def score(backend: Backend) -> dict[str, float]:
        from framing.evaluation import selection_scores

        frames, stance = backend.predict_proba([ex.text for ex in dev])
        proba = Probabilities(frames, stance, schema.frames, schema.stance_labels)
        return selection_scores(dev, proba, schema)

    return score
