"""Which teacher for distillation: each trained model alone and the mean of the calibrated
probabilities of every subset of two or more of them, chosen on dev only.

For each candidate the frame thresholds are tuned on the dev sets (as `fit` does), then every
set is scored: frames macro-F1, and F_avg (mean F1 of favor and against) for each target. The
candidate with the highest dev mean of those three numbers is the teacher; the test sets are
printed for every row but were not used to choose. Writes benchmarks/results/teacher.json.

Usage:
    python benchmarks/teacher.py --member packaged=src/framing/pretrained/geopolitics \\
        --member e5_fast=<int8 folder> --member tfidf=<run>/tfidf/model [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from framing import FramingClassifier  # noqa: E402
from framing.data import Example, read_examples  # noqa: E402
from framing.evaluation import evaluate, tune_thresholds  # noqa: E402
from framing.files import sha256  # noqa: E402
from framing.labels import LabelSchema  # noqa: E402
from framing.modelfolder import INDEX  # noqa: E402
from framing.predictions import Probabilities, mean_probabilities  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results" / "teacher.json"
SETS = {
    "dev": ["data/un/dev.jsonl", "data/news/dev.jsonl", "data/news_synth/dev.jsonl"],
    "un_test": ["data/un/test.jsonl"],
    "news_test": ["data/news/test.jsonl"],
    "news_real": ["data/news_real/test.jsonl"],
    "un_random": ["data/un/random_gold.jsonl"],
}
FAVG = "f1_favor_against"


def scores(
    examples: list[Example],
    proba: Probabilities,
    schema: LabelSchema,
    thresholds: dict[str, float],
    bootstrap: int,
) -> dict[str, Any]:
    result = evaluate(examples, proba, schema, thresholds, bootstrap=bootstrap, by_source=False)
    row: dict[str, Any] = {"frames": result["frames"]["macro_f1"]}
    if bootstrap:
        row["frames_ci"] = result["frames"].get("macro_f1_ci")
    for target, block in result["stance"].items():
        row[target] = block[FAVG]
        if bootstrap:
            row[f"{target}_ci"] = block.get(f"{FAVG}_ci")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--member", action="append", required=True, metavar="NAME=FOLDER")
    parser.add_argument("--bootstrap", type=int, default=0, help="CIs on the test sets")
    args = parser.parse_args()
    if any("=" not in item for item in args.member):
        parser.error(
            "--member takes NAME=FOLDER, e.g. --member packaged=src/framing/pretrained/geopolitics"
        )
    members = dict(item.split("=", 1) for item in args.member)
    models = {name: FramingClassifier.load(path) for name, path in members.items()}
    schema = next(iter(models.values())).schema_
    for name, model in models.items():
        other = model.schema_
        if (other.frames, other.targets, other.stance_labels) != (
            schema.frames,
            schema.targets,
            schema.stance_labels,
        ):
            parser.error(f"--member {name}: its schema differs from the first member's")
    data = {
        k: [ex for f in files for ex in read_examples(REPO / f, schema)]
        for k, files in SETS.items()
    }
    probas = {
        (name, k): model.predict_proba([ex.text for ex in rows], on_other_language="ignore")
        for name, model in models.items()
        for k, rows in data.items()
    }
    rows = []
    for size in range(1, len(models) + 1):
        for combo in itertools.combinations(models, size):
            mean = {k: mean_probabilities([probas[(n, k)] for n in combo]) for k in data}
            thresholds = tune_thresholds(mean["dev"].frames, data["dev"], schema.frames)
            result = {
                k: scores(data[k], mean[k], schema, thresholds, 0 if k == "dev" else args.bootstrap)
                for k in data
            }
            dev = result["dev"]
            summary = float(np.mean([dev["frames"], *[dev[t] for t in schema.targets]]))
            rows.append({"members": list(combo), "dev_mean": round(summary, 4), "sets": result})
            print(
                f"{'+'.join(combo):40s} dev mean {summary:.3f}  "
                + "  ".join(
                    f"{k} {r['frames']:.2f}/{'/'.join(f'{r[t]:.2f}' for t in schema.targets)}"
                    for k, r in result.items()
                ),
                flush=True,
            )
    best = max(rows, key=lambda r: r["dev_mean"])
    print(f"chosen on dev: {'+'.join(best['members'])} ({best['dev_mean']:.3f})")
    digests = {name: sha256(Path(path) / INDEX) for name, path in members.items()}
    record = {"members": members, "framing_json_sha256": digests, "rows": rows, "chosen": best}
    OUT.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
