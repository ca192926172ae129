"""benchmarks/fewshot_anchors.py: the variants add the rows the docs describe, and a head with
anchors separates an easy sample."""

from __future__ import annotations

import numpy as np

from conftest import load_script

anchors = load_script("benchmarks/fewshot_anchors.py")


def test_variants_add_the_documented_rows() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)), np.arange(32) < 16
    own, others, pool = np.ones(4), -np.ones((3, 4)), np.zeros(4)
    out = anchors.variants(X, y, own, others, pool)
    assert list(out) == [
        "plain",
        "definition_w1",
        "definition_w4",
        "other_definitions_w16",
        "sample_centre_w2",
        "sample_centre_w4",
        "sample_centre_w6",
        "sample_centre_w8",
        "sample_centre_w10",
        "pool_centre_w8",
    ]
    rows, labels, weights = out["sample_centre_w8"]
    np.testing.assert_allclose(rows, np.stack([own, X.mean(0)]))
    assert labels == [True, False] and weights == [8.0, 8.0]
    rows, labels, weights = out["other_definitions_w16"]
    assert labels == [True, False, False, False] and np.isclose(sum(weights[1:]), 16.0)
    assert out["plain"][0].shape == (0, 4)


def test_an_anchored_head_separates_an_easy_sample() -> None:
    rng = np.random.default_rng(1)
    shift = np.zeros(4)
    shift[0] = 6.0
    X, y = rng.normal(size=(32, 4)), np.arange(32) < 16
    X[y] += shift
    gold = rng.random(200) < 0.3
    T = rng.normal(size=(200, 4)) + np.outer(gold, shift)
    for name, extra in anchors.variants(X, y, shift, -shift[None], X.mean(0)).items():
        pred = anchors.head(X, y, *extra).predict_proba(T)[:, 1] >= 0.5
        assert anchors.f1(gold, pred) > 0.9, name
