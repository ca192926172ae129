"""Metrics on small cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from framing.data import Example
from framing.evaluation import evaluate, expected_calibration_error
from framing.labels import LabelSchema
from framing.predictions import Probabilities

SCHEMA = LabelSchema(frames=("a", "b"), targets=("t",))


def _case():
    # gold frames / predicted (proba >= 0.5):
    #  1: a    | a        -> a: TP
    #  2: a,b  | a        -> a: TP, b: FN
    #  3: -    | b        -> b: FP
    #  4: b    | b        -> b: TP
    #  5: a    | -        -> a: FN
    #  6: -    | -
    # a: TP 2, FP 0, FN 1 -> P 1, R 2/3, F1 0.8
    # b: TP 1, FP 1, FN 1 -> P .5, R .5, F1 .5 ; micro: TP 3 FP 1 FN 2 -> 6/9
    gold = [("a",), ("a", "b"), (), ("b",), ("a",), ()]
    frames = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.7], [0.2, 0.6], [0.3, 0.4], [0.1, 0.1]])
    # stance gold:  favor favor against none none none
    # stance pred:  favor none  against none favor none
    stance_gold = ["favor", "favor", "against", "none", "none", "none"]
    stance = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.2, 0.2, 0.6],
            [0.1, 0.8, 0.1],
            [0.1, 0.1, 0.8],
            [0.5, 0.2, 0.3],
            [0.1, 0.1, 0.8],
        ]
    )
    examples = [
        Example(
            id=str(i),
            text="x",
            source="S1" if i < 3 else "S2",
            doc_id=f"d{i // 2}",
            frames=g,
            stance={"t": s},
        )
        for i, (g, s) in enumerate(zip(gold, stance_gold))
    ]
    return examples, Probabilities(frames, {"t": stance}, SCHEMA.frames, SCHEMA.stance_labels)


def test_evaluation_frames_by_hand():
    examples, proba = _case()
    m = evaluate(examples, proba, SCHEMA, {"a": 0.5, "b": 0.5}, bootstrap=0)["frames"]
    assert m["per_label"]["a"] == pytest.approx(
        {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3}, abs=1e-5
    )
    assert m["per_label"]["b"]["f1"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx(0.65)
    assert m["micro_f1"] == pytest.approx(6 / 9, abs=1e-5)
    assert m["confusion"]["b"]["matrix"] == [[3, 1], [1, 1]]


def test_evaluation_thresholds_change_predictions():
    examples, proba = _case()
    m = evaluate(examples, proba, SCHEMA, {"a": 0.25, "b": 0.5}, bootstrap=0)["frames"]
    assert m["per_label"]["a"]["recall"] == 1.0  # example 5 (p=.3) now counts


def test_evaluation_stance_by_hand():
    examples, proba = _case()
    m = evaluate(examples, proba, SCHEMA, {}, bootstrap=0)["stance"]["t"]
    # favor: TP1 FP1 FN1 -> F1 .5 ; against: TP1 -> F1 1 ; none: TP2 FP1 FN1 -> F1 2/3
    assert m["per_label"]["favor"]["f1"] == pytest.approx(0.5)
    assert m["per_label"]["against"]["f1"] == pytest.approx(1.0)
    assert m["per_label"]["none"]["f1"] == pytest.approx(2 / 3, abs=1e-5)
    assert m["f1_favor_against"] == pytest.approx(0.75)
    assert m["macro_f1"] == pytest.approx((0.5 + 1 + 2 / 3) / 3, abs=1e-5)
    assert m["accuracy"] == pytest.approx(4 / 6, abs=1e-5)
    assert m["confusion"]["matrix"] == [[1, 0, 1], [0, 1, 0], [1, 0, 2]]


def test_evaluation_bootstrap_ci_brackets_point_and_is_seeded():
    examples, proba = _case()
    a = evaluate(examples * 5, _tile(proba, 5), SCHEMA, {}, bootstrap=300, seed=1)
    b = evaluate(examples * 5, _tile(proba, 5), SCHEMA, {}, bootstrap=300, seed=1)
    assert a == b
    low, high = a["frames"]["macro_f1_ci"]
    assert low <= a["frames"]["macro_f1"] <= high and low < high
    low, high = a["stance"]["t"]["f1_favor_against_ci"]
    assert low <= a["stance"]["t"]["f1_favor_against"] <= high


def _tile(proba, k):
    return Probabilities(
        np.tile(proba.frames, (k, 1)),
        {t: np.tile(p, (k, 1)) for t, p in proba.stance.items()},
        proba.frame_names,
        proba.stance_labels,
    )


def test_evaluation_only_labelled_examples_count():
    examples, proba = _case()
    examples[0] = Example(id="0", text="x", doc_id="d0", frames=None, stance=None)
    m = evaluate(examples, proba, SCHEMA, {}, bootstrap=0)
    assert m["frames"]["n"] == 5 and m["stance"]["t"]["n"] == 5


def test_evaluation_by_source():
    examples, proba = _case()
    m = evaluate(examples, proba, SCHEMA, {}, bootstrap=0)
    assert set(m["by_source"]) == {"S1", "S2"}
    assert m["by_source"]["S1"]["n"] == 3


def test_evaluation_ece():
    assert expected_calibration_error(
        np.array([0.9, 0.9]), np.array([1.0, 1.0]), 10
    ) == pytest.approx(0.1)
    assert expected_calibration_error(
        np.array([0.25, 0.75]), np.array([0.0, 1.0]), 2
    ) == pytest.approx(0.25)


def test_tune_thresholds_picks_the_f1_maximising_cut():
    from framing.data import Example
    from framing.evaluation import tune_thresholds

    gold = [True, True, True, False, False, False]
    scores = np.array([[0.9], [0.7], [0.35], [0.3], [0.2], [0.1]])
    examples = [
        Example(id=str(i), text="t", frames=("a",) if g else ()) for i, g in enumerate(gold)
    ]
    assert tune_thresholds(scores, examples, ["a"]) == {"a": pytest.approx(0.35)}
    # no positive (or only positives) in dev: nothing to tune, keep 0.5
    none = [Example(id=str(i), text="t", frames=()) for i in range(6)]
    assert tune_thresholds(scores, none, ["a"]) == {"a": 0.5}
    unlabelled = [Example(id=str(i), text="t") for i in range(6)]
    assert tune_thresholds(scores, unlabelled, ["a"]) == {"a": 0.5}


def test_dev_loss_is_lower_for_better_probabilities(schema):
    from framing.data import Example
    from framing.evaluation import dev_loss
    from framing.predictions import Probabilities

    examples = [
        Example(id="1", text="t", frames=(schema.frames[0],), stance={schema.targets[0]: "favor"})
    ]

    def proba(p: float) -> Probabilities:
        frames = np.full((1, len(schema.frames)), 1 - p)
        frames[0, 0] = p
        stance = {t: np.array([[p, (1 - p) / 2, (1 - p) / 2]]) for t in schema.targets}
        return Probabilities(frames, stance, schema.frames, schema.stance_labels)

    assert dev_loss(examples, proba(0.9), schema) < dev_loss(examples, proba(0.6), schema)
    assert dev_loss(examples, proba(0.9), schema) > 0


def test_evaluation_single_frame_schema_scores_the_frame():
    """With one frame, per-label and macro F1 are the frame's own (not absent/present averaged)."""
    import numpy as np

    from framing.evaluation import frame_metrics

    gold = np.array([[1], [1], [0], [0], [0]], bool)
    pred = np.array([[1], [0], [1], [0], [0]], bool)
    result = frame_metrics(gold, pred, pred.astype(float), ["a"], np.arange(5), 5, None, 0.95, 10)
    assert result["per_label"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result["macro_f1"] == result["micro_f1"] == 0.5
