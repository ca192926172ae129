"""Experiment configs: YAML checked by pydantic, with spaCy-style `--set key=value` overrides."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from framing.errors import ConfigError
from framing.labels import format_validation_error

_STRICT = ConfigDict(extra="forbid", frozen=True)


class SplitConfig(BaseModel):
    """How to carve dev/test out of `train` when no dev file is given (grouped by document)."""

    model_config = _STRICT

    dev: float = Field(0.1, ge=0.0, lt=1.0)
    test: float = Field(0.1, ge=0.0, lt=1.0)
    seed: int = 13


class DataConfig(BaseModel):
    """Where the labelled sets live; `eval` names become report columns."""

    model_config = _STRICT

    train: Path | list[Path]
    dev: Path | list[Path] | None = None
    eval: dict[str, Path | list[Path]] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)
    split: SplitConfig | None = None
    # Eval sets allowed to share documents (not sentences) with train, e.g. a uniform random
    # gold sample of a corpus whose other sentences were annotated for training.
    shared_documents_ok: list[str] = Field(default_factory=list)


class TfidfModelConfig(BaseModel):
    """TF-IDF n-grams + logistic regression; `C` may be a grid chosen on dev."""

    model_config = _STRICT

    kind: Literal["tfidf"]
    name: str | None = None
    C: float | list[float] = Field(default_factory=lambda: [0.3, 1.0, 3.0, 10.0])
    ngram_max: int = Field(2, ge=1, le=3)
    min_df: int = Field(1, ge=1)
    max_features: int | None = Field(200_000, ge=1)
    sublinear_tf: bool = True


class EncoderModelConfig(BaseModel):
    """A frozen sentence encoder with logistic-regression heads on its embeddings."""

    model_config = _STRICT

    kind: Literal["encoder"]
    name: str | None = None
    base: str = "default"
    max_length: int = Field(128, ge=8, le=512)
    batch_size: int = Field(64, ge=1)
    C: float | list[float] = Field(default_factory=lambda: [0.3, 1.0, 3.0])


class FinetuneModelConfig(BaseModel):
    """The encoder fine-tuned end to end: a frame head and a (target, sentence) pair stance head."""

    model_config = _STRICT

    kind: Literal["finetune"]
    name: str | None = None
    base: str = "default"
    max_length: int = Field(128, ge=8, le=512)
    freeze_embeddings: bool = False


ModelConfig = Annotated[
    TfidfModelConfig | EncoderModelConfig | FinetuneModelConfig, Field(discriminator="kind")
]


class TrainConfig(BaseModel):
    """The loop's settings (epochs, lr, ... only matter for `finetune`)."""

    model_config = _STRICT

    seed: int = 13
    epochs: int = Field(3, ge=1)
    batch_size: int = Field(16, ge=1)
    lr: float = Field(3e-5, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    patience: int = Field(1, ge=0)
    max_steps: int | None = Field(None, ge=1)
    select_on: Literal["macro_f1", "loss"] = "macro_f1"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(None, ge=1)


class EvaluationConfig(BaseModel):
    """Bootstrap and stance-metric settings."""

    model_config = _STRICT

    bootstrap: int = Field(1000, ge=0)
    ci: float = Field(0.95, gt=0, lt=1)
    favor_against: list[str] = Field(default_factory=lambda: ["favor", "against"])
    calibration_bins: int = Field(10, ge=2)


class ExperimentConfig(BaseModel):
    """One experiment: a label schema, data, one or more models, and training settings."""

    model_config = _STRICT

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    schema_: Path = Field(alias="schema")
    data: DataConfig
    models: list[ModelConfig] = Field(min_length=1)
    train: TrainConfig = Field(default_factory=TrainConfig)  # type: ignore[arg-type]
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)  # type: ignore[arg-type]
    output_dir: Path = Path("experiments/runs")

    @model_validator(mode="before")
    @classmethod
    def _single_model(cls, data: Any) -> Any:
        """Accept `model: {...}` as shorthand for a one-item `models` list."""
        if isinstance(data, dict) and "model" in data:
            if "models" in data:
                raise ValueError("give either 'model' or 'models', not both")
            data = dict(data)
            data["models"] = [data.pop("model")]
        return data

    @model_validator(mode="after")
    def _unique_model_names(self) -> ExperimentConfig:
        names = model_names(self)
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique, got {names}; set `name:` on each")
        return self


