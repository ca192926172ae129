"""Metrics on labelled sets: per-label P/R/F1, micro/macro F1, F_avg, document-bootstrap CIs,
calibration error, confusion matrices and a by-source breakdown. Pure functions, no files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    confusion_matrix,
    precision_recall_curve,
    precision_recall_fscore_support,
)

from framing.data import Example
from framing.labels import LabelSchema
from framing.predictions import Probabilities
from framing.stats import document_bootstrap, document_index, rounded_interval, sum_by_document


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 from counts; NaN where a label was neither gold nor predicted (undefined, not 0)."""
    denom = np.asarray(2 * tp + fp + fn, dtype=float)
    return np.divide(2 * tp, denom, out=np.full_like(denom, np.nan), where=denom > 0)


def _macro(values: np.ndarray) -> np.ndarray:
    """Macro average per resample over a fixed label set, an undefined F1 counting as 0.

    This is sklearn's convention when the labels are given explicitly (zero_division=0), the same
    one the point estimate uses; skipping undefined labels instead would let a resample that
    happens to contain no rare label score near 1.
    """
    return np.nan_to_num(values, nan=0.0).mean(axis=1)


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """ECE: the bin-weighted gap between mean confidence and accuracy (equal-width bins)."""
    if confidence.size == 0:
        return float("nan")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total)


def frame_metrics(
    gold: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray,
    names: Sequence[str],
    doc: np.ndarray,
    n_docs: int,
    weights: np.ndarray | None,
    ci: float,
    bins: int,
) -> dict[str, Any]:
    """Multi-label frame metrics; `gold`, `pred` are (n, n_frames) booleans."""
    # Per column: with a single frame, sklearn reads an (n, 1) matrix as one binary target and
    # reports the 'absent' and 'present' classes instead of the frame.
    scores = [
        precision_recall_fscore_support(
            gold[:, j], pred[:, j], labels=[True], average=None, zero_division=0
        )
        for j in range(gold.shape[1])
    ]
    precision, recall, f1, support = (np.array([s[i][0] for s in scores]) for i in range(4))
    tp = sum_by_document((gold & pred).astype(float), doc, n_docs)
    fp = sum_by_document((~gold & pred).astype(float), doc, n_docs)
    fn = sum_by_document((gold & ~pred).astype(float), doc, n_docs)
    micro = float(np.nan_to_num(_f1(tp.sum(), fp.sum(), fn.sum())))
    macro = float(np.mean(f1)) if len(names) else float("nan")
    result: dict[str, Any] = {
        "n": int(gold.shape[0]),
        "micro_f1": round(micro, 6),
        "macro_f1": round(macro, 6),
        "per_label": {},
        "confusion": {},
        "ece": {},
    }
    for j, name in enumerate(names):
        result["per_label"][name] = {
            "precision": round(float(precision[j]), 6),
            "recall": round(float(recall[j]), 6),
            "f1": round(float(f1[j]), 6),
            "support": int(support[j]),
        }
        matrix = confusion_matrix(gold[:, j], pred[:, j], labels=[False, True])
        result["confusion"][name] = {"labels": ["absent", "present"], "matrix": matrix.tolist()}
        result["ece"][name] = round(
            expected_calibration_error(proba[:, j], gold[:, j].astype(float), bins), 6
        )
    if weights is not None:
        TP, FP, FN = weights @ tp, weights @ fp, weights @ fn
        result["micro_f1_ci"] = rounded_interval(_f1(TP.sum(1), FP.sum(1), FN.sum(1)), ci)
        result["macro_f1_ci"] = rounded_interval(_macro(_f1(TP, FP, FN)), ci)
        per_label_f1 = _f1(TP, FP, FN)
        for j, name in enumerate(names):
            result["per_label"][name]["f1_ci"] = rounded_interval(per_label_f1[:, j], ci)
    return result


