"""Annotation batches for news sentences: one writer's team-written news
(data/news_synth/raw/<writer>.jsonl), or with --input any sentence file such as the real news
in data/news_real/sentences.jsonl.

Readers see each sentence with its neighbours and its outlet kind, never the writer's intended
labels. Articles stay whole within a batch. A seeded random tenth of the articles (at least 100
sentences) also goes into a second-pass batch, labelled blind by another reader for alpha.

Usage: python scripts/news_synth_batches.py NAME [--input FILE] [--out DIR] [--parts 2]
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1] / "data" / "news_synth"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")


def batch_rows(article: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a reader sees: id, outlet kind, date, headline flag, previous/next sentence."""
    rows = []
    for k, row in enumerate(article):
        rows.append(
            {
                "id": row["id"],
                "doc_id": row["doc_id"],
                "source": row.get("outlet_style") or row["source"],
                "date": row["date"],
                "headline": row["headline"],
                "prev": article[k - 1]["text"] if k else "",
                "text": row["text"],
                "next": article[k + 1]["text"] if k + 1 < len(article) else "",
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("writer", metavar="NAME")
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--input", type=Path, help="default: data/news_synth/raw/NAME.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "annotation" / "batches")
    args = parser.parse_args()
    articles: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_jsonl(args.input or ROOT / "raw" / f"{args.writer}.jsonl"):
        articles[row["doc_id"]].append(row)
    order = sorted(articles)
    random.Random(args.seed).shuffle(order)
    total = sum(len(a) for a in articles.values())
    size = total / args.parts
    parts: list[list[dict[str, Any]]] = [[] for _ in range(args.parts)]
    done = 0
    for doc in order:
        part = min(int(done / size), args.parts - 1)
        parts[part].extend(batch_rows(articles[doc]))
        done += len(articles[doc])
    for k, rows in enumerate(parts, start=1):
        write_jsonl(args.out / f"{args.writer}_{k}.jsonl", rows)
    double: list[dict[str, Any]] = []
    for doc in order:  # a different seeded order would do; the shuffled order is already random
        if len(double) >= max(100, total // 10):
            break
        double.extend(batch_rows(articles[doc]))
    write_jsonl(args.out / f"{args.writer}_double.jsonl", double)
    print(
        f"{args.writer}: {len(articles)} articles, {total} sentences in {args.parts} batches; "
        f"{len(double)} sentences for the second pass"
    )


if __name__ == "__main__":
    main()
