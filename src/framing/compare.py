"""Cross-source comparison: how often each source uses each frame, and what stance it takes.

Counting a classifier's labels (naive classify-and-count) biases prevalence estimates whenever the
classifier errs, and its confidence intervals miss (Card & Smith 2018). This module therefore puts
three estimators side by side for every source, group and period:

- ``naive``: the share of sentences the model labels (classify and count);
- ``corrected``: adjusted classify-and-count from the model's confusion rates on a labelled dev set
  (``acc``: hard predictions; ``pacc``: mean probabilities), i.e. solve ``q = R^T pi`` where
  ``R[i, j] = P(pred j | true i)``; for a binary frame this is ``(q - fpr) / (tpr - fpr)``;
- ``design``: where a gold-labelled uniform random sample of the corpus exists, the mean predicted
  probability plus the mean residual ``gold - predicted`` on the gold sentences of the same cell
  (prediction-powered inference; Angelopoulos et al. 2023; Egami et al. 2023's DSL).

Confidence intervals come from a cluster bootstrap: documents are resampled within each compared
cell, and the dev set's documents are resampled too, so the uncertainty of the error rates is part
of every interval. All estimation works on per-document sums with numpy (no per-sentence loops).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from framing.config import apply_overrides, read_yaml
from framing.data import Example, file_sha256, read_examples
from framing.errors import ConfigError, DataError, ModelError
from framing.labels import LabelSchema, format_validation_error
from framing.predictions import Probabilities

logger = logging.getLogger(__name__)

ESTIMATORS = ("naive", "corrected", "design")
ALL = "all"
ESTIMATE_COLUMNS = (
    "source",
    "group",
    "period",
    "label",
    "estimator",
    "estimate",
    "ci_low",
    "ci_high",
    "n_sentences",
    "n_docs",
    "level",
    "note",
)
DIFFERENCE_COLUMNS = (
    "kind",
    "level",
    "a",
    "b",
    "period",
    "label",
    "estimator",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "n_docs_a",
    "n_docs_b",
)


# ---------------------------------------------------------------------------------------------
# Config


class BootstrapConfig(BaseModel):
    """Cluster bootstrap settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int = Field(1000, ge=20, le=100_000)
    seed: int = 0
    level: float = Field(0.95, gt=0.5, lt=1.0)


