"""framing: stance and framing analysis of political text.

Heavy libraries (torch, transformers, datasets) are imported only when a model needs them.
"""

from __future__ import annotations

from framing.classifier import FramingClassifier
from framing.config import ExperimentConfig, load_config
from framing.data import Example, read_examples, split_examples
from framing.errors import ConfigError, DataError, FramingError, ModelError, NotFittedError
from framing.evaluation import evaluate
from framing.labels import LabelSchema, load_schema
from framing.predictions import Prediction, Probabilities
from framing.training import RunResult, train

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "Example",
    "ExperimentConfig",
    "FramingClassifier",
    "FramingError",
    "LabelSchema",
    "ModelError",
    "NotFittedError",
    "Prediction",
    "Probabilities",
    "RunResult",
    "__version__",
    "evaluate",
    "load_config",
    "load_schema",
    "read_examples",
    "split_examples",
    "train",
]
