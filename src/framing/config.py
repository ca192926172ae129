"""Experiment configs: YAML checked by pydantic, with spaCy-style `--set key=value` overrides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from framing.data import CANONICAL_FIELDS
from framing.dates import window_date
from framing.errors import ConfigError
from framing.fields import PLAIN_NAME as _PLAIN_NAME
from framing.fields import STRICT as _STRICT
from framing.fields import CGrid, Files, Float, Int, Seed
from framing.files import parse_yaml, read_yaml
from framing.labels import format_validation_error
from framing.readers import one_line


class SplitConfig(BaseModel):
    """How to carve dev/test out of `train` when no dev file is given (grouped by document)."""

    model_config = _STRICT

    dev: Float = Field(0.1, ge=0.0, lt=1.0, allow_inf_nan=False)
    test: Float = Field(0.1, ge=0.0, lt=1.0, allow_inf_nan=False)
    seed: Seed = 13

    @model_validator(mode="after")
    def _train_keeps_a_share(self) -> SplitConfig:
        if self.dev + self.test > 1 - 1e-9:
            raise ValueError(
                f"expected dev + test below 1 (train keeps the rest), found "
                f"{self.dev} + {self.test} = {self.dev + self.test:g}"
            )
        return self


class DataConfig(BaseModel):
    """Where the labelled sets live; `eval` names become report columns."""

    model_config = _STRICT

    train: Files
    dev: Files | None = None
    eval: dict[Annotated[str, Field(pattern=_PLAIN_NAME)], Files] = Field(default_factory=dict)
    fields: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    split: SplitConfig | None = None
    # Eval sets allowed to share documents (not sentences) with train, e.g. a uniform random
    # gold sample of a corpus whose other sentences were annotated for training.
    shared_documents_ok: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DataConfig:
        unknown = [key for key in self.fields if key not in CANONICAL_FIELDS]
        if unknown:
            raise ValueError(
                f"fields: expected canonical field names ({', '.join(CANONICAL_FIELDS)}) mapped "
                f"to column names, found {unknown[0]!r}"
            )
        columns = list(self.fields.values())
        if len(set(columns)) != len(columns):
            raise ValueError(f"fields: two fields map to the same column, found {self.fields}")
        if self.split is not None and self.dev is not None:
            raise ValueError("split: carves dev out of train, so it needs no data.dev; remove one")
        names = set(self.eval) | {"dev"} | ({"test"} if self.split is not None else set())
        for name in self.shared_documents_ok:
            if name not in names:
                known = ", ".join(sorted(names))
                raise ValueError(
                    f"shared_documents_ok: expected names of eval sets ({known}), found {name!r}"
                )
        if self.split is not None and self.split.test > 0 and "test" in self.eval:
            raise ValueError(
                "eval.test: the name 'test' is taken by the split's test part; rename this set "
                "or set split.test: 0"
            )
        return self


class TfidfModelConfig(BaseModel):
    """TF-IDF n-grams + logistic regression; `C` may be a grid chosen on dev."""

    model_config = _STRICT

    kind: Literal["tfidf"]
    name: str | None = Field(None, pattern=_PLAIN_NAME)
    C: CGrid = Field(default_factory=lambda: [0.3, 1.0, 3.0, 10.0])
    ngram_max: Int = Field(2, ge=1, le=3)
    min_df: Int = Field(1, ge=1)
    max_features: Int | None = Field(200_000, ge=1)
    sublinear_tf: bool = True


class EncoderModelConfig(BaseModel):
    """A frozen sentence encoder with logistic-regression heads on its embeddings."""

    model_config = _STRICT

    kind: Literal["encoder"]
    name: str | None = Field(None, pattern=_PLAIN_NAME)
    base: str = Field("default", min_length=1)
    max_length: Int = Field(128, ge=8, le=512)
    batch_size: Int = Field(64, ge=1)
    C: CGrid = Field(default_factory=lambda: [0.3, 1.0, 3.0])


class FinetuneModelConfig(BaseModel):
    """The encoder fine-tuned end to end. stance_input: `one_pass` (a stance head per schema
    target, one pass per sentence), `pair` ((target, sentence) pairs: any target, one pass per
    target) or `both` (schema targets in one pass, free-text targets through the pair head)."""

    model_config = _STRICT

    kind: Literal["finetune"]
    name: str | None = Field(None, pattern=_PLAIN_NAME)
    base: str = Field("default", min_length=1)
    max_length: Int = Field(128, ge=8, le=512)
    freeze_embeddings: bool = False
    # Keep only the base's first N transformer layers (None: all): the cost per sentence falls
    # in proportion (layer dropping; what it costs in accuracy is measured per use).
    layers: Int | None = Field(None, ge=1, le=48)
    stance_input: Literal["one_pass", "pair", "both"] = "pair"  # pair: what older configs meant


class FewshotModelConfig(BaseModel):
    """SetFit's recipe: the encoder tuned on pairs (same label: similar), then linear heads."""

    model_config = _STRICT

    kind: Literal["fewshot"]
    name: str | None = Field(None, pattern=_PLAIN_NAME)
    base: str = Field("default", min_length=1)
    max_length: Int = Field(64, ge=8, le=512)
    batch_size: Int = Field(16, ge=1)
    pairs_per_example: Int = Field(20, ge=1)  # SetFit's num_iterations
    max_pairs: Int = Field(640, ge=2)  # caps the pair steps (time) on larger training sets
    pair_epochs: Int = Field(1, ge=1)
    lr: Float = Field(2e-5, gt=0, allow_inf_nan=False)
    C: CGrid = 1.0
    # Each frame's definition joins its head's data as a positive of this weight, the training
    # sentences' mean embedding as a negative of the same weight (both times the head's balanced
    # class weights); 0 turns it off.
    definition_weight: Float = Field(8.0, ge=0, allow_inf_nan=False)


