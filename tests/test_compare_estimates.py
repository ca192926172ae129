"""Tests for framing.compare.estimates (and the framing.stats helpers it relies on):
estimators on hand-computed cases, bootstrap coverage."""

from __future__ import annotations

import numpy as np
import pytest

from framing.compare.columns import LabelColumns
from framing.compare.estimates import (
    ScoredDocs,
    adjusted_estimate,
    design_estimate,
    dev_confusion,
    estimate_cells,
    naive_estimate,
)
from framing.stats import bootstrap_p_value, holm_adjust, stratified_bootstrap, summarise

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


def test_compare_bootstrap_resamples_documents_within_cells() -> None:
    strata = np.array([0, 0, 0, 1, 1, -1])
    w = stratified_bootstrap(strata, 50, np.random.default_rng(0))
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
    doc_cell = np.repeat(np.arange(len(truth)), docs_per_source)
    # documents vary around their source's prevalence (Beta with mean truth), so sentences
    # within a document are correlated and the cluster bootstrap matters
    doc_p = rng.beta(truth[doc_cell] * 20, (1 - truth[doc_cell]) * 20)
    y = rng.random((len(doc_cell), sents_per_doc)) < doc_p[:, None]
    pred = np.where(y, rng.random(y.shape) < tpr, rng.random(y.shape) < fpr)
    hard_present = pred.sum(axis=1).astype(float)
    n = np.full(len(doc_cell), float(sents_per_doc))
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
    return docs, doc_cell, dev


def test_compare_simulation_corrected_ci_covers_and_naive_is_biased() -> None:
    rng = np.random.default_rng(20240601)
    truth = np.array([0.10, 0.50])
    tpr, fpr = 0.8, 0.1
    covered, naive_covered, naive_points, n_intervals = 0, 0, [], 0
    for _ in range(300):
        docs, cell_of_doc, dev = _simulate(rng, truth, tpr, fpr)
        cells = estimate_cells(docs, cell_of_doc, 2, ONE_FRAME, dev=dev, n_boot=200, rng=rng)
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
