"""VAST topic stance with a fine-tuned pair model, scored on VAST test (never trained on).

A model may have been trained on VAST's dev split (configs/benchmarks/vast_pairs*.yaml): its test
comments are different, and no zero-shot test topic string occurs in dev. A model whose schema
names topics of the split scored is refused on `--split dev`; on test the count of such topics is
reported (`topics_in_training`, one count per model).

Asks a `finetune` model folder `predict_proba([comment], targets=[topic])` for every VAST test
pair (comments grouped by topic, one call per topic) and maps VAST's pro/con/neutral to
favor/against/none. Reports, for all pairs and for the zero-shot and few-shot subsets:

* `macro_f1`: mean F1 over pro, con and neutral: VAST's published metric;
* `f1_favor_against`: mean of the pro and con F1 on all pairs (neutral gold counts as an error
  when predicted pro or con), which stays meaningful for a model with no neutral class;
* `binary_macro_f1`: macro-F1 on the pro/con pairs only, the model's best case.

A model trained without a `none` label can never predict neutral, so its three-class macro-F1
carries an F1 of 0 for neutral: read `f1_favor_against` and `binary_macro_f1` for it. CIs are
95% bootstrap intervals resampling comments (a comment may be paired with several topics).

Usage:
    python scripts/prepare_benchmarks.py --only vast
    python benchmarks/vast.py MODEL_DIR [MODEL_DIR ...] [--split test] [--max-length N]
        [--output FILE]

Several model folders are scored as one ensemble: the mean of their stance probabilities; each
member's own scores are written under `members`, in the order given.

Writes the results to FILE (default experiments/runs/<UTC time>_vast/metrics.json), whose path
is the last line printed.

MODEL_DIR defaults to the newest experiments/runs/*_pstance_finetune/finetune/model.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / ".cache" / "framing" / "benchmarks" / "vast"
LABELS = ("favor", "against", "none")
N_BOOTSTRAP = 1000
SEED = 13


def newest_model(pattern: str = "*_pstance_finetune") -> Path | None:
    """The finetune model folder of the newest run whose folder name matches `pattern`."""
    runs = sorted((REPO / "experiments" / "runs").glob(pattern))
    for run in reversed(runs):
        if (run / "finetune" / "model" / "framing.json").is_file():
            return run / "finetune" / "model"
    return None


def training_data(model_dir: Path) -> Any:
    """`data.train` of the run that saved `model_dir` (None when it is not inside a run folder)."""
    import yaml

    config = model_dir.parent.parent / "config.yaml"
    if not config.is_file():
        return None
    return yaml.safe_load(config.read_text(encoding="utf-8"))["data"]["train"]


def read_pairs(path: Path) -> list[dict[str, Any]]:
    """Prepared VAST rows: id, text, topic, label (favor/against/none), seen."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def predict(clf: Any, rows: list[dict[str, Any]]) -> tuple[np.ndarray, list[str]]:
    """Stance distribution per pair (columns in the model's label order), one call per topic."""
    labels = list(clf.schema.stance_labels)
    proba = np.zeros((len(rows), len(labels)))
    by_topic: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_topic[row["topic"]].append(i)
    for topic, index in by_topic.items():
        out = clf.predict_proba([rows[i]["text"] for i in index], targets=[topic])
        proba[index] = out.stance[topic]
    return proba, labels


def _f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros_like(denom, dtype=float), where=denom > 0)


