"""How the `fewshot` kind's definition anchors were chosen (issue #15): on UN dev, before the
test set was read.

For each of the four frames of configs/labels/geopolitics.yaml, the learning curves' 10 balanced
samples of 16 + 16 sentences from data/un/train.jsonl, frozen encoder features, and a logistic
head (C = 1) at cut 0.5 fitted on the sample plus extra weighted rows:
- `plain`: nothing added (balanced class weights, the `encoder` kind's head);
- `definition_w{w}`: the frame's "name: definition" embedding as a positive of weight w;
- `other_definitions_w16`: the definition as a positive (16) and the other three frames'
  definitions as negatives (16/3 each);
- `sample_centre_w{w}`: the definition as a positive and the sample's mean embedding as a
  negative, weight w each (what `fewshot` does, `definition_weight` = w);
- `pool_centre_w8`: the same with the unlabelled pool's mean embedding as the negative.
The added rows carry their weights and no class weights (the sample is balanced).
Reports F1 per frame and the mean over the four frames, averaged over the samples.

Usage:
    python benchmarks/fewshot_anchors.py [--split dev] [--base default]
Writes benchmarks/results/fewshot_anchors.json (one block per split and encoder).
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from framing.errors import FramingError  # noqa: E402
from framing.labels import load_schema  # noqa: E402
from framing.models.bases import resolve_base  # noqa: E402
from framing.models.encoder import SentenceEncoder  # noqa: E402
from framing.models.fewshot import definition_text  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results" / "fewshot_anchors.json"
SEED = 13
SAMPLES = 10
HALF = 16


def _rows(split: str) -> list[dict[str, Any]]:
    text = (REPO / "data" / "un" / f"{split}.jsonl").read_text(encoding="utf-8")
    return [
        row
        for row in map(json.loads, filter(None, text.splitlines()))
        if row.get("frames") is not None
    ]


def f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Positive-class F1 (0 when nothing is predicted or present)."""
    denom = float(gold.sum() + pred.sum())
    return 2 * float((gold & pred).sum()) / denom if denom else 0.0


def head(
    X: np.ndarray, y: np.ndarray, rows: np.ndarray, labels: list[bool], weights: list[float]
) -> LogisticRegression:
    """The logistic head on the sample plus weighted extra rows (none: balanced class weights)."""
    if not len(rows):
        return LogisticRegression(class_weight="balanced", max_iter=3000).fit(X, y)
    weight = np.concatenate([np.ones(len(y)), weights])
    return LogisticRegression(max_iter=3000).fit(
        np.concatenate([X, rows]), np.concatenate([y, labels]), sample_weight=weight
    )


def variants(
    X: np.ndarray, y: np.ndarray, own: np.ndarray, others: np.ndarray, pool_centre: np.ndarray
) -> dict[str, tuple[np.ndarray, list[bool], list[float]]]:
    """(extra rows, their labels, their weights) of every variant for one sample."""
    none = np.zeros((0, X.shape[1]), dtype=X.dtype)
    out = {"plain": (none, [], [])}
    for w in (1.0, 4.0):
        out[f"definition_w{w:g}"] = (own[None], [True], [w])
    out["other_definitions_w16"] = (
        np.concatenate([own[None], others]),
        [True] + [False] * len(others),
        [16.0] + [16.0 / len(others)] * len(others),
    )
    for w in (2.0, 4.0, 6.0, 8.0, 10.0):
        out[f"sample_centre_w{w:g}"] = (np.stack([own, X.mean(0)]), [True, False], [w, w])
    out["pool_centre_w8"] = (np.stack([own, pool_centre]), [True, False], [8.0, 8.0])
    return out


def select(split: str, encoder: SentenceEncoder) -> dict[str, Any]:
    """Mean F1 of every variant per frame and over the frames on `split`."""
    schema = load_schema(REPO / "configs" / "labels" / "geopolitics.yaml")
    pool, rows = _rows("train"), _rows(split)
    P = encoder.encode([r["text"] for r in pool])
    E = encoder.encode([r["text"] for r in rows])
    encoder.max_length = 256  # definitions run longer than sentences
    D = encoder.encode([definition_text(schema, f) for f in schema.frames])
    per_frame: dict[str, dict[str, float]] = {}
    for j, frame in enumerate(schema.frames):
        y_pool = np.array([frame in r["frames"] for r in pool])
        gold = np.array([frame in r["frames"] for r in rows])
        pos, neg = np.flatnonzero(y_pool).tolist(), np.flatnonzero(~y_pool).tolist()
        others = np.delete(D, j, axis=0)
        scores: dict[str, list[float]] = {}
        for k in range(SAMPLES):
            rng = random.Random(SEED + k)  # the learning curves' draw of positives then negatives
            sample = rng.sample(pos, HALF) + rng.sample(neg, HALF)
            X, y = P[sample], y_pool[sample]
            for name, extra in variants(X, y, D[j], others, P.mean(0)).items():
                p = head(X, y, *extra).predict_proba(E)[:, 1]
                scores.setdefault(name, []).append(f1(gold, p >= 0.5))
        per_frame[frame] = {name: round(float(np.mean(v)), 3) for name, v in scores.items()}
    names = list(next(iter(per_frame.values())))
    mean = {n: round(float(np.mean([per_frame[f][n] for f in per_frame])), 3) for n in names}
    return {"split": split, "per_frame": per_frame, "mean": mean}


def main() -> None:
    """Score every variant on one split with one encoder and merge the block into the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    parser.add_argument("--base", default="default", help="encoder: a name or a folder")
    args = parser.parse_args()
    try:
        encoder = SentenceEncoder(resolve_base(args.base), 128)
    except FramingError as error:
        raise SystemExit(f"--base {args.base}: {error}") from None
    block = select(args.split, encoder)
    results = json.loads(OUT.read_text(encoding="utf-8")) if OUT.is_file() else {}
    results["design"] = __doc__.split("\n\n")[1]
    results.setdefault("runs", {})[f"{args.split}@{args.base}"] = block
    OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    for name, value in block["mean"].items():
        print(f"{args.split} {name}: mean F1 {value}")


if __name__ == "__main__":
    main()
