"""Round 2 of the enriched sample: more candidates for the labels that round 1 left short.

After the first 480 labelled sentences, `isolation`, `russia: favor` and `the_west: favor` were
on course for far fewer than 150 positives. This adds every remaining keyword hit for isolation
and capped, seeded draws of candidates for the two favor labels, appends them to
data/un/annotation/enriched.jsonl (selection `enriched:round2:<reason>`) and writes annotation
batches `supp_01.jsonl`, `supp_02.jsonl` (no selection field, shuffled).

Usage: python scripts/sample_supplement.py
"""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ANNOTATION = REPO / "data" / "un" / "annotation"
SEED = 2025
WESTERN = {
    "USA",
    "CAN",
    "GBR",
    "FRA",
    "DEU",
    "ITA",
    "POL",
    "EU",
    "NLD",
    "BEL",
    "DNK",
    "SWE",
    "NOR",
    "FIN",
    "EST",
    "LVA",
    "LTU",
    "CZE",
    "ROU",
    "AUS",
    "NZL",
    "JPN",
    "ESP",
    "PRT",
    "IRL",
    "AUT",
}
ALIGNED = {"RUS", "BLR", "SYR", "PRK", "NIC", "VEN", "CUB", "IRN", "ERI", "CAF", "MLI"}

RULES: list[tuple[str, re.Pattern[str], Any, int]] = [
    ("isolation", re.compile(r"isolat|pariah|shunn|ostraci|cut off from", re.I), None, 400),
    (
        "russia_favor_self",
        re.compile(r"\bRussia|\bRussian\b|\bour country\b"),
        lambda r: r["iso3"] == "RUS",
        170,
    ),
    (
        "russia_favor_self_we",
        re.compile(r"\b(?:we|our|us)\b", re.I),
        lambda r: r["iso3"] == "RUS",
        150,
    ),
    (
        "russia_favor_partners",
        re.compile(r"\bRussia|\bRussian Federation|\bMoscow\b|\bPutin\b"),
        lambda r: r["iso3"] in ALIGNED - {"RUS"},
        110,
    ),
    (
        "russia_favor_others",
        re.compile(
            r"(?:Russia|Russian Federation)\W.*\b(?:thank|grateful|gratitude|friend|"
            r"strategic partner|"
            r"support|solidarity|brotherly)|(?:thank|grateful|gratitude|friend|support|solidarity)"
            r"\w*\W.*\b(?:Russia|Russian Federation)"
        ),
        lambda r: r["iso3"] not in ALIGNED | WESTERN,
        80,
    ),
    (
        "the_west_favor",
        re.compile(
            r"\bNATO\b|North Atlantic|transatlantic|\bour allies\b|European Union|\bG7\b|"
            r"United States|\bthe West\b|like-minded|free world|democracies",
            re.I,
        ),
        lambda r: r["iso3"] in WESTERN,
        220,
    ),
]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    with gzip.open(REPO / "data" / "un" / "sentences.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    enriched_path = ANNOTATION / "enriched.jsonl"
    enriched = read_jsonl(enriched_path)
    if any(r["selection"].startswith("enriched:round2:") for r in enriched):
        raise SystemExit("round 2 is already in enriched.jsonl")
    taken = {r["id"] for r in read_jsonl(ANNOTATION / "random.jsonl")} | {r["id"] for r in enriched}
    rng = random.Random(SEED)
    picked: list[tuple[int, str]] = []
    for reason, pattern, keep, cap in RULES:
        hits = [
            i
            for i, r in enumerate(rows)
            if r["id"] not in taken and pattern.search(r["text"]) and (keep is None or keep(r))
        ]
        rng.shuffle(hits)
        for i in hits[:cap]:
            taken.add(rows[i]["id"])
            picked.append((i, reason))
        print(f"{reason}: {len(hits)} candidates, {min(cap, len(hits))} picked")
    new = []
    for i, reason in sorted(picked):
        row = rows[i]
        before = rows[i - 1] if i > 0 and rows[i - 1]["doc_id"] == row["doc_id"] else None
        after = (
            rows[i + 1] if i + 1 < len(rows) and rows[i + 1]["doc_id"] == row["doc_id"] else None
        )
        new.append(
            {
                **{k: row[k] for k in ("id", "doc_id", "source", "iso3", "date")},
                "prev": before["text"] if before else "",
                "text": row["text"],
                "next": after["text"] if after else "",
                "selection": f"enriched:round2:{reason}",
            }
        )
    with open(enriched_path, "a", encoding="utf-8") as handle:
        for record in new:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    shuffled = new[:]
    rng.shuffle(shuffled)
    half = (len(shuffled) + 1) // 2
    for k, part in enumerate((shuffled[:half], shuffled[half:]), start=1):
        with open(ANNOTATION / "batches" / f"supp_{k:02d}.jsonl", "w", encoding="utf-8") as handle:
            for r in part:
                line = {key: r[key] for key in ("id", "source", "date", "prev", "text", "next")}
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(new)} sentences added in 2 batches")


if __name__ == "__main__":
    main()
