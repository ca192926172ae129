"""Turn the public benchmark sets into canonical JSONL under `.cache/framing/benchmarks/`.

The raw sets live outside the repository (`../shared/datasets` by default) and their licences do
not allow copying them in, so everything written here goes to the gitignored cache. A set whose
input is missing is skipped with one line, `skipped: <name>: data not found at <path>`.

    python scripts/prepare_benchmarks.py [--shared DIR] [--out DIR] [--only pstance vast ...]

What each set becomes (docs/benchmarks.md has the reasons):

* `pstance/{train,dev,test}.jsonl`: the official split (val = dev), NONE tweets removed, each
  tweet labelled for its one target (trump, biden or bernie) with favor/against.
* `vast/{dev,test}.jsonl`: comment, free-text topic, gold label mapped to favor/against/none and
  the `seen` flag (0 zero-shot, 1 few-shot). Not canonical: `benchmarks/vast.py` reads it.
* `vast_pairs/train.jsonl` and `vast_pairs/schema.yaml`: VAST's dev split as training data for
  a pair model (its topics are the schema's targets); pairs whose topic is not a valid target
  name, or whose copies disagree, are left out. `vast_pairs_mix/{train.jsonl,schema.yaml}`
  add more targets: a seeded sample of P-Stance train tweets (trump, biden, bernie) and of the
  project's training sentences (russia, the_west; frames dropped).
  VAST test stays unseen (no comment and none of its zero-shot topics are in dev).
* `frac/all.jsonl` and `frac/fold{0..4}/{train,dev,test}.jsonl`: 5-fold stratified
  cross-validation (seeded); in each fold a stratified tenth of the training part is the dev set.
* `ukraine_bias/{train,dev,test}.jsonl`: crowd portrayal scores mapped to stance toward russia
  and the_west, split by article along the project's own news split.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "datasets"
DEFAULT_OUT = REPO / ".cache" / "framing" / "benchmarks"
NEWS = REPO / "data" / "news"

SEED = 13
PSTANCE_TARGETS = {"Donald Trump": "trump", "Joe Biden": "biden", "Bernie Sanders": "bernie"}
PSTANCE_SPLITS = {"train": "train", "val": "dev", "test": "test"}
VAST_LABELS = {"pro": "favor", "con": "against", "neutral": "none"}
FRAC_FOLDS = 5
FRAC_DEV_SHARE = 0.1
# Crowd portrayal votes run from -2 (negative) to +2 (positive), five per sentence, so the mean
# moves in steps of 0.2. A mean of at least 0.4 either way is a net lean of two points (two
# workers "somewhat", or one "strongly"). The stricter 0.5 would leave 3 favor labels for
# russia and 3 non-none labels for the_west in all 2,057 sentences: nothing to learn or score.
UKRAINE_THRESHOLD = 0.4
UKRAINE_SCORES = {"russia": "framing_russia", "the_west": "framing_west"}
# VAST topics become schema targets: the names framing.labels accepts (no outer spaces either).
TARGET_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")
MIX_PER_SET = 800  # P-Stance tweets and project sentences each added to VAST dev in the mix
REPO_TRAIN = [REPO / "data" / d / "train.jsonl" for d in ("un", "news", "news_synth")]
# A file with more stance targets than this is summarised by label alone on the console.
MAX_TARGETS_SHOWN = 12


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of a JSONL file."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSONL (parent folders made as needed); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def skipped(name: str, path: Path) -> None:
    """The one line printed for a benchmark whose input is absent."""
    print(f"skipped: {name}: data not found at {path}")


def prepare_pstance(shared: Path, out: Path) -> dict[str, int] | None:
    """Official P-Stance split, NONE removed (the paper's in-target, binary protocol)."""
    source = shared / "pstance" / "pstance.jsonl"
    if not source.is_file():
        skipped("pstance", source)
        return None
    splits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_jsonl(source):
        if row["label"] == "NONE":
            continue
        splits[PSTANCE_SPLITS[row["split"]]].append(
            {
                "id": row["id"],
                "source": "twitter",
                "text": row["text"],
                "stance": {PSTANCE_TARGETS[row["target"]]: row["label"].lower()},
            }
        )
    # Two tweets recur across splits. Evaluation sentences must be unseen, so a tweet that is
    # also in dev or test leaves train (one train row); dev and test stay exactly as published.
    held_out = {row["text"] for name in ("dev", "test") for row in splits[name]}
    splits["train"] = [row for row in splits["train"] if row["text"] not in held_out]
    return {
        name: write_jsonl(out / "pstance" / f"{name}.jsonl", rows)
        for name, rows in sorted(splits.items())
    }


def prepare_vast(shared: Path, out: Path) -> dict[str, int] | None:
    """VAST dev and test (the train split is not available), labels in our stance words."""
    source = shared / "vast" / "vast.jsonl"
    if not source.is_file():
        skipped("vast", source)
        return None
    splits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_jsonl(source):
        splits[row["split"]].append(
            {
                "id": row["id"],
                "text": row["text"],
                "topic": row["target"],
                "label": VAST_LABELS[row["label"]],
                "seen": int(row["seen"]),
            }
        )
    return {
        name: write_jsonl(out / "vast" / f"{name}.jsonl", rows)
        for name, rows in sorted(splits.items())
    }


def _vast_examples(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One canonical row per comment, stance toward each of its topics; duplicated pairs keep
    their label only when all copies agree."""
    labels: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        topic = row["target"]
        if TARGET_NAME.fullmatch(topic) and topic == topic.strip():
            labels[(row["text"], topic)].add(VAST_LABELS[row["label"]])
    by_comment: dict[str, dict[str, str]] = defaultdict(dict)
    for (text, topic), found in labels.items():
        if len(found) == 1:
            by_comment[text][topic] = found.pop()
    return [
        {
            "id": f"vast-dev-c{i}",
            "doc_id": f"vast-dev-c{i}",
            "source": "nyt-comment",
            "text": text,
            "stance": stance,
        }
        for i, (text, stance) in enumerate(sorted(by_comment.items()))
    ]


def prepare_vast_pairs(shared: Path, out: Path) -> dict[str, int] | None:
    """VAST dev as training data for a pair stance model, and a schema whose targets are its
    topics. No dev part is kept: every pair trains (the config fixes the epochs)."""
    source = shared / "vast" / "vast.jsonl"
    if not source.is_file():
        skipped("vast_pairs", source)
        return None
    examples = _vast_examples([r for r in read_jsonl(source) if r["split"] == "dev"])
    topics = sorted({t for ex in examples for t in ex["stance"]})
    schema = {
        "name": "vast_pairs",
        "targets": {t: f"The topic '{t}' of a VAST comment." for t in topics},
        "stance_labels": ["favor", "against", "none"],
    }
    folder = out / "vast_pairs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.yaml").write_text(yaml.safe_dump(schema, sort_keys=False), encoding="utf-8")
    return {"train": write_jsonl(folder / "train.jsonl", examples)}


def prepare_vast_pairs_mix(shared: Path, out: Path) -> dict[str, int] | None:
    """VAST dev plus MIX_PER_SET P-Stance tweets and MIX_PER_SET of our training sentences."""
    if prepare_vast_pairs(shared, out) is None:  # it said why
        return None
    pstance = shared / "pstance" / "pstance.jsonl"
    if not pstance.is_file():
        skipped("vast_pairs_mix", pstance)
        return None
    folder = out / "vast_pairs"
    rng = random.Random(SEED)
    raw = read_jsonl(pstance)
    tweets = [r for r in raw if r["split"] == "train" and r["label"] != "NONE"]
    # As in prepare_pstance: a tweet also in P-Stance dev or test does not train.
    held_out = {r["text"] for r in raw if r["split"] != "train"}
    ours = [r for path in REPO_TRAIN for r in read_jsonl(path) if r.get("stance")]
    extra = [
        {
            "id": f"pstance-{r['id']}",
            "doc_id": f"pstance-{r['id']}",
            "source": "twitter",
            "text": r["text"],
            "stance": {PSTANCE_TARGETS[r["target"]]: r["label"].lower()},
        }
        for r in rng.sample(tweets, MIX_PER_SET)
        if r["text"] not in held_out
    ] + [
        {
            "id": r["id"],
            "doc_id": r["doc_id"],
            "source": r.get("source", "framing"),
            "text": r["text"],
            "stance": r["stance"],
        }
        for r in rng.sample(ours, MIX_PER_SET)
    ]
    schema = yaml.safe_load((folder / "schema.yaml").read_text(encoding="utf-8"))
    for target in [*PSTANCE_TARGETS.values(), "russia", "the_west"]:
        schema["targets"][target] = f"The target '{target}'."
    schema["name"] = "vast_pairs_mix"
    mix = out / "vast_pairs_mix"
    mix.mkdir(parents=True, exist_ok=True)
    (mix / "schema.yaml").write_text(yaml.safe_dump(schema, sort_keys=False), encoding="utf-8")
    vast = read_jsonl(folder / "train.jsonl")
    return {"train": write_jsonl(mix / "train.jsonl", vast + extra)}


def frame_slug(label: str) -> str:
    """'Fairness and Equality' -> 'fairness_and_equality' (the name used in the schema)."""
    return label.lower().replace(" ", "_")


def stratified_folds(labels: list[str], k: int, seed: int) -> list[int]:
    """Fold index per item: each label's items shuffled (seeded) and dealt round-robin."""
    rng = random.Random(seed)
    fold = [0] * len(labels)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    offset = 0
    for label in sorted(by_label):
        items = by_label[label]
        rng.shuffle(items)
        for j, i in enumerate(items):
            # Continue the deal where the last label stopped so fold sizes stay within one.
            fold[i] = (offset + j) % k
        offset = (offset + len(items)) % k
    return fold


def prepare_frac(shared: Path, out: Path) -> dict[str, int] | None:
    """FrAC: 5 stratified folds; no article ids are published, so folds cannot be grouped."""
    source = shared / "frac" / "frac.jsonl"
    if not source.is_file():
        skipped("frac", source)
        return None
    rows = [
        {
            "id": row["id"],
            "source": "frac",
            "text": row["text"],
            "frames": [frame_slug(row["label"])],
        }
        for row in read_jsonl(source)
    ]
    labels = [row["frames"][0] for row in rows]
    fold = stratified_folds(labels, FRAC_FOLDS, SEED)
    counts = {"all": write_jsonl(out / "frac" / "all.jsonl", rows)}
    for k in range(FRAC_FOLDS):
        test = [row for row, f in zip(rows, fold, strict=True) if f == k]
        rest = [row for row, f in zip(rows, fold, strict=True) if f != k]
        # Dev is the fold's own stratified tenth of the rest: it picks C and frame thresholds.
        inner = stratified_folds(
            [row["frames"][0] for row in rest], round(1 / FRAC_DEV_SHARE), SEED + k + 1
        )
        dev = [row for row, f in zip(rest, inner, strict=True) if f == 0]
        train = [row for row, f in zip(rest, inner, strict=True) if f != 0]
        for name, part in (("train", train), ("dev", dev), ("test", test)):
            path = out / "frac" / f"fold{k}" / f"{name}.jsonl"
            counts[f"fold{k}/{name}"] = write_jsonl(path, part)
    return counts


def crowd_stance(labels: dict[str, Any]) -> dict[str, str]:
    """Stance per target from the mean crowd portrayal score (see UKRAINE_THRESHOLD)."""
    stance = {}
    for target, key in UKRAINE_SCORES.items():
        score = labels[key]["avg"]
        if score >= UKRAINE_THRESHOLD:
            stance[target] = "favor"
        elif score <= -UKRAINE_THRESHOLD:
            stance[target] = "against"
        else:
            stance[target] = "none"
    return stance


def prepare_ukraine_bias(shared: Path, out: Path) -> dict[str, int] | None:
    """Crowd-mapped stance, split by article exactly as data/news/{train,dev,test}.jsonl are.

    Following the project's own split keeps the crowd test articles unseen by every model
    trained on data/news/train.jsonl, so the default model can be scored on them too.
    """
    source = NEWS / "ukraine_news_bias.jsonl"
    if not source.is_file():
        skipped("ukraine_bias", source)
        return None
    split_of: dict[str, str] = {}
    for name in ("train", "dev", "test"):
        path = NEWS / f"{name}.jsonl"
        if not path.is_file():
            skipped("ukraine_bias", path)
            return None
        for row in read_jsonl(path):
            split_of[row["id"]] = name
    splits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_jsonl(source):
        # The project's split leaves out four sentences (duplicates of others); so do we.
        if row["id"] not in split_of:
            continue
        splits[split_of[row["id"]]].append(
            {
                "id": row["id"],
                "doc_id": row["doc_id"],
                "source": row["source"],
                "text": row["text"],
                "stance": crowd_stance(row["crowd"]["labels"]),
            }
        )
    return {
        name: write_jsonl(out / "ukraine_bias" / f"{name}.jsonl", rows)
        for name, rows in sorted(splits.items())
    }


PREPARERS: dict[str, Callable[[Path, Path], dict[str, int] | None]] = {
    "pstance": prepare_pstance,
    "vast": prepare_vast,
    "vast_pairs": prepare_vast_pairs,
    "vast_pairs_mix": prepare_vast_pairs_mix,
    "frac": prepare_frac,
    "ukraine_bias": prepare_ukraine_bias,
}


def prepare(
    shared: Path = DEFAULT_SHARED, out: Path = DEFAULT_OUT, only: Iterable[str] | None = None
) -> dict[str, dict[str, int] | None]:
    """Prepare each named benchmark (all by default); None marks one skipped for missing data."""
    names = list(only) if only else list(PREPARERS)
    unknown = [name for name in names if name not in PREPARERS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {', '.join(PREPARERS)}")
    return {name: PREPARERS[name](shared, out) for name in names}


def label_summary(path: Path) -> str:
    """Stance or frame label counts of one prepared file, for the console."""
    counts: Counter[str] = Counter()
    for row in read_jsonl(path):
        for target, label in (row.get("stance") or {}).items():
            counts[f"{target}:{label}"] += 1
        for frame in row.get("frames") or ():
            counts[frame] += 1
        if "label" in row:
            counts[row["label"]] += 1
    targets = {key.split(":")[0] for key in counts if ":" in key}
    if len(targets) > MAX_TARGETS_SHOWN:  # e.g. VAST's topics: labels only
        by_label: Counter[str] = Counter()
        for key, n in counts.items():
            by_label[key.rsplit(":", 1)[-1]] += n
        return f"{len(targets)} targets; " + ", ".join(
            f"{k} {v}" for k, v in sorted(by_label.items())
        )
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="folder holding pstance/, vast/, frac/ (default ../shared/datasets)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(PREPARERS), help="benchmarks to prepare (default: all)"
    )
    args = parser.parse_args(argv)
    for name, counts in prepare(args.shared, args.out, args.only).items():
        if counts is None:
            continue
        for part, n in counts.items():
            path = args.out / name / f"{part}.jsonl"
            print(f"{name}/{part}: {n} rows ({label_summary(path)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
