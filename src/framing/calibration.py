"""Probability calibration fitted on dev: Platt scaling per frame, a temperature per target.

Both are monotone, so frame decisions at the re-tuned thresholds and stance argmax are the
same sentences as before; what changes is that a probability of 0.8 means right about 80% of
the time on data like dev, which the comparison report's probabilistic correction (PACC) and
any reader of `predict_proba` rely on. Stored as plain numbers in framing.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression

from framing.data import Example
from framing.errors import ModelError
from framing.evaluation import expected_calibration_error
from framing.labels import LabelSchema
from framing.predictions import Probabilities

EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


MIN_CLASS = 5  # fewer dev positives (or negatives) for a frame: too few to fit its scaling


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """(slope, intercept) of a logistic fit of the label on the frame logit; None when dev has
    too few of either class to fit it (or the fit is not increasing)."""
    if min(int(y.sum()), int(len(y) - y.sum())) < MIN_CLASS:
        return None
    fit = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), y)
    slope = float(fit.coef_[0, 0])
    return (slope, float(fit.intercept_[0])) if slope > 0 else None


def _temperature(proba: np.ndarray, gold: np.ndarray) -> float:
    """The temperature that minimises the dev negative log-likelihood of the stance labels."""
    if gold.size == 0:
        return 1.0
    log_p = np.log(np.clip(proba, EPS, 1.0))

    def nll(t: float) -> float:
        z = log_p / t
        z -= z.max(1, keepdims=True)
        log_soft = z - np.log(np.exp(z).sum(1, keepdims=True))
        return float(-log_soft[np.arange(len(gold)), gold].mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def _stance_gold(
    examples: Sequence[Example], target: str, schema: LabelSchema
) -> tuple[list[int], np.ndarray]:
    """The rows labelled for `target` and their gold class indices."""
    rows = [i for i, ex in enumerate(examples) if ex.stance and target in ex.stance]
    labels = [schema.stance_labels.index(examples[i].stance[target]) for i in rows]  # type: ignore[index]
    return rows, np.array(labels, dtype=int)


def fit_calibration(
    proba: Probabilities, examples: Sequence[Example], schema: LabelSchema
) -> dict[str, Any]:
    """Platt parameters per frame and a temperature per target, from dev probabilities; a label
    dev cannot support (too few of a class, no stance labels) is left out."""
    rows = [i for i, ex in enumerate(examples) if ex.frames is not None]
    frames = {}
    for j, frame in enumerate(schema.frames):
        y = np.array([frame in examples[i].frames for i in rows], dtype=int)  # type: ignore[operator]
        fitted = _platt(_logit(proba.frames[rows, j]), y) if rows else None
        if fitted is not None:
            frames[frame] = list(fitted)
    stance = {}
    for target in schema.targets:
        rows, gold = _stance_gold(examples, target, schema)
        if len(rows) >= MIN_CLASS:
            stance[target] = _temperature(proba.stance[target][rows], gold)
    return {"frames": frames, "stance": stance}


def apply_calibration(proba: Probabilities, calibration: Mapping[str, Any]) -> Probabilities:
    """The same probabilities, rescaled by fitted calibration (targets not in it unchanged)."""
    frames = proba.frames.copy()
    for j, name in enumerate(proba.frame_names):
        slope, intercept = calibration.get("frames", {}).get(name, (1.0, 0.0))
        if (slope, intercept) == (1.0, 0.0):
            continue  # identity: leave exact 0s and 1s alone
        frames[:, j] = 1.0 / (1.0 + np.exp(-(slope * _logit(proba.frames[:, j]) + intercept)))
    stance = {}
    for target, p in proba.stance.items():
        t = calibration.get("stance", {}).get(target, 1.0)
        if t == 1.0:
            stance[target] = p
            continue
        z = np.log(np.clip(p, EPS, 1.0)) / t
        z -= z.max(1, keepdims=True)
        soft = np.exp(z)
        stance[target] = soft / soft.sum(1, keepdims=True)
    return Probabilities(frames, stance, proba.frame_names, proba.stance_labels)


def calibration_errors(
    examples: Sequence[Example], proba: Probabilities, schema: LabelSchema, bins: int = 10
) -> dict[str, Any]:
    """ECE per frame (P(present) against presence) and per target (top probability against
    correctness), computed as `evaluate` does, for probabilities before calibration."""
    rows = [i for i, ex in enumerate(examples) if ex.frames is not None]
    frames = {}
    for j, frame in enumerate(schema.frames):
        gold = np.array([frame in examples[i].frames for i in rows], dtype=float)  # type: ignore[operator]
        frames[frame] = round(expected_calibration_error(proba.frames[rows, j], gold, bins), 6)
    stance = {}
    for target in proba.stance:
        rows, gold = _stance_gold(examples, target, schema)
        if not rows:
            continue
        p = proba.stance[target][rows]
        correct = (p.argmax(1) == gold).astype(float)
        stance[target] = round(expected_calibration_error(p.max(1), correct, bins), 6)
    return {"frames": frames, "stance": stance}


def merge_calibration(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """`new` over `old`, label by label: what a new dev set could not fit keeps its old value."""
    return {part: {**old.get(part, {}), **new.get(part, {})} for part in ("frames", "stance")}


def calibration_from_index(
    index: Mapping[str, Any], schema: LabelSchema, path: Path
) -> dict[str, Any]:
    """Calibration from a model folder's framing.json (absent in older folders: none): finite
    numbers only, [slope > 0, intercept] per frame and a temperature > 0 per target."""
    raw = index.get("calibration") or {}
    parts = (
        [raw]
        if not isinstance(raw, dict)
        else [raw, raw.get("frames") or {}, raw.get("stance") or {}]
    )
    if not all(isinstance(part, dict) for part in parts):
        raise ModelError(
            f"{path}: calibration in framing.json must be an object "
            '{"frames": {frame: [slope, intercept]}, "stance": {target: temperature}}'
        )
    frames, stance = raw.get("frames") or {}, raw.get("stance") or {}
    unknown = [f for f in frames if f not in schema.frames]
    unknown += [t for t in stance if t not in schema.targets]
    if unknown:
        raise ModelError(f"{path}: calibration in framing.json names {unknown}, not in its schema")
    pairs = [
        *(("frames", k, v) for k, v in frames.items()),
        *(("stance", k, v) for k, v in stance.items()),
    ]
    for part, name, value in pairs:
        numbers = value if part == "frames" else [value]
        ok = isinstance(numbers, list) and len(numbers) == (2 if part == "frames" else 1)
        ok = ok and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in numbers)
        if not ok or not np.isfinite(numbers).all() or numbers[0] <= 0:
            raise ModelError(
                f"{path}: calibration.{part}.{name} in framing.json must be "
                f"{'[slope > 0, intercept]' if part == 'frames' else 'a temperature > 0'}, "
                f"found {value!r}"
            )
    return {"frames": dict(frames), "stance": dict(stance)} if raw else {}