def stance_metrics(
    gold: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray,
    labels: Sequence[str],
    favor_against: Sequence[str],
    doc: np.ndarray,
    n_docs: int,
    weights: np.ndarray | None,
    ci: float,
    bins: int,
) -> dict[str, Any]:
    """Single-label stance metrics for one target; `gold`, `pred` are label indices."""
    k = len(labels)
    present = sorted(set(gold.tolist()) | set(pred.tolist()))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=list(range(k)), average=None, zero_division=0
    )
    onehot_gold = np.eye(k, dtype=bool)[gold]
    onehot_pred = np.eye(k, dtype=bool)[pred]
    tp = sum_by_document((onehot_gold & onehot_pred).astype(float), doc, n_docs)
    fp = sum_by_document((~onehot_gold & onehot_pred).astype(float), doc, n_docs)
    fn = sum_by_document((onehot_gold & ~onehot_pred).astype(float), doc, n_docs)
    fa = [labels.index(name) for name in favor_against if name in labels]
    confidence = proba.max(axis=1)
    result: dict[str, Any] = {
        "n": int(gold.shape[0]),
        "accuracy": round(float((gold == pred).mean()), 6),
        "macro_f1": round(float(np.mean(f1[present])), 6),
        "f1_favor_against": round(float(np.mean(f1[fa])), 6) if fa else None,
        "per_label": {
            name: {
                "precision": round(float(precision[i]), 6),
                "recall": round(float(recall[i]), 6),
                "f1": round(float(f1[i]), 6),
                "support": int(support[i]),
            }
            for i, name in enumerate(labels)
        },
        "confusion": {
            "labels": list(labels),
            "matrix": confusion_matrix(gold, pred, labels=list(range(k))).tolist(),
        },
        "ece": round(expected_calibration_error(confidence, (gold == pred).astype(float), bins), 6),
    }
    if weights is not None:
        TP, FP, FN = weights @ tp, weights @ fp, weights @ fn
        F1 = _f1(TP, FP, FN)
        correct = weights @ tp.sum(1, keepdims=True)
        total = weights @ (tp.sum(1, keepdims=True) + fn.sum(1, keepdims=True))
        result["accuracy_ci"] = rounded_interval((correct / np.maximum(total, 1)).ravel(), ci)
        result["macro_f1_ci"] = rounded_interval(_macro(F1[:, present]), ci)
        if fa:
            result["f1_favor_against_ci"] = rounded_interval(_macro(F1[:, fa]), ci)
    return result


def _frames_block(
    examples: Sequence[Example],
    proba: Probabilities,
    schema: LabelSchema,
    thresholds: dict[str, float],
    options: dict[str, Any],
) -> dict[str, Any] | None:
    """Frame metrics on the examples labelled for frames (None when there are none)."""
    rows = np.array([i for i, ex in enumerate(examples) if ex.frames is not None], dtype=int)
    if not (schema.frames and rows.size):
        return None
    subset = [examples[i] for i in rows]
    doc, n_docs = document_index([ex.document for ex in subset])
    bootstrap, seed = options["bootstrap"], options["seed"]
    weights = document_bootstrap(n_docs, bootstrap, seed) if bootstrap else None
    gold = np.array([[f in ex.frames for f in schema.frames] for ex in subset])  # type: ignore[operator]
    cut = np.array([thresholds.get(f, 0.5) for f in schema.frames])
    frame_proba = proba.frames[rows]
    return frame_metrics(
        gold,
        frame_proba >= cut,
        frame_proba,
        schema.frames,
        doc,
        n_docs,
        weights,
        options["ci"],
        options["bins"],
    )


def _stance_block(
    examples: Sequence[Example],
    proba: Probabilities,
    schema: LabelSchema,
    target: str,
    favor_against: Sequence[str],
    options: dict[str, Any],
) -> dict[str, Any] | None:
    """Stance metrics for one target on the examples labelled for it (None when none are)."""
    rows = np.array(
        [i for i, ex in enumerate(examples) if ex.stance and target in ex.stance], dtype=int
    )
    if not rows.size:
        return None
    subset = [examples[i] for i in rows]
    doc, n_docs = document_index([ex.document for ex in subset])
    bootstrap, seed = options["bootstrap"], options["seed"]
    weights = document_bootstrap(n_docs, bootstrap, seed + 1) if bootstrap else None
    gold = np.array([schema.stance_labels.index(ex.stance[target]) for ex in subset])  # type: ignore[index]
    target_proba = proba.stance[target][rows]
    return stance_metrics(
        gold,
        target_proba.argmax(1),
        target_proba,
        schema.stance_labels,
        favor_against,
        doc,
        n_docs,
        weights,
        options["ci"],
        options["bins"],
    )


