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
    "source", "group", "period", "label", "estimator", "estimate", "ci_low", "ci_high",
    "n_sentences", "n_docs", "level", "note",
)  # fmt: skip
DIFFERENCE_COLUMNS = (
    "kind", "level", "a", "b", "period", "label", "estimator", "difference", "ci_low", "ci_high",
    "p_value", "p_holm", "n_docs_a", "n_docs_b",
)  # fmt: skip


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


def bootstrap_weights(
    strata: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
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


def _aggregate(weights: np.ndarray, unit: np.ndarray, n_units: int, values: np.ndarray) -> np.ndarray:
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