class CompareConfig(BaseModel):
    """A `framing compare` config (see configs/compare/un_default.yaml for every key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
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
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", value):
            raise ValueError("name must be letters, digits, '_', '-' or '.' (it names the folder)")
        return value

    def headline_estimator(self) -> str:
        """The estimator the report leads with: `headline`, or for `auto` the best one available."""
        if self.headline != "auto":
            return self.headline
        if self.gold_sample is not None:
            return "design"
        return "corrected" if self.dev is not None else "naive"


def load_compare_config(path: str | Path, overrides: Sequence[str] = ()) -> CompareConfig:
    """Read a compare config YAML, merge `key.path=value` overrides, and check it.

    Raises:
        ConfigError: naming the file and every bad dotted key.
    """
    raw = apply_overrides(read_yaml(path), overrides)
    try:
        config = CompareConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"compare config {path}", exc)) from None
    if config.headline == "design" and config.gold_sample is None:
        raise ConfigError(
            f"Invalid compare config {path}:\n  headline: 'design' needs a gold_sample "
            "(a gold-labelled random sample of the corpus); set gold_sample or use 'corrected'"
        )
    if config.headline == "corrected" and config.dev is None:
        raise ConfigError(
            f"Invalid compare config {path}:\n  headline: 'corrected' needs a labelled dev set; "
            "set dev or use 'naive'"
        )
    return config


class _GroupsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "groups"
    key: str = "source"
    default: str | None = "other"
    groups: dict[str, list[str]] = Field(min_length=1)


@dataclass(frozen=True)
class Grouping:
    """Sources grouped into named groups; `key` is the corpus field the members are written in."""

    name: str
    key: str
    members: dict[str, str]
    order: tuple[str, ...]
    default: str | None = None

    def group_of(self, value: str) -> str | None:
        """The group of a source whose `key` field is `value` (None: in no group)."""
        return self.members.get(value, self.default)


def load_groups(path: str | Path) -> Grouping:
    """Read a groups YAML file (see configs/groups/un_blocs.yaml).

    Raises:
        ConfigError: the file is invalid or lists one member in two groups.
    """
    raw = read_yaml(path)
    try:
        parsed = _GroupsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"groups file {path}", exc)) from None
    members: dict[str, str] = {}
    for group, names in parsed.groups.items():
        for member in names:
            member = str(member)
            if member in members and members[member] != group:
                raise ConfigError(
                    f"groups file {path}: '{member}' is in both '{members[member]}' and "
                    f"'{group}'; put it in one group"
                )
            members[member] = group
    order = tuple(parsed.groups) + (
        (parsed.default,) if parsed.default and parsed.default not in parsed.groups else ()
    )
    return Grouping(parsed.name, parsed.key, members, order, parsed.default)


# ---------------------------------------------------------------------------------------------
# Label columns: every task (a frame, or a stance target) is a K-class variable, so frames and
# stance share one correction path. A frame has the classes (absent, present).


@dataclass(frozen=True)
class LabelColumns:
    """The column layout of every per-class array: tasks in schema order, classes within tasks."""

    tasks: tuple[str, ...]
    classes: tuple[tuple[str, ...], ...]
    is_frame: tuple[bool, ...]

    @property
    def offsets(self) -> tuple[int, ...]:
        """Start column of each task."""
        starts, at = [], 0
        for classes in self.classes:
            starts.append(at)
            at += len(classes)
        return tuple(starts)

    @property
    def n_columns(self) -> int:
        return sum(len(c) for c in self.classes)

    def reported(self) -> list[tuple[int, str]]:
        """(column, label) pairs that appear in estimates: a frame's 'present' column, and every
        stance class, labelled `frame:<name>` and `stance:<target>:<label>`."""
        out: list[tuple[int, str]] = []
        for task, classes, frame, start in zip(
            self.tasks, self.classes, self.is_frame, self.offsets, strict=True
        ):
            if frame:
                out.append((start + 1, f"frame:{task}"))
            else:
                out.extend((start + k, f"stance:{task}:{c}") for k, c in enumerate(classes))
        return out


def label_columns(
    schema: LabelSchema, labels: Sequence[str] | None = None, where: str = "labels"
) -> LabelColumns:
    """The columns for a schema's frames and stance targets, optionally only those in `labels`.

    Raises:
        ConfigError: a name in `labels` is neither a frame nor a target of the model.
    """
    frames, targets = list(schema.frames), list(schema.targets)
    if labels is not None:
        unknown = [x for x in labels if x not in frames and x not in targets]
        if unknown:
            raise ConfigError(
                f"{where}: {', '.join(repr(x) for x in unknown)} not in the model's schema "
                f"'{schema.name}' (frames: {', '.join(frames) or 'none'}; targets: "
                f"{', '.join(targets) or 'none'}). Fix `labels` or use a model trained on them"
            )
        frames = [f for f in frames if f in labels]
        targets = [t for t in targets if t in labels]
    return LabelColumns(
        tasks=tuple(frames) + tuple(targets),
        classes=tuple(("absent", "present") for _ in frames)
        + tuple(tuple(schema.stance_labels) for _ in targets),
        is_frame=tuple(True for _ in frames) + tuple(False for _ in targets),
    )


def encode_predictions(
    proba: Probabilities, thresholds: Mapping[str, float], columns: LabelColumns
) -> tuple[np.ndarray, np.ndarray]:
    """Hard (one-hot) and soft per-class arrays, each (n, n_columns), from model probabilities.

    A frame is predicted present iff its probability >= its threshold (0.5 if none is given);
    a stance prediction is the argmax, as `FramingClassifier.predict` does.

    Raises:
        ModelError: the probabilities lack a frame or target of `columns`.
    """
    n = len(proba)
    hard = np.zeros((n, columns.n_columns), dtype=np.float32)
    soft = np.zeros((n, columns.n_columns), dtype=np.float32)
    frame_index = {name: i for i, name in enumerate(proba.frame_names)}
    for task, frame, start, classes in zip(
        columns.tasks, columns.is_frame, columns.offsets, columns.classes, strict=True
    ):
        if frame:
            if task not in frame_index:
                raise ModelError(
                    f"the model gives no probability for frame '{task}' "
                    f"(it has {', '.join(proba.frame_names) or 'no frames'})"
                )
            p = np.clip(np.asarray(proba.frames[:, frame_index[task]], dtype=np.float64), 0, 1)
            soft[:, start] = 1 - p
            soft[:, start + 1] = p
            present = p >= float(thresholds.get(task, 0.5))
            hard[:, start + 1] = present
            hard[:, start] = ~present
        else:
            if task not in proba.stance:
                raise ModelError(
                    f"the model gives no stance for target '{task}' "
                    f"(it has {', '.join(proba.stance) or 'no targets'})"
                )
            if tuple(proba.stance_labels) != tuple(classes):
                raise ModelError(
                    f"the model's stance labels {list(proba.stance_labels)} differ from the "
                    f"schema's {list(classes)}"
                )
            p = np.asarray(proba.stance[task], dtype=np.float64)
            soft[:, start : start + len(classes)] = p
            hard[np.arange(n), start + np.argmax(p, axis=1)] = 1
    return hard, soft


def encode_gold(
    examples: Sequence[Example], columns: LabelColumns
) -> tuple[np.ndarray, np.ndarray]:
    """Gold one-hot labels (n, n_columns) and a labelled mask per task (n, n_tasks).

    A frame task is labelled when the example has `frames`; a target when `stance` names it.
    """
    y = np.zeros((len(examples), columns.n_columns), dtype=np.float32)
    mask = np.zeros((len(examples), len(columns.tasks)), dtype=bool)
    for i, ex in enumerate(examples):
        for t, (task, frame, start, classes) in enumerate(
            zip(columns.tasks, columns.is_frame, columns.offsets, columns.classes, strict=True)
        ):
            if frame and ex.frames is not None:
                y[i, start + (1 if task in ex.frames else 0)] = 1
                mask[i, t] = True
            elif not frame and ex.stance is not None and task in ex.stance:
                y[i, start + classes.index(ex.stance[task])] = 1
                mask[i, t] = True
    return y, mask


def _task_mask_to_columns(mask: np.ndarray, columns: LabelColumns) -> np.ndarray:
    return np.repeat(mask, [len(c) for c in columns.classes], axis=1)


# ---------------------------------------------------------------------------------------------
# Per-document sums: everything the estimators need, so the bootstrap only reweights documents.


@dataclass(frozen=True)
class ScoredDocs:
    """Per-document sums of a scored corpus; row d is document d.

    `gold_n[d, t]` counts gold-labelled sentences of task t in document d, and `gold_resid[d, c]`
    sums (gold one-hot - predicted probability) over them.
    """

    n: np.ndarray
    hard: np.ndarray
    soft: np.ndarray
    gold_n: np.ndarray
    gold_resid: np.ndarray


@dataclass(frozen=True)
class DevConfusion:
    """Per-dev-document confusion sums, flattened per task as K*K blocks (true i, predicted j)."""

    hard: np.ndarray
    soft: np.ndarray


def _sum_by(index: np.ndarray, values: np.ndarray, n_rows: int) -> np.ndarray:
    out = np.zeros((n_rows,) + values.shape[1:], dtype=np.float64)
    np.add.at(out, index, values)
    return out


def sum_documents(
    doc_index: np.ndarray,
    n_docs: int,
    hard: np.ndarray,
    soft: np.ndarray,
    columns: LabelColumns,
    gold: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> ScoredDocs:
    """Sum sentence-level arrays per document.

    Args:
        doc_index: (n,) document number of each sentence.
        n_docs: number of documents.
        hard, soft: (n, n_columns) from `encode_predictions`.
        columns: the column layout.
        gold: optional (gold_doc_index, gold_y, gold_mask, gold_soft) for the gold sample.
    """
    n = np.bincount(doc_index, minlength=n_docs).astype(np.float64)
    gold_n = np.zeros((n_docs, len(columns.tasks)))
    gold_resid = np.zeros((n_docs, columns.n_columns))
    if gold is not None:
        g_doc, g_y, g_mask, g_soft = gold
        resid = (g_y - g_soft) * _task_mask_to_columns(g_mask, columns)
        gold_n = _sum_by(g_doc, g_mask.astype(np.float64), n_docs)
        gold_resid = _sum_by(g_doc, resid, n_docs)
    return ScoredDocs(
        n=n,
        hard=_sum_by(doc_index, hard, n_docs),
        soft=_sum_by(doc_index, soft, n_docs),
        gold_n=gold_n,
        gold_resid=gold_resid,
    )


def dev_confusion(
    doc_index: np.ndarray,
    n_docs: int,
    y: np.ndarray,
    mask: np.ndarray,
    hard: np.ndarray,
    soft: np.ndarray,
    columns: LabelColumns,
) -> DevConfusion:
    """Confusion sums per dev document: for each task, counts[i, j] of (true i, predicted j),
    with hard predictions and with probabilities."""
    blocks_h, blocks_s = [], []
    for t, (start, classes) in enumerate(zip(columns.offsets, columns.classes, strict=True)):
        k = len(classes)
        sl = slice(start, start + k)
        yt = y[:, sl] * mask[:, t : t + 1]
        blocks_h.append((yt[:, :, None] * hard[:, None, sl]).reshape(len(y), k * k))
        blocks_s.append((yt[:, :, None] * soft[:, None, sl]).reshape(len(y), k * k))
    return DevConfusion(
        hard=_sum_by(doc_index, np.concatenate(blocks_h, axis=1), n_docs),
        soft=_sum_by(doc_index, np.concatenate(blocks_s, axis=1), n_docs),
    )


# ---------------------------------------------------------------------------------------------
# Estimators (pure functions on arrays; leading axes are bootstrap replicates and cells)


def naive_estimate(count: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Classify and count: predicted-class counts over sentences (NaN where n == 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, count / np.where(n > 0, n, 1), np.nan)


def adjusted_estimate(q: np.ndarray, confusion: np.ndarray, min_det: float = 1e-3) -> np.ndarray:
    """Adjusted classify-and-count: solve q = R^T pi for the true class shares pi.

    Args:
        q: (..., K) observed predicted-class shares (hard counts for ACC, mean probabilities
            for PACC).
        confusion: (..., K, K) counts or rates with rows = true class, columns = predicted class;
            rows are normalised here. Broadcasts against q's leading axes.
        min_det: below this |det R| the correction is undefined (the classifier does not separate
            the classes) and the result is NaN.

    Returns:
        (..., K) shares, negatives clipped to 0 and renormalised (as QuaPy's ACC does). For
        K = 2 the 'present' share is (q - fpr) / (tpr - fpr) clipped to [0, 1].
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = confusion / confusion.sum(axis=-1, keepdims=True)
    k = rates.shape[-1]
    det = np.linalg.det(np.nan_to_num(rates, nan=0.0))
    bad = ~np.isfinite(rates).all(axis=(-1, -2)) | (np.abs(det) < min_det)
    safe = np.where(bad[..., None, None], np.eye(k), rates)
    rt = np.swapaxes(safe, -1, -2)
    q = np.asarray(q, dtype=np.float64)
    # np.linalg.solve broadcasts the stacks: rates (B, 1, K, K) against shares (B, U, K).
    pi = np.linalg.solve(rt, np.nan_to_num(q)[..., None])[..., 0]
    bad_b = np.broadcast_to(bad, pi.shape[:-1])
    pi = np.clip(pi, 0.0, None)
    total = pi.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pi = np.where(total > 0, pi / total, np.nan)
    pi[bad_b | np.isnan(q).any(axis=-1)] = np.nan
    return pi


def design_estimate(
    soft_sum: np.ndarray, n: np.ndarray, resid_sum: np.ndarray, gold_n: np.ndarray
) -> np.ndarray:
    """Prediction-powered (design-based) estimate: mean predicted probability over all sentences
    plus the mean residual (gold - predicted) over the cell's gold-sample sentences.

    Unbiased for the cell's true share when the gold sentences are a uniform random sample of
    the cell, whatever the model's errors; NaN where the cell has no sentences or no gold.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.where(n > 0, soft_sum / np.where(n > 0, n, 1), np.nan)
        resid = np.where(gold_n > 0, resid_sum / np.where(gold_n > 0, gold_n, 1), np.nan)
    return np.clip(pred + resid, 0.0, 1.0)


def holm_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of p-values (NaNs are kept and not counted)."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


def bootstrap_weights(strata: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster-bootstrap weights: row 0 is all ones (the point estimate), rows 1..n_boot count
    how often each document is drawn when the documents of every stratum are resampled with
    replacement within it. Documents with stratum -1 get weight 0."""
    n_docs = len(strata)
    weights = np.zeros((n_boot + 1, n_docs))
    weights[0] = strata >= 0
    order = np.argsort(strata, kind="stable")
    bounds = np.flatnonzero(np.diff(strata[order])) + 1
    for idx in np.split(order, bounds):
        if len(idx) == 0 or strata[idx[0]] < 0:
            continue
        m = len(idx)
        draws = rng.integers(0, m, size=(n_boot, m)) + (np.arange(n_boot) * m)[:, None]
        weights[1:, idx] = np.bincount(draws.ravel(), minlength=n_boot * m).reshape(n_boot, m)
    return weights


def _aggregate(
    weights: np.ndarray, unit: np.ndarray, n_units: int, values: np.ndarray
) -> np.ndarray:
    """sum_d weights[b, d] * values[d, f] over the documents of each unit -> (B, n_units, F)."""
    from scipy import sparse

    keep = unit >= 0
    docs = np.flatnonzero(keep)
    n_feat = values.shape[1]
    rows = np.repeat(docs, n_feat)
    cols = (unit[docs][:, None] * n_feat + np.arange(n_feat)[None, :]).ravel()
    member = sparse.csr_matrix(
        (values[docs].ravel(), (rows, cols)), shape=(len(unit), n_units * n_feat)
    )
    out = np.asarray((member.T @ weights.T).T)
    return out.reshape(weights.shape[0], n_units, n_feat)


@dataclass(frozen=True)
class CellEstimates:
    """Bootstrap replicates for one level's cells: `replicates[estimator]` is (B+1, U, C), row 0
    the point estimate; `n_sentences`, `n_docs`, `n_gold` (U, T) are the point-sample sizes."""

    replicates: dict[str, np.ndarray]
    n_sentences: np.ndarray
    n_docs: np.ndarray
    n_gold: np.ndarray
    notes: dict[str, np.ndarray]


def estimate_cells(
    docs: ScoredDocs,
    unit: np.ndarray,
    n_units: int,
    columns: LabelColumns,
    *,
    dev: DevConfusion | None = None,
    correction: str = "acc",
    use_gold: bool = False,
    min_gold: int = 10,
    n_boot: int = 1000,
    rng: np.random.Generator | None = None,
) -> CellEstimates:
    """Naive, corrected and design-based estimates with cluster-bootstrap replicates per cell.

    Args:
        docs: per-document sums (`sum_documents`).
        unit: (D,) the cell of each document (-1: in no cell); documents are resampled within
            their cell, so each cell keeps its number of documents.
        n_units: number of cells.
        columns: the column layout.
        dev: dev confusion sums; without it there is no `corrected` estimate. Dev documents
            are resampled too, once per replicate, shared by all cells.
        correction: "acc" (hard predictions) or "pacc" (probabilities).
        use_gold: compute the `design` estimate from the gold sums in `docs`.
        min_gold: cells with fewer gold sentences for a task get no design estimate.
        n_boot: bootstrap resamples.
        rng: random generator (seeded by the caller).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    n_t, n_c = len(columns.tasks), columns.n_columns
    weights = bootstrap_weights(unit, n_boot, rng)
    feats = np.concatenate(
        [docs.n[:, None], docs.hard, docs.soft, docs.gold_n, docs.gold_resid], axis=1
    )
    agg = _aggregate(weights, unit, n_units, feats)
    n = agg[..., :1]
    hard = agg[..., 1 : 1 + n_c]
    soft = agg[..., 1 + n_c : 1 + 2 * n_c]
    gold_n = agg[..., 1 + 2 * n_c : 1 + 2 * n_c + n_t]
    gold_resid = agg[..., 1 + 2 * n_c + n_t :]
    n_docs = np.bincount(unit[unit >= 0], minlength=n_units)
    notes: dict[str, np.ndarray] = {}
    empty = n[0, :, 0] == 0
    base_note = np.where(empty, "no sentences", "").astype(object)

    reps = {"naive": naive_estimate(hard, n)}
    notes["naive"] = base_note
    if dev is not None:
        dev_w = bootstrap_weights(np.zeros(dev.hard.shape[0], dtype=np.int64), n_boot, rng)
        conf = dev_w @ (dev.hard if correction == "acc" else dev.soft)
        observed = reps["naive"] if correction == "acc" else naive_estimate(soft, n)
        out = np.full_like(observed, np.nan)
        note = base_note.copy()
        at = 0
        for start, classes in zip(columns.offsets, columns.classes, strict=True):
            k = len(classes)
            block = conf[:, at : at + k * k].reshape(-1, 1, k, k)
            at += k * k
            out[..., start : start + k] = adjusted_estimate(observed[..., start : start + k], block)
            if np.isnan(adjusted_estimate(np.full(k, 1 / k), block[0, 0])).any():
                note = np.where(
                    (note == "") & ~empty,
                    "dev confusion rates do not separate the classes for some labels",
                    note,
                ).astype(object)
        reps["corrected"] = out
        notes["corrected"] = note
    if use_gold:
        gold_n_cols = np.repeat(gold_n, [len(c) for c in columns.classes], axis=-1)
        est = design_estimate(soft, n, gold_resid, gold_n_cols)
        too_few = gold_n_cols[0] < min_gold
        est[:, too_few] = np.nan
        reps["design"] = est
        few_cells = too_few.any(axis=1) & ~empty
        notes["design"] = np.where(
            few_cells, f"fewer than {min_gold} gold sentences", base_note
        ).astype(object)
    return CellEstimates(reps, n[0, :, 0], n_docs, gold_n[0], notes)


def summarise(replicates: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, ...]:
    """Point estimate (row 0) and percentile CI over rows 1.. (NaN replicates ignored)."""
    alpha = (1 - level) / 2
    boot = replicates[1:]
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low = np.nanquantile(boot, alpha, axis=0)
            high = np.nanquantile(boot, 1 - alpha, axis=0)
    point = replicates[0]
    bad = np.isnan(point)
    low[bad] = np.nan
    high[bad] = np.nan
    return point, low, high


def bootstrap_p_value(diff: np.ndarray) -> np.ndarray:
    """Two-sided bootstrap p-value for 'no difference' from replicates (B+1, ...), row 0 the
    estimate: the share of centred replicates at least as far from 0 as the estimate."""
    point = diff[0]
    boot = diff[1:]
    valid = ~np.isnan(boot)
    extreme = (np.abs(boot - point) >= np.abs(point)) & valid
    n_valid = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (1 + extreme.sum(axis=0)) / (1 + n_valid)
    return np.where(np.isnan(point) | (n_valid == 0), np.nan, np.minimum(p, 1.0))


def trend_slopes(replicates: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Least-squares slope over the period axis (axis 1) per replicate: (B+1, P, C) -> (B+1, C).
    A replicate with a missing period gives NaN."""
    xc = x - x.mean()
    denom = float((xc**2).sum())
    if denom == 0:
        return np.full((replicates.shape[0], replicates.shape[2]), np.nan)
    centred = replicates - replicates.mean(axis=1, keepdims=True)
    return np.einsum("bpc,p->bc", centred, xc) / denom


# ---------------------------------------------------------------------------------------------
# The `compare` job: read, score (cached), estimate, write the folder, render the report.


class _Scorer(Protocol):
    schema: LabelSchema
    thresholds: dict[str, float]

    def predict_proba(
        self, texts: list[str], *, batch_size: int = ..., show_progress: bool = ...
    ) -> Probabilities: ...


@dataclass(frozen=True)
class ComparisonResult:
    """What `compare` wrote: the folder, the estimate and difference rows, and the headline."""

    output_dir: Path
    estimates: list[dict[str, Any]]
    differences: list[dict[str, Any]]
    headline: str
    n_sentences: int
    n_docs: int
    report_md: Path
    report_html: Path
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Level:
    name: str
    units: list[tuple[str, str, str]]  # (source, group, period) label of each cell
    unit_of_doc: np.ndarray


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


def _segment(documents: Sequence[Example]) -> list[Example]:
    """Split raw documents into sentences (ids `<doc_id>_<k>`), at ., ! or ? before a capital."""
    out: list[Example] = []
    for doc in documents:
        doc_id = doc.doc_id or doc.id
        parts = [p.strip() for p in _SENTENCE_END.split(doc.text.strip())]
        for k, part in enumerate(p for p in parts if p):
            out.append(
                Example(
                    id=f"{doc_id}_{k:04d}",
                    text=part,
                    source=doc.source,
                    doc_id=doc_id,
                    date=doc.date,
                    extra=doc.extra,
                )
            )
    return out


def _read(
    path: Path, what: str, schema: LabelSchema | None, fields: Mapping[str, str]
) -> list[Example]:
    if not path.exists():
        raise ConfigError(f"{what} not found: {path}")
    try:
        return read_examples(path, schema=schema, fields=fields)
    except DataError as exc:
        if "no records found" in str(exc):
            raise DataError(
                f"{what} {path} is empty: there is nothing to compare. Point `{what}` at a "
                "file with one sentence (or document) per line"
            ) from None
        raise


def _model_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def _score(
    model: _Scorer,
    texts: list[str],
    batch_size: int,
    show_progress: bool,
    desc: str,
) -> Probabilities:
    """Score texts in chunks with a progress bar over sentences."""
    from tqdm.auto import tqdm

    chunk = max(batch_size * 16, 512)
    frames, stance = [], []
    with tqdm(total=len(texts), desc=desc, unit="sent", disable=not show_progress) as bar:
        for start in range(0, len(texts), chunk):
            part = model.predict_proba(texts[start : start + chunk], batch_size=batch_size)
            frames.append(np.asarray(part.frames, dtype=np.float32))
            stance.append({t: np.asarray(v, dtype=np.float32) for t, v in part.stance.items()})
            bar.update(len(part))
    first = model.predict_proba(texts[:1], batch_size=1) if not frames else None
    names = part.frame_names if frames else first.frame_names  # type: ignore[union-attr]
    labels = part.stance_labels if frames else first.stance_labels  # type: ignore[union-attr]
    return Probabilities(
        frames=np.concatenate(frames) if frames else np.zeros((0, len(names)), np.float32),
        stance={t: np.concatenate([s[t] for s in stance]) for t in (stance[0] if stance else {})},
        frame_names=tuple(names),
        stance_labels=tuple(labels),
    )


def _score_cached(
    model: _Scorer,
    texts: list[str],
    config: CompareConfig,
    cache_key: str | None,
    show_progress: bool,
) -> Probabilities:
    ids_digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()
    path = None
    if cache_key is not None and config.cache_dir is not None:
        path = config.cache_dir / f"scores-{cache_key[:32]}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as saved:
                if str(saved["texts_sha256"]) == ids_digest:
                    logger.info("Scores loaded from cache %s", path)
                    return Probabilities(
                        frames=saved["frames"],
                        stance={
                            str(t): saved[f"stance_{i}"] for i, t in enumerate(saved["targets"])
                        },
                        frame_names=tuple(str(x) for x in saved["frame_names"]),
                        stance_labels=tuple(str(x) for x in saved["stance_labels"]),
                    )
    started = time.perf_counter()
    proba = _score(model, texts, config.batch_size, show_progress, "Scoring corpus")
    logger.info("Scored %d sentences in %.1f s", len(texts), time.perf_counter() - started)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        targets = list(proba.stance)
        tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
        np.savez(
            tmp,
            frames=proba.frames,
            targets=np.array(targets, dtype=str),
            frame_names=np.array(proba.frame_names, dtype=str),
            stance_labels=np.array(proba.stance_labels, dtype=str),
            texts_sha256=np.array(ids_digest),
            **{f"stance_{i}": proba.stance[t] for i, t in enumerate(targets)},
        )
        os.replace(tmp, path)
    return proba


def _period_of(date: str | None, mode: str | None) -> str | None:
    if mode is None or not date:
        return None
    if mode == "year":
        match = re.match(r"\s*(\d{4})", date)
        return match.group(1) if match else None
    return date.strip()


def _index(values: Sequence[str | None], order: Sequence[str]) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(order)}
    return np.array([lookup.get(v, -1) if v is not None else -1 for v in values], dtype=np.int64)


