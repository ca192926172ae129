"""Write a few-shot training set for one frame from the labelled corpus, as a new user would
label it: N sentences that carry the frame and N that do not, plus the corpus's dev and test
sets reduced to that one frame (stance and the other frames dropped).

Every label is the corpus's own (data/un, labelled with docs/codebook.md); nothing is invented.

Usage:
    python scripts/prepare_fewshot.py --frame isolation --n 16 --seed 13
Writes data/fewshot/<frame>/train_<n>.jsonl, dev.jsonl and test.jsonl and prints their counts.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "data" / "un"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file that carry frame labels."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [row for row in rows if row.get("frames") is not None]


def one_frame(row: dict[str, Any], frame: str) -> dict[str, Any]:
    """The record with only `frame` kept among its frames and no stance."""
    keep = ("id", "doc_id", "source", "date", "text")
    out = {key: row[key] for key in keep if key in row}
    out["frames"] = [frame] if frame in row["frames"] else []
    return out


def sample(rows: list[dict[str, Any]], frame: str, n: int, seed: int) -> list[dict[str, Any]]:
    """n rows with the frame and n without, drawn at random (seeded), positives first."""
    rng = random.Random(seed)
    pos = [r for r in rows if frame in r["frames"]]
    neg = [r for r in rows if frame not in r["frames"]]
    if len(pos) < n or len(neg) < n:
        raise SystemExit(f"{frame}: only {len(pos)} positive and {len(neg)} negative rows")
    return rng.sample(pos, n) + rng.sample(neg, n)


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    """JSONL, one record a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    """Parse arguments and write the three files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame", default="isolation")
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    out = REPO / "data" / "fewshot" / args.frame
    train = sample(read_rows(SOURCE / "train.jsonl"), args.frame, args.n, args.seed)
    write(out / f"train_{args.n}.jsonl", [one_frame(r, args.frame) for r in train])
    for name in ("dev", "test"):
        rows = [one_frame(r, args.frame) for r in read_rows(SOURCE / f"{name}.jsonl")]
        write(out / f"{name}.jsonl", rows)
        positives = sum(bool(r["frames"]) for r in rows)
        print(f"{name}: {len(rows)} sentences, {positives} with {args.frame}")
    print(f"train_{args.n}: {len(train)} sentences, {args.n} with {args.frame}")


if __name__ == "__main__":
    main()
