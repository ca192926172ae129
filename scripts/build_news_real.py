"""Assemble the openly licensed real news test set from its annotation files.

Reads data/news_real/sentences.jsonl (verbatim sentences with publisher, url, date, licence), the
first-pass labels annotation/labels/real_1.<reader>.jsonl, the blind second pass
real_double.<reader>.jsonl and annotation/labels/adjudicated.jsonl. Writes:

  data/news_real/test.jsonl                 every sentence with its final label (a test set only)
  data/news_real/annotation/alpha.json      Krippendorff's alpha, first vs second pass
  data/news_real/annotation/disagreements.jsonl

Usage: python scripts/build_news_real.py
"""

from __future__ import annotations

import json
from pathlib import Path

from build_corpus import alpha_table, counts, read_jsonl, write_jsonl
from build_news_synth import disagreements, label

ROOT = Path(__file__).resolve().parents[1] / "data" / "news_real"
LABELS = ROOT / "annotation" / "labels"
KEEP = ("publisher", "country", "bloc", "url", "licence", "headline")


def read_pass(pattern: str) -> dict[str, dict]:
    return {row["id"]: row for path in sorted(LABELS.glob(pattern)) for row in read_jsonl(path)}


def main() -> None:
    sentences = read_jsonl(ROOT / "sentences.jsonl")
    first, second = read_pass("real_1.*.jsonl"), read_pass("real_double.*.jsonl")
    adjudicated = read_pass("adjudicated.jsonl")
    missing = [row["id"] for row in sentences if row["id"] not in first]
    if missing:
        raise SystemExit(f"{len(missing)} sentences have no first-pass label, e.g. {missing[:3]}")
    both = sorted(set(first) & set(second))
    alpha = {"reader_reader": alpha_table(first, second, both)}
    (ROOT / "annotation" / "alpha.json").write_text(json.dumps(alpha, indent=1) + "\n")
    write_jsonl(ROOT / "annotation" / "disagreements.jsonl", disagreements(first, second))
    rows = []
    for row in sentences:
        rows.append(
            {
                "id": row["id"],
                "doc_id": row["doc_id"],
                "source": row["publisher"],
                "date": row["date"],
                "text": row["text"],
                **label(adjudicated.get(row["id"]) or first[row["id"]]),
                **{key: row[key] for key in KEEP},
                "adjudicated": row["id"] in adjudicated,
            }
        )
    write_jsonl(ROOT / "test.jsonl", rows)
    summary = {"all": counts(rows), "documents": len({r["doc_id"] for r in rows}), "alpha": alpha}
    (ROOT / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
