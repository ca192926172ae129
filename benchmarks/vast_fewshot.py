"""VAST stance toward free-text topics, trained on many topics: the topic is part of the input.

VAST's 13,477-pair train split is not available here, so the models learn from its **dev
split** (2,062 comment-topic pairs, 497 topics) and are scored on its **test split** (3,006
pairs, 759 topics, 730 of them not among the dev topics). Each pair is one text, "<topic>:
<comment>", and one target (`topic`) with the labels favor / against / none (VAST's pro / con /
neutral). Kinds: `fewshot` (contrastive pair tuning on the labels, then a logistic head) and
`encoder` (frozen MiniLM + logistic head), both from their defaults except `max_length` and the
pair budget below. No test pair, and no test topic, is used for any choice.

Usage:
    python scripts/prepare_benchmarks.py --only vast
    python benchmarks/vast_fewshot.py [--kinds fewshot encoder] [--max-pairs 1280]
Writes benchmarks/results/vast_fewshot.json; prints one line per kind and subset.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from framing import FramingClassifier  # noqa: E402
from framing.data import Example  # noqa: E402
from framing.labels import LabelSchema  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results" / "vast_fewshot.json"
TARGET = "topic"


def _vast() -> Any:
    """benchmarks/vast.py as a module (its readers and scores)."""
    spec = importlib.util.spec_from_file_location("vast", REPO / "benchmarks" / "vast.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def pair_text(row: dict[str, Any]) -> str:
    """The topic written before the comment, so one model reads any topic."""
    return f"{row['topic']}: {row['text']}"


def main() -> None:
    """Train each kind on VAST dev, score VAST test (all, zero-shot, topics not in dev)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", default=["encoder", "fewshot"])
    parser.add_argument("--max-pairs", type=int, default=1280)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    vast = _vast()
    dev = vast.read_pairs(vast.DATA / "dev.jsonl")
    test = vast.read_pairs(vast.DATA / "test.jsonl")
    schema = LabelSchema(frames=(), targets=(TARGET,), name="vast")
    train = [
        Example(id=row["id"], text=pair_text(row), stance={TARGET: row["label"]}) for row in dev
    ]
    dev_topics = {row["topic"] for row in dev}
    gold = np.array([vast.LABELS.index(row["label"]) for row in test])
    groups = np.array([row["text"] for row in test])
    subsets = {
        "all": np.ones(len(test), dtype=bool),
        "zero_shot": np.array([row["seen"] == 0 for row in test]),
        "topic_not_in_dev": np.array([row["topic"] not in dev_topics for row in test]),
    }
    results: dict[str, Any] = {
        "trained_on": f"VAST dev: {len(dev)} pairs, {len(dev_topics)} topics",
        "test": f"VAST test: {len(test)} pairs",
        "input": "'<topic>: <comment>', one target",
    }
    for kind in args.kinds:
        model: dict[str, Any] = {"max_length": args.max_length}
        if kind == "fewshot":
            model["max_pairs"] = args.max_pairs
        start = time.perf_counter()
        clf = FramingClassifier(kind, schema=schema, model=model, train={"seed": 13}).fit(train)
        fit_seconds = time.perf_counter() - start
        proba = clf.predict_proba([pair_text(row) for row in test]).stance[TARGET]
        labels = list(schema.stance_labels)
        pred = np.array([vast.LABELS.index(labels[j]) for j in proba.argmax(1)])
        block: dict[str, Any] = {"model": model, "fit_seconds": round(fit_seconds, 1)}
        for name, mask in subsets.items():
            block[name] = vast.scores(gold[mask], pred[mask], groups[mask])
            print(
                f"{kind} {name} (n={int(mask.sum())}): macro_f1 {block[name]['macro_f1']} "
                f"{block[name]['macro_f1_ci']}",
                flush=True,
            )
        results[kind] = block
        OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
