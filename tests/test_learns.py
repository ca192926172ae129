"""Every model kind *learns*: it overfits the tiny fixture to near-perfect training F1, and the
saved folder reloads to identical predictions (spaCy's overfitting test, per kind)."""

from __future__ import annotations

import numpy as np
import pytest

from framing import FramingClassifier
from framing.evaluation import evaluate

from conftest import model_params

OVERFIT = {
    "tfidf": ({"C": [1000.0]}, {}),
    "encoder": ({"C": [1000.0], "max_length": 64}, {}),
    "finetune": (
        {"max_length": 64},
        {"epochs": 15, "batch_size": 8, "lr": 1e-2, "warmup_ratio": 0.0, "patience": 15},
    ),
}


@pytest.mark.parametrize("kind", ["tfidf", "encoder", "finetune"])
def test_learns_overfits_fixture_and_reloads_identically(
    kind, tiny_examples, schema, _tiny_transformer, tmp_path
):
    model, train = OVERFIT[kind]
    params = {**model_params(kind, _tiny_transformer), **model}
    clf = FramingClassifier(kind, schema=schema, model=params, train={"seed": 3, **train})
    clf.fit(tiny_examples)
    texts = [ex.text for ex in tiny_examples]
    proba = clf.predict_proba(texts)
    metrics = evaluate(tiny_examples, proba, schema, clf.thresholds, bootstrap=0)
    assert metrics["frames"]["macro_f1"] >= 0.95, metrics["frames"]["per_label"]
    for target, block in metrics["stance"].items():
        assert block["accuracy"] >= 0.95, (target, block)
    loaded = FramingClassifier.load(clf.save(tmp_path / "model"))
    again = loaded.predict_proba(texts)
    np.testing.assert_allclose(again.frames, proba.frames, atol=1e-6)
    for target in proba.stance:
        np.testing.assert_allclose(again.stance[target], proba.stance[target], atol=1e-6)
    assert [p.frames for p in loaded.predict(texts)] == [p.frames for p in clf.predict(texts)]