def _default_output(config: CompareConfig) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d_%H%M%S")
    return Path("experiments/compare") / f"{stamp}_{config.name}"


def _fmt(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return "" if not math.isfinite(float(value)) else f"{float(value):.6g}"
    return value


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(row.get(k, "")) for k in columns})


def _headline_reason(config: CompareConfig, headline: str) -> str:
    if config.headline != "auto":
        chosen = "The config sets this estimator as the headline. "
    else:
        chosen = ""
    reasons = {
        "design": (
            "A gold-labelled uniform random sample of this corpus exists, so the design-based "
            "estimate (mean predicted probability plus the mean gold-minus-predicted residual on "
            "the cell's gold sentences) is unbiased for every cell whatever the model's errors, "
            "and its interval includes the gold sample's own sampling error. Cells with fewer "
            f"than {config.min_gold} gold sentences show the corrected estimate instead (marked †)."
        ),
        "corrected": (
            "There is no gold random sample of this corpus, so the headline is the estimate "
            "corrected for the model's confusion rates on the labelled dev set "
            f"({config.correction.upper()}). "
            "It removes the bias that those rates predict, assuming the model errs on this corpus "
            "as it does on the dev set; its interval includes the dev set's sampling error."
        ),
        "naive": (
            "Neither a labelled dev set nor a gold sample was given, so nothing can correct the "
            "model's errors: the naive share of sentences the model labels is biased whenever the "
            "model errs. Read it as a description of the model's output, not of the corpus."
        ),
    }
    return chosen + reasons[headline]


