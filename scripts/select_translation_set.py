"""Pick the English sentences of a team-translated multilingual set (issue #14).

By default draws from the UN test split (data/un/test.jsonl: UN General Debate statements, public
domain, so translating them is allowed) and writes the test set's sources:

  data/multilingual/source_en.jsonl             the chosen rows, unchanged, plus `ml_selection`
  data/multilingual/annotation/batches/batch_NN.jsonl   the same rows in translation batches

`--source data/un/train.jsonl --out data/multilingual_train` picks the training sentences to
translate instead (translate-train; the translations are synthetic and never tested on).

Design (stratified, seeded):

1. Labels are visited from the rarest to the most frequent (positives counted in the test split:
   a frame present, or a stance target `favor` / `against`). For each label every positive not yet
   chosen is taken, up to `--max-per-label` (default: no cap); when a cap applies the positives
   are drawn at random. With the current test split all 201 sentences that carry any label fit in
   300, so every positive of every label is in the set.
2. The rest, up to `--n`, is filled with a simple random sample of the sentences that carry no
   label, among those of at most `--max-words` words (default 60: a handful of very long
   negatives, up to 175 words, would cost a great deal of translation and test little).
3. Rows keep the order of the test file (grouped by statement), so a translator reads a speech's
   sentences together, and are cut into batches of `--batch-size` rows.

`ml_selection` says why a row is in: `positive:<label>` (the label it was taken for) or
`fill:random`. Every label's positives are counted in the data card, not only the label a row was
taken for.

`--exclude F [F ...]` leaves out the ids of earlier selections (their `source_en.jsonl`), so a
second translate-train set adds new sentences.

Usage: python scripts/select_translation_set.py [--n 300] [--seed 14] [--source F] [--out DIR]
    [--exclude F ...]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "un" / "test.jsonl"
OUT = ROOT / "data" / "multilingual"
FRAMES = ("multipolarity", "western_pressure", "isolation", "security_threat")
TARGETS = ("russia", "the_west")
LABELS = FRAMES + tuple(f"{t}:{v}" for t in TARGETS for v in ("favor", "against"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def positives(row: dict[str, Any]) -> set[str]:
    out = set(row["frames"])
    out.update(f"{t}:{row['stance'][t]}" for t in TARGETS if row["stance"][t] != "none")
    return out


def label_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {label: sum(label in positives(r) for r in rows) for label in LABELS}


def select(
    rows: list[dict[str, Any]], n: int, seed: int, max_per_label: int | None, max_words: int
) -> dict[str, str]:
    rng = random.Random(seed)
    counts = label_counts(rows)
    chosen: dict[str, str] = {}
    for label in sorted(LABELS, key=lambda lab: (counts[lab], lab)):
        pool = [r["id"] for r in rows if label in positives(r) and r["id"] not in chosen]
        have = sum(label in positives(r) for r in rows if r["id"] in chosen)
        room = len(pool) if max_per_label is None else max(0, max_per_label - have)
        if room < len(pool):
            pool = rng.sample(pool, room)
        for rid in pool:
            chosen[rid] = f"positive:{label}"
    if len(chosen) > n:
        raise SystemExit(f"{len(chosen)} positives exceed --n {n}: set --max-per-label")
    fill = [
        r["id"]
        for r in rows
        if not positives(r) and r["id"] not in chosen and len(r["text"].split()) <= max_words
    ]
    for rid in rng.sample(fill, min(n - len(chosen), len(fill))):
        chosen[rid] = "fill:random"
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--max-per-label", type=int, default=None)
    parser.add_argument("--max-words", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--exclude", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    out_dir = args.out
    taken = {r["id"] for path in args.exclude for r in read_jsonl(path)}
    rows = [r for r in read_jsonl(args.source) if r["id"] not in taken]
    chosen = select(rows, args.n, args.seed, args.max_per_label, args.max_words)
    out = [{**r, "ml_selection": chosen[r["id"]]} for r in rows if r["id"] in chosen]
    write_jsonl(out_dir / "source_en.jsonl", out)
    batches = out_dir / "annotation" / "batches"
    for old in batches.glob("batch_*.jsonl"):
        old.unlink()
    for start in range(0, len(out), args.batch_size):
        number = start // args.batch_size + 1
        part = [
            {"id": r["id"], "source": r["source"], "text": r["text"]}
            for r in out[start : start + args.batch_size]
        ]
        write_jsonl(batches / f"batch_{number:02d}.jsonl", part)
    summary = {
        "n": len(out),
        "seed": args.seed,
        "source": str(args.source),
        "excluded": [str(path) for path in args.exclude],
        "max_per_label": args.max_per_label,
        "split_counts": label_counts(rows),
        "selected": label_counts(out),
        "no_label": sum(not positives(r) for r in out),
        "statements": len({r["doc_id"] for r in out}),
        "words": sum(len(r["text"].split()) for r in out),
    }
    (out_dir / "selection.json").write_text(json.dumps(summary, indent=1) + "\n", "utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
