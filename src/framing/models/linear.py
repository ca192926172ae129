"""Logistic-regression heads on a feature matrix: one binary head per frame, one per target.

Shared by the `tfidf` and `encoder` kinds. Weights are stored as safetensors tensors and rebuilt
into scikit-learn estimators on load, so no pickle is involved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from framing.data import Example
from framing.labels import LabelSchema
from framing.models.base import EpochInfo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anchors:
    """Extra weighted rows for one frame's head, e.g. its definition's embedding (`fewshot`)."""

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray


@dataclass
class _Head:
    """One fitted head; `classes` are column indices into its label list, `constant` a fallback."""

    classes: list[int]
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None
    constant: np.ndarray | None = None
    C: float | None = None

    def estimator(self) -> LogisticRegression:
        model = LogisticRegression()
        model.classes_ = np.asarray(self.classes)
        model.coef_ = self.coef
        model.intercept_ = self.intercept
        model.n_features_in_ = self.coef.shape[1]  # type: ignore[union-attr]
        return model

    def proba(self, X: Any, n_labels: int) -> np.ndarray:
        """Probabilities over all n_labels columns (labels never seen in training get 0)."""
        n = X.shape[0]
        if self.constant is not None:
            return np.tile(self.constant, (n, 1))
        out = np.zeros((n, n_labels))
        out[:, self.classes] = self.estimator().predict_proba(X)
        return out


def _frame_targets(examples: Sequence[Example], frame: str) -> tuple[np.ndarray, np.ndarray]:
    rows = [i for i, ex in enumerate(examples) if ex.frames is not None]
    y = np.array([int(frame in examples[i].frames) for i in rows])  # type: ignore[operator]
    return np.array(rows, dtype=int), y


def _stance_targets(
    examples: Sequence[Example], target: str, labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    rows = [i for i, ex in enumerate(examples) if ex.stance and target in ex.stance]
    y = np.array([labels.index(examples[i].stance[target]) for i in rows])  # type: ignore[index]
    return np.array(rows, dtype=int), y


def _fit_head(
    X: Any,
    y: np.ndarray,
    n_labels: int,
    grid: Sequence[float],
    dev: tuple[Any, np.ndarray] | None,
    seed: int,
    weight: np.ndarray | None = None,
) -> _Head:
    """One head with C from `grid` (by dev log-loss when dev exists); `weight` per row is
    multiplied by the balanced class weights."""
    present = sorted(set(y.tolist()))
    if len(present) < 2:
        # Only one class (or none) was ever seen: predict it with certainty rather than fail;
        # with no labelled example at all, a frame is absent and a stance is uniform.
        constant = np.full(n_labels, 1.0 / n_labels) if n_labels > 2 else np.array([1.0, 0.0])
        if present:
            constant = np.zeros(n_labels)
            constant[present[0]] = 1.0
        return _Head(classes=present, constant=constant)
    best: _Head | None = None
    best_loss = np.inf
    use_dev = dev is not None and len(dev[1]) > 0 and len(grid) > 1
    for C in grid if use_dev else [grid[len(grid) // 2]]:
        model = LogisticRegression(
            C=C, class_weight="balanced", max_iter=3000, random_state=seed
        ).fit(X, y, sample_weight=weight)
        head = _Head(
            classes=[int(c) for c in model.classes_],
            coef=model.coef_.astype(np.float32),
            intercept=model.intercept_.astype(np.float32),
            C=float(C),
        )
        if not use_dev:
            return head
        X_dev, y_dev = dev  # type: ignore[misc]
        proba = np.clip(head.proba(X_dev, n_labels), 1e-7, 1.0)
        loss = log_loss(y_dev, proba / proba.sum(1, keepdims=True), labels=range(n_labels))
        if loss < best_loss:
            best, best_loss = head, loss
    assert best is not None
    return best


def fit_heads_once(
    backend: Any,
    X: Any,
    X_dev: Any | None,
    train: Sequence[Example],
    dev: Sequence[Example] | None,
    score_dev: Callable[[Any], dict[str, float]] | None,
    start: float,
    anchors: Mapping[str, Anchors] | None = None,
) -> Iterator[EpochInfo]:
    """Fit `backend.heads` on precomputed features and report it as the kind's only epoch."""
    heads = LinearHeads(backend.schema, backend.C, backend.seed)
    backend.heads = heads.fit(X, train, X_dev, dev, anchors)
    scores = score_dev(backend) if score_dev is not None and dev else {}
    yield EpochInfo(1, 1, None, time.perf_counter() - start, scores)


