"""Zero-shot frames on the UN test set: each of our four frames scored from its schema definition
alone, with the map from score to probability fitted (a) on nothing (the fixed default) and
(b) on the UN training labels of the *other three* frames (leave one frame out: no frame sees
its own labels). The training texts also set each frame's score scale and, unless
`self_training: 0`, the self-trained score itself (no labels used for either), on the embeddings
and (`word_weight`) the texts' tf-idf words, or on the embeddings alone (`word_weight: 0`).
The UN training texts are an enriched sample (each frame is 2-16% of them); the last setting
self-trains instead on a uniform random sample of the corpus as it is (speeches outside UN dev
and test), where each frame is 0.2-3% of the sentences, as in most users' texts.

Usage:
    python benchmarks/zero_shot.py [--base default|all-mpnet-base-v2|PATH]
Writes benchmarks/results/zero_shot.json (the default encoder's results at the top level, any
other's under `by_base`); ends with one line per setting:
`<setting>: mean F1 <m> (<frame> <f1> [lo, hi], ...)`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from framing import FramingClassifier, read_examples  # noqa: E402
from framing.errors import ConfigError  # noqa: E402
from framing.labels import load_schema  # noqa: E402
from framing.models.bases import resolve_base  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "configs" / "labels" / "geopolitics.yaml"
N_BOOTSTRAP = 1000
SEED = 13
CORPUS_SAMPLE = 8000


def f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Positive-class F1 of boolean vectors (0 when nothing is predicted or present)."""
    tp = float((gold & pred).sum())
    denom = float(gold.sum() + pred.sum())
    return 2 * tp / denom if denom else 0.0


def doc_bootstrap(gold: np.ndarray, pred: np.ndarray, docs: list[str]) -> list[float]:
    """95% interval of F1 over resampled test documents (speeches)."""
    rng = np.random.default_rng(SEED)
    names = sorted(set(docs))
    rows = {d: [] for d in names}
    for i, d in enumerate(docs):
        rows[d].append(i)
    groups = [np.array(rows[d]) for d in names]
    values = []
    for _ in range(N_BOOTSTRAP):
        pick = np.concatenate([groups[k] for k in rng.integers(0, len(groups), len(groups))])
        values.append(f1(gold[pick], pred[pick]))
    return [
        round(float(np.percentile(values, 2.5)), 3),
        round(float(np.percentile(values, 97.5)), 3),
    ]


def score(clf: FramingClassifier, test: list[Any]) -> dict[str, Any]:
    """F1 with CI per frame on the test set, at the model's thresholds; and, as a diagnosis
    only, the best F1 any threshold could reach on the test set (the ranking's ceiling)."""
    from framing.models.zeroshot import best_f1_cut

    texts = [ex.text for ex in test]
    preds = clf.predict(texts)
    proba = clf.predict_proba(texts).frames
    docs = [ex.doc_id for ex in test]
    out = {}
    for frame in clf.schema_.frames:
        gold = np.array([frame in ex.frames for ex in test])
        pred = np.array([frame in p.frames for p in preds])
        column = proba[:, clf.schema_.frames.index(frame)]
        ceiling = f1(gold, column >= best_f1_cut(column, gold.astype(int)))
        out[frame] = {
            "f1": round(f1(gold, pred), 3),
            "ci": doc_bootstrap(gold, pred, docs),
            "best_threshold_on_test_f1": round(ceiling, 3),
        }
    return out


def corpus_sample(held_out: list[Any]) -> list[dict[str, str]]:
    """A uniform random sample of the UN corpus sentences, none from a held-out speech."""
    held = {ex.doc_id for ex in held_out}
    with gzip.open(REPO / "data" / "un" / "sentences.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    rows = [r for r in rows if r["doc_id"] not in held]
    pick = np.random.default_rng(SEED).choice(len(rows), CORPUS_SAMPLE, replace=False)
    return [{"id": rows[i]["id"], "text": rows[i]["text"]} for i in sorted(pick)]


def main() -> None:
    """Score every setting with the chosen encoder and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="default", help="the encoder (a `base:` value)")
    base = parser.parse_args().base
    try:
        resolve_base(base)  # before any data is read: a missing encoder is one line
    except ConfigError as error:
        raise SystemExit(f"zero_shot.py --base: {error}") from None
    schema = load_schema(SCHEMA)
    train = read_examples(REPO / "data" / "un" / "train.jsonl", schema)
    test = read_examples(REPO / "data" / "un" / "test.jsonl", schema)
    dev = read_examples(REPO / "data" / "un" / "dev.jsonl", schema)
    results: dict[str, Any] = {
        "test": "data/un/test.jsonl",
        "n_test": len(test),
        "encoder": "all-MiniLM-L6-v2 (base: default)" if base == "default" else base,
    }
    unlabelled = [{"id": ex.id, "text": ex.text} for ex in train]
    settings = {
        "description only, default map": ([], {}),
        "description, cosine, map fitted on the other three frames (UN train)": (
            train,
            {"self_training": 0},
        ),
        "description, self-trained on the embeddings alone (word_weight 0, no labels), the "
        "head's own probability": (unlabelled, {"word_weight": 0.0}),
        "description, self-trained on UN train texts (no labels), the head's own probability": (
            unlabelled,
            {},
        ),
        "description, self-trained, map fitted on the other three frames (UN train)": (train, {}),
        f"description, self-trained on {CORPUS_SAMPLE:,} random corpus sentences (no labels), "
        "the head's own probability": (corpus_sample(dev + test), {}),
    }
    for name, (examples, options) in settings.items():
        start = time.perf_counter()
        clf = FramingClassifier.zero_shot(schema, examples, model={"base": base, **options})
        per_frame = score(clf, test)
        mean = round(float(np.mean([v["f1"] for v in per_frame.values()])), 3)
        results[name] = {
            "mean_f1": mean,
            "per_frame": per_frame,
            "calibrated_on": clf.backend_.meta["calibrated_on"],
            "seconds": round(time.perf_counter() - start, 1),
        }
        shown = ", ".join(f"{f} {v['f1']} {v['ci']}" for f, v in per_frame.items())
        print(f"{name}: mean F1 {mean} ({shown})", flush=True)
    out = REPO / "benchmarks" / "results" / "zero_shot.json"
    earlier = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    if base == "default":  # the other encoders' results stay beside it
        results["by_base"] = earlier.get("by_base", {})
    else:
        earlier.setdefault("by_base", {})[base] = results
        results = earlier
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
