"""Epoch selection and early stopping: the rule itself, and the finetune loop obeying it."""

from __future__ import annotations

import pytest

from framing.config import FinetuneModelConfig, TrainConfig
from framing.models import EarlyStopping
from framing.models.finetune import FinetuneBackend


def test_early_stopping_patience_counts_epochs_without_improvement():
    stop = EarlyStopping("macro_f1", patience=1)
    assert stop.update({"macro_f1": 0.5}, 1.0) and not stop.should_stop
    assert not stop.update({"macro_f1": 0.4}, 0.9)
    assert stop.should_stop  # one epoch without improvement, patience 1: stop now
    stop = EarlyStopping("macro_f1", patience=2)
    stop.update({"macro_f1": 0.5}, 1.0)
    stop.update({"macro_f1": 0.4}, 1.0)
    assert not stop.should_stop
    assert stop.update({"macro_f1": 0.6}, 1.0) and not stop.should_stop  # improvement resets


def test_early_stopping_selects_on_dev_loss_not_training_loss():
    stop = EarlyStopping("loss", patience=5)
    assert stop.update({"macro_f1": 0.9, "loss": 0.7}, train_loss=0.1)
    # lower training loss and higher F1, but higher dev loss: not an improvement
    assert not stop.update({"macro_f1": 0.95, "loss": 0.8}, train_loss=0.01)
    assert stop.update({"macro_f1": 0.1, "loss": 0.6}, train_loss=0.5)


def test_early_stopping_without_dev_uses_training_loss():
    stop = EarlyStopping("macro_f1", patience=1)
    assert stop.update({}, 1.0)
    assert stop.update({}, 0.5)
    assert not stop.update({}, 0.7)


def _fit(tiny_examples, schema, base, scores, **train):
    backend = FinetuneBackend(
        schema,
        FinetuneModelConfig(kind="finetune", base=str(base), max_length=32),
        TrainConfig(**{"epochs": 5, "batch_size": 16, "lr": 1e-3, "seed": 1, **train}),
    )
    sequence = iter(scores)
    return list(
        backend.fit(tiny_examples, tiny_examples[:4], score_dev=lambda _: dict(next(sequence)))
    )


def test_finetune_stops_after_patience_epochs(tiny_examples, schema, _tiny_transformer):
    scores = [{"macro_f1": 0.5, "loss": 1.0}] + [{"macro_f1": 0.1, "loss": 2.0}] * 4
    history = _fit(tiny_examples, schema, _tiny_transformer, scores, patience=2)
    assert [info.epoch for info in history] == [1, 2, 3]
    assert [info.dev["is_best"] for info in history] == [1.0, 0.0, 0.0]


def test_finetune_select_on_loss_keeps_lowest_dev_loss(tiny_examples, schema, _tiny_transformer):
    scores = [
        {"macro_f1": 0.9, "loss": 2.0},
        {"macro_f1": 0.1, "loss": 1.0},
        {"macro_f1": 0.95, "loss": 3.0},
    ]
    history = _fit(
        tiny_examples, schema, _tiny_transformer, scores, epochs=3, patience=5, select_on="loss"
    )
    assert [info.dev["is_best"] for info in history] == [1.0, 1.0, 0.0]


def test_finetune_max_steps_caps_training(tiny_examples, schema, _tiny_transformer):
    scores = [{"macro_f1": 0.5, "loss": 1.0}] * 5
    history = _fit(tiny_examples, schema, _tiny_transformer, scores, max_steps=3)
    assert history[-1].step == 3 and len(history) == 1


@pytest.mark.parametrize("patience", [0, 1])
def test_early_stopping_patience_zero_and_one_stop_at_first_bad_epoch(patience):
    stop = EarlyStopping("macro_f1", patience=patience)
    stop.update({"macro_f1": 0.5}, None)
    assert not stop.should_stop
    stop.update({"macro_f1": 0.5}, None)
    assert stop.should_stop
