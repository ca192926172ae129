"""Soft labels for distillation: an ensemble of trained models reads unlabelled corpus sentences.

The teacher is the mean of the members' calibrated probabilities (frames and the stance toward
each schema target). Sentences come from the unlabelled corpus, never from a labelled set, and
never from a document that a dev or test set draws on, so a student trained on them has seen no
evaluation text. Half the kept rows (`--enrich`) are those where the teacher sees the most
(a frame or a non-`none` stance); the rest are a uniform sample, so the student also learns how
rare the frames are in the corpus. Writes gzipped JSONL rows with `soft` and a `summary.json`.

    python scripts/teacher_labels.py --model src/framing/pretrained/geopolitics \\
        --model <multilingual fast int8> --model <default run>/tfidf/model \\
        --corpus data/un/sentences.jsonl.gz \\
        --exclude-documents data/un/dev.jsonl data/un/test.jsonl \\
        --exclude-texts data/un/train.jsonl data/un/dev.jsonl data/un/test.jsonl \\
        data/un/random_gold.jsonl --pool 40000 --keep 16000 --output data/distill
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framing import FramingClassifier
from framing.errors import FramingError
from framing.files import atomic_dir, sha256, write_json
from framing.modelfolder import INDEX
from framing.predictions import Probabilities, mean_probabilities
from framing.pretrained import resolve_model
from framing.readers import iter_records

DIGITS = 4


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True, help="a member (repeat)")
    parser.add_argument("--corpus", nargs="+", required=True, help="unlabelled sentences")
    parser.add_argument("--exclude-documents", nargs="*", default=[], metavar="FILE")
    parser.add_argument("--exclude-texts", nargs="*", default=[], metavar="FILE")
    parser.add_argument("--pool", type=int, default=40_000, help="sentences the teacher reads")
    parser.add_argument("--keep", type=int, default=16_000, help="rows written")
    parser.add_argument("--enrich", type=float, default=0.5, help="share kept by signal")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--output", type=Path, required=True, help="a new folder")
    args = parser.parse_args(argv)
    if not 0 < args.keep <= args.pool:
        parser.error(f"--keep must be between 1 and --pool ({args.pool}), got {args.keep}")
    if not 0.0 <= args.enrich <= 1.0:
        parser.error(f"--enrich must be between 0 and 1, got {args.enrich}")
    if args.output.exists():
        parser.error(f"--output {args.output} exists; give a new folder")
    return args


def _values(paths: Sequence[str], key: str) -> set[str]:
    return {str(record.get(key, "")) for path in paths for _, record in iter_records(path)}


def pool_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """A seeded uniform sample of corpus sentences outside the excluded documents and texts."""
    documents = _values(args.exclude_documents, "doc_id") - {""}
    texts = _values(args.exclude_texts, "text")
    rows = [
        record
        for path in args.corpus
        for _, record in iter_records(path)
        if record.get("doc_id") not in documents and record.get("text") not in texts
    ]
    if len(rows) < args.pool:
        raise FramingError(f"--pool {args.pool}: the corpus has only {len(rows)} usable sentences")
    return random.Random(args.seed).sample(rows, args.pool)


def check_members(models: Sequence[FramingClassifier], paths: Sequence[str]) -> None:
    """Members must share the schema's frames, targets and stance labels, in the same order."""
    first = models[0].schema_
    for path, model in zip(paths[1:], models[1:]):
        schema = model.schema_
        if (schema.frames, schema.targets, schema.stance_labels) != (
            first.frames,
            first.targets,
            first.stance_labels,
        ):
            raise FramingError(
                f"--model {path}: its schema (frames, targets, stance labels) differs from that "
                f"of {paths[0]}; the members of a teacher must share one schema"
            )


def ensemble(models: Sequence[FramingClassifier], texts: list[str]) -> Probabilities:
    """The mean of the members' calibrated probabilities."""
    return mean_probabilities([m.predict_proba(texts, on_other_language="ignore") for m in models])


def signal(proba: Probabilities) -> np.ndarray:
    """How much the teacher sees in a sentence: its strongest frame or non-`none` stance."""
    none = proba.stance_labels.index("none") if "none" in proba.stance_labels else None
    parts = [proba.frames.max(axis=1)] if proba.frames.size else []
    for dist in proba.stance.values():
        parts.append(1.0 - dist[:, none] if none is not None else dist.max(axis=1))
    return np.max(parts, axis=0)


def choose(proba: Probabilities, keep: int, enrich: float, seed: int) -> list[int]:
    """Row indices: the `enrich` share with the most signal, the rest uniform from the others."""
    top = int(round(keep * enrich))
    order = np.argsort(-signal(proba), kind="stable")
    chosen = [int(i) for i in order[:top]]
    rest = [int(i) for i in order[top:]]
    chosen += random.Random(seed).sample(rest, keep - top)
    return sorted(chosen)


def soft_row(record: dict[str, Any], proba: Probabilities, i: int) -> dict[str, Any]:
    frames = {f: round(float(proba.frames[i, j]), DIGITS) for j, f in enumerate(proba.frame_names)}
    stance = {
        t: {label: round(float(dist[i, k]), DIGITS) for k, label in enumerate(proba.stance_labels)}
        for t, dist in proba.stance.items()
    }
    keys = ("id", "doc_id", "source", "date", "text")
    return {
        **{k: record[k] for k in keys if k in record},
        "soft": {"frames": frames, "stance": stance},
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        models = [FramingClassifier.load(path) for path in args.model]
        check_members(models, args.model)
        rows = pool_rows(args)
        proba = ensemble(models, [row["text"] for row in rows])
        kept = choose(proba, args.keep, args.enrich, args.seed)
        with atomic_dir(args.output) as folder:
            with gzip.open(folder / "soft.jsonl.gz", "wt", encoding="utf-8") as handle:
                for i in kept:
                    handle.write(json.dumps(soft_row(rows[i], proba, i), ensure_ascii=False) + "\n")
            write_json(folder / "summary.json", summary(args, models, proba, kept))
    except FramingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(args.output / "soft.jsonl.gz")
    return 0


def summary(
    args: argparse.Namespace,
    models: Sequence[FramingClassifier],
    proba: Probabilities,
    kept: list[int],
) -> dict[str, Any]:
    """What made the file: members (with the digest of each framing.json), inputs and counts."""
    return {
        "members": [
            {
                "path": str(path),
                "kind": m.backend_.kind,
                "framing_json_sha256": sha256(resolve_model(path) / INDEX),
            }
            for path, m in zip(args.model, models)
        ],
        "corpus": args.corpus,
        "exclude_documents": args.exclude_documents,
        "exclude_texts": args.exclude_texts,
        "pool": args.pool,
        "keep": args.keep,
        "enrich": args.enrich,
        "seed": args.seed,
        "mean_soft_frames_pool": dict(
            zip(proba.frame_names, proba.frames.mean(0).round(4).tolist())
        ),
        "mean_soft_frames_kept": dict(
            zip(proba.frame_names, proba.frames[kept].mean(0).round(4).tolist())
        ),
    }


if __name__ == "__main__":
    sys.exit(main())