def as_paths(value: Path | list[Path] | None) -> list[Path]:
    """A data key may name one file or a list of files (read and concatenated in order)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def model_names(config: ExperimentConfig) -> list[str]:
    """Each model's folder name in the run: its `name`, else its kind."""
    return [m.name or m.kind for m in config.models]


def _parse_override(item: str) -> tuple[list[str], Any]:
    if "=" not in item:
        raise ConfigError(f"override {item!r} must look like key.path=value")
    key, value = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override {item!r} has an empty key")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return key.strip().split("."), parsed


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Merge dotted `key=value` overrides into a raw config dict (values parsed as YAML)."""
    for item in overrides:
        path, value = _parse_override(item)
        node: Any = raw
        for depth, part in enumerate(path[:-1]):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {'.'.join(path[:depth])} is not a mapping")
            node = node.setdefault(part, {})
        last = path[-1]
        if isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(f"override {item!r}: {'.'.join(path[:-1])} is not a mapping")
    return raw


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, with errors that name the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    if raw is None:
        raise ConfigError(f"{path}: the file is empty; expected a mapping of config keys")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys, found {type(raw).__name__}")
    return raw


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> ExperimentConfig:
    """Read, merge overrides into, and check an experiment config."""
    raw = read_yaml(path)
    if "model" in raw and "models" not in raw:
        raw["models"] = [raw.pop("model")]
    overrides = [
        "models.0." + item[len("model.") :] if item.startswith("model.") else item
        for item in overrides
    ]
    raw = apply_overrides(raw, overrides)
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"config {path}", exc)) from None


def config_to_dict(config: ExperimentConfig) -> dict[str, Any]:
    """The resolved config as plain data (paths as strings), ready to dump as YAML."""
    return config.model_dump(mode="json", by_alias=True)


# ---------------------------------------------------------------------------------------------
# `framing compare`: the comparison config and the groups file it names (read by
# framing.compare.settings; see configs/compare/un_default.yaml and configs/groups/).

_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


class BootstrapConfig(BaseModel):
    """Cluster bootstrap settings: resamples of documents, the seed, and the interval level."""

    model_config = _STRICT

    n: int = Field(1000, ge=20, le=100_000)
    seed: int = 0
    level: float = Field(0.95, gt=0.5, lt=1.0)


class CompareConfig(BaseModel):
    """A `framing compare` config (see configs/compare/un_default.yaml for every key)."""

    model_config = _STRICT

    name: str = Field("compare", min_length=1)
    model: Path
    corpus: Path
    fields: dict[str, str] = Field(default_factory=dict)
    segment: bool = False
    groups: Path | None = None
    period: Literal["year", "date"] | None = "year"
    dev: Path | None = None
    gold_sample: Path | None = None
    labels: list[str] | None = None
    headline: Literal["auto", "naive", "corrected", "design"] = "auto"
    correction: Literal["acc", "pacc"] = "acc"
    min_gold: int = Field(10, ge=1)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)  # type: ignore[arg-type]
    batch_size: int = Field(64, ge=1)
    evidence_per_cell: int = Field(3, ge=0, le=50)
    top_sources: int = Field(20, ge=1)
    sources: list[str] = Field(default_factory=list)
    contrast_sources: int = Field(30, ge=2)
    source_periods: bool = False
    cache_dir: Path | None = Path(".cache/framing")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not set(value) <= _NAME_CHARACTERS:
            raise ValueError("name must be letters, digits, '_', '-' or '.' (it names the folder)")
        return value

    def headline_estimator(self) -> str:
        """The estimator the report leads with: `headline`, or for `auto` the best one available."""
        if self.headline != "auto":
            return self.headline
        if self.gold_sample is not None:
            return "design"
        return "corrected" if self.dev is not None else "naive"


class GroupsFile(BaseModel):
    """A groups file: named groups of sources, members written in the corpus field `key`."""

    model_config = _STRICT

    name: str = "groups"
    key: str = "source"
    default: str | None = "other"
    groups: dict[str, list[str]] = Field(min_length=1)