def compare(
    config: CompareConfig,
    output_dir: str | Path | None = None,
    show_progress: bool = False,
    *,
    model: _Scorer | None = None,
) -> ComparisonResult:
    """Estimate frame prevalence and stance per source, group and period, and write a report.

    Writes, atomically, a new folder holding estimates.csv, differences.csv, evidence.jsonl,
    summary.json, config.yaml, report.md and report.html.

    Args:
        config: a checked config (`load_compare_config`).
        output_dir: the folder to create (must not exist); default
            `experiments/compare/<UTC time>_<name>`.
        show_progress: show a progress bar while scoring.
        model: a loaded classifier to use instead of loading `config.model` (no score cache then).

    Raises:
        ConfigError: the output folder exists, a file is missing, or `labels` names a label the
            model lacks.
        DataError: the corpus is empty or invalid; dev or gold labels are not in the schema; gold
            sentences are not in the corpus.
    """
    from framing import report as report_module

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out = Path(output_dir) if output_dir is not None else _default_output(config)
    if out.exists():
        raise ConfigError(
            f"output folder {out} already exists; comparisons are never overwritten. "
            "Choose a new --output folder or remove the old one"
        )
    cache_key = None
    if model is None:
        from framing.classifier import FramingClassifier

        if not config.model.is_dir():
            raise ConfigError(f"model folder not found: {config.model} (key `model`)")
        model = FramingClassifier.load(config.model)
        if config.cache_dir is not None:
            digest = hashlib.sha256()
            digest.update(_model_digest(config.model).encode())
            digest.update(file_sha256(config.corpus).encode() if config.corpus.is_file() else b"")
            digest.update(json.dumps([config.fields, config.segment], sort_keys=True).encode())
            cache_key = digest.hexdigest()
    schema = model.schema
    columns = label_columns(schema, config.labels, where="compare config key `labels`")
    thresholds = dict(getattr(model, "thresholds", {}) or {})
    model_kind = str(getattr(model, "kind", "unknown"))

    examples = _read(config.corpus, "corpus", None, config.fields)
    if config.segment:
        examples = _segment(examples)
    texts = [ex.text for ex in examples]
    timings["read_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    proba = _score_cached(model, texts, config, cache_key, show_progress)
    hard, soft = encode_predictions(proba, thresholds, columns)
    timings["score_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()

    # Documents, sources, groups, periods.
    doc_names = list(dict.fromkeys(ex.doc_id or ex.id for ex in examples))
    doc_number = {d: i for i, d in enumerate(doc_names)}
    doc_index = np.array([doc_number[ex.doc_id or ex.id] for ex in examples], dtype=np.int64)
    n_docs = len(doc_names)
    first_of_doc: dict[str, Example] = {}
    for ex in examples:
        first_of_doc.setdefault(ex.doc_id or ex.id, ex)
    doc_source = [first_of_doc[d].source for d in doc_names]
    doc_period = [_period_of(first_of_doc[d].date, config.period) for d in doc_names]
    sources_seen = sorted(set(doc_source))
    missing_sources = [s for s in config.sources if s not in sources_seen]
    sources = sources_seen + missing_sources
    for name in missing_sources:
        logger.warning("Source %r (key `sources`) has no sentences in the corpus", name)

    grouping = load_groups(config.groups) if config.groups is not None else None
    source_group: dict[str, str | None] = {}
    if grouping is not None:
        for d in doc_names:
            ex = first_of_doc[d]
            value = ex.source if grouping.key == "source" else ex.extra.get(grouping.key)
            if value is None:
                raise DataError(
                    f"corpus {config.corpus}: sentence '{ex.id}' has no field '{grouping.key}', "
                    f"which the groups file {config.groups} keys its members by. Add the field, "
                    "or set `key: source` in the groups file"
                )
            source_group[ex.source] = grouping.group_of(str(value))
    doc_group = [source_group.get(s) for s in doc_source]
    periods = sorted({p for p in doc_period if p is not None})

    # Dev set: confusion rates of the model on labelled sentences.
    dev_conf = None
    n_dev = 0
    if config.dev is not None:
        dev_examples = _read(config.dev, "dev", schema, config.fields)
        dev_y, dev_mask = encode_gold(dev_examples, columns)
        if not dev_mask.any():
            raise DataError(f"dev {config.dev}: no sentence is labelled for any compared label")
        dev_proba = _score(model, [e.text for e in dev_examples], config.batch_size, False, "dev")
        dev_hard, dev_soft = encode_predictions(dev_proba, thresholds, columns)
        dev_docs = list(dict.fromkeys(e.doc_id or e.id for e in dev_examples))
        dev_doc_index = _index([e.doc_id or e.id for e in dev_examples], dev_docs)
        dev_conf = dev_confusion(
            dev_doc_index, len(dev_docs), dev_y, dev_mask, dev_hard, dev_soft, columns
        )
        n_dev = len(dev_examples)

    # Gold random sample: matched to corpus sentences by id, so its residuals join their documents.
    gold = None
    n_gold = 0
    if config.gold_sample is not None:
        gold_examples = _read(config.gold_sample, "gold_sample", schema, config.fields)
        row_of = {ex.id: i for i, ex in enumerate(examples)}
        missing = [g.id for g in gold_examples if g.id not in row_of]
        if missing:
            raise DataError(
                f"gold_sample {config.gold_sample}: {len(missing)} of {len(gold_examples)} "
                f"sentence ids are not in the corpus {config.corpus} (first: "
                f"{', '.join(repr(m) for m in missing[:3])}). The gold sample must be a random "
                "sample of the corpus's sentences, with the same ids"
            )
        rows = np.array([row_of[g.id] for g in gold_examples], dtype=np.int64)
        g_y, g_mask = encode_gold(gold_examples, columns)
        if not g_mask.any():
            raise DataError(
                f"gold_sample {config.gold_sample}: no sentence is labelled for any compared label"
            )
        gold = (doc_index[rows], g_y, g_mask, soft[rows])
        n_gold = len(gold_examples)
    docs = sum_documents(doc_index, n_docs, hard, soft, columns, gold)

    # Cells of each level.
    levels: list[_Level] = []
    src_group_name = {s: (source_group.get(s) or "") for s in sources}
    levels.append(
        _Level(
            "source", [(s, src_group_name[s], ALL) for s in sources], _index(doc_source, sources)
        )
    )
    group_order: list[str] = []
    if grouping is not None:
        group_order = list(grouping.order)
        levels.append(
            _Level("group", [(ALL, g, ALL) for g in group_order], _index(doc_group, group_order))
        )
    levels.append(_Level("all", [(ALL, ALL, ALL)], np.zeros(n_docs, dtype=np.int64)))
    if periods:
        levels.append(
            _Level("period", [(ALL, ALL, p) for p in periods], _index(doc_period, periods))
        )
        if grouping is not None:
            keys = [f"{g}\x00{p}" for g in group_order for p in periods]
            doc_keys = [
                f"{g}\x00{p}" if g is not None and p is not None else None
                for g, p in zip(doc_group, doc_period, strict=True)
            ]
            levels.append(
                _Level(
                    "group_period",
                    [(ALL, g, p) for g in group_order for p in periods],
                    _index(doc_keys, keys),
                )
            )
        if config.source_periods:
            keys = [f"{s}\x00{p}" for s in sources for p in periods]
            doc_keys = [
                f"{s}\x00{p}" if p is not None else None
                for s, p in zip(doc_source, doc_period, strict=True)
            ]
            levels.append(
                _Level(
                    "source_period",
                    [(s, src_group_name[s], p) for s in sources for p in periods],
                    _index(doc_keys, keys),
                )
            )

    rng = np.random.default_rng(config.bootstrap.seed)
    reported = columns.reported()
    rep_cols = np.array([c for c, _ in reported])
    estimates: list[dict[str, Any]] = []
    kept: dict[str, CellEstimates] = {}
    for level in levels:
        cells = estimate_cells(
            docs,
            level.unit_of_doc,
            len(level.units),
            columns,
            dev=dev_conf,
            correction=config.correction,
            use_gold=gold is not None,
            min_gold=config.min_gold,
            n_boot=config.bootstrap.n,
            rng=rng,
        )
        kept[level.name] = cells
        for estimator, reps in cells.replicates.items():
            point, low, high = summarise(reps[..., rep_cols], config.bootstrap.level)
            for u, (src, grp, per) in enumerate(level.units):
                for j, (_, label) in enumerate(reported):
                    estimates.append(
                        {
                            "source": src,
                            "group": grp,
                            "period": per,
                            "label": label,
                            "estimator": estimator,
                            "estimate": point[u, j],
                            "ci_low": low[u, j],
                            "ci_high": high[u, j],
                            "n_sentences": int(cells.n_sentences[u]),
                            "n_docs": int(cells.n_docs[u]),
                            "level": level.name,
                            "note": cells.notes[estimator][u]
                            or _cell_note(estimator, point[u, j], high[u, j]),
                        }
                    )

    differences = _differences(levels, kept, reported, config)
    evidence = _evidence(examples, soft, columns, sources, config.evidence_per_cell)
    timings["estimate_s"] = time.perf_counter() - t2

    headline = config.headline_estimator()
    summary = {
        "name": config.name,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {"path": str(config.model), "kind": model_kind, "thresholds": thresholds},
        "corpus": {"path": str(config.corpus), "segmented": config.segment},
        "n_sentences": len(examples),
        "n_docs": n_docs,
        "n_sources": len(sources_seen),
        "sources_without_sentences": missing_sources,
        "groups": None
        if grouping is None
        else {"path": str(config.groups), "name": grouping.name, "order": group_order},
        "periods": periods,
        "period_mode": config.period,
        "dev": None if config.dev is None else {"path": str(config.dev), "n": n_dev},
        "gold_sample": None
        if config.gold_sample is None
        else {"path": str(config.gold_sample), "n": n_gold, "min_gold": config.min_gold},
        "estimators": [e for e in ESTIMATORS if e in kept["all"].replicates],
        "correction": config.correction,
        "headline": headline,
        "headline_reason": _headline_reason(config, headline),
        "bootstrap": config.bootstrap.model_dump(),
        "labels": [label for _, label in reported],
        "definitions": dict(schema.definitions),
        "top_sources": config.top_sources,
        "highlight_sources": list(config.sources),
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
    }

    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        _write_csv(tmp / "estimates.csv", ESTIMATE_COLUMNS, estimates)
        _write_csv(tmp / "differences.csv", DIFFERENCE_COLUMNS, differences)
        with open(tmp / "evidence.jsonl", "w", encoding="utf-8") as handle:
            for row in evidence:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
        (tmp / "config.yaml").write_text(
            yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        )
        report_md, report_html = report_module.build_report(tmp)
        if out.exists():
            raise ConfigError(f"output folder {out} appeared while comparing; not overwriting it")
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("Comparison written to %s", out)
    return ComparisonResult(
        output_dir=out,
        estimates=estimates,
        differences=differences,
        headline=headline,
        n_sentences=len(examples),
        n_docs=n_docs,
        report_md=out / report_md.name,
        report_html=out / report_html.name,
        summary=summary,
    )


def _cell_note(estimator: str, point: float, high: float) -> str:
    """Why a cell needs care: not estimable, or a correction that clipped at 0 in every resample."""
    if not np.isfinite(point):
        return "not estimable"
    if estimator == "corrected" and high == 0.0:
        # The model labels fewer sentences here than its dev false-positive rate predicts from
        # noise alone: every resample clips at 0, so the interval is a floor, not a measurement.
        return "at floor: observed rate below the dev false-positive rate"
    return ""


def _differences(
    levels: Sequence[_Level],
    kept: Mapping[str, CellEstimates],
    reported: Sequence[tuple[int, str]],
    config: CompareConfig,
) -> list[dict[str, Any]]:
    """Pairwise differences (groups; the largest sources) and per-period trends, with bootstrap
    CIs and p-values Holm-adjusted within each (kind, level, estimator) family."""
    rows: list[dict[str, Any]] = []
    rep_cols = np.array([c for c, _ in reported])
    by_name = {level.name: level for level in levels}
    for name in ("group", "source"):
        if name not in by_name:
            continue
        level, cells = by_name[name], kept[name]
        have = np.flatnonzero(cells.n_sentences > 0)
        if name == "source":
            have = have[np.argsort(-cells.n_sentences[have], kind="stable")][
                : config.contrast_sources
            ]
        pairs = [(a, b) for i, a in enumerate(have) for b in have[i + 1 :]]
        if not pairs:
            continue
        ia, ib = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        for estimator, reps in cells.replicates.items():
            sub = reps[..., rep_cols]
            diff = sub[:, ia] - sub[:, ib]
            point, low, high = summarise(diff, config.bootstrap.level)
            p = bootstrap_p_value(diff)
            adj = holm_adjust(p.ravel()).reshape(p.shape)
            key = 0 if name == "group" else 1
            for k, (a, b) in enumerate(pairs):
                for j, (_, label) in enumerate(reported):
                    rows.append(
                        {
                            "kind": "difference",
                            "level": name,
                            "a": level.units[a][key],
                            "b": level.units[b][key],
                            "period": ALL,
                            "label": label,
                            "estimator": estimator,
                            "difference": point[k, j],
                            "ci_low": low[k, j],
                            "ci_high": high[k, j],
                            "p_value": p[k, j],
                            "p_holm": adj[k, j],
                            "n_docs_a": int(cells.n_docs[a]),
                            "n_docs_b": int(cells.n_docs[b]),
                        }
                    )
    # Trends: slope per period step, overall and per group.
    if "period" in by_name:
        periods = [u[2] for u in by_name["period"].units]
        try:
            x = np.array([float(p) for p in periods])
        except ValueError:
            x = np.arange(len(periods), dtype=np.float64)
        series: list[tuple[str, str, CellEstimates, np.ndarray]] = [
            ("period", ALL, kept["period"], np.arange(len(periods)))
        ]
        if "group_period" in by_name:
            n_p = len(periods)
            for g_i, unit in enumerate(by_name["group_period"].units[::n_p]):
                series.append(
                    ("group_period", unit[1], kept["group_period"], g_i * n_p + np.arange(n_p))
                )
        if len(periods) >= 2:
            for estimator in kept["period"].replicates:
                family: list[dict[str, Any]] = []
                for level_name, who, cells, idx in series:
                    sub = cells.replicates[estimator][:, idx][..., rep_cols]
                    slopes = trend_slopes(sub, x)
                    point, low, high = summarise(slopes[:, None, :], config.bootstrap.level)
                    p = bootstrap_p_value(slopes)
                    for j, (_, label) in enumerate(reported):
                        family.append(
                            {
                                "kind": "trend",
                                "level": level_name,
                                "a": who,
                                "b": "",
                                "period": f"{periods[0]}-{periods[-1]}",
                                "label": label,
                                "estimator": estimator,
                                "difference": point[0, j],
                                "ci_low": low[0, j],
                                "ci_high": high[0, j],
                                "p_value": p[j],
                                "n_docs_a": int(cells.n_docs[idx].sum()),
                                "n_docs_b": 0,
                            }
                        )
                adj = holm_adjust([r["p_value"] for r in family])
                for r, a in zip(family, adj, strict=True):
                    r["p_holm"] = a
                rows.extend(family)
    return rows


def _evidence(
    examples: Sequence[Example],
    soft: np.ndarray,
    columns: LabelColumns,
    sources: Sequence[str],
    per_cell: int,
) -> list[dict[str, Any]]:
    """The `per_cell` sentences with the highest probability for each frame x source."""
    if per_cell == 0 or not examples:
        return []
    src_index = _index([ex.source for ex in examples], sources)
    rows: list[dict[str, Any]] = []
    for task, frame, start in zip(columns.tasks, columns.is_frame, columns.offsets, strict=True):
        if not frame:
            continue
        p = soft[:, start + 1]
        order = np.lexsort((-p, src_index))
        sorted_src = src_index[order]
        first = np.searchsorted(sorted_src, np.arange(len(sources)))
        for s_i, s in enumerate(sources):
            for rank in range(per_cell):
                at = first[s_i] + rank
                if at >= len(order) or sorted_src[at] != s_i:
                    break
                ex = examples[order[at]]
                rows.append(
                    {
                        "source": s,
                        "label": f"frame:{task}",
                        "rank": rank + 1,
                        "id": ex.id,
                        "doc_id": ex.doc_id,
                        "probability": round(float(p[order[at]]), 4),
                        "text": ex.text,
                    }
                )
    return rows
