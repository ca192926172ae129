"""scripts/align_multilingual.py: aligns a finetune model's translations and saves a loadable
folder; bad input is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from framing import FramingClassifier

from conftest import FAST_TRAIN, load_script, model_params

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "align_multilingual.py"


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def test_align_saves_a_model_that_loads_and_keeps_its_heads(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    params = {**model_params("finetune", _tiny_transformer), "stance_input": "one_pass"}
    clf = FramingClassifier("finetune", schema=schema, model=params, train=FAST_TRAIN)
    clf.fit(tiny_examples[:24], dev=tiny_examples[24:]).save(tmp_path / "model")
    done = run(tmp_path / "model", tmp_path / "aligned", "--epochs", 1, "--limit", 8)
    assert done.returncode == 0, done.stderr
    assert "8 pairs (0 glossary)" in done.stdout
    aligned = FramingClassifier.load(tmp_path / "aligned")
    assert aligned.thresholds == clf.thresholds
    before = (tmp_path / "model" / "heads.safetensors").read_bytes()
    assert (tmp_path / "aligned" / "heads.safetensors").read_bytes() == before
    weights = "model.safetensors"  # the encoder was trained further
    assert (tmp_path / "aligned" / weights).read_bytes() != (
        tmp_path / "model" / weights
    ).read_bytes()
    proba = aligned.predict_proba([ex.text for ex in tiny_examples]).frames
    assert proba.shape == (len(tiny_examples), len(schema.frames))
    assert np.isfinite(proba).all()
    again = run(tmp_path / "model", tmp_path / "aligned", "--limit", 8)
    assert again.returncode != 0
    assert "already exists" in again.stderr


def test_align_refuses_a_folder_that_is_not_a_finetune_model(tiny_examples, schema, tmp_path):
    FramingClassifier("tfidf", schema=schema).fit(tiny_examples).save(tmp_path / "tfidf")
    done = run(tmp_path / "tfidf", tmp_path / "out")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'tfidf'}: a torch finetune model is needed, not tfidf"
    ]
    missing = run(tmp_path / "nowhere", tmp_path / "out2")
    assert missing.returncode != 0
    assert len(missing.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "out2").exists()


def test_glossary_pairs_take_each_rendering_and_its_alternative(tmp_path, monkeypatch):
    module = load_script("scripts/align_multilingual.py")
    folder = tmp_path / "data" / "multilingual_glossary"
    (folder / "translations").mkdir(parents=True)
    (folder / "terms_en.jsonl").write_text(
        '{"id": "G001", "text": "sanctions"}\n{"id": "G002", "text": "NATO"}\n'
    )
    (folder / "translations" / "ru.jsonl").write_text(
        '{"id": "G001", "lang": "ru", "text": "санкции", "translator": "pass1"}\n'
        '{"id": "G002", "lang": "ru", "text": "НАТО", "alt": "Североатлантический альянс",'
        ' "translator": "pass1"}\n'
    )
    monkeypatch.setattr(module, "REPO", tmp_path)
    assert module.glossary_pairs() == [
        ("sanctions", "санкции"),
        ("NATO", "НАТО"),
        ("NATO", "Североатлантический альянс"),
    ]


def test_head_loss_is_lowest_where_the_vectors_agree():
    torch = pytest.importorskip("torch")
    module = load_script("scripts/align_multilingual.py")
    net = torch.nn.Module()
    net.frame_head = torch.nn.Linear(4, 3)
    torch.manual_seed(0)
    target = torch.randn(5, 4)
    same = module.head_loss(net, target.clone(), target)
    moved = module.head_loss(net, target + torch.randn(5, 4), target)
    assert same < moved
    frames_only_moved = module.head_loss(net, target + 1.0, target)
    net.target_head = torch.nn.Linear(4, 2 * 3)  # two targets, three stance classes
    net.targets = lambda pooled: net.target_head(pooled).view(pooled.shape[0], 2, 3)
    # the stance term (KL) is zero where the vectors agree and positive where they do not
    assert torch.isclose(module.head_loss(net, target.clone(), target), same)
    assert module.head_loss(net, target + 1.0, target) > frames_only_moved


def test_align_with_head_weight_and_glossary_runs(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    params = {**model_params("finetune", _tiny_transformer), "stance_input": "one_pass"}
    clf = FramingClassifier("finetune", schema=schema, model=params, train=FAST_TRAIN)
    clf.fit(tiny_examples[:24], dev=tiny_examples[24:]).save(tmp_path / "model")
    done = run(
        tmp_path / "model",
        tmp_path / "aligned",
        "--epochs",
        1,
        "--limit",
        4,
        "--head-weight",
        1,
        "--glossary",
    )
    assert done.returncode == 0, done.stderr
    assert "8 pairs (4 glossary)" in done.stdout
    aligned = FramingClassifier.load(tmp_path / "aligned")
    assert aligned.thresholds == clf.thresholds
    weights = "model.safetensors"  # the encoder moved
    assert (tmp_path / "aligned" / weights).read_bytes() != (
        tmp_path / "model" / weights
    ).read_bytes()
