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


LABELS = {
    "frame:threat",
    "frame:pressure",
    "stance:west:favor",
    "stance:west:against",
    "stance:west:none",
}


def _check_cells(rows: list[dict]) -> None:
    """Every source has every label and estimator; empty cells are marked, not dropped."""
    for source in ("Aland", "Borduria", "<script>alert(1)</script>"):
        for est in ("naive", "corrected", "design"):
            got = {
                r["label"]
                for r in rows
                if r["level"] == "source" and r["source"] == source and r["estimator"] == est
            }
            assert got == LABELS
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


def _check_design(rows: list[dict]) -> None:
    """design = mean predicted probability + mean (gold - predicted) over the cell's gold rows."""
    aland = [r for r in _corpus_rows() if r["source"] == "Aland"]
    prob = [0.9 if "missile" in r["text"] else 0.2 for r in aland]
    gold_rows = {r["id"] for r in _corpus_rows()[::3]}
    resid = [
        ("missile" in r["text"]) - p
        for r, p in zip(aland, prob, strict=True)
        if r["id"] in gold_rows
    ]
    (design,) = [
        r
        for r in rows
        if r["level"] == "source"
        and r["source"] == "Aland"
        and r["estimator"] == "design"
        and r["label"] == "frame:threat"
    ]
    assert design["estimate"] == pytest.approx(np.mean(prob) + np.mean(resid), abs=1e-6)


def _check_differences(diffs: list[dict]) -> None:
    assert {d["kind"] for d in diffs} == {"difference", "trend"}
    # a difference names its cells: groups at the group level, sources at the source level
    pairs = {(d["level"], d["a"], d["b"]) for d in diffs if d["kind"] == "difference"}
    assert ("group", "west", "east") in pairs
    assert ("source", "Aland", "Borduria") in pairs
    assert not {a for _, a, _ in pairs} & {"all", "other"}
    assert all(0 <= d["p_holm"] <= 1 for d in diffs if np.isfinite(d["p_holm"]))


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
    _check_cells(result.estimates)
    _check_design(result.estimates)
    _check_differences(result.differences)
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


def test_compare_headline_corrected_changes_the_headline(setup: dict) -> None:
    config = load_compare_config(setup["config"], ["headline=corrected"])
    result = compare(config, setup["tmp"] / "out", model=FakeModel())
    assert result.headline == "corrected" and result.summary["headline"] == "corrected"
    assert result.summary["headline_reason"].startswith("The config sets this estimator")
    md = result.report_md.read_text(encoding="utf-8")
    assert "Headline: corrected." in md
    # the main table shows the corrected estimate, not the design-based one
    (west,) = [
        r
        for r in result.estimates
        if r["level"] == "group"
        and r["group"] == "west"
        and r["label"] == "frame:threat"
        and r["estimator"] == "corrected"
    ]
    shown = f"{100 * west['estimate']:.1f}% [{100 * west['ci_low']:.1f}%, "
    row = next(line for line in md.splitlines() if line.startswith("| west |"))
    assert row.split("|")[2].strip().startswith(shown)


def test_compare_groups_matching_no_source_is_a_config_error(setup: dict) -> None:
    groups = setup["tmp"] / "groups.yaml"
    groups.write_text("groups:\n  west: [Xland, Yland]\n  east: [Zland]\n")
    config = load_compare_config(setup["config"])
    CountingModel.calls = []
    with pytest.raises(ConfigError, match=r"groups file .*groups\.yaml: no member matches") as info:
        compare(config, setup["tmp"] / "o", model=CountingModel())
    message = str(info.value)
    assert "\n" not in message and "'Xland'" in message and "'Aland'" in message
    assert CountingModel.calls == []  # found before the slow scoring
    assert not (setup["tmp"] / "o").exists()


def test_compare_fields_naming_a_missing_column_is_a_data_error(setup: dict) -> None:
    config = load_compare_config(setup["config"], ["fields={source: country}"])
    with pytest.raises(
        DataError,
        match=r"^corpus .*corpus\.jsonl line 1: no column 'country', which `fields` maps to "
        r"'source' \(columns there: id, doc_id, source, date, text\)$",
    ):
        compare(config, setup["tmp"] / "o", model=FakeModel())


