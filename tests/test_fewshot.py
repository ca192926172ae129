"""The `fewshot` kind (SetFit's recipe): it learns from pairs, saves and reloads exactly, and
refuses too few examples per class with one clear line."""

from __future__ import annotations

import numpy as np
import pytest

from framing import FramingClassifier
from framing.config import load_config
from framing.data import Example
from framing.errors import ConfigError, DataError
from framing.evaluation import evaluate
from framing.labels import LabelSchema
from framing.models.fewshot import DEFINITION_TOKENS, definition_anchors, make_pairs
from framing.models.linear import LinearHeads

from conftest import write_config

FAST = {"max_length": 64, "pairs_per_example": 4, "max_pairs": 400, "lr": 1e-3, "C": 1000.0}


def _examples(n_pos: int, n_neg: int) -> list[Example]:
    pos = [
        Example(f"p{i}", f"sanctions hit russia {i}", frames=("pressure",)) for i in range(n_pos)
    ]
    neg = [Example(f"n{i}", f"the summit was calm {i}", frames=()) for i in range(n_neg)]
    return pos + neg


def test_fewshot_learns_fixture_and_reloads_identically(
    tiny_examples, schema, tmp_path, _tiny_transformer
):
    clf = FramingClassifier(
        "fewshot", schema=schema, model={"base": str(_tiny_transformer), **FAST}, train={"seed": 3}
    ).fit(tiny_examples)
    texts = [ex.text for ex in tiny_examples]
    proba = clf.predict_proba(texts)
    metrics = evaluate(tiny_examples, proba, schema, clf.thresholds, bootstrap=0)
    assert metrics["frames"]["macro_f1"] >= 0.95, metrics["frames"]["per_label"]
    for target, block in metrics["stance"].items():
        assert block["accuracy"] >= 0.9, (target, block)
    assert clf.history_[0].step == 400 and clf.history_[0].train_loss is not None
    loaded = FramingClassifier.load(clf.save(tmp_path / "model"))
    assert loaded.kind == "fewshot"
    again = loaded.predict_proba(texts)
    np.testing.assert_allclose(again.frames, proba.frames, atol=1e-6)
    for target in proba.stance:
        np.testing.assert_allclose(again.stance[target], proba.stance[target], atol=1e-6)


def test_fewshot_pairs_tune_the_encoder(tiny_examples, schema, _tiny_transformer):
    """The pair stage changes the encoder: same-label sentences end up closer than before."""
    from framing.models.encoder import SentenceEncoder

    before = SentenceEncoder(_tiny_transformer, 64)
    clf = FramingClassifier(
        "fewshot", schema=schema, model={"base": str(_tiny_transformer), **FAST}, train={"seed": 3}
    ).fit(tiny_examples)
    after = clf.backend_._encoder()
    pos = [ex.text for ex in tiny_examples if "multipolarity" in ex.frames]
    neg = [ex.text for ex in tiny_examples if "multipolarity" not in ex.frames]

    def gap(encoder) -> float:
        P, N = encoder.encode(pos), encoder.encode(neg)
        return float((P @ P.T).mean() - (P @ N.T).mean())

    assert gap(after) > gap(before) + 0.05


def test_fewshot_pairs_are_same_and_other_label():
    schema = LabelSchema(frames=("pressure",), targets=())
    examples = _examples(3, 3)
    pairs = make_pairs(examples, schema, per_example=2, max_pairs=1000, seed=0)
    assert len(pairs) == 2 * 2 * 6
    for a, b, y in pairs:
        assert (("sanctions" in a) == ("sanctions" in b)) == (y == 1.0)
    assert len(make_pairs(examples, schema, per_example=2, max_pairs=10, seed=0)) == 10


@pytest.mark.parametrize(("n_pos", "n_neg"), [(1, 5), (5, 1)])
def test_fewshot_refuses_too_few_examples(n_pos, n_neg, _tiny_transformer):
    found = f"found {n_neg} no, {n_pos} yes"
    clf = FramingClassifier(
        "fewshot", frames=["pressure"], model={"base": str(_tiny_transformer), **FAST}
    )
    with pytest.raises(DataError) as info:
        clf.fit(_examples(n_pos, n_neg))
    message = str(info.value)
    assert "\n" not in message
    assert "frame 'pressure' needs at least 2 labelled examples" in message and found in message


def test_fewshot_refuses_a_target_with_one_stance_label(_tiny_transformer):
    examples = [
        Example(f"e{i}", f"text {i}", frames=None, stance={"nato": "favor"}) for i in range(4)
    ]
    clf = FramingClassifier(
        "fewshot", targets=["nato"], model={"base": str(_tiny_transformer), **FAST}
    )
    with pytest.raises(DataError, match=r"target 'nato' needs .* found 4 favor"):
        clf.fit(examples)


