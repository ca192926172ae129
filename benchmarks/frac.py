"""FrAC sentence frames by 5-fold cross-validation, scored as single-label classification.

Trains CONFIG once per fold (fold k's prepared files replace `data.*`), then takes, for every
test sentence, the frame with the highest probability as its one label and scores the pooled
out-of-fold predictions: macro-F1 (each of the ten labels weighs the same), weighted F1 (labels
weighted by support) and accuracy (= micro-F1 for single-label data), with 95% bootstrap CIs
over sentences and the spread of macro-F1 across folds.

Usage:
    python scripts/prepare_benchmarks.py --only frac
    python benchmarks/frac.py [--config configs/benchmarks/frac.yaml] [--folds 5] [--set k=v]

Writes experiments/runs/<UTC time>_<config name>-cv/summary.json (and report.md) that name
the fold run folders. Ends with one line per model:
`<model>: macro_f1 <m> [lo, hi], weighted_f1 <w>, accuracy <a>`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / ".cache" / "framing" / "benchmarks" / "frac"
N_BOOTSTRAP = 1000
SEED = 13


def single_label_scores(gold: np.ndarray, pred: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """Macro-F1, weighted F1, accuracy and per-label P/R/F1 for single-label predictions."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    index = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=index, zero_division=0
    )
    return {
        "n": int(gold.size),
        "macro_f1": round(
            float(f1_score(gold, pred, labels=index, average="macro", zero_division=0)), 4
        ),
        "weighted_f1": round(
            float(f1_score(gold, pred, labels=index, average="weighted", zero_division=0)), 4
        ),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "per_label": {
            name: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, name in enumerate(labels)
        },
    }


def bootstrap_ci(
    gold: np.ndarray, pred: np.ndarray, labels: list[str], n: int = N_BOOTSTRAP, seed: int = SEED
) -> dict[str, list[float]]:
    """95% percentile intervals for the three headline scores, resampling sentences."""
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(seed)
    index = list(range(len(labels)))
    draws: dict[str, list[float]] = {"macro_f1": [], "weighted_f1": [], "accuracy": []}
    for _ in range(n):
        pick = rng.integers(0, gold.size, gold.size)
        g, p = gold[pick], pred[pick]
        draws["macro_f1"].append(f1_score(g, p, labels=index, average="macro", zero_division=0))
        draws["weighted_f1"].append(
            f1_score(g, p, labels=index, average="weighted", zero_division=0)
        )
        draws["accuracy"].append(accuracy_score(g, p))
    return {
        k: [round(float(q), 4) for q in np.quantile(v, [0.025, 0.975])] for k, v in draws.items()
    }


