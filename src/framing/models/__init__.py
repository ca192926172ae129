"""The model kinds behind one small interface; `build_backend`/`load_backend` pick by kind.

Each kind's module imports torch/transformers/onnxruntime only inside the functions that need
them, so importing this package stays cheap.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from framing.config import (
    EncoderModelConfig,
    FewshotModelConfig,
    FinetuneModelConfig,
    TfidfModelConfig,
    TrainConfig,
    ZeroshotModelConfig,
)
from framing.errors import ConfigError, ModelError
from framing.labels import LabelSchema
from framing.modelfolder import KINDS
from framing.models.base import Backend, EarlyStopping, EpochInfo
from framing.models.encoder import EncoderBackend
from framing.models.fewshot import FewshotBackend
from framing.models.finetune import FinetuneBackend
from framing.models.onnx import OnnxBackend
from framing.models.tfidf import TfidfBackend
from framing.models.zeroshot import ZeroshotBackend

BACKENDS: dict[str, Any] = {
    "tfidf": TfidfBackend,
    "encoder": EncoderBackend,
    "finetune": FinetuneBackend,
    "fewshot": FewshotBackend,
    "zeroshot": ZeroshotBackend,
}
CONFIGS: dict[str, Any] = {
    "tfidf": TfidfModelConfig,
    "encoder": EncoderModelConfig,
    "finetune": FinetuneModelConfig,
    "fewshot": FewshotModelConfig,
    "zeroshot": ZeroshotModelConfig,
}

__all__ = [
    "BACKENDS",
    "KINDS",
    "Backend",
    "EarlyStopping",
    "EpochInfo",
    "build_backend",
    "load_backend",
    "model_config",
]


def build_backend(model: Any, schema: LabelSchema, train: TrainConfig) -> Backend:
    """A fresh, unfitted backend for one (validated) model config."""
    if model.kind not in BACKENDS:
        raise ConfigError(f"model.kind must be one of {', '.join(KINDS)}, got {model.kind!r}")
    return BACKENDS[model.kind](schema, model, train)


def model_config(kind: str, params: dict[str, Any]) -> Any:
    """The model config of `kind` rebuilt from saved params (keys it does not know are ignored,
    so folders written by older versions still load); defaults come from the config model."""
    if kind not in BACKENDS:
        raise ConfigError(f"unknown model kind {kind!r}; expected one of {', '.join(KINDS)}")
    config = CONFIGS[kind]
    known = {k: v for k, v in params.items() if k in config.model_fields and k != "name"}
    return config.model_validate({**known, "kind": kind})


def load_backend(
    kind: str, path: Path, schema: LabelSchema, params: dict[str, Any], runtime: str = "torch"
) -> Backend:
    """Rebuild a saved backend from its folder (files already checked by `read_index`) and
    check that its outputs have the shape of the schema."""
    if runtime == "onnx":
        backend: Backend = OnnxBackend(kind, schema, path, params)
    else:
        backend = BACKENDS[kind].load(path, schema, model_config(kind, params), TrainConfig())
    check_outputs(backend, schema, path)
    return backend


def check_outputs(backend: Backend, schema: LabelSchema, path: Path) -> None:
    """One text through the rebuilt model: its outputs must have the shape of the schema in
    framing.json (which the file hashes cannot cover), else one ModelError, not a failure deep
    inside the first prediction."""
    problem = ""
    try:
        with warnings.catch_warnings():  # e.g. tfidf: a probe that shares no word
            warnings.simplefilter("ignore")
            frames, stance = backend.predict_proba(["The state of the world."], batch_size=1)
    except (ValueError, IndexError, RuntimeError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    else:
        if np.shape(frames) != (1, len(schema.frames)):
            problem = f"{np.shape(frames)[-1]} frame outputs for {len(schema.frames)} frames"
        for target in schema.targets:
            shape = np.shape(stance.get(target, ()))
            if not problem and shape != (1, len(schema.stance_labels)):
                problem = f"target {target!r} gives outputs of shape {shape}"
    if problem:
        raise ModelError(
            f"{path}: the model does not match the schema in framing.json ({problem}); was "
            "framing.json edited after saving?"
        )
