"""Assemble the team-written news corpus from its annotation files: labels, agreement, splits.

Reads data/news_synth/raw/<writer>.jsonl (sentences and metadata), the readers' labels
annotation/labels/<writer>_<k>.<reader>.jsonl (first pass) and <writer>_double.<reader>.jsonl
(blind second pass), the writers' intentions annotation/intent/<writer>.jsonl, and
annotation/labels/adjudicated.jsonl. Writes:

  data/news_synth/{train,dev}.jsonl        labelled sentences split by article (synthetic: never
                                           a test set)
  data/news_synth/annotation/alpha.json    Krippendorff's alpha writer<->reader and reader<->reader
  data/news_synth/annotation/disagreements.jsonl   first-pass vs second-pass disagreements
  data/news_synth/summary.json             counts per label, outlet kind and bloc

The corpus label is the first-pass reader's, replaced by the adjudicated label where there is one.
Writers' intentions are used for agreement only, never as labels.

Usage: python scripts/build_news_synth.py
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from build_corpus import FRAMES, STANCES, TARGETS, alpha_table, counts, read_jsonl, write_jsonl

ROOT = Path(__file__).resolve().parents[1] / "data" / "news_synth"
LABELS = ROOT / "annotation" / "labels"
DEV_SHARE = 0.15
SEED = 2026
FIRST = re.compile(r"^(w\d+)_(\d+)\.(\w+)\.jsonl$")
SECOND = re.compile(r"^(w\d+)_double\.(\w+)\.jsonl$")
META = ("outlet_style", "bloc", "country", "event", "headline", "synthetic", "writer")


def read_passes() -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """First-pass labels, second-pass labels, and which reader gave each first-pass label."""
    first: dict[str, Any] = {}
    second: dict[str, Any] = {}
    reader: dict[str, str] = {}
    for path in sorted(LABELS.glob("*.jsonl")):
        if match := FIRST.match(path.name):
            for row in read_jsonl(path):
                first[row["id"]] = row
                reader[row["id"]] = match.group(3)
        elif SECOND.match(path.name):
            for row in read_jsonl(path):
                second[row["id"]] = row
    return first, second, reader


def label(row: dict[str, Any]) -> dict[str, Any]:
    return {"frames": [f for f in FRAMES if f in row["frames"]], "stance": dict(row["stance"])}


def split_articles(rows: list[dict[str, Any]]) -> dict[str, str]:
    """article -> train/dev, shuffled within each writer so every writer's styles are in dev."""
    by_writer: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row["doc_id"] not in by_writer[row["writer"]]:
            by_writer[row["writer"]].append(row["doc_id"])
    rng = random.Random(SEED)
    out = {}
    for writer in sorted(by_writer):
        docs = sorted(by_writer[writer])
        rng.shuffle(docs)
        n_dev = round(len(docs) * DEV_SHARE)
        out.update({doc: ("dev" if k < n_dev else "train") for k, doc in enumerate(docs)})
    return out


def disagreements(first: dict[str, Any], second: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for ident in sorted(set(first) & set(second)):
        a, b = label(first[ident]), label(second[ident])
        if a != b:
            rows.append({"id": ident, "first": a, "second": b})
    return rows


def breakdown(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Sentences, articles and label counts per value of `key` (outlet kind or bloc)."""
    out = {}
    for value in sorted({row[key] for row in rows}):
        part = [row for row in rows if row[key] == value]
        out[value] = {"articles": len({row["doc_id"] for row in part}), **counts(part)}
    return out


def main() -> None:
    raw = [row for path in sorted((ROOT / "raw").glob("w*.jsonl")) for row in read_jsonl(path)]
    first, second, reader = read_passes()
    adjudicated = (
        {r["id"]: r for r in read_jsonl(LABELS / "adjudicated.jsonl")}
        if (LABELS / "adjudicated.jsonl").is_file()
        else {}
    )
    intent: dict[str, Any] = {}
    for path in sorted((ROOT / "annotation" / "intent").glob("w*.jsonl")):
        intent.update({r["id"]: r for r in read_jsonl(path)})
    missing = [row["id"] for row in raw if row["id"] not in first]
    if missing:
        raise SystemExit(f"{len(missing)} sentences have no first-pass label, e.g. {missing[:3]}")
    labelled = [row["id"] for row in raw]
    both = sorted(set(first) & set(second))
    alpha = {
        "writer_reader": alpha_table(intent, first, [i for i in labelled if i in intent]),
        "reader_reader": alpha_table(first, second, both),
    }
    (ROOT / "annotation" / "alpha.json").write_text(json.dumps(alpha, indent=1) + "\n")
    write_jsonl(ROOT / "annotation" / "disagreements.jsonl", disagreements(first, second))
    split = split_articles(raw)
    out: dict[str, list[dict[str, Any]]] = {"train": [], "dev": []}
    for row in raw:
        final = label(adjudicated.get(row["id"]) or first[row["id"]])
        out[split[row["doc_id"]]].append(
            {
                "id": row["id"],
                "doc_id": row["doc_id"],
                "source": row["outlet_style"],
                "date": row["date"],
                "text": row["text"],
                **final,
                **{key: row[key] for key in META},
                "reader": reader[row["id"]],
                "adjudicated": row["id"] in adjudicated,
            }
        )
    # A dev sentence whose exact text is also a training sentence (a stock line such as an
    # explainer's "What happens next?") would be a leak: it is left out of dev.
    seen = {row["text"] for row in out["train"]}
    dropped = [row["id"] for row in out["dev"] if row["text"] in seen]
    out["dev"] = [row for row in out["dev"] if row["text"] not in seen]
    for name, rows in out.items():
        write_jsonl(ROOT / f"{name}.jsonl", rows)
    everything = out["train"] + out["dev"]
    summary = {
        "all": counts(everything),
        "train": counts(out["train"]),
        "dev": counts(out["dev"]),
        "articles": len({row["doc_id"] for row in everything}),
        "outlet_style": breakdown(everything, "outlet_style"),
        "bloc": breakdown(everything, "bloc"),
        "events": dict(Counter(row["event"] for row in everything).most_common()),
        "adjudicated": len(adjudicated),
        "dev_dropped_as_train_duplicates": dropped,
        "stances": STANCES,
        "targets": TARGETS,
    }
    (ROOT / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({"all": summary["all"], "alpha": alpha}, indent=1))


if __name__ == "__main__":
    main()