class LinearHeads:
    """Frame and stance heads fitted on precomputed features."""

    def __init__(self, schema: LabelSchema, C: float | Sequence[float] = 1.0, seed: int = 13):
        self.schema = schema
        self.grid = [float(C)] if isinstance(C, (int, float)) else [float(c) for c in C]
        self.seed = seed
        self.frame_heads: dict[str, _Head] = {}
        self.stance_heads: dict[str, _Head] = {}

    def fit(
        self,
        X: Any,
        examples: Sequence[Example],
        X_dev: Any | None = None,
        dev: Sequence[Example] | None = None,
        anchors: Mapping[str, Anchors] | None = None,
    ) -> LinearHeads:
        """Fit every head on the examples labelled for it (a frame's `anchors` rows join its
        head's data); choose C per head by dev log-loss."""
        labels = self.schema.stance_labels
        for frame in self.schema.frames:
            rows, y = _frame_targets(examples, frame)
            dev_xy = None
            if dev is not None and X_dev is not None:
                dev_rows, dev_y = _frame_targets(dev, frame)
                dev_xy = (X_dev[dev_rows], dev_y) if len(dev_rows) else None
            X_frame, weight = X[rows], None
            extra = (anchors or {}).get(frame)
            if extra is not None and len(set(y.tolist())) == 2:
                X_frame = np.concatenate([X_frame, extra.X])
                y = np.concatenate([y, extra.y])
                weight = np.concatenate([np.ones(len(rows)), extra.weight])
            self.frame_heads[frame] = _fit_head(X_frame, y, 2, self.grid, dev_xy, self.seed, weight)
        for target in self.schema.targets:
            rows, y = _stance_targets(examples, target, labels)
            dev_xy = None
            if dev is not None and X_dev is not None:
                dev_rows, dev_y = _stance_targets(dev, target, labels)
                dev_xy = (X_dev[dev_rows], dev_y) if len(dev_rows) else None
            self.stance_heads[target] = _fit_head(
                X[rows], y, len(labels), self.grid, dev_xy, self.seed
            )
        return self

    def predict_proba(self, X: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Frame probabilities (n, n_frames) and a stance distribution per target."""
        n = X.shape[0]
        frames = np.zeros((n, len(self.schema.frames)))
        for j, frame in enumerate(self.schema.frames):
            frames[:, j] = self.frame_heads[frame].proba(X, 2)[:, 1]
        stance = {
            target: self.stance_heads[target].proba(X, len(self.schema.stance_labels))
            for target in self.schema.targets
        }
        return frames, stance

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Tensors for safetensors and JSON metadata describing them."""
        tensors: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {}
        for group, heads in (("frame", self.frame_heads), ("stance", self.stance_heads)):
            for name, head in heads.items():
                key = f"{group}.{name}"
                meta[key] = {"classes": head.classes, "C": head.C}
                if head.constant is not None:
                    tensors[f"{key}.constant"] = head.constant.astype(np.float32)
                else:
                    tensors[f"{key}.coef"] = np.ascontiguousarray(head.coef)
                    tensors[f"{key}.intercept"] = np.ascontiguousarray(head.intercept)
        return tensors, meta

    @classmethod
    def from_state(
        cls, schema: LabelSchema, tensors: dict[str, np.ndarray], meta: dict[str, Any]
    ) -> LinearHeads:
        """Rebuild heads saved by `state`."""
        heads = cls(schema)
        for group, names, store in (
            ("frame", schema.frames, heads.frame_heads),
            ("stance", schema.targets, heads.stance_heads),
        ):
            for name in names:
                key = f"{group}.{name}"
                info = meta[key]
                if f"{key}.constant" in tensors:
                    store[name] = _Head(info["classes"], constant=tensors[f"{key}.constant"])
                else:
                    store[name] = _Head(
                        info["classes"],
                        coef=tensors[f"{key}.coef"],
                        intercept=tensors[f"{key}.intercept"],
                        C=info["C"],
                    )
        return heads
