"""Tests for framing.compare: estimators, bootstrap coverage, bad input, the compare job."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from framing.compare import (
    LabelColumns,
    ScoredDocs,
    adjusted_estimate,
    bootstrap_p_value,
    bootstrap_weights,
    compare,
    design_estimate,
    dev_confusion,
    estimate_cells,
    holm_adjust,
    label_columns,
    load_compare_config,
    load_groups,
    naive_estimate,
    summarise,
)
from framing.errors import ConfigError, DataError
from framing.labels import LabelSchema
from framing.predictions import Probabilities

ONE_FRAME = LabelColumns(tasks=("f",), classes=(("absent", "present"),), is_frame=(True,))


# --- estimators on hand-computed cases ------------------------------------------------------


def test_compare_naive_estimate_divides_and_marks_empty() -> None:
    out = naive_estimate(np.array([[3.0, 1.0], [0.0, 0.0]]), np.array([[4.0], [0.0]]))
    assert out[0].tolist() == [0.75, 0.25]
    assert np.isnan(out[1]).all()


def test_compare_acc_binary_matches_formula() -> None:
    # tpr = 0.8, fpr = 0.1; q = 0.31 -> (0.31 - 0.1) / 0.7 = 0.3
    confusion = np.array([[90.0, 10.0], [20.0, 80.0]])  # rows: true absent, true present
    pi = adjusted_estimate(np.array([0.69, 0.31]), confusion)
    assert pi[1] == pytest.approx(0.3)
    # clipped: q below fpr -> 0, above tpr -> 1
    assert adjusted_estimate(np.array([0.95, 0.05]), confusion)[1] == pytest.approx(0.0)
    assert adjusted_estimate(np.array([0.1, 0.9]), confusion)[1] == pytest.approx(1.0)


def test_compare_acc_three_classes_inverts_confusion() -> None:
    rates = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    truth = np.array([0.5, 0.3, 0.2])
    q = rates.T @ truth
    assert adjusted_estimate(q, rates * 50) == pytest.approx(truth)


def test_compare_acc_undefined_when_classifier_is_chance() -> None:
    confusion = np.array([[50.0, 50.0], [50.0, 50.0]])
    assert np.isnan(adjusted_estimate(np.array([0.5, 0.5]), confusion)).all()


def test_compare_design_estimate_adds_mean_residual() -> None:
    # mean prediction 0.4; gold residuals +0.5 and -0.1 over 2 gold sentences -> 0.4 + 0.2
    est = design_estimate(np.array([4.0]), np.array([10.0]), np.array([0.4]), np.array([2.0]))
    assert est[0] == pytest.approx(0.6)
    assert np.isnan(
        design_estimate(np.array([4.0]), np.array([10.0]), np.array([0.0]), np.array([0.0]))[0]
    )


def test_compare_holm_adjust_hand_case() -> None:
    # sorted 0.01, 0.02, 0.03, 0.5 -> 4*0.01=0.04, 3*0.02=0.06, max(0.06, 2*0.03)=0.06, 0.5
    adj = holm_adjust([0.03, 0.01, 0.5, 0.02])
    assert adj == pytest.approx([0.06, 0.04, 0.5, 0.06])
    assert np.isnan(holm_adjust([np.nan, 0.2])[0])
    assert holm_adjust([0.6, 0.7]) == pytest.approx([1.0, 1.0])


def test_compare_bootstrap_weights_resample_within_strata() -> None:
    strata = np.array([0, 0, 0, 1, 1, -1])
    w = bootstrap_weights(strata, 50, np.random.default_rng(0))
    assert w[0].tolist() == [1, 1, 1, 1, 1, 0]
    assert (w[1:, :3].sum(axis=1) == 3).all() and (w[1:, 3:5].sum(axis=1) == 2).all()
    assert (w[:, 5] == 0).all()


def test_compare_p_value_and_summary() -> None:
    reps = np.concatenate([[0.5], np.random.default_rng(1).normal(0.5, 0.1, 999)])[:, None]
    point, low, high = summarise(reps)
    assert point[0] == 0.5 and low[0] == pytest.approx(0.3, abs=0.03)
    assert high[0] == pytest.approx(0.7, abs=0.03)
    assert bootstrap_p_value(reps)[0] < 0.01


# --- simulation: known prevalences, a classifier with known error rates ---------------------


def _simulate(rng: np.random.Generator, truth: np.ndarray, tpr: float, fpr: float):
    docs_per_source, sents_per_doc = 80, 15
    doc_unit = np.repeat(np.arange(len(truth)), docs_per_source)
    # documents vary around their source's prevalence (Beta with mean truth), so sentences
    # within a document are correlated and the cluster bootstrap matters
    doc_p = rng.beta(truth[doc_unit] * 20, (1 - truth[doc_unit]) * 20)
    y = rng.random((len(doc_unit), sents_per_doc)) < doc_p[:, None]
    pred = np.where(y, rng.random(y.shape) < tpr, rng.random(y.shape) < fpr)
    hard_present = pred.sum(axis=1).astype(float)
    n = np.full(len(doc_unit), float(sents_per_doc))
    hard = np.stack([n - hard_present, hard_present], axis=1)
    docs = ScoredDocs(
        n=n, hard=hard, soft=hard, gold_n=np.zeros((len(n), 1)), gold_resid=np.zeros((len(n), 2))
    )
    # a labelled dev set of 30 documents x 15 sentences from the same classifier
    dev_y = (rng.random(450) < 0.3).astype(np.float32)
    dev_pred = np.where(dev_y > 0, rng.random(450) < tpr, rng.random(450) < fpr)
    y1 = np.stack([1 - dev_y, dev_y], axis=1)
    p1 = np.stack([1 - dev_pred, dev_pred], axis=1).astype(np.float32)
    dev = dev_confusion(
        np.repeat(np.arange(30), 15), 30, y1, np.ones((450, 1), bool), p1, p1, ONE_FRAME
    )
    return docs, doc_unit, dev


def test_compare_simulation_corrected_ci_covers_and_naive_is_biased() -> None:
    rng = np.random.default_rng(20240601)
    truth = np.array([0.10, 0.50])
    tpr, fpr = 0.8, 0.1
    covered, naive_covered, naive_points, n_intervals = 0, 0, [], 0
    for _ in range(300):
        docs, unit, dev = _simulate(rng, truth, tpr, fpr)
        cells = estimate_cells(docs, unit, 2, ONE_FRAME, dev=dev, n_boot=200, rng=rng)
        point, low, high = summarise(cells.replicates["corrected"][..., 1])
        covered += int(((low <= truth) & (truth <= high)).sum())
        n_intervals += 2
        naive_points.append(cells.replicates["naive"][0, :, 1])
        _, n_low, n_high = summarise(cells.replicates["naive"][..., 1])
        naive_covered += int(((n_low <= truth) & (truth <= n_high)).sum())
    coverage = covered / n_intervals
    assert 0.90 <= coverage <= 0.99, coverage
    # naive classify-and-count converges to fpr + (tpr - fpr) * truth, not to the truth
    naive_mean = np.mean(naive_points, axis=0)
    expected = fpr + (tpr - fpr) * truth
    assert naive_mean == pytest.approx(expected, abs=0.01)
    assert np.all(np.abs(naive_mean - truth) > 0.04)
    assert naive_covered / n_intervals < 0.5


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


def test_compare_config_errors_name_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("model: m\ncorpus: c\nbootstrap: {n: 5, sed: 1}\nheadline: best\n")
    with pytest.raises(ConfigError) as info:
        load_compare_config(path)
    message = str(info.value)
    assert str(path) in message and "bootstrap.n" in message and "bootstrap.sed" in message
    assert "headline" in message
    with pytest.raises(ConfigError, match="needs a gold_sample"):
        load_compare_config(path, ["bootstrap={}", "headline=design"])


def test_compare_groups_reject_member_in_two_groups(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("groups:\n  a: [X, Y]\n  b: [Y]\n")
    with pytest.raises(ConfigError, match="'Y' is in both 'a' and 'b'"):
        load_groups(path)


def test_compare_un_blocs_file_loads() -> None:
    grouping = load_groups(Path(__file__).parents[1] / "configs/groups/un_blocs.yaml")
    assert grouping.key == "iso3"
    assert grouping.group_of("RUS") == "russia_aligned" and grouping.group_of("DEU") == "western"
    assert grouping.group_of("BRA") == "brics_other" and grouping.group_of("KEN") == "other"


def test_compare_label_columns_layout() -> None:
    columns = label_columns(SCHEMA)
    assert columns.n_columns == 7
    assert [label for _, label in columns.reported()] == [
        "frame:threat",
        "frame:pressure",
        "stance:west:favor",
        "stance:west:against",
        "stance:west:none",
    ]


def test_compare_corrected_cell_at_floor_is_marked() -> None:
    from framing.compare import _cell_note

    assert _cell_note("corrected", 0.0, 0.0).startswith("at floor")
    assert _cell_note("corrected", 0.0, 0.02) == ""
    assert _cell_note("naive", 0.0, 0.0) == ""
    assert _cell_note("design", float("nan"), float("nan")) == "not estimable"