def read_fold(run_dir: Path, model: str, frames: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Gold label and argmax-predicted label per test sentence of one fold's run."""
    gold, pred = [], []
    path = run_dir / model / "predictions" / "eval-test.jsonl"
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            proba = row["proba"]["frames"]
            gold.append(frames.index(row["gold"]["frames"][0]))
            pred.append(int(np.argmax([proba[f] for f in frames])))
    return np.array(gold), np.array(pred)


def run_folds(config: Path, folds: int, overrides: list[str], data: Path) -> list[Path]:
    """Train CONFIG once per fold; returns the fold run folders in order."""
    from framing.config import load_config
    from framing.training import train

    runs = []
    for k in range(folds):
        fold = data / f"fold{k}"
        cfg = load_config(
            config,
            [
                *overrides,
                f"data.train={fold / 'train.jsonl'}",
                f"data.dev={fold / 'dev.jsonl'}",
                f"data.eval={{test: {fold / 'test.jsonl'}}}",
                f"name={load_config(config).name}-fold{k}",
            ],
        )
        result = train(cfg, argv=sys.argv)
        print(f"fold {k}: {result.run_dir}", flush=True)
        runs.append(result.run_dir)
    return runs


def summarise(runs: list[Path]) -> dict[str, Any]:
    """Pool the folds' out-of-fold predictions per model and score them."""
    from framing.labels import load_schema

    first = json.loads((runs[0] / "metrics.json").read_text(encoding="utf-8"))
    config = (runs[0] / "config.yaml").read_text(encoding="utf-8")
    import yaml

    schema = load_schema(REPO / yaml.safe_load(config)["schema"])
    frames = list(schema.frames)
    out: dict[str, Any] = {"labels": frames, "folds": [str(r) for r in runs], "models": {}}
    for model in first["models"]:
        golds, preds, per_fold, seconds, multilabel = [], [], [], 0.0, []
        for run in runs:
            gold, pred = read_fold(run, model, frames)
            golds.append(gold)
            preds.append(pred)
            per_fold.append(single_label_scores(gold, pred, frames)["macro_f1"])
            metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
            block = metrics["models"][model]
            seconds += block["train_seconds"]
            multilabel.append(block["eval"]["test"]["frames"]["macro_f1"])
        gold, pred = np.concatenate(golds), np.concatenate(preds)
        scores = single_label_scores(gold, pred, frames)
        scores["ci"] = bootstrap_ci(gold, pred, frames)
        scores["fold_macro_f1"] = per_fold
        scores["fold_macro_f1_mean"] = round(float(np.mean(per_fold)), 4)
        scores["fold_macro_f1_sd"] = round(float(np.std(per_fold, ddof=1)), 4)
        # The toolkit's own multi-label score (per-frame thresholds tuned on dev), for reference.
        scores["multilabel_macro_f1_mean"] = round(float(np.mean(multilabel)), 4)
        scores["train_seconds_total"] = round(seconds, 1)
        out["models"][model] = scores
    return out


def render(name: str, summary: dict[str, Any]) -> str:
    """A short Markdown table of the pooled scores."""
    lines = [
        f"# {name}: {len(summary['folds'])}-fold cross-validation (argmax = one label)",
        "",
        "| model | macro-F1 [95% CI] | weighted F1 | accuracy | fold macro-F1 mean ± sd |"
        " train s (all folds) |",
        "|---|---|---|---|---|---|",
    ]
    for model, s in summary["models"].items():
        lo, hi = s["ci"]["macro_f1"]
        lines.append(
            f"| {model} | {s['macro_f1']:.3f} [{lo:.3f}, {hi:.3f}] | {s['weighted_f1']:.3f} | "
            f"{s['accuracy']:.3f} | {s['fold_macro_f1_mean']:.3f} ± {s['fold_macro_f1_sd']:.3f} | "
            f"{s['train_seconds_total']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=REPO / "configs/benchmarks/frac.yaml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA, help="prepared FrAC folder")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        help="config override, as for `framing train --set`",
    )
    parser.add_argument(
        "--runs", type=Path, nargs="+", help="score existing fold run folders instead of training"
    )
    args = parser.parse_args(argv)
    if not args.runs and not (args.data / "fold0" / "train.jsonl").is_file():
        print(
            f"skipped: frac: data not found at {args.data} "
            "(run scripts/prepare_benchmarks.py --only frac)"
        )
        return 0
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    from framing.config import load_config

    name = load_config(args.config).name
    runs = args.runs or run_folds(args.config, args.folds, args.overrides, args.data)
    summary = summarise(runs)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d_%H%M%S")
    out = REPO / "experiments" / "runs" / f"{stamp}_{name}-cv"
    out.mkdir(parents=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render(name, summary), encoding="utf-8")
    print(render(name, summary))
    for model, s in summary["models"].items():
        lo, hi = s["ci"]["macro_f1"]
        print(
            f"{model}: macro_f1 {s['macro_f1']:.4f} [{lo:.4f}, {hi:.4f}], "
            f"weighted_f1 {s['weighted_f1']:.4f}, accuracy {s['accuracy']:.4f}"
        )
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