def test_fewshot_config_is_checked(tmp_path):
    path = write_config(tmp_path, kinds=("tfidf",))
    config = load_config(path, ["models.0={kind: fewshot, pairs_per_example: 8}"])
    assert config.models[0].kind == "fewshot" and config.models[0].pairs_per_example == 8
    assert config.models[0].max_pairs == 640 and config.models[0].base == "default"
    with pytest.raises(ConfigError, match=r"models\.0\.fewshot\.pairs_per_example"):
        load_config(path, ["models.0={kind: fewshot, pairs_per_example: 0}"])
    with pytest.raises(ConfigError, match=r"models\.0\.fewshot\.pairs"):
        load_config(path, ["models.0={kind: fewshot, pairs: 8}"])
    assert config.models[0].definition_weight == 8.0
    with pytest.raises(ConfigError, match=r"models\.0\.fewshot\.definition_weight"):
        load_config(path, ["models.0={kind: fewshot, definition_weight: -1}"])


def test_fewshot_cli_train_predict_and_too_few_examples(tmp_path, _tiny_transformer):
    """`framing train` with a fewshot config writes a model that `framing predict` reads; too
    few examples exit 1 with one line naming the frame."""
    import json

    from typer.testing import CliRunner

    from framing.cli import app

    runner = CliRunner()
    config = write_config(tmp_path, kinds=("fewshot",), base=_tiny_transformer)
    result = runner.invoke(app, ["train", str(config), "--quiet"])
    assert result.exit_code == 0, result.output
    model = result.output.strip().splitlines()[-1] + "/fewshot/model"
    texts = tmp_path / "texts.txt"
    texts.write_text("Sanctions by the West.\n")
    out = tmp_path / "preds.jsonl"
    result = runner.invoke(app, ["predict", model, str(texts), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert set(json.loads(out.read_text().splitlines()[0])["stance"]) == {"russia", "the_west"}

    few = tmp_path / "few.jsonl"
    rows = [
        {"id": f"r{i}", "text": f"text {i}", "frames": ["isolation"] if i == 0 else []}
        for i in range(6)
    ]
    few.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "iso.yaml").write_text("frames: {isolation: Cut off from others.}\n")
    (tmp_path / "small").mkdir()
    small = write_config(tmp_path / "small", kinds=("fewshot",), base=_tiny_transformer)
    result = runner.invoke(
        app,
        [
            "train",
            str(small),
            "--set",
            f"data.train={few}",
            "--set",
            "data.split=null",
            "--set",
            "schema=" + str(tmp_path / "iso.yaml"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "frame 'isolation' needs at least 2 labelled examples" in result.output
    assert "found 5 no, 1 yes" in result.output


class _Lookup:
    """A stand-in encoder: fixed vectors per text, and the max_length it was called with."""

    def __init__(self, vectors: dict[str, list[float]]):
        self.vectors, self.max_length, self.seen = vectors, 64, []

    def encode(self, texts):
        self.seen.append(self.max_length)
        return np.array([self.vectors[t] for t in texts], dtype=np.float32)


def test_fewshot_definition_anchors_pull_a_head_towards_the_definition():
    schema = LabelSchema(
        frames=("pressure", "calm"), targets=(), definitions={"pressure": "sanctions and threats"}
    )
    X = np.array([[1.0, 0.0], [1.0, 0.1], [-1.0, 0.0], [-1.0, 0.1]], dtype=np.float32)
    examples = [
        Example(str(i), f"s{i}", frames=("pressure",) if i < 2 else ("calm",)) for i in range(4)
    ]
    encoder = _Lookup({"pressure: sanctions and threats": [0.2, 1.0]})
    anchors = definition_anchors(schema, encoder, X, 8.0)
    assert set(anchors) == {"pressure"}  # `calm` has no definition
    np.testing.assert_allclose(anchors["pressure"].X[1], X.mean(0))
    assert anchors["pressure"].y.tolist() == [1, 0]
    assert anchors["pressure"].weight.tolist() == [8.0, 8.0]
    assert encoder.seen == [DEFINITION_TOKENS] and encoder.max_length == 64
    near_definition = np.array([[0.0, 1.0]], dtype=np.float32)
    plain = LinearHeads(schema, 1.0).fit(X, examples).predict_proba(near_definition)[0]
    pulled = LinearHeads(schema, 1.0).fit(X, examples, anchors=anchors)
    assert pulled.predict_proba(near_definition)[0][0, 0] > plain[0, 0] + 0.2
    assert definition_anchors(schema, encoder, X, 0.0) == {}


def test_fewshot_fit_uses_the_definitions_unless_their_weight_is_zero(
    tiny_examples, schema, _tiny_transformer
):
    def frame_proba(weight: float) -> np.ndarray:
        model = {"base": str(_tiny_transformer), **FAST, "C": 1.0, "definition_weight": weight}
        clf = FramingClassifier("fewshot", schema=schema, model=model, train={"seed": 3})
        return clf.fit(tiny_examples).predict_proba([ex.text for ex in tiny_examples]).frames

    off, again, on = frame_proba(0.0), frame_proba(0.0), frame_proba(50.0)
    np.testing.assert_allclose(off, again, atol=1e-6)  # same seed: the difference is the weight
    assert np.abs(on - off).max() > 0.05