def test_compare_fields_mapping_renames_corpus_columns(setup: dict) -> None:
    rows = [{("country" if k == "source" else k): v for k, v in r.items()} for r in _corpus_rows()]
    _write_jsonl(setup["corpus"], rows)
    config = load_compare_config(setup["config"], ["fields={source: country}"])
    result = compare(config, setup["tmp"] / "o", model=FakeModel())
    assert {r["source"] for r in result.estimates if r["level"] == "source"} >= {"Aland"}


# --- the score cache -------------------------------------------------------------------------


class CountingModel(FakeModel):
    """FakeModel that records how many texts each predict_proba call scores."""

    calls: list[int] = []

    def predict_proba(self, texts: list[str], **kwargs: object) -> Probabilities:
        CountingModel.calls.append(len(texts))
        return super().predict_proba(texts, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def cached(setup: dict, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The setup with a model folder on disk (loaded as a CountingModel) and a score cache."""
    model_dir = setup["tmp"] / "model"
    model_dir.mkdir()
    (model_dir / "weights.bin").write_bytes(b"v1")

    class Loader:
        @staticmethod
        def load(path: Path) -> CountingModel:
            assert Path(path) == model_dir
            return CountingModel()

    monkeypatch.setattr("framing.compare.job.FramingClassifier", Loader)
    CountingModel.calls = []
    overrides = [f"model={model_dir}", f"cache_dir={setup['tmp'] / 'cache'}"]
    return setup | {"model": model_dir, "overrides": overrides}


def _run(cached: dict, name: str) -> tuple[list[int], Path]:
    CountingModel.calls = []
    out = cached["tmp"] / name
    compare(load_compare_config(cached["config"], cached["overrides"]), out)
    return list(CountingModel.calls), out


def test_compare_score_cache_is_reused_with_identical_results(cached: dict) -> None:
    n_corpus, n_dev = len(_corpus_rows()), len(_corpus_rows()[::2])
    first_calls, first = _run(cached, "first")
    assert first_calls == [n_corpus, n_dev]
    assert len(list((cached["tmp"] / "cache").glob("scores-*.npz"))) == 1
    second_calls, second = _run(cached, "second")
    assert second_calls == [n_dev]  # the corpus came from the cache; dev is always scored
    for name in ("estimates.csv", "differences.csv", "evidence.jsonl", "report.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_compare_score_cache_invalidated_by_corpus_or_model_change(cached: dict) -> None:
    n_corpus = len(_corpus_rows())
    _run(cached, "first")
    rows = _corpus_rows()
    rows[1]["text"] = "missile sanctions"
    _write_jsonl(cached["corpus"], rows)
    calls, changed = _run(cached, "corpus_changed")
    assert calls[0] == n_corpus
    first = (cached["tmp"] / "first" / "estimates.csv").read_bytes()
    assert (changed / "estimates.csv").read_bytes() != first
    (cached["model"] / "weights.bin").write_bytes(b"v2")
    calls, _ = _run(cached, "model_changed")
    assert calls[0] == n_corpus
    assert len(list((cached["tmp"] / "cache").glob("scores-*.npz"))) == 3
    calls, _ = _run(cached, "again")
    assert calls[0] != n_corpus


def test_compare_score_cache_ignores_a_file_of_other_texts(cached: dict) -> None:
    n_corpus = len(_corpus_rows())
    _run(cached, "first")
    (cache,) = (cached["tmp"] / "cache").glob("scores-*.npz")
    other = cached["tmp"] / "other.npz"
    np.savez(
        other,
        frames=np.zeros((1, 2)),
        targets=np.array([], dtype=str),
        frame_names=np.array(["threat", "pressure"]),
        stance_labels=np.array(["favor", "against", "none"]),
        texts_sha256=np.array("not these texts"),
    )
    other.replace(cache)
    calls, _ = _run(cached, "rescored")
    assert calls[0] == n_corpus
