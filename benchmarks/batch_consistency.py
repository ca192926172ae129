"""Does a sentence's score depend on the sentences scored with it? Dynamic int8 quantisation
scales each layer's activations over the whole batch, so for the packaged int8 model it can;
the torch model it was exported from masks padding and should not, beyond float noise.

Scores the UN test and real-news texts (labels unused) in length-sorted batches of 64 (the
default), one at a time, and in batches of 64 of a shuffled copy of the texts, and counts
the label decisions (frames at their thresholds, the stance argmax per target) that change.

Usage:
    python benchmarks/batch_consistency.py [--model geopolitics|<model folder>]
Writes benchmarks/results/batch_consistency.json; ends with one line per comparison:
`<a> vs <b>: <k> of <n> label decisions differ (<p>%), largest probability change <d>`.
"""

from __future__ import annotations

import argparse
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
from framing.predictions import Prediction, Probabilities, predictions_from  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SETS = ("data/un/test.jsonl", "data/news_real/test.jsonl")
SEED = 13


def decisions(pred: list[Prediction]) -> list[tuple[str, ...]]:
    """Each sentence's decisions as a tuple: its frames, then the stance label per target."""
    return [(*sorted(p.frames), *(f"{t}={p.stance[t]}" for t in sorted(p.stance))) for p in pred]


def compare(
    clf: FramingClassifier, a: Probabilities, b: Probabilities, n_labels: int
) -> dict[str, Any]:
    """Label decisions that differ between two scorings of the same texts."""
    pa, pb = predictions_from(a, clf.thresholds_), predictions_from(b, clf.thresholds_)
    changed = sum(
        len(set(x.frames) ^ set(y.frames)) + sum(x.stance[t] != y.stance[t] for t in x.stance)
        for x, y in zip(pa, pb)
    )
    largest = float(np.abs(a.frames - b.frames).max()) if len(a.frames) else 0.0
    for t in a.stance:
        largest = max(largest, float(np.abs(a.stance[t] - b.stance[t]).max()))
    total = len(pa) * n_labels
    return {
        "decisions": total,
        "changed": int(changed),
        "share": round(changed / total, 5),
        "sentences_changed": int(sum(x != y for x, y in zip(decisions(pa), decisions(pb)))),
        "largest_probability_change": round(largest, 4),
    }


def main() -> None:
    """Score the texts three ways and write the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="geopolitics", help="a packaged name or a folder")
    args = parser.parse_args()
    clf = FramingClassifier.load(args.model)
    texts = [ex.text for path in SETS for ex in read_examples(REPO / path, clf.schema_)]
    n_labels = len(clf.schema_.frames) + len(clf.schema_.targets)
    start = time.perf_counter()
    batched = clf.predict_proba(texts, on_other_language="ignore")
    alone = clf.predict_proba(texts, batch_size=1, on_other_language="ignore")
    order = np.random.default_rng(SEED).permutation(len(texts))
    shuffled = clf.predict_proba([texts[i] for i in order], on_other_language="ignore")
    back = np.argsort(order)
    shuffled = Probabilities(
        shuffled.frames[back],
        {t: v[back] for t, v in shuffled.stance.items()},
        shuffled.frame_names,
        shuffled.stance_labels,
    )
    results = {
        "model": args.model,
        "runtime": clf.runtime_,
        "texts": list(SETS),
        "n": len(texts),
        "batches of 64 vs one at a time": compare(clf, batched, alone, n_labels),
        "batches of 64 vs batches of 64 of a shuffled copy": compare(
            clf, batched, shuffled, n_labels
        ),
        "seconds": round(time.perf_counter() - start, 1),
    }
    out = REPO / "benchmarks" / "results" / "batch_consistency.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    for name, r in results.items():
        if isinstance(r, dict):
            print(
                f"{name}: {r['changed']} of {r['decisions']} label decisions differ "
                f"({100 * r['share']:.2f}%), largest probability change "
                f"{r['largest_probability_change']}"
            )


if __name__ == "__main__":
    main()
