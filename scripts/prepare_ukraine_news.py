"""Convert the Ukraine-crisis news bias sentences (Färber et al. 2020) to the canonical schema.

Reads ``<input>/ukraine_news_bias.jsonl`` (aggregated scores and the authors' binary labels) and
``<input>/original/all-data-as-json/article_*.json`` (text, order and raw crowd votes) and writes
``data/news/ukraine_news_bias.jsonl`` in article order. The article files carry no outlet, country
or date, so ``source`` is the corpus name and ``date`` is omitted.

    python scripts/prepare_ukraine_news.py [--input DIR] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO / ".." / "shared" / "datasets" / "ukraine_news_bias"
DEFAULT_OUTPUT = REPO / "data" / "news" / "ukraine_news_bias.jsonl"
SOURCE = "ukraine_news_bias"
EXPECTED_SENTENCES = 2057


def article_number(article_id: str) -> int:
    """``article_12`` -> 12."""
    return int(article_id.removeprefix("article_"))


def read_articles(root: Path) -> dict[str, dict[str, Any]]:
    """Article JSONs keyed by article id."""
    folder = root / "original" / "all-data-as-json"
    articles = {}
    for path in folder.glob("article_*.json"):
        article = json.loads(path.read_text(encoding="utf-8"))
        articles[article["id"]] = article
    return articles


def judgements(sentence: dict[str, Any]) -> dict[str, Any]:
    """Raw crowd votes per dimension, without the workers' countries."""
    return {
        "bias": sentence["bias"]["judgements"],
        "framing": sentence["framing"]["judgements"],
        "subjectivity": sentence["subjectivity"]["judgements"],
        "hidden_assumptions": sentence["hidden_assumptions"]["judgements"],
    }


def build(root: Path) -> list[dict[str, Any]]:
    """Canonical records for all sentences, in article and sentence order."""
    articles = read_articles(root)
    rows = [
        json.loads(line)
        for line in (root / "ukraine_news_bias.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rows.sort(key=lambda r: (article_number(r["article_id"]), r["position"]))
    records = []
    for row in rows:
        article = articles[row["article_id"]]
        by_position = {s["position_in_article"]: s for s in article["sentences"]}
        sentence = by_position[row["position"]]
        if sentence["content"] != row["text"]:
            raise ValueError(
                f"{row['id']}: the text differs between the jsonl and {row['article_id']}.json; "
                "expected the same sentence in both"
            )
        number = article_number(row["article_id"])
        records.append(
            {
                "id": f"UKR-NEWS_a{number:03d}_s{row['position']:03d}",
                "doc_id": row["article_id"],
                "source": SOURCE,
                "text": row["text"],
                "crowd": {
                    "labels": row["labels"],
                    "binary": row["binary"],
                    "judgements": judgements(sentence),
                },
            }
        )
    if len(records) != EXPECTED_SENTENCES:
        raise ValueError(f"expected {EXPECTED_SENTENCES} sentences, found {len(records)}")
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    records = build(args.input.resolve())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} sentences to {args.output}")


if __name__ == "__main__":
    main()
