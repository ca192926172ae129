"""`FramingClassifier`: the one class users hold, whatever model kind is inside."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, TypeAdapter, ValidationError

from framing.calibration import (
    apply_calibration,
    calibration_from_index,
    fit_calibration,
    merge_calibration,
)
from framing.config import ModelConfig, TrainConfig
from framing.data import Example, check_training_data
from framing.errors import ConfigError, DataError, FramingError, ModelError, NotFittedError
from framing.evaluation import selection_scores, tune_thresholds
from framing.files import atomic_dir
from framing.inputs import as_examples, as_texts, unlabelled_examples
from framing.labels import LabelSchema, as_schema, format_validation_error
from framing.languages import (
    check_on_other_language,
    detect_languages,
    other_languages,
    report_other_languages,
    trained_languages,
)
from framing.modelfolder import read_index, write_index
from framing.models import KINDS, Backend, EpochInfo, build_backend, load_backend
from framing.predictions import Prediction, Probabilities, predictions_from
from framing.pretrained import resolve_model

logger = logging.getLogger(__name__)


class FramingClassifier:
    """Frames (multi-label) and stance per target, with one interface for every model kind.

    Constructor arguments are stored as given (the scikit-learn rule) and checked in `fit`;
    what `fit` or `load` learns ends in an underscore (`schema_`, `thresholds_`, `backend_`).

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
        schema: LabelSchema | str | Path | None = None,
        frames: Sequence[str] | None = None,
        targets: Sequence[str] | None = None,
        stance_labels: Sequence[str] = ("favor", "against", "none"),
        model: Mapping[str, Any] | ModelConfig | None = None,
        train: Mapping[str, Any] | TrainConfig | None = None,
    ) -> None:
        self.kind = kind
        self.schema = schema
        self.frames = frames
        self.targets = targets
        self.stance_labels = stance_labels
        self.model = model
        self.train = train

    _PARAMS = ("kind", "schema", "frames", "targets", "stance_labels", "model", "train")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments as stored (scikit-learn's protocol, so `clone` works)."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> FramingClassifier:
        """Replace constructor arguments by name; an unknown name is a ConfigError."""
        unknown = sorted(set(params) - set(self._PARAMS))
        if unknown:
            raise ConfigError(
                f"set_params: unknown parameter {unknown[0]!r}; expected one of "
                f"{', '.join(self._PARAMS)}"
            )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    # -- fitted state -------------------------------------------------------------------------
    backend_: Backend
    schema_: LabelSchema
    thresholds_: dict[str, float]
    calibration_: dict[str, Any] = {}  # noqa: RUF012  (class default: none; fit/load set it)
    history_: list[EpochInfo]
    languages_: tuple[str, ...] = ()  # detected in training (>= 1% of texts); () = unknown
    runtime_: str = "torch"

    def _check_fitted(self) -> None:
        if not hasattr(self, "backend_"):
            raise NotFittedError(
                "This FramingClassifier instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator, or load one with FramingClassifier.load()."
            )

    @property
    def thresholds(self) -> dict[str, float]:
        """Per-frame decision thresholds (tuned on dev when `fit` got one, else 0.5)."""
        self._check_fitted()
        return dict(self.thresholds_)

    def _resolve_schema(self) -> LabelSchema:
        if self.schema is not None:
            if self.frames is not None or self.targets is not None:
                raise ConfigError("give either schema= or frames=/targets=, not both")
            return as_schema(self.schema)
        for name in ("frames", "targets", "stance_labels"):
            if isinstance(getattr(self, name), str):
                value = getattr(self, name)
                raise ConfigError(
                    f"{name} must be a list of names, got the string {value!r}; "
                    f"wrap it: {name}=[{value!r}]"
                )
        return LabelSchema(
            frames=tuple(self.frames or ()),
            targets=tuple(self.targets or ()),
            stance_labels=tuple(self.stance_labels),
        )

    def _configs(self) -> tuple[Any, TrainConfig]:
        """The validated model and train configs (objects pass through, mappings are checked)."""
        if self.kind not in KINDS:
            raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for name in ("model", "train"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (Mapping, BaseModel)):
                raise ConfigError(
                    f"{name} must be a mapping of settings (e.g. {name}={{...}}) or a config "
                    f"object, got {type(value).__name__} {value!r}"
                )
        try:
            model = self.model
            if model is None or isinstance(model, Mapping):
                model = TypeAdapter(ModelConfig).validate_python(
                    {"kind": self.kind, **(model or {})}
                )
            train = self.train
            if train is None or isinstance(train, Mapping):
                train = TrainConfig.model_validate(dict(train or {}))
        except ValidationError as exc:
            raise ConfigError(format_validation_error("FramingClassifier arguments", exc)) from None
        if model.kind != self.kind:
            raise ConfigError(f"model config is of kind {model.kind!r} but kind={self.kind!r}")
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
        if self.runtime_ == "onnx":
            raise FramingError(
                "this classifier was loaded from an exported ONNX folder, which is for inference "
                "only; train the torch model and export it again"
            )
        schema = self._resolve_schema()
        model_config, train_config = self._configs()
        train = as_examples(examples, schema)
        dev_examples = as_examples(dev, schema) if dev else None
        if self.kind != "zeroshot":  # zero-shot needs no labels; any it gets only calibrate
            check_training_data(train, dev_examples, schema, self.kind)
        backend = build_backend(model_config, schema, train_config)
        self.schema_ = schema
        self.history_ = []
        self.languages_ = tuple(trained_languages([ex.text for ex in train]))
        scorer = _dev_scorer(schema, dev_examples)
        for info in backend.fit(train, dev_examples, show_progress=show_progress, score_dev=scorer):
            self.history_.append(info)
            if on_epoch is not None:
                on_epoch(info)
        self.backend_ = backend
        self.thresholds_ = {frame: 0.5 for frame in schema.frames}
        self.calibration_ = {}
        if dev_examples:
            self.calibrate(dev_examples, probabilities=train_config.calibrate)
        return self

    @classmethod
    def zero_shot(
        cls, schema: LabelSchema | str | Path, examples: Sequence[Any] = (), **kwargs: Any
    ) -> FramingClassifier:
        """Frames from their schema definitions (and seeds) alone: kind `zeroshot`. `examples`
        (optional; unlabelled texts or labels for *other* frames) only scale and calibrate."""
        if "kind" in kwargs:
            raise TypeError("zero_shot() always builds kind 'zeroshot'; drop kind=")
        schema = as_schema(schema)
        examples = unlabelled_examples(examples, schema, "zero_shot")
        return cls("zeroshot", schema=schema, **kwargs).fit(examples)

    def calibrate(
        self, dev: Sequence[Example | Mapping[str, Any]], *, probabilities: bool = True
    ) -> FramingClassifier:
        """Fit probability calibration (unless `probabilities=False`) and the frame thresholds
        on labelled dev examples; `fit` does this with its dev set, and a model trained
        elsewhere can be re-calibrated for a new corpus's dev set."""
        self._check_fitted()
        examples = as_examples(dev, self.schema_)
        if not any(ex.frames is not None or ex.stance for ex in examples):
            raise DataError("calibrate() got no labelled dev examples (no frames, no stance)")
        texts = [ex.text for ex in examples]
        proba = self.predict_proba(texts, calibrated=False, on_other_language="ignore")
        old = self.calibration_ if probabilities else {}
        new = fit_calibration(proba, examples, self.schema_) if probabilities else {}
        # A label this dev set cannot support keeps what it had (calibration and threshold).
        self.calibration_ = merge_calibration(old, new) if probabilities else {}
        proba = apply_calibration(proba, self.calibration_)
        tuned = tune_thresholds(proba.frames, examples, self.schema_.frames)
        seen = {f for ex in examples for f in ex.frames or ()}
        self.thresholds_ = {
            f: tuned[f] if f in seen else self.thresholds_.get(f, 0.5) for f in tuned
        }
        return self

    def predict_proba(
        self,
        texts: Any,
        *,
        targets: Sequence[str] | None = None,
        batch_size: int | None = None,
        show_progress: bool = False,
        calibrated: bool = True,
        on_other_language: str = "warn",
    ) -> Probabilities:
        """Frame probabilities and stance distributions, columns in the schema's fixed order;
        rescaled by the calibration fitted on dev unless `calibrated=False`.

        Args:
            texts: a list, array or Series of strings, or a `datasets.Dataset` or pandas
                DataFrame with a `text` column.
            targets: stance targets to ask about; defaults to the schema's. Free-text targets
                (e.g. "NATO") need the `finetune` kind, which reads (target, sentence) pairs.
            on_other_language: texts in a language the model was not trained for (detected,
                see `languages_`) give one warning (`warn`), a DataError (`refuse`) or nothing.
        """
        self._check_fitted()
        texts = as_texts(texts, "predict_proba")
        targets = self._check_targets(targets)
        mode = check_on_other_language(on_other_language)
        if mode != "ignore" and self.languages_ and texts:
            others = other_languages(detect_languages(texts), self.languages_)
            report_other_languages(others, len(texts), self.languages_, mode)
        if not isinstance(calibrated, bool):
            raise ConfigError(f"calibrated must be True or False, got {calibrated!r}")
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
        ):
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
        schema = self.schema_
        if not texts:
            return Probabilities(
                np.zeros((0, len(schema.frames))),
                {t: np.zeros((0, len(schema.stance_labels))) for t in targets},
                schema.frames,
                schema.stance_labels,
            )
        frames, stance = self.backend_.predict_proba(
            texts,
            batch_size=batch_size,
            show_progress=show_progress,
            targets=None if targets == schema.targets else targets,
        )
        proba = Probabilities(
            frames=frames,
            stance={t: stance[t] for t in targets},
            frame_names=schema.frames,
            stance_labels=schema.stance_labels,
        )
        return apply_calibration(proba, self.calibration_) if calibrated else proba

    def _check_targets(self, targets: Sequence[str] | None) -> tuple[str, ...]:
        if targets is None:
            return self.schema_.targets
        if isinstance(targets, str):
            raise TypeError("targets must be a list of strings, got str; wrap it: targets=[target]")
        unknown = [t for t in targets if t not in self.schema_.targets]
        if unknown and not self.backend_.reads_pairs:
            raise ConfigError(
                f"targets {unknown} are not in the schema ({', '.join(self.schema_.targets)}); "
                "free-text targets need a finetune model with stance_input 'pair' or 'both'"
            )
        return tuple(targets)

    def predict(
        self,
        texts: Any,
        *,
        targets: Sequence[str] | None = None,
        batch_size: int | None = None,
        show_progress: bool = False,
        on_other_language: str = "warn",
    ) -> list[Prediction]:
        """Per sentence: the frames at or above their threshold, and the stance per target."""
        proba = self.predict_proba(
            as_texts(texts, "predict"),
            targets=targets,
            batch_size=batch_size,
            show_progress=show_progress,
            on_other_language=on_other_language,
        )
        return predictions_from(proba, self.thresholds_)

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write a model folder (framing.json + safetensors + tokenizer files); never pickles.

        The folder is built next to `path` and renamed into place, so a crash leaves no
        half-written model; an existing non-empty folder is an error.
        """
        self._check_fitted()
        if self.runtime_ == "onnx":
            raise ModelError("an ONNX model folder is written by `framing export`, not by save()")
        path = Path(path)
        if path.is_file():
            raise ModelError(f"{path} is a file; save() writes a model folder, choose a new path")
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
                    "calibration": self.calibration_,
                    "params": self.backend_.params(),
                    "languages": list(self.languages_),
                },
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> FramingClassifier:
        """Load a model folder written by `save` or `framing export`, verifying every file,
        or a packaged model by name: `FramingClassifier.load("geopolitics")`."""
        path = resolve_model(path)
        index = read_index(path)
        try:
            schema = LabelSchema.from_dict(index["schema"])
        except (ConfigError, TypeError, AttributeError) as exc:
            raise ModelError(f"{path}: the schema in framing.json is invalid ({exc})") from None
        runtime = index.get("runtime", "torch")
        try:
            backend = load_backend(index["kind"], path, schema, index.get("params") or {}, runtime)
        except ModelError:
            raise
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise ModelError(
                f"{path}: could not rebuild the {index['kind']} model ({exc})"
            ) from None
        clf = cls(kind=index["kind"], schema=schema)
        clf.backend_ = backend
        clf.runtime_ = runtime
        clf.schema_ = schema
        clf.thresholds_ = _thresholds(index, schema, path)
        clf.calibration_ = calibration_from_index(index, schema, path)
        clf.history_ = []
        clf.languages_ = _languages(index, path)
        return clf

    def __repr__(self) -> str:
        fitted = hasattr(self, "backend_")
        try:
            schema = self.schema_ if fitted else self._resolve_schema()
        except FramingError:  # arguments `fit` will refuse: show them as given
            return f"FramingClassifier(kind={self.kind!r}, frames={self.frames!r}, unfitted)"
        return (
            f"FramingClassifier(kind={self.kind!r}, frames={list(schema.frames)}, "
            f"targets={list(schema.targets)}{'' if fitted else ', unfitted'})"
        )


def _thresholds(index: Mapping[str, Any], schema: LabelSchema, path: Path) -> dict[str, float]:
    """Frame thresholds from framing.json: one number in [0, 1] per frame of the schema."""
    raw = index.get("thresholds") or {}
    out = {}
    for frame in schema.frames:
        value = raw.get(frame, 0.5)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ModelError(
                f"{path}: threshold for frame {frame!r} in framing.json must be a number in "
                f"[0, 1], found {value!r}"
            )
        out[frame] = float(value)
    return out


def _languages(index: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    """The training languages from framing.json (absent in older folders: unknown, ())."""
    raw = index.get("languages") or []
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ModelError(
            f"{path}: 'languages' in framing.json must be a list of language codes, found {raw!r}"
        )
    return tuple(raw)


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
