"""Learning curves: F1 of one frame against the number of labelled examples, few-shot against
the full kinds.

Two frames, each learnt as a one-frame schema from a balanced random sample of n labelled
sentences (n/2 with the frame, n/2 without; n = 8, 16, 32, 64, 128) or from all the training
sentences (natural prevalence):
- `western_pressure` (ours): pool data/un/train.jsonl, test data/un/test.jsonl;
- `economic` (FrAC, ../shared/datasets/frac/frac.jsonl): a seeded stratified 60/40 split of
  its 523 sentences into pool and test (FrAC publishes no split).
Kinds: `fewshot` (its defaults: 20 pair rounds per example, at most 640 pairs, the frame's
definition from its schema as a weighted anchor; `--no-definitions` sets `definition_weight: 0`
and stores the curve as `fewshot-nodef`), `encoder`
(frozen MiniLM + logistic regression, C=1, what the kind fits without a dev set; embeddings
computed once per data set) and `tfidf` (C=1). No dev set: thresholds stay at 0.5, as a user
with n examples would have them. F1 is the frame's positive-class F1 on the test set, averaged
over the seeds (different samples, and pairs); the 95% CI resamples test documents (UN
speeches; FrAC sentences) with the seeds' predictions kept together. `--base NAME` swaps the
encoder of `encoder` and `fewshot` (e.g. all-mpnet-base-v2); their curves are then stored as
`encoder@NAME` and `fewshot@NAME`, beside the default encoder's (`tfidf` is not run then).

Usage:
    python benchmarks/learning_curves.py [--seeds 3] [--sizes 8 16 32 64 128 all] [--frames ...]
        [--kinds fewshot encoder tfidf] [--base default] [--no-definitions]
Writes benchmarks/results/learning_curves.json after every run (so a partial run keeps what
it measured); prints one line per (frame, n, kind).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from framing import FramingClassifier  # noqa: E402
from framing.data import Example  # noqa: E402
from framing.errors import FramingError  # noqa: E402
from framing.labels import LabelSchema, load_schema  # noqa: E402
from framing.models.bases import resolve_base  # noqa: E402
from framing.models.encoder import SentenceEncoder  # noqa: E402
from framing.models.linear import LinearHeads  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FRAC = REPO.parent / "shared" / "datasets" / "frac" / "frac.jsonl"
SCHEMAS = {  # where each benchmarked frame's definition comes from
    "western_pressure": REPO / "configs" / "labels" / "geopolitics.yaml",
    "economic": REPO / "configs" / "labels" / "frac.yaml",
}
OUT = REPO / "benchmarks" / "results" / "learning_curves.json"
N_BOOTSTRAP = 1000
SEED = 13


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def one_frame(rows: list[dict[str, Any]], frame: str, prefix: str) -> list[Example]:
    """Examples labelled only for `frame` (present or absent)."""
    return [
        Example(
            id=f"{prefix}{i}",
            text=row["text"],
            doc_id=row.get("doc_id") or f"{prefix}{i}",
            frames=(frame,) if frame in row["frames"] else (),
        )
        for i, row in enumerate(rows)
        if row.get("frames") is not None
    ]


def load_sets() -> dict[str, tuple[list[Example], list[Example]]]:
    """(pool, test) for each benchmarked frame."""
    un = REPO / "data" / "un"
    sets = {
        "western_pressure": (
            one_frame(_jsonl(un / "train.jsonl"), "western_pressure", "un-train-"),
            one_frame(_jsonl(un / "test.jsonl"), "western_pressure", "un-test-"),
        )
    }
    if FRAC.is_file():
        rows = [
            {"text": r["text"], "frames": [r["label"].lower().replace(" ", "_")]}
            for r in _jsonl(FRAC)
        ]
        by_label: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            by_label.setdefault(row["frames"][0], []).append(i)
        rng = random.Random(SEED)
        test_rows: set[int] = set()
        for items in by_label.values():
            test_rows.update(rng.sample(items, round(0.4 * len(items))))
        pool = [r for i, r in enumerate(rows) if i not in test_rows]
        test = [r for i, r in enumerate(rows) if i in test_rows]
        sets["economic"] = (
            one_frame(pool, "economic", "frac-pool-"),
            one_frame(test, "economic", "frac-test-"),
        )
    else:
        print(f"skipped: FrAC: data not found at {FRAC}")
    return sets


def balanced(pool: list[Example], n: int, seed: int) -> list[Example] | None:
    """n/2 positives and n/2 negatives drawn at random; None when the pool has too few."""
    pos = [ex for ex in pool if ex.frames]
    neg = [ex for ex in pool if not ex.frames]
    if len(pos) < n // 2 or len(neg) < n // 2:
        return None
    rng = random.Random(seed)
    return rng.sample(pos, n // 2) + rng.sample(neg, n // 2)


def f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Positive-class F1 (0 when nothing is predicted or present)."""
    denom = float(gold.sum() + pred.sum())
    return 2 * float((gold & pred).sum()) / denom if denom else 0.0


