"""Tests for framing.compare.job: the compare job on a small corpus with a keyword model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from framing.compare import compare, load_compare_config
from framing.errors import ConfigError, DataError
from framing.labels import LabelSchema
from framing.predictions import Probabilities

# --- the compare job on a small corpus with a fake model ------------------------------------

SCHEMA = LabelSchema(frames=("threat", "pressure"), targets=("west",), name="tiny")


class FakeModel:
    """Keyword 'classifier' with the FramingClassifier surface compare() uses."""

    schema = SCHEMA
    thresholds = {"threat": 0.5, "pressure": 0.5}
    kind = "fake"

    def predict_proba(
        self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> Probabilities:
        frames = np.array(
            [[0.9 if "missile" in t else 0.2, 0.8 if "sanction" in t else 0.1] for t in texts]
        ).reshape(len(texts), 2)
        west = np.array([[0.7, 0.2, 0.1] if "friends" in t else [0.1, 0.3, 0.6] for t in texts])
        return Probabilities(
            frames=frames,
            stance={"west": west.reshape(len(texts), 3)},
            frame_names=SCHEMA.frames,
            stance_labels=SCHEMA.stance_labels,
        )


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _corpus_rows() -> list[dict]:
    rng = np.random.default_rng(3)
    words = [
        "missile tests worry us",
        "sanctions hurt people",
        "our friends in the west",
        "we discuss climate",
        "trade grows",
    ]
    rows = []
    for source, bias in (("Aland", 0), ("Borduria", 1), ("<script>alert(1)</script>", 2)):
        for year in (2020, 2021, 2022):
            doc = f"{source[:3]}_{year}"
            for k in range(12):
                text = words[(k + bias + int(rng.integers(0, 2))) % len(words)]
                if k == 0 and bias == 2:
                    text = "<script>alert('x')</script> missile"
                rows.append(
                    {
                        "id": f"{doc}_{k}",
                        "doc_id": doc,
                        "source": source,
                        "date": str(year),
                        "text": text,
                    }
                )
    return rows


def _gold(row: dict) -> dict:
    t = row["text"]
    return {
        **row,
        "frames": (["threat"] if "missile" in t else [])
        + (["pressure"] if "sanction" in t else []),
        "stance": {"west": "favor" if "friends" in t else "none"},
    }


@pytest.fixture
def setup(tmp_path: Path) -> dict:
    rows = _corpus_rows()
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", rows)
    dev = _write_jsonl(
        tmp_path / "dev.jsonl", [_gold(r) | {"id": "d" + r["id"]} for r in rows[::2]]
    )
    gold = _write_jsonl(tmp_path / "gold.jsonl", [_gold(r) for r in rows[::3]])
    groups = tmp_path / "groups.yaml"
    groups.write_text(
        "name: g\nkey: source\ndefault: other\ngroups:\n  west: [Aland]\n"
        "  east: [Borduria]\n  empty_bloc: [Nowhere]\n"
    )
    config = tmp_path / "compare.yaml"
    config.write_text(
        f"name: tiny\nmodel: {tmp_path / 'no-model'}\ncorpus: {corpus}\ngroups: {groups}\n"
        f"dev: {dev}\ngold_sample: {gold}\nmin_gold: 3\nbootstrap: {{n: 100, seed: 1}}\n"
        "sources: [Ghostland]\ncache_dir: null\n"
    )
    return {"tmp": tmp_path, "config": config, "corpus": corpus, "gold": gold, "dev": dev}


def test_compare_writes_folder_with_all_cells(setup: dict) -> None:
    config = load_compare_config(setup["config"])
    out = setup["tmp"] / "out"
    result = compare(config, out, model=FakeModel())
    for name in (
        "estimates.csv",
        "differences.csv",
        "evidence.jsonl",
        "summary.json",
        "config.yaml",
        "report.md",
        "report.html",
    ):
        assert (out / name).is_file(), name
    assert result.headline == "design"
    rows = result.estimates
    labels = {
        "frame:threat",
        "frame:pressure",
        "stance:west:favor",
        "stance:west:against",
        "stance:west:none",
    }
    for source in ("Aland", "Borduria", "<script>alert(1)</script>"):
        for est in ("naive", "corrected", "design"):
            got = {
                r["label"]
                for r in rows
                if r["level"] == "source" and r["source"] == source and r["estimator"] == est
            }
            assert got == labels
        cell = [
            r
            for r in rows
            if r["level"] == "source" and r["source"] == source and r["estimator"] == "naive"
        ]
        assert all(np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]) for r in cell)
    ghost = [r for r in rows if r["source"] == "Ghostland"]
    assert ghost and all(r["note"] == "no sentences" and r["n_sentences"] == 0 for r in ghost)
    assert all(np.isnan(r["estimate"]) for r in ghost)
    empty_bloc = [r for r in rows if r["level"] == "group" and r["group"] == "empty_bloc"]
    assert empty_bloc and all(r["note"] == "no sentences" for r in empty_bloc)
    # design = mean predicted probability + mean (gold - predicted) over the cell's gold rows
    aland = [r for r in _corpus_rows() if r["source"] == "Aland"]
    prob = [0.9 if "missile" in r["text"] else 0.2 for r in aland]
    gold_rows = {r["id"] for r in _corpus_rows()[::3]}
    resid = [
        ("missile" in r["text"]) - p
        for r, p in zip(aland, prob, strict=True)
        if r["id"] in gold_rows
    ]
    design = [
        r
        for r in rows
        if r["level"] == "source"
        and r["source"] == "Aland"
        and r["estimator"] == "design"
        and r["label"] == "frame:threat"
    ][0]
    assert design["estimate"] == pytest.approx(np.mean(prob) + np.mean(resid), abs=1e-6)
    diffs = result.differences
    assert {d["kind"] for d in diffs} == {"difference", "trend"}
    assert all(0 <= d["p_holm"] <= 1 for d in diffs if np.isfinite(d["p_holm"]))
    evidence = [json.loads(x) for x in (out / "evidence.jsonl").read_text().splitlines()]
    assert (
        len([e for e in evidence if e["source"] == "Aland" and e["label"] == "frame:threat"]) == 3
    )


def test_compare_never_overwrites(setup: dict) -> None:
    config = load_compare_config(setup["config"])
    out = setup["tmp"] / "out"
    out.mkdir()
    with pytest.raises(ConfigError, match="already exists"):
        compare(config, out, model=FakeModel())


def test_compare_empty_corpus_is_a_clear_error(setup: dict) -> None:
    setup["corpus"].write_text("")
    with pytest.raises(DataError, match="is empty"):
        compare(load_compare_config(setup["config"]), setup["tmp"] / "o", model=FakeModel())
    assert not (setup["tmp"] / "o").exists()


def test_compare_label_missing_from_model(setup: dict) -> None:
    config = load_compare_config(setup["config"], ["labels=[threat, multipolarity]"])
    with pytest.raises(ConfigError, match="'multipolarity' not in the model's schema"):
        compare(config, setup["tmp"] / "o", model=FakeModel())


def test_compare_gold_labels_not_in_schema(setup: dict) -> None:
    rows = [_gold(r) for r in _corpus_rows()[:5]]
    rows[3]["frames"] = ["multipolar"]
    _write_jsonl(setup["gold"], rows)
    with pytest.raises(DataError, match=r"gold\.jsonl line 4: frame 'multipolar'"):
        compare(load_compare_config(setup["config"]), setup["tmp"] / "o", model=FakeModel())


def test_compare_gold_ids_not_in_corpus(setup: dict) -> None:
    _write_jsonl(setup["gold"], [_gold(r) | {"id": "x" + r["id"]} for r in _corpus_rows()[:4]])
    with pytest.raises(DataError, match="not in the corpus"):
        compare(load_compare_config(setup["config"]), setup["tmp"] / "o", model=FakeModel())
