"""The model kinds behind one small interface; `build_backend`/`load_backend` pick by kind.

Each kind's module imports torch/transformers/onnxruntime only inside the functions that need
them, so importing this package stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framing.config import (
    EncoderModelConfig,
    FewshotModelConfig,
    FinetuneModelConfig,
    TfidfModelConfig,
    TrainConfig,
    ZeroshotModelConfig,
)
from framing.errors import ConfigError
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
    """Rebuild a saved backend from its folder (files already checked by `read_index`)."""
    if runtime == "onnx":
        return OnnxBackend(kind, schema, path, params)
    return BACKENDS[kind].load(path, schema, model_config(kind, params), TrainConfig())
