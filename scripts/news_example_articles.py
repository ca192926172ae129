"""The worked example's corpus: the team-written news sentences (data/news_synth/raw/w*.jsonl)
joined back into whole articles, one JSONL record per article, for `framing compare
configs/compare/news_example.yaml` (which segments them again with the package's segmenter).

Each article keeps doc_id (as id), its outlet kind (as source), bloc, country, event and date;
the headline sentence becomes `title`, the other sentences, in order, the `text`. Every record is
marked `synthetic: true`.

Usage: python scripts/news_example_articles.py [--raw data/news_synth/raw]
                                               [--output data/news_synth/articles.jsonl]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KEEP = ("bloc", "country", "event", "date")


def articles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per doc_id, sentences in id order, the headline sentence as the title."""
    by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_doc[row["doc_id"]].append(row)
    out = []
    for doc_id, sentences in by_doc.items():
        sentences.sort(key=lambda r: r["id"])
        heads = [r["text"] for r in sentences if r.get("headline")]
        body = [r["text"].strip() for r in sentences if not r.get("headline")]
        first = sentences[0]
        record = {"id": doc_id, "doc_id": doc_id, "source": first["outlet_style"]}
        record.update({k: first[k] for k in KEEP if first.get(k) is not None})
        record["title"] = heads[0] if heads else ""
        record["text"] = " ".join(t for t in body if t)
        record["synthetic"] = True
        if record["text"]:
            out.append(record)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT / "data" / "news_synth" / "raw")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "data" / "news_synth" / "articles.jsonl"
    )
    args = parser.parse_args()
    files = sorted(args.raw.glob("w*.jsonl"))
    if not files:
        raise SystemExit(f"no w*.jsonl files in {args.raw}")
    rows = [
        json.loads(line)
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    records = articles(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    tmp.replace(args.output)
    outlets = len({r["source"] for r in records})
    print(f"{len(records)} articles, {outlets} outlet kinds ({len(files)} files) -> {args.output}")


if __name__ == "__main__":
    main()
