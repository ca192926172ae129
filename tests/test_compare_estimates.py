"""Tests for framing.compare.estimates (and the framing.stats helpers it relies on):
estimators on hand-computed cases, PACC on a synthetic confusion, bootstrap coverage."""

from __future__ import annotations

import numpy as np
import pytest

from framing.compare.columns import LabelColumns
from framing.compare.estimates import (
    DevConfusion,
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


def test_compare_acc_undefined_when_classifier_is_worse_than_chance() -> None:
    """tpr 0 < fpr 0.01 (found none of 6 true cases, 5 false alarms in 480: the packaged model
    on UN dev for `isolation`): solving would turn a naive 0% into 100%; it must be NaN."""
    confusion = np.array([[469.0, 5.0], [6.0, 0.0]])
    assert np.isnan(adjusted_estimate(np.array([1.0, 0.0]), confusion)).all()
    three = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])  # class 2 not separated
    assert np.isnan(adjusted_estimate(np.array([0.4, 0.2, 0.4]), three * 50)).all()


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


# --- PACC: the probability-based correction --------------------------------------------------


def test_compare_pacc_inverts_a_known_soft_confusion() -> None:
    # Mean probability of 'present' is 0.7 on present sentences and 0.2 on absent ones, so a
    # corpus with 30% present has mean probability 0.3 * 0.7 + 0.7 * 0.2 = 0.35.
    soft_rates = np.array([[0.8, 0.2], [0.3, 0.7]])
    q = np.array([0.65, 0.35])
    assert adjusted_estimate(q, soft_rates * 200)[1] == pytest.approx(0.3)


def _soft_scores(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """P(present): Beta(7, 3) (mean 0.7) for present sentences, Beta(2, 8) (mean 0.2) else."""
    return np.where(y, rng.beta(7, 3, y.shape), rng.beta(2, 8, y.shape))


def test_compare_pacc_recovers_known_prevalence_where_naive_is_biased() -> None:
    rng = np.random.default_rng(7)
    truth = 0.3
    # corpus: one cell of 400 documents x 10 sentences
    y = rng.random((400, 10)) < truth
    p = _soft_scores(rng, y)
    n = np.full(400, 10.0)
    hard_present = (p >= 0.5).sum(axis=1).astype(float)
    soft_present = p.sum(axis=1)
    docs = ScoredDocs(
        n=n,
        hard=np.stack([n - hard_present, hard_present], axis=1),
        soft=np.stack([n - soft_present, soft_present], axis=1),
        gold_n=np.zeros((400, 1)),
        gold_resid=np.zeros((400, 2)),
    )
    # dev: 200 documents x 10 sentences of the same classifier, 50% present
    dev_y = (rng.random(2000) < 0.5).astype(np.float32)
    dev_p = _soft_scores(rng, dev_y > 0)
    y1 = np.stack([1 - dev_y, dev_y], axis=1)
    soft1 = np.stack([1 - dev_p, dev_p], axis=1).astype(np.float32)
    hard1 = np.stack([dev_p < 0.5, dev_p >= 0.5], axis=1).astype(np.float32)
    dev = dev_confusion(
        np.repeat(np.arange(200), 10), 200, y1, np.ones((2000, 1), bool), hard1, soft1, ONE_FRAME
    )
    cells = estimate_cells(
        docs, np.zeros(400, dtype=np.int64), 1, ONE_FRAME, dev=dev, correction="pacc", n_boot=200
    )
    point, low, high = summarise(cells.replicates["corrected"][..., 1])
    assert point[0] == pytest.approx(truth, abs=0.02)
    assert low[0] <= truth <= high[0]
    # mean probability alone is pulled towards 0.5: 0.3 * 0.7 + 0.7 * 0.2 = 0.35
    mean_probability = docs.soft[:, 1].sum() / n.sum()
    assert mean_probability == pytest.approx(0.35, abs=0.01)
    assert abs(mean_probability - truth) > 0.03


def test_compare_pacc_uses_probabilities_and_acc_hard_counts() -> None:
    # Hard and soft sums disagree on purpose: ACC must read `hard`, PACC must read `soft`.
    n = np.array([10.0])
    docs = ScoredDocs(
        n=n,
        hard=np.array([[5.0, 5.0]]),
        soft=np.array([[8.0, 2.0]]),
        gold_n=np.zeros((1, 1)),
        gold_resid=np.zeros((1, 2)),
    )
    identity = np.array([[50.0, 0.0, 0.0, 50.0]])  # a perfect classifier on one dev document
    dev = DevConfusion(hard=identity, soft=identity)
    cell = np.zeros(1, dtype=np.int64)
    acc = estimate_cells(docs, cell, 1, ONE_FRAME, dev=dev, correction="acc", n_boot=20)
    pacc = estimate_cells(docs, cell, 1, ONE_FRAME, dev=dev, correction="pacc", n_boot=20)
    assert acc.replicates["corrected"][0, 0, 1] == pytest.approx(0.5)
    assert pacc.replicates["corrected"][0, 0, 1] == pytest.approx(0.2)