class ZeroshotModelConfig(BaseModel):
    """Cosine between a sentence and each frame's definition (+ seeds), mapped to probability."""

    model_config = _STRICT

    kind: Literal["zeroshot"]
    name: str | None = Field(None, pattern=_PLAIN_NAME)
    base: str = Field("default", min_length=1)
    max_length: Int = Field(128, ge=8, le=512)
    batch_size: Int = Field(64, ge=1)
    self_training: Int = Field(3, ge=0, le=20)  # rounds on pseudo-labels of the texts; 0: cosine
    pseudo_share: Float = Field(0.1, gt=0, lt=0.5, allow_inf_nan=False)  # top share = positives
    word_weight: Float = Field(0.3, ge=0, lt=1, allow_inf_nan=False)  # share of the tf-idf view


ModelConfig = Annotated[
    TfidfModelConfig
    | EncoderModelConfig
    | FinetuneModelConfig
    | FewshotModelConfig
    | ZeroshotModelConfig,
    Field(discriminator="kind"),
]


class TrainConfig(BaseModel):
    """The loop's settings (epochs, lr, ... only matter for `finetune`)."""

    model_config = _STRICT

    seed: Seed = 13
    epochs: Int = Field(3, ge=1)
    batch_size: Int = Field(16, ge=1)
    group_by_length: bool = False  # finetune: batches of similar length (less padding, faster)
    lr: Float = Field(3e-5, gt=0, allow_inf_nan=False)
    weight_decay: Float = Field(0.01, ge=0, allow_inf_nan=False)
    warmup_ratio: Float = Field(0.1, ge=0, lt=1, allow_inf_nan=False)
    patience: Int = Field(1, ge=0)
    max_steps: Int | None = Field(None, ge=1)
    select_on: Literal["macro_f1", "loss"] = "macro_f1"
    calibrate: bool = True  # Platt per frame, a temperature per target, fitted on dev
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: Int | None = Field(None, ge=1)


