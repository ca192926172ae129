"""Simulated active learning on the UN sentences: F1 against the number of labels for random
and uncertainty sampling, the existing labels playing the annotator (the oracle).

Each seed starts both strategies from the same random `--start` labels of the pool
(data/un/train.jsonl), then adds `--batch` labels per round until `--budget`: `random` draws
them uniformly, `uncertainty` takes the pool sentences with the highest least-margin score
(`framing.annotate.sampling.margins`, the score of a `method: uncertainty` draw) under the model
trained so far. The model is the fast `tfidf` kind with a fixed C (no dev set, so no label
outside the budget is used); F1 is measured on data/un/test.jsonl. Intervals are 95% t
intervals over seeds. Writes a JSON file and prints a Markdown table for docs/benchmarks.md.

Usage:
  python benchmarks/active_learning.py [--seeds 5] [--start 50] [--batch 50] [--budget 1000]
      [--output benchmarks/results/active_learning.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from sklearn.metrics import f1_score

from framing import FramingClassifier, read_examples
from framing.annotate.sampling import margins
from framing.data import Example
from framing.labels import LabelSchema, load_schema

STRATEGIES = ("random", "uncertainty")


def scores(clf: FramingClassifier, test: list[Example], schema: LabelSchema) -> dict[str, float]:
    """F1 per frame, frames macro-F1, and F_avg (favor/against F1) per target on `test`."""
    preds = clf.predict([ex.text for ex in test])
    out = {}
    for frame in schema.frames:
        gold = [frame in (ex.frames or ()) for ex in test]
        out[frame] = float(f1_score(gold, [frame in p.frames for p in preds], zero_division=0))
    out["frames_macro_f1"] = float(np.mean([out[f] for f in schema.frames]))
    for target in schema.targets:
        gold = [(ex.stance or {}).get(target, "none") for ex in test]
        pred = [p.stance[target] for p in preds]
        f1s = f1_score(gold, pred, labels=["favor", "against"], average=None, zero_division=0)
        out[f"{target}_f_avg"] = float(np.mean(f1s))
    return out


def fit(examples: list[Example], schema: LabelSchema, c: float) -> FramingClassifier:
    """A tfidf classifier on the labels bought so far (one-class warnings are expected early)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return FramingClassifier(kind="tfidf", schema=schema, model={"C": c}).fit(examples)


def run_seed(
    pool: list[Example],
    test: list[Example],
    schema: LabelSchema,
    seed: int,
    args: argparse.Namespace,
) -> dict[str, dict[int, dict[str, float]]]:
    """Both strategies' learning curves for one seed: budget → scores."""
    rng = np.random.default_rng(seed)
    start = [int(i) for i in rng.permutation(len(pool))[: args.start]]
    curves: dict[str, dict[int, dict[str, float]]] = {}
    for strategy in STRATEGIES:
        chosen = list(start)
        curve = {}
        strategy_rng = np.random.default_rng([seed, 1])
        while True:
            clf = fit([pool[i] for i in chosen], schema, args.C)
            curve[len(chosen)] = scores(clf, test, schema)
            if len(chosen) >= args.budget:
                break
            left = np.setdiff1d(np.arange(len(pool)), chosen)
            if strategy == "random":
                new = strategy_rng.choice(left, size=args.batch, replace=False)
            else:
                proba = clf.predict_proba([pool[i].text for i in left])
                score = margins(proba, clf.thresholds)
                new = left[np.lexsort((left, -score))[: args.batch]]
            chosen += [int(i) for i in new]
        curves[strategy] = curve
    return curves


def interval(values: list[float]) -> dict[str, Any]:
    """Mean and 95% t interval over seeds."""
    arr = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(arr) - 1) * arr.std(ddof=1) / np.sqrt(len(arr))
    mean = float(arr.mean())
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "values": values}


def labels_to_match(curve: dict[int, dict[str, Any]], label: str, goal: float) -> int | None:
    """The fewest labels at which the strategy's mean score reaches `goal` (None: never)."""
    for budget in sorted(curve):
        if curve[budget][label]["mean"] >= goal:
            return budget
    return None


def summarise(curves: dict[str, dict[int, dict[str, Any]]], labels: list[str]) -> dict[str, Any]:
    """Per label: random's mean score at the full budget, the labels uncertainty needs to
    reach it, and that as a share of the budget."""
    budget = max(curves["random"])
    out = {}
    for label in labels:
        goal = curves["random"][budget][label]["mean"]
        needed = labels_to_match(curves["uncertainty"], label, goal)
        out[label] = {
            "random_at_budget": goal,
            "uncertainty_at_budget": curves["uncertainty"][budget][label]["mean"],
            "uncertainty_labels_to_match": needed,
            "share_of_budget": None if needed is None else needed / budget,
            # Both strategies share the start; a goal met there says nothing about sampling.
            "informative": goal > curves["random"][min(curves["random"])][label]["mean"],
        }
    return out


def markdown(curves: dict[str, dict[int, dict[str, Any]]], labels: list[str]) -> str:
    """One row per budget step, random vs uncertainty, mean [95% CI] per label."""
    head = "| labels | " + " | ".join(f"{label} random | {label} uncertainty" for label in labels)
    lines = [head + " |", "|---" * (1 + 2 * len(labels)) + "|"]
    for budget in sorted(curves["random"]):
        cells = []
        for label in labels:
            for strategy in STRATEGIES:
                s = curves[strategy][budget][label]
                cells.append(f"{s['mean']:.2f} [{s['ci_low']:.2f}, {s['ci_high']:.2f}]")
        lines.append(f"| {budget} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", default="data/un/train.jsonl")
    parser.add_argument("--test", default="data/un/test.jsonl")
    parser.add_argument("--schema", default="configs/labels/geopolitics.yaml")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--start", type=int, default=50)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--C", type=float, default=3.0)
    parser.add_argument("--output", default="benchmarks/results/active_learning.json")
    args = parser.parse_args()
    schema = load_schema(args.schema)
    pool, test = read_examples(args.pool, schema), read_examples(args.test, schema)
    began = time.perf_counter()
    runs = [run_seed(pool, test, schema, seed, args) for seed in range(args.seeds)]
    labels = list(runs[0]["random"][args.start])
    curves = {
        strategy: {
            budget: {
                label: interval([r[strategy][budget][label] for r in runs]) for label in labels
            }
            for budget in runs[0][strategy]
        }
        for strategy in STRATEGIES
    }
    result = {
        "settings": {**vars(args), "pool_size": len(pool), "test_size": len(test)},
        "seconds": round(time.perf_counter() - began, 1),
        "summary": summarise(curves, labels),
        "curves": curves,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(curves, labels))
    print(json.dumps(result["summary"], indent=1))
    print(f"{result['seconds']} s; written to {args.output}")


if __name__ == "__main__":
    main()