def summarise(gold: np.ndarray, preds: np.ndarray, docs: list[str]) -> dict[str, Any]:
    """Mean F1 over seeds (rows of preds), its document-bootstrap CI and the seeds' range."""
    per_seed = [f1(gold, p) for p in preds]
    index: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        index.setdefault(d, []).append(i)
    groups = [np.array(v) for v in index.values()]
    rng = np.random.default_rng(SEED)
    values = []
    for _ in range(N_BOOTSTRAP):
        pick = np.concatenate([groups[k] for k in rng.integers(0, len(groups), len(groups))])
        values.append(np.mean([f1(gold[pick], p[pick]) for p in preds]))
    low, high = np.percentile(values, [2.5, 97.5])
    return {
        "f1": round(float(np.mean(per_seed)), 3),
        "ci": [round(float(low), 3), round(float(high), 3)],
        "per_seed": [round(x, 3) for x in per_seed],
    }


def predict(
    kind: str,
    train: list[Example],
    test: list[Example],
    frame: str,
    seed: int,
    cache: dict[str, Any],
    base: str = "default",
    definitions: bool = True,
) -> np.ndarray:
    """Boolean predictions of `frame` on the test set from a model of `kind` fitted on train;
    `cache` holds the frame's one-frame schema and its precomputed embeddings."""
    schema = cache["schema"]
    if kind == "encoder":
        X_test, lookup = cache["X_test"], cache["lookup"]
        X = np.stack([lookup[ex.id] for ex in train])
        heads = LinearHeads(schema, 1.0, seed).fit(X, train)
        return heads.predict_proba(X_test)[0][:, 0] >= 0.5
    model: dict[str, Any] = {"C": 1.0} if kind == "tfidf" else {"base": base}
    if kind == "fewshot" and not definitions:
        model["definition_weight"] = 0.0
    clf = FramingClassifier(kind, schema=schema, model=model, train={"seed": seed})
    clf.fit(train)
    return np.array([bool(p.frames) for p in clf.predict([ex.text for ex in test])])


def run_frame(
    frame: str,
    pool: list[Example],
    test: list[Example],
    encoder: SentenceEncoder,
    args: argparse.Namespace,
    results: dict[str, Any],
) -> None:
    """Every (n, kind) of one frame, summarised over its seeds; results written after each."""
    gold = np.array([bool(ex.frames) for ex in test])
    docs = [ex.doc_id for ex in test]
    X_pool = encoder.encode([ex.text for ex in pool])
    definition = load_schema(SCHEMAS[frame]).definitions[frame]
    cache = {
        "schema": LabelSchema(
            frames=(frame,), targets=(), name=frame, definitions={frame: definition}
        ),
        "X_test": encoder.encode([ex.text for ex in test]),
        "lookup": {ex.id: x for ex, x in zip(pool, X_pool)},
    }
    block = results["frames"].setdefault(
        frame,
        {
            "pool": len(pool),
            "pool_positive": sum(bool(e.frames) for e in pool),
            "test": len(test),
            "test_positive": int(gold.sum()),
            "curves": {},
        },
    )
    for size in args.sizes:
        seeds = [SEED] if size == "all" else [SEED + k for k in range(args.seeds)]
        samples = {s: pool if size == "all" else balanced(pool, int(size), s) for s in seeds}
        if any(v is None for v in samples.values()):
            print(f"{frame} n={size}: the pool has too few examples of a class; skipped")
            continue
        for kind in args.kinds:
            start = time.perf_counter()
            preds = np.stack(
                [
                    predict(kind, samples[s], test, frame, s, cache, args.base, args.definitions)  # type: ignore[arg-type]
                    for s in seeds
                ]
            )
            key = kind + ("-nodef" if kind == "fewshot" and not args.definitions else "")
            key += "" if args.base == "default" else f"@{args.base}"
            row = summarise(gold, preds, docs)
            row["seconds_per_fit"] = round((time.perf_counter() - start) / len(seeds), 1)
            block["curves"].setdefault(key, {})[size] = row
            print(
                f"{frame} n={size} {key}: F1 {row['f1']} {row['ci']} "
                f"seeds {row['per_seed']} ({row['seconds_per_fit']} s/fit)",
                flush=True,
            )
            OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    """Run every (frame, n, seed, kind) and write the results after each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", default=["8", "16", "32", "64", "128", "all"])
    parser.add_argument("--kinds", nargs="+", default=["fewshot", "encoder", "tfidf"])
    parser.add_argument("--frames", nargs="+", default=["western_pressure", "economic"])
    parser.add_argument(
        "--base",
        default="default",
        help="Hugging Face encoder of `encoder` and `fewshot` (a name or a folder)",
    )
    parser.add_argument(
        "--no-definitions",
        dest="definitions",
        action="store_false",
        help="fewshot without the frame's definition as an anchor (definition_weight: 0)",
    )
    args = parser.parse_args()
    if args.base != "default" and "tfidf" in args.kinds:
        print(f"tfidf: takes no encoder, not run with --base {args.base}")
        args.kinds = [kind for kind in args.kinds if kind != "tfidf"]
    results: dict[str, Any] = {"design": __doc__.split("\n\n")[1], "frames": {}}
    if OUT.is_file():  # keep what an earlier run measured (other frames, other sizes)
        results["frames"] = json.loads(OUT.read_text(encoding="utf-8"))["frames"]
    try:
        encoder = SentenceEncoder(resolve_base(args.base), 128)
    except FramingError as error:
        raise SystemExit(f"--base {args.base}: {error}") from None
    for frame, (pool, test) in load_sets().items():
        if frame in args.frames:
            run_frame(frame, pool, test, encoder, args, results)


if __name__ == "__main__":
    main()