class EvaluationConfig(BaseModel):
    """Bootstrap and stance-metric settings."""

    model_config = _STRICT

    bootstrap: Int = Field(1000, ge=0, le=100_000)
    ci: Float = Field(0.95, gt=0, lt=1, allow_inf_nan=False)
    favor_against: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: ["favor", "against"], min_length=1
    )
    calibration_bins: Int = Field(10, ge=2, le=1000)


class ExperimentConfig(BaseModel):
    """One experiment: a label schema, data, one or more models, and training settings."""

    model_config = _STRICT

    name: str = Field(pattern=_PLAIN_NAME)
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
        raise ConfigError(f"override {item!r} must look like key.path=value (found no '=')")
    key, value = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override {item!r} has an empty key; expected key.path=value")
    path = key.strip().split(".")
    if any(not part.strip() for part in path):
        raise ConfigError(
            f"override {item!r}: the key {key.strip()!r} has an empty part; expected key.path=value"
        )
    try:
        parsed = parse_yaml(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return path, parsed


def _list_index(node: list[Any], part: str, item: str, where: str) -> int:
    expected = f"expected an index 0..{len(node) - 1}" if node else "it is empty"
    if not part.isdigit():
        raise ConfigError(f"override {item!r}: {where} is a list; {expected}, found {part!r}")
    if int(part) >= len(node):
        raise ConfigError(
            f"override {item!r}: {where} has {len(node)} item(s), so index {part} is out of "
            f"range; {expected}"
        )
    return int(part)


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Merge dotted `key=value` overrides into a raw config dict (values parsed as YAML)."""
    for item in overrides:
        path, value = _parse_override(item)
        node: Any = raw
        for depth, part in enumerate(path):
            where = one_line(".".join(path[:depth]), 80) or "the top level"
            last = depth == len(path) - 1
            if isinstance(node, list):
                index = _list_index(node, part, item, where)
                if last:
                    node[index] = value
                else:
                    node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if node.get(part) is None:
                        node[part] = {}
                    node = node[part]
            else:
                raise ConfigError(
                    f"override {item!r}: {where} is {node!r:.40}, not a mapping; "
                    f"expected a mapping to set {part!r} in"
                )
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
    try:
        raw = apply_overrides(raw, overrides)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
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


class WindowConfig(BaseModel):
    """`window`: compare only documents dated from `from` to `to` (both included; a partial date
    counts as its first day; `from: 2022` is 2022-01-01 and `to: 2022` is 2022-12-31)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: Annotated[date | None, BeforeValidator(lambda v: window_date(v, False))] = Field(
        None, alias="from"
    )
    end: Annotated[date | None, BeforeValidator(lambda v: window_date(v, True))] = Field(
        None, alias="to"
    )

    @model_validator(mode="after")
    def _ordered(self) -> WindowConfig:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"window: 'to' ({self.end}) is before 'from' ({self.start})")
        return self


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
    scores: Path | None = None  # a `framing score` folder of this corpus: read, not re-scored
    window: WindowConfig | None = None
    syndication: Annotated[  # YAML reads a bare `off` as false
        Literal["off", "count_all", "count_once"], BeforeValidator(lambda v: v or "off")
    ] = "count_all"
    syndication_threshold: float = Field(0.7, ge=0.5, le=1.0)
    facets: list[str] = Field(default_factory=list)
    contrasts: list[tuple[str, str]] = Field(default_factory=list)

    @field_validator("facets")
    @classmethod
    def _facet_names(cls, value: list[str]) -> list[str]:
        taken = ("source", "group", "all", "period", "group_period", "source_period")
        bad = [n for n in value if n in taken or not n.replace("_", "").isalnum()]
        if bad:
            raise ValueError(f"facet {bad[0]!r}: expected a column name other than {taken}")
        return value

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
