"""`finetune` options: `layers` keeps the base's first N layers; `train.group_by_length` batches
sentences of similar length."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framing import FramingClassifier
from framing.errors import ConfigError

from conftest import FAST_TRAIN, model_params


def test_finetune_layers_keeps_the_first_layers_and_reloads(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    params = {**model_params("finetune", _tiny_transformer), "layers": 1}
    params["stance_input"] = "one_pass"
    clf = FramingClassifier("finetune", schema=schema, model=params, train=FAST_TRAIN)
    clf.fit(tiny_examples[:24], dev=tiny_examples[24:])
    encoder = clf.backend_.net.encoder
    assert len(encoder.encoder.layer) == 1
    from transformers import AutoModel

    full = AutoModel.from_pretrained(str(_tiny_transformer))
    assert len(full.encoder.layer) == 2
    clf.save(tmp_path / "cut")
    assert json.loads((tmp_path / "cut" / "config.json").read_text())["num_hidden_layers"] == 1
    again = FramingClassifier.load(tmp_path / "cut")
    texts = [ex.text for ex in tiny_examples]
    a, b = clf.predict_proba(texts), again.predict_proba(texts)
    np.testing.assert_allclose(a.frames, b.frames, atol=1e-6)
    from framing.export import export_onnx

    export_onnx(tmp_path / "cut", tmp_path / "onnx", quantize=False)
    c = FramingClassifier.load(tmp_path / "onnx").predict_proba(texts)
    np.testing.assert_allclose(a.frames, c.frames, atol=1e-4)


def test_finetune_layers_beyond_the_base_is_one_config_error(
    tiny_examples, schema, _tiny_transformer
):
    params = {**model_params("finetune", _tiny_transformer), "layers": 3}
    clf = FramingClassifier("finetune", schema=schema, model=params, train=FAST_TRAIN)
    with pytest.raises(ConfigError, match=r"models.finetune.layers: 3 is more than the 2 layers"):
        clf.fit(tiny_examples[:24], dev=tiny_examples[24:])


def test_finetune_layers_must_be_positive(schema, _tiny_transformer):
    params = {**model_params("finetune", _tiny_transformer), "layers": 0}
    with pytest.raises(ConfigError, match="layers"):
        FramingClassifier("finetune", schema=schema, model=params).fit([])


@pytest.mark.parametrize("stance_input", ["one_pass", "pair", "both"])
def test_group_by_length_batches_cover_the_same_rows_with_less_padding(
    tiny_examples, schema, _tiny_transformer, stance_input
):
    import random

    params = {**model_params("finetune", _tiny_transformer), "stance_input": stance_input}
    train = {**FAST_TRAIN, "batch_size": 4, "epochs": 1, "max_steps": 1}  # only the batches matter
    plain = FramingClassifier("finetune", schema=schema, model=params, train=train)
    grouped = FramingClassifier(
        "finetune", schema=schema, model=params, train={**train, "group_by_length": True}
    )
    plain.fit(tiny_examples[:24], dev=tiny_examples[24:])
    grouped.fit(tiny_examples[:24], dev=tiny_examples[24:])
    a = plain.backend_._steps(tiny_examples[:24], random.Random(1))
    b = grouped.backend_._steps(tiny_examples[:24], random.Random(1))
    assert plain.backend_.lengths is None
    lengths = grouped.backend_.lengths
    assert len(lengths) == 24

    def covered(steps, task):
        return sorted(
            (i, t)
            for kind, rows, targets in steps
            if kind == task
            for i, t in zip(rows, targets or [None] * len(rows))
        )

    assert len(a) == len(b)
    for task in {kind for kind, _, _ in a}:
        assert covered(a, task) == covered(b, task)

    def padded(steps):
        return sum(len(rows) * int(lengths[rows].max()) for _, rows, _ in steps)

    assert padded(b) < padded(a)


def test_group_by_length_must_be_a_boolean(schema, _tiny_transformer):
    params = model_params("finetune", _tiny_transformer)
    with pytest.raises(ConfigError, match="group_by_length"):
        FramingClassifier(
            "finetune", schema=schema, model=params, train={"group_by_length": "often"}
        ).fit([])
