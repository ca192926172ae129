"""Ablation of the team-written news corpus on real news: the same model kinds trained with and
without it, scored on the real news test sets, with paired document-bootstrap CIs.

Each model is loaded from its run folder and scored once per test set; the bootstrap then draws
the same documents (articles) for both runs in every resample, so the CI of the difference is
paired. Writes a JSON file and prints a Markdown table for the data card.

Usage:
  python benchmarks/news_ablation.py --with RUN_WITH --without RUN_WITHOUT \
      [--sets news_test=data/news/test.jsonl news_real=data/news_real/test.jsonl] \
      [--bootstrap 1000] [--output benchmarks/results/news_ablation.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from framing import FramingClassifier, read_examples
from framing.evaluation import evaluate
from framing.predictions import Probabilities
from framing.stats import document_index

KINDS = ("tfidf", "encoder", "finetune")
DEFAULT_SETS = ("news_test=data/news/test.jsonl", "news_real=data/news_real/test.jsonl")


def scores(block: dict[str, Any]) -> dict[str, float]:
    """Frame macro-F1 and stance F_avg per target from one metrics block."""
    out = {"frames_macro_f1": float(block.get("frames", {}).get("macro_f1") or 0.0)}
    for target, stance in block.get("stance", {}).items():
        out[f"{target}_f_avg"] = float(stance.get("f1_favor_against") or 0.0)
    return out


def subset(proba: Probabilities, rows: np.ndarray) -> Probabilities:
    return Probabilities(
        proba.frames[rows],
        {t: p[rows] for t, p in proba.stance.items()},
        proba.frame_names,
        proba.stance_labels,
    )


def compare_models(
    clfs: dict[str, FramingClassifier], path: Path, n_boot: int, seed: int
) -> dict[str, Any]:
    """Point scores per run and paired bootstrap CIs of each score and of the difference."""
    first = next(iter(clfs.values()))
    examples = read_examples(path, first.schema_)
    texts = [ex.text for ex in examples]
    probas = {name: clf.predict_proba(texts) for name, clf in clfs.items()}

    def score(name: str, rows: np.ndarray) -> dict[str, float]:
        chosen = [examples[i] for i in rows]
        block = evaluate(
            chosen,
            subset(probas[name], rows),
            first.schema_,
            clfs[name].thresholds,
            bootstrap=0,
            by_source=False,
        )
        return scores(block)

    everything = np.arange(len(examples))
    point = {name: score(name, everything) for name in clfs}
    doc, n_docs = document_index([ex.document for ex in examples])
    members = [np.flatnonzero(doc == d) for d in range(n_docs)]
    rng = np.random.default_rng(seed)
    draws: dict[str, list[dict[str, float]]] = {name: [] for name in clfs}
    for _ in range(n_boot):
        rows = np.concatenate([members[d] for d in rng.integers(0, n_docs, n_docs)])
        for name in clfs:
            draws[name].append(score(name, rows))
    out: dict[str, Any] = {"n": len(examples), "documents": n_docs}
    for key in point["with"]:
        a = np.array([d[key] for d in draws["with"]])
        b = np.array([d[key] for d in draws["without"]])
        out[key] = {
            "with": round(point["with"][key], 4),
            "with_ci": [round(float(x), 4) for x in np.quantile(a, [0.025, 0.975])],
            "without": round(point["without"][key], 4),
            "without_ci": [round(float(x), 4) for x in np.quantile(b, [0.025, 0.975])],
            "difference": round(point["with"][key] - point["without"][key], 4),
            "difference_ci": [round(float(x), 4) for x in np.quantile(a - b, [0.025, 0.975])],
        }
    return out


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| kind | test set | score | without | with | difference [95% CI] |",
        "|---|---|---|---|---|---|",
    ]
    for kind, sets in results.items():
        for name, block in sets.items():
            for key, value in block.items():
                if not isinstance(value, dict):
                    continue
                lo, hi = value["difference_ci"]
                lines.append(
                    f"| {kind} | {name} (n={block['n']}) | {key} | {value['without']:.3f} "
                    f"[{value['without_ci'][0]:.2f}, {value['without_ci'][1]:.2f}] | "
                    f"{value['with']:.3f} [{value['with_ci'][0]:.2f}, {value['with_ci'][1]:.2f}] "
                    f"| {value['difference']:+.3f} [{lo:+.2f}, {hi:+.2f}] |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with", dest="with_run", type=Path, required=True)
    parser.add_argument("--without", dest="without_run", type=Path, required=True)
    parser.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS))
    parser.add_argument("--kinds", nargs="+", default=list(KINDS))
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--output", type=Path, default=Path("benchmarks/results/news_ablation.json")
    )
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for kind in args.kinds:
        clfs = {
            "with": FramingClassifier.load(args.with_run / kind / "model"),
            "without": FramingClassifier.load(args.without_run / kind / "model"),
        }
        results[kind] = {}
        for item in args.sets:
            name, path = item.split("=", 1)
            results[kind][name] = compare_models(clfs, Path(path), args.bootstrap, args.seed)
            print(f"{kind} {name}: done", flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "with": str(args.with_run),
        "without": str(args.without_run),
        "bootstrap": args.bootstrap,
        "results": results,
    }
    args.output.write_text(json.dumps(payload, indent=1) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
