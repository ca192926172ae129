"""Calibration fitted on dev: ECE falls on fresh data from the same distribution, decisions
(order of probabilities) do not change, and it survives save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framing import FramingClassifier
from framing.calibration import apply_calibration, calibration_errors, fit_calibration
from framing.data import Example
from framing.errors import ModelError
from framing.labels import LabelSchema
from framing.predictions import Probabilities

from conftest import model_params

SCHEMA = LabelSchema(frames=("isolation",), targets=("russia",))


def _overconfident(n: int, seed: int) -> tuple[Probabilities, list[Example]]:
    """A model that says 0.95 when it is right 70% of the time."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.3
    said = np.where(rng.random(n) < 0.7, truth, ~truth)
    frames = np.where(said, 0.95, 0.05)[:, None]
    labels = rng.integers(0, 3, n)
    right = rng.random(n) < 0.6
    guess = np.where(right, labels, (labels + 1) % 3)
    stance = np.full((n, 3), 0.02)
    stance[np.arange(n), guess] = 0.96
    examples = [
        Example(
            id=str(i),
            text=f"s{i}",
            frames=("isolation",) if truth[i] else (),
            stance={"russia": SCHEMA.stance_labels[labels[i]]},
        )
        for i in range(n)
    ]
    return Probabilities(frames, {"russia": stance}, SCHEMA.frames, SCHEMA.stance_labels), examples


def test_calibration_lowers_ece_and_keeps_the_order():
    dev, dev_examples = _overconfident(2000, 0)
    test, test_examples = _overconfident(2000, 1)
    fitted = fit_calibration(dev, dev_examples, SCHEMA)
    after = apply_calibration(test, fitted)
    before_ece = calibration_errors(test_examples, test, SCHEMA)
    after_ece = calibration_errors(test_examples, after, SCHEMA)
    assert before_ece["frames"]["isolation"] > 0.2 > after_ece["frames"]["isolation"] + 0.1
    assert before_ece["stance"]["russia"] > 0.3 > after_ece["stance"]["russia"] + 0.2
    assert (
        np.argsort(after.frames[:, 0], kind="stable")
        == np.argsort(test.frames[:, 0], kind="stable")
    ).all()
    assert (after.stance["russia"].argmax(1) == test.stance["russia"].argmax(1)).all()
    np.testing.assert_allclose(after.stance["russia"].sum(1), 1.0)


def test_calibration_saved_and_loaded(tiny_examples, schema, tmp_path, monkeypatch):
    import framing.calibration

    monkeypatch.setattr(framing.calibration, "MIN_CLASS", 1)  # the fixture's dev is tiny
    clf = FramingClassifier("tfidf", schema=schema, model=model_params("tfidf", None))
    clf.fit(tiny_examples[:24], dev=tiny_examples[24:])
    assert clf.calibration_["frames"] and set(clf.calibration_["frames"]) <= set(schema.frames)
    texts = [ex.text for ex in tiny_examples]
    loaded = FramingClassifier.load(clf.save(tmp_path / "m"))
    assert loaded.calibration_ == clf.calibration_
    np.testing.assert_allclose(loaded.predict_proba(texts).frames, clf.predict_proba(texts).frames)
    raw = clf.predict_proba(texts, calibrated=False)
    assert not np.allclose(raw.frames, clf.predict_proba(texts).frames)

    off = FramingClassifier(
        "tfidf", schema=schema, model=model_params("tfidf", None), train={"calibrate": False}
    )
    assert off.fit(tiny_examples[:24], dev=tiny_examples[24:]).calibration_ == {}


@pytest.mark.parametrize("bad", [[-1.0, 0.0], [1.0], "x", [float("nan"), 0.0]])
def test_calibration_bad_numbers_in_framing_json_name_the_key(bad, tiny_examples, schema, tmp_path):
    from framing.modelfolder import INDEX, read_index, write_index

    clf = FramingClassifier("tfidf", schema=schema, model=model_params("tfidf", None))
    folder = clf.fit(tiny_examples[:24], dev=tiny_examples[24:]).save(tmp_path / "m")
    index = read_index(folder)
    index["calibration"]["frames"]["isolation"] = bad
    kept = {k: v for k, v in index.items() if k not in ("format", "versions", "files")}
    (folder / INDEX).unlink()
    write_index(folder, json.loads(json.dumps(kept, allow_nan=True)))
    with pytest.raises(ModelError, match="calibration.frames.isolation"):
        FramingClassifier.load(folder)


def test_calibration_refit_keeps_what_a_new_dev_set_cannot_support(tiny_examples, schema):
    """Re-calibrating on a dev set with no labels is an error; on one that lacks a frame's
    positives, that frame keeps its fitted scaling and threshold."""
    from framing.errors import DataError

    clf = FramingClassifier("tfidf", schema=schema, model=model_params("tfidf", None))
    clf.fit(tiny_examples[:24], dev=tiny_examples[24:])
    clf.calibration_ = {"frames": {f: [2.0, -1.0] for f in schema.frames}, "stance": {}}
    clf.thresholds_ = {f: 0.33 for f in schema.frames}
    with pytest.raises(DataError, match="no labelled dev examples"):
        clf.calibrate([Example(id="u", text="no labels here")])
    no_isolation = [ex for ex in tiny_examples if "isolation" not in (ex.frames or ())]
    clf.calibrate(no_isolation)
    assert clf.calibration_["frames"]["isolation"] == [2.0, -1.0]
    assert clf.thresholds_["isolation"] == 0.33


@pytest.mark.parametrize(
    "block",
    [[1, 2], "x", {"frames": [1]}, {"frames": {"nonexistent": [1.0, 0.0]}}],
)
def test_calibration_malformed_block_is_one_model_error(block, tiny_examples, schema, tmp_path):
    from framing.modelfolder import INDEX, read_index, write_index

    clf = FramingClassifier("tfidf", schema=schema, model=model_params("tfidf", None))
    folder = clf.fit(tiny_examples[:24], dev=tiny_examples[24:]).save(tmp_path / "m")
    index = read_index(folder)
    index["calibration"] = block
    kept = {k: v for k, v in index.items() if k not in ("format", "versions", "files")}
    (folder / INDEX).unlink()
    write_index(folder, kept)
    with pytest.raises(ModelError, match="calibration"):
        FramingClassifier.load(folder)
