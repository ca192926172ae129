"""benchmarks/fewshot_diagnostics.py: the prior re-weighting finds a known prevalence, the
ceiling is the best threshold's F1, and every variant scores every test row."""

from __future__ import annotations

import numpy as np

from conftest import load_script

diagnostics = load_script("benchmarks/fewshot_diagnostics.py")


def test_em_prior_recovers_the_prevalence_of_calibrated_posteriors() -> None:
    # Scores N(+1, 1) for the frame and N(-1, 1) without; at a 50/50 prior the exact posterior
    # is sigmoid(2x). EM on rows where only 20% have the frame must find about 0.2.
    rng = np.random.default_rng(0)
    y = rng.random(20_000) < 0.2
    x = np.where(y, 1.0, -1.0) + rng.normal(size=y.size)
    posterior = 1 / (1 + np.exp(-2 * x))
    assert abs(posterior.mean() - 0.2) > 0.1  # the unadjusted posteriors are far off
    assert abs(diagnostics.em_prior(posterior).mean() - 0.2) < 0.02


def test_best_cut_f1_is_the_f1_of_the_best_threshold() -> None:
    gold = np.array([True, False, True, False, False])
    assert diagnostics.best_cut_f1(gold, np.array([0.9, 0.1, 0.8, 0.3, 0.2])) == 1.0
    # Ranking T F T: the best cut keeps all three (F1 0.8), not only the first (F1 0.667).
    assert np.isclose(diagnostics.best_cut_f1(gold, np.array([0.9, 0.8, 0.7, 0.1, 0.0])), 0.8)


def test_every_variant_scores_every_test_row() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(32, 8))
    y = np.arange(32) < 16
    X[y] += 1.0
    T = rng.normal(size=(50, 8))
    out = diagnostics.variants(X, y, T, np.concatenate([X, T]))
    assert set(out) == {
        "lr",
        "lr_prior_em",
        "lr_C16",
        "lr_C16_prior_em",
        "centred",
        "whitened",
        "prototype",
    }
    for scores, _ in out.values():
        assert scores.shape == (50,) and np.isfinite(scores).all()