def evaluate(
    examples: Sequence[Example],
    proba: Probabilities,
    schema: LabelSchema,
    thresholds: dict[str, float],
    *,
    bootstrap: int = 1000,
    ci: float = 0.95,
    favor_against: Sequence[str] = ("favor", "against"),
    calibration_bins: int = 10,
    seed: int = 0,
    by_source: bool = True,
) -> dict[str, Any]:
    """The metrics block for one labelled set (see STYLE.md section 8).

    Each task is scored on the examples labelled for it. CIs resample documents, not sentences,
    because sentences of one speech or article are not independent.
    """
    result: dict[str, Any] = {"n": len(examples)}
    summary: list[float] = []
    options = {"ci": ci, "bins": calibration_bins, "bootstrap": bootstrap, "seed": seed}
    frames = _frames_block(examples, proba, schema, thresholds, options)
    if frames is not None:
        result["frames"] = frames
        summary.extend(v["f1"] for v in frames["per_label"].values())
    stance_blocks: dict[str, Any] = {}
    for target in schema.targets:
        block = _stance_block(examples, proba, schema, target, favor_against, options)
        if block is not None:
            stance_blocks[target] = block
            summary.append(block["macro_f1"])
    if stance_blocks:
        result["stance"] = stance_blocks
    # One number for leaderboards and model selection: the mean of every frame's F1 and every
    # target's stance macro-F1, so both tasks weigh in whatever the schema's sizes.
    result["macro_f1"] = round(float(np.mean(summary)), 6) if summary else None
    if by_source:
        result["by_source"] = _by_source(
            examples, proba, schema, thresholds, favor_against, calibration_bins
        )
    return result


def _by_source(
    examples: Sequence[Example],
    proba: Probabilities,
    schema: LabelSchema,
    thresholds: dict[str, float],
    favor_against: Sequence[str],
    bins: int,
) -> dict[str, Any]:
    sources = sorted({ex.source for ex in examples})
    if len(sources) < 2:
        return {}
    out: dict[str, Any] = {}
    for source in sources:
        rows = [i for i, ex in enumerate(examples) if ex.source == source]
        sub = Probabilities(
            proba.frames[rows],
            {t: p[rows] for t, p in proba.stance.items()},
            proba.frame_names,
            proba.stance_labels,
        )
        block = evaluate(
            [examples[i] for i in rows],
            sub,
            schema,
            thresholds,
            bootstrap=0,
            favor_against=favor_against,
            calibration_bins=bins,
            by_source=False,
        )
        out[source] = {
            "n": block["n"],
            "macro_f1": block["macro_f1"],
            "frames_macro_f1": block.get("frames", {}).get("macro_f1"),
            "stance_macro_f1": {t: b["macro_f1"] for t, b in block.get("stance", {}).items()},
        }
    return out


def selection_scores(
    examples: Sequence[Example], proba: Probabilities, schema: LabelSchema
) -> dict[str, float]:
    """Dev scores used to pick epochs: macro F1 with each frame at its best dev threshold."""
    thresholds = tune_thresholds(proba.frames, examples, schema.frames)
    block = evaluate(examples, proba, schema, thresholds, bootstrap=0, by_source=False)
    return {
        "macro_f1": block["macro_f1"] if block["macro_f1"] is not None else 0.0,
        "loss": dev_loss(examples, proba, schema),
    }


def dev_loss(examples: Sequence[Example], proba: Probabilities, schema: LabelSchema) -> float:
    """Mean log loss on labelled dev cells: binary per frame, categorical per stance target.

    The dev counterpart of the training loss, used when `train.select_on` is 'loss'.
    """
    eps = 1e-7
    losses: list[float] = []
    for i, ex in enumerate(examples):
        if ex.frames is not None and schema.frames:
            p = np.clip(proba.frames[i], eps, 1 - eps)
            y = np.array([f in ex.frames for f in schema.frames], dtype=float)
            losses.append(float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()))
        for target, label in (ex.stance or {}).items():
            if target in proba.stance:
                k = schema.stance_labels.index(label)
                losses.append(float(-np.log(max(proba.stance[target][i, k], eps))))
    return float(np.mean(losses)) if losses else float("nan")


def tune_thresholds(
    frame_proba: np.ndarray, examples: Sequence[Example], frames: Sequence[str]
) -> dict[str, float]:
    """Per-frame decision threshold that maximises F1 on labelled dev examples (0.5 if none)."""
    rows = [i for i, ex in enumerate(examples) if ex.frames is not None]
    thresholds: dict[str, float] = {}
    for j, frame in enumerate(frames):
        y = np.array([frame in examples[i].frames for i in rows])  # type: ignore[operator]
        if len(rows) == 0 or y.sum() == 0 or y.all():
            thresholds[frame] = 0.5
            continue
        precision, recall, cuts = precision_recall_curve(y, frame_proba[rows, j])
        f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
        best = int(np.argmax(f1[:-1]))
        thresholds[frame] = float(np.clip(cuts[best], 0.01, 0.99))
    return thresholds
