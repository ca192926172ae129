"""benchmarks/fewshot_diagnostics.py: the prior re-weighting finds a known prevalence, the
ceiling is the best threshold's F1, every variant separates an easy sample, whitening shrinks
as documented, and the tuned encoder's examples never carry the held-out frame."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import load_script

diagnostics = load_script("benchmarks/fewshot_diagnostics.py")


@pytest.mark.parametrize(("trained_at", "prevalence"), [(0.5, 0.2), (0.3, 0.7)])
def test_em_prior_recovers_the_prevalence_of_calibrated_posteriors(
    trained_at: float, prevalence: float
) -> None:
    # Scores N(+1, 1) for the frame and N(-1, 1) without; at prior `trained_at` the exact
    # posterior is sigmoid(2x + logit(trained_at)). EM on rows where `prevalence` have the
    # frame must find it.
    rng = np.random.default_rng(0)
    y = rng.random(20_000) < prevalence
    x = np.where(y, 1.0, -1.0) + rng.normal(size=y.size)
    posterior = 1 / (1 + np.exp(-(2 * x + np.log(trained_at / (1 - trained_at)))))
    assert abs(posterior.mean() - prevalence) > 0.1  # the unadjusted posteriors are far off
    adjusted = diagnostics.em_prior(posterior, trained_at=trained_at)
    assert abs(adjusted.mean() - prevalence) < 0.02


def test_best_cut_f1_is_the_f1_of_the_best_threshold() -> None:
    gold = np.array([True, False, True, False, False])
    assert diagnostics.best_cut_f1(gold, np.array([0.9, 0.1, 0.8, 0.3, 0.2])) == 1.0
    # Ranking T F T: the best cut keeps all three (F1 0.8), not only the first (F1 0.667).
    assert np.isclose(diagnostics.best_cut_f1(gold, np.array([0.9, 0.8, 0.7, 0.1, 0.0])), 0.8)


def test_every_variant_separates_an_easy_sample_at_its_own_threshold() -> None:
    # Two well-separated clusters: any variant with a flipped sign, a wrong cut or a broken
    # transform misclassifies the test rows. EM variants are left out: their prevalence is
    # estimated, so they are checked above.
    rng = np.random.default_rng(1)
    shift = np.zeros(8)
    shift[0] = 8.0
    X = rng.normal(size=(32, 8)) + 2.0
    y = np.arange(32) < 16
    X[y] += shift
    gold = rng.random(200) < 0.3
    T = rng.normal(size=(200, 8)) + 2.0 + np.outer(gold, shift)
    mean, white = diagnostics.whitening(np.concatenate([X, T]))
    unlabelled = {"pool": T, "mean": mean, "white": white, "definition": X[y].mean(0)}
    out = diagnostics.variants(X, y, T, unlabelled)
    assert set(out) == {
        "lr",
        "lr_prior_em",
        "lr_C16",
        "lr_C16_prior_em",
        "mixture_cut",
        "definition",
        "definition_corpus_centre",
        "centred",
        "whitened",
        "prototype",
    }
    for name, (scores, cut) in out.items():
        assert scores.shape == (200,)
        if not name.endswith("prior_em"):
            assert diagnostics.f1(gold, scores >= cut) > 0.95, name


def test_whitening_shrinks_each_direction_by_the_mean_eigenvalue() -> None:
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(5000, 4)) * np.array([10.0, 1.0, 1.0, 0.1]) + 3.0
    mean, white = diagnostics.whitening(Z)
    assert np.allclose(mean, 3.0, atol=0.3)
    # A direction of variance v ends with variance v / (v + m), m the mean of all v: the strong
    # direction is flattened, the weak ones are not blown up.
    v = np.var(Z - mean, axis=0, ddof=1)
    expected = v / (v + v.mean())
    assert np.allclose(np.var((Z - mean) @ white, axis=0, ddof=1), expected, rtol=0.05)


def test_examples_keep_drops_the_held_out_frame(tmp_path) -> None:
    rows = [
        {"text": "a", "frames": ["western_pressure", "isolation"]},
        {"text": "b", "frames": ["security_threat"]},
        {"text": "c", "frames": None},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    others = ("multipolarity", "isolation", "security_threat")
    tuned = diagnostics.examples((str(path),), "western_pressure", others)
    assert [ex.frames for ex in tuned] == [("isolation",), ("security_threat",)]
    alone = diagnostics.examples((str(path),), "western_pressure", None)
    assert [ex.frames for ex in alone] == [("western_pressure",), ()]


def test_mixture_cut_sits_where_a_rare_frame_becomes_likely() -> None:
    # Log-odds N(-2, 1) for absent and N(2, 1) for present: at 10% prevalence the posterior of
    # "present" reaches 0.5 at log-odds ln(9) / 4 = 0.55, not at 0 (a balanced sample's 0.5).
    for prevalence, expected in ((0.1, np.log(9) / 4), (0.5, 0.0)):
        rng = np.random.default_rng(3)
        present = rng.random(4000) < prevalence
        z = np.where(present, rng.normal(2, 1, present.size), rng.normal(-2, 1, present.size))
        cut = diagnostics.mixture_cut(1 / (1 + np.exp(-z)), negative=-1.0, positive=1.0)
        assert abs(np.log(cut / (1 - cut)) - expected) < 0.15