def scores(gold: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    """Headline scores with comment-bootstrap CIs; gold/pred index into LABELS."""
    k = len(LABELS)
    _, doc = np.unique(groups, return_inverse=True)
    n_docs = int(doc.max()) + 1

    def counts(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = np.eye(k, dtype=bool)[gold] & mask[:, None]
        p = np.eye(k, dtype=bool)[pred] & mask[:, None]
        per_doc = [np.zeros((n_docs, k)) for _ in range(3)]
        for arr, values in zip(per_doc, (g & p, ~g & p, g & ~p), strict=True):
            np.add.at(arr, doc, values.astype(float))
        return per_doc[0], per_doc[1], per_doc[2]

    everything = np.ones(gold.size, dtype=bool)
    polar = gold != LABELS.index("none")
    rng = np.random.default_rng(SEED)
    weights = rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=N_BOOTSTRAP).astype(float)
    result: dict[str, Any] = {"n": int(gold.size), "n_polar": int(polar.sum())}
    fa = [LABELS.index("favor"), LABELS.index("against")]
    for name, mask, cols in (
        ("macro_f1", everything, list(range(k))),
        ("f1_favor_against", everything, fa),
        ("binary_macro_f1", polar, fa),
    ):
        tp, fp, fn = counts(mask)
        point = _f1_from_counts(tp.sum(0), fp.sum(0), fn.sum(0))
        draws = _f1_from_counts(weights @ tp, weights @ fp, weights @ fn)[:, cols].mean(1)
        result[name] = round(float(point[cols].mean()), 4)
        result[f"{name}_ci"] = [round(float(q), 4) for q in np.quantile(draws, [0.025, 0.975])]
    tp, fp, fn = counts(everything)
    f1 = _f1_from_counts(tp.sum(0), fp.sum(0), fn.sum(0))
    result["per_label_f1"] = {label: round(float(f1[i]), 4) for i, label in enumerate(LABELS)}
    result["predicted"] = {label: int((pred == i).sum()) for i, label in enumerate(LABELS)}
    return result


def subset_scores(
    proba: np.ndarray, labels: list[str], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """Scores of the argmax decisions for all pairs and the zero-shot and few-shot subsets."""
    # Map the model's columns onto favor/against/none; a label the model lacks is never chosen.
    pred = np.array([LABELS.index(labels[j]) for j in proba.argmax(1)])
    gold = np.array([LABELS.index(row["label"]) for row in rows])
    groups = np.array([row["text"] for row in rows])
    seen = np.array([row["seen"] for row in rows])
    return {
        subset: scores(gold[mask], pred[mask], groups[mask])
        for subset, mask in (
            ("all", np.ones(len(rows), dtype=bool)),
            ("zero_shot", seen == 0),
            ("few_shot", seen == 1),
        )
    }


def load_model(model_dir: Path, rows: list[dict[str, Any]], split: str) -> tuple[Any, list[str]]:
    """A `finetune` classifier from `model_dir` and the topics of `rows` it was trained on;
    refused when it was trained on topics of the dev split being scored."""
    from framing.classifier import FramingClassifier

    clf = FramingClassifier.load(model_dir)
    if clf.kind != "finetune":
        raise SystemExit(
            f"{model_dir}: kind {clf.kind!r} cannot read free-text topics; "
            "VAST needs a model folder of kind 'finetune'"
        )
    trained = sorted(set(clf.schema.targets) & {row["topic"] for row in rows})
    if split == "dev" and trained:
        raise SystemExit(
            f"refused: {model_dir} was trained on VAST dev topics ({len(trained)} of them, e.g. "
            f"{trained[0]!r}); score it with --split test"
        )
    return clf, trained


def evaluate_vast(
    model_dirs: list[Path],
    rows: list[dict[str, Any]],
    max_length: int | None = None,
    *,
    split: str = "test",
) -> dict[str, Any]:
    """Score one model, or the mean of several models' probabilities, on prepared VAST rows;
    subsets all / zero_shot / few_shot. A model whose schema names topics of the split was
    trained on them: refused on dev, counted on test."""
    loaded = [load_model(d, rows, split) for d in model_dirs]
    classifiers = [clf for clf, _ in loaded]
    labels = list(classifiers[0].schema.stance_labels)
    for model_dir, clf in zip(model_dirs, classifiers, strict=True):
        if list(clf.schema.stance_labels) != labels:
            raise SystemExit(
                f"{model_dir}: stance labels {list(clf.schema.stance_labels)} differ from "
                f"{model_dirs[0]}'s {labels}; an ensemble needs the same labels in the same order"
            )
        if max_length is not None:
            clf.backend_.max_length = max_length
    probas, seconds = [], []
    for clf in classifiers:
        start = time.perf_counter()
        probas.append(predict(clf, rows)[0])
        seconds.append(time.perf_counter() - start)
    out: dict[str, Any] = {
        "models": [str(d) for d in model_dirs],
        "model_labels": labels,
        "model_training_data": [training_data(d) for d in model_dirs],
        "max_length": [clf.backend_.max_length for clf in classifiers],
        "topics_in_training": [len(trained) for _, trained in loaded],
        "seconds": [round(t, 1) for t in seconds],
        "pairs_per_second": [round(len(rows) / t, 1) for t in seconds],
        **subset_scores(np.mean(probas, axis=0), labels, rows),
    }
    if len(classifiers) > 1:  # each member alone, from the same probabilities
        out["members"] = [subset_scores(proba, labels, rows) for proba in probas]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "model",
        type=Path,
        nargs="*",
        help="finetune model folder; several: the mean of their probabilities (an ensemble)",
    )
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    parser.add_argument("--data", type=Path, default=DATA, help="prepared VAST folder")
    parser.add_argument(
        "--max-length", type=int, help="tokens per (topic, comment) pair; default: the model's own"
    )
    parser.add_argument("--output", type=Path, help="JSON file for the results")
    args = parser.parse_args(argv)
    path = args.data / f"{args.split}.jsonl"
    if not path.is_file():
        print(
            f"skipped: vast: data not found at {path} "
            "(run scripts/prepare_benchmarks.py --only vast)"
        )
        return 0
    models = args.model or [m for m in [newest_model()] if m is not None]
    if not models:
        print(
            "skipped: vast: no finetune model found (train "
            "configs/benchmarks/pstance_finetune.yaml or pass a model folder)"
        )
        return 0
    print(f"model: {', '.join(map(str, models))}", flush=True)
    result = evaluate_vast(models, read_pairs(path), args.max_length, split=args.split)
    result["split"] = args.split
    if args.output is None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d_%H%M%S")
        args.output = REPO / "experiments" / "runs" / f"{stamp}_vast" / "metrics.json"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    named = [("", result)] + [
        (f"member {i + 1} ", member) for i, member in enumerate(result.get("members", []))
    ]
    for (prefix, block), subset in itertools.product(named, ("all", "zero_shot", "few_shot")):
        s = block[subset]
        print(
            f"{prefix}{subset}: macro_f1 {s['macro_f1']:.4f} {s['macro_f1_ci']}, f1_favor_against "
            f"{s['f1_favor_against']:.4f} {s['f1_favor_against_ci']}, binary_macro_f1 "
            f"{s['binary_macro_f1']:.4f} {s['binary_macro_f1_ci']} (n={s['n']}, "
            f"predicted {s['predicted']})"
        )
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
