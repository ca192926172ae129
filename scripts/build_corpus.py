"""Assemble the labelled corpus from the annotation files: final labels, agreement, splits.

Reads data/un/annotation/{random,enriched}.jsonl, data/news/ukraine_news_bias.jsonl and the label
files under data/un/annotation/labels/ (first pass `*.a1.jsonl`, blind second pass
`second_*.a2.jsonl`, adjudication `adjudicated.jsonl`). Writes:

  data/un/{train,dev,test}.jsonl     enriched UN sentences, split by speech (stratified by
                                     year and continent)
  data/un/random_gold.jsonl          the uniform random sample, never used for training
  data/news/{train,dev,test}.jsonl   news sentences, split by article (CC BY-NC)
  data/un/annotation/agreement/alpha.json   Krippendorff's alpha per frame and target (first
                                     pass, after re-annotation, against the blind second pass)
  data/label_counts.json             label counts per part and split (for data/README.md)

Usage: python scripts/build_corpus.py [--allow-missing]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ANNOTATION = REPO / "data" / "un" / "annotation"
LABELS = ANNOTATION / "labels"
FRAMES = ["multipolarity", "western_pressure", "isolation", "security_threat"]
TARGETS = ["russia", "the_west"]
STANCES = ["favor", "against", "none"]
FRACTIONS = (0.7, 0.15, 0.15)
SEED = 2024


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_labels(pattern: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(LABELS.glob(pattern)):
        for row in read_jsonl(path):
            out[row["id"]] = row
    return out


def continents() -> dict[str, str]:
    """ISO3 -> continent, from the country_converter package's data table (read as plain TSV;
    its own reader turns Namibia's code 'NA' into a missing value)."""
    import country_converter

    table = Path(country_converter.__file__).parent / "country_data.tsv"
    with open(table, encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        mapping = {row["ISO3"]: row["continent"] for row in rows}
    mapping["EU"] = "Europe"
    return mapping


def alpha_table(first: dict[str, Any], second: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    """Krippendorff's alpha (nominal) per frame (present/absent) and per stance target."""
    import krippendorff
    import numpy as np

    table: dict[str, Any] = {"n": len(ids)}
    for frame in FRAMES:
        data = np.array(
            [
                [float(frame in first[i]["frames"]) for i in ids],
                [float(frame in second[i]["frames"]) for i in ids],
            ]
        )
        table[frame] = _alpha(krippendorff, data, int(data.max(0).sum()))
    for target in TARGETS:
        data = np.array(
            [
                [STANCES.index(first[i]["stance"][target]) for i in ids],
                [STANCES.index(second[i]["stance"][target]) for i in ids],
            ],
            dtype=float,
        )
        table[target] = _alpha(krippendorff, data, int((data != 2).any(0).sum()))
    return table


def _alpha(krippendorff: Any, data: Any, n_marked: int) -> dict[str, Any]:
    agree = float((data[0] == data[1]).mean())
    if len(set(data.ravel().tolist())) < 2:
        return {"alpha": None, "agreement": agree, "n_marked": n_marked}
    value = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    return {"alpha": round(float(value), 3), "agreement": round(agree, 3), "n_marked": n_marked}


def split_documents(docs: dict[str, str], seed: int) -> dict[str, str]:
    """doc -> train/dev/test, shuffled within each stratum so every stratum is spread."""
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for doc, stratum in sorted(docs.items()):
        by_stratum[stratum].append(doc)
    rng = random.Random(seed)
    assignment: dict[str, str] = {}
    # Carry the rounding remainder across strata so small strata do not all land in train.
    carry = [0.0, 0.0, 0.0]
    for stratum in sorted(by_stratum):
        members = by_stratum[stratum]
        rng.shuffle(members)
        for doc in members:
            carry = [c + f for c, f in zip(carry, FRACTIONS)]
            pick = max(range(3), key=lambda k: carry[k])
            carry[pick] -= 1.0
            assignment[doc] = ("train", "dev", "test")[pick]
    return assignment


def apply_reannotation(first: dict[str, Any]) -> dict[str, Any]:
    """Labels re-annotated after a codebook revision (`<batch>.st_r1.jsonl`: security_threat only,
    news batches annotated before revision 1) replace that one label of the first pass."""
    revised = read_labels("*.st_r1.jsonl")
    out = dict(first)
    for ident, row in revised.items():
        frames = [f for f in first[ident]["frames"] if f != "security_threat"]
        if row["security_threat"]:
            frames.append("security_threat")
        out[ident] = {**first[ident], "frames": frames}
    return out


def final_label(ident: str, first: dict[str, Any], adjudicated: dict[str, Any]) -> dict[str, Any]:
    row = adjudicated.get(ident) or first[ident]
    return {"frames": [f for f in FRAMES if f in row["frames"]], "stance": dict(row["stance"])}


def counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    frames = Counter(f for row in rows for f in row["frames"])
    stance = {t: Counter(row["stance"][t] for row in rows) for t in TARGETS}
    return {
        "n": len(rows),
        "frames": {f: frames[f] for f in FRAMES},
        "stance": {t: {s: stance[t][s] for s in STANCES} for t in TARGETS},
    }


def markdown_tables(summary: dict[str, Any], alpha: dict[str, Any] | None) -> str:
    """The data card's count and agreement tables (written between markers in data/README.md)."""
    parts = [
        "un_random_gold",
        "un_train",
        "un_dev",
        "un_test",
        "news_train",
        "news_dev",
        "news_test",
        "all",
    ]
    head = (
        "| part | sentences | " + " | ".join(FRAMES) + " | russia favor | russia against "
        "| the_west favor | the_west against |"
    )
    lines = [head, "|---" * (2 + len(FRAMES) + 4) + "|"]
    for part in parts:
        c = summary[part]
        cells = [str(c["n"])] + [str(c["frames"][f]) for f in FRAMES]
        cells += [str(c["stance"][t][s]) for t in TARGETS for s in ("favor", "against")]
        lines.append(f"| {part} | " + " | ".join(cells) + " |")
    if alpha:
        lines += [
            "",
            "| double-annotated set | n | " + " | ".join(FRAMES + TARGETS) + " |",
            "|---" * (2 + len(FRAMES) + len(TARGETS)) + "|",
        ]
        for name, table in alpha.items():
            cells = []
            for label in FRAMES + TARGETS:
                a = table[label]["alpha"]
                cells.append(("–" if a is None else f"{a:.2f}") + f" ({table[label]['n_marked']})")
            lines.append(f"| {name} | {table['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_card_tables(text: str) -> None:
    card = REPO / "data" / "README.md"
    if not card.is_file():
        return
    content = card.read_text(encoding="utf-8")
    start, end = "<!-- tables:start -->", "<!-- tables:end -->"
    if start in content and end in content:
        before, rest = content.split(start, 1)
        after = rest.split(end, 1)[1]
        card.write_text(f"{before}{start}\n{text}\n{end}{after}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="skip sentences without first-pass labels instead of failing",
    )
    args = parser.parse_args()

    first_original = read_labels("*.a1.jsonl")
    first = apply_reannotation(first_original)
    second = read_labels("second_*.a2.jsonl")
    adjudicated = read_labels("adjudicated.jsonl")
    region = continents()

    un_random = read_jsonl(ANNOTATION / "random.jsonl")
    un_enriched = read_jsonl(ANNOTATION / "enriched.jsonl")
    news = read_jsonl(REPO / "data" / "news" / "ukraine_news_bias.jsonl")
    missing = [r["id"] for r in un_random + un_enriched + news if r["id"] not in first]
    if missing and not args.allow_missing:
        raise SystemExit(f"{len(missing)} sentences have no first-pass label, e.g. {missing[:3]}")

    def un_record(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "doc_id": row["doc_id"],
            "source": row["source"],
            "iso3": row["iso3"],
            "date": row["date"],
            "text": row["text"],
            **final_label(row["id"], first, adjudicated),
            "selection": row["selection"],
            "adjudicated": row["id"] in adjudicated,
        }

    random_rows = [un_record(r) for r in un_random if r["id"] in first]
    enriched_rows = [un_record(r) for r in un_enriched if r["id"] in first]
    news_rows = []
    for row in news:
        if row["id"] not in first:
            continue
        record = {k: v for k, v in row.items() if k not in ("frames", "stance")}
        record.update(final_label(row["id"], first, adjudicated))
        record["adjudicated"] = row["id"] in adjudicated
        news_rows.append(record)

    un_docs = {
        r["doc_id"]: f"{r['date']}|{region.get(r['iso3'], 'unknown')}" for r in enriched_rows
    }
    un_split = split_documents(un_docs, SEED)
    news_split = split_documents({r["doc_id"]: "news" for r in news_rows}, SEED)
    summary: dict[str, Any] = {"un_random_gold": counts(random_rows)}
    parts = {
        name: (
            [r for r in enriched_rows if un_split[r["doc_id"]] == name],
            [r for r in news_rows if news_split[r["doc_id"]] == name],
        )
        for name in ("train", "dev", "test")
    }
    # The same sentence text can recur in other speeches or articles (greetings, wire copy).
    # A text seen in training must not be scored as unseen: drop such repeats from train when the
    # random gold sample holds them (the sample stays intact), and from dev/test otherwise.
    gold_texts = {r["text"] for r in random_rows}
    dropped: dict[str, int] = {}
    un_train, news_train = parts["train"]
    kept = (
        [r for r in un_train if r["text"] not in gold_texts],
        [r for r in news_train if r["text"] not in gold_texts],
    )
    dropped["train (text in random_gold)"] = len(un_train) + len(news_train) - sum(map(len, kept))
    parts["train"] = kept
    train_texts = {r["text"] for part in parts["train"] for r in part}
    for name in ("dev", "test"):
        un_part, news_part = parts[name]
        kept = (
            [r for r in un_part if r["text"] not in train_texts],
            [r for r in news_part if r["text"] not in train_texts],
        )
        dropped[f"{name} (text in train)"] = len(un_part) + len(news_part) - sum(map(len, kept))
        parts[name] = kept
        train_texts |= {r["text"] for part in kept for r in part}
    summary["dropped_repeated_texts"] = dropped
    for name in ("train", "dev", "test"):
        un_part, news_part = parts[name]
        write_jsonl(REPO / "data" / "un" / f"{name}.jsonl", un_part)
        write_jsonl(REPO / "data" / "news" / f"{name}.jsonl", news_part)
        summary[f"un_{name}"] = counts(un_part)
        summary[f"news_{name}"] = counts(news_part)
    write_jsonl(REPO / "data" / "un" / "random_gold.jsonl", random_rows)
    summary["all"] = counts(random_rows + enriched_rows + news_rows)
    summary["documents"] = {
        "un_train": sum(v == "train" for v in un_split.values()),
        "un_dev": sum(v == "dev" for v in un_split.values()),
        "un_test": sum(v == "test" for v in un_split.values()),
        "news_train": sum(v == "train" for v in news_split.values()),
        "news_dev": sum(v == "dev" for v in news_split.values()),
        "news_test": sum(v == "test" for v in news_split.values()),
    }
    summary["adjudicated"] = len(adjudicated)
    (REPO / "data" / "label_counts.json").write_text(json.dumps(summary, indent=1) + "\n")

    both = [i for i in second if i in first]
    if both:
        random_ids = {r["id"] for r in un_random}
        groups = {
            "all": both,
            "un_random": [i for i in both if i in random_ids],
            "un": [i for i in both if not i.startswith("UKR-NEWS")],
            "news": [i for i in both if i.startswith("UKR-NEWS")],
        }
        alpha = {name: alpha_table(first, second, ids) for name, ids in groups.items() if ids}
        if first != first_original:
            alpha["news_before_reannotation"] = alpha_table(first_original, second, groups["news"])
        (ANNOTATION / "agreement" / "alpha.json").write_text(json.dumps(alpha, indent=1) + "\n")
        print(json.dumps(alpha["all"], indent=1))
    write_card_tables(markdown_tables(summary, alpha if both else None))
    print(json.dumps(summary["all"], indent=1))


if __name__ == "__main__":
    main()
