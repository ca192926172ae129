"""Packaged models load by name, offline; a path always wins over a name."""

from __future__ import annotations

import shutil

import pytest

import framing.pretrained as pretrained
from framing import FramingClassifier
from framing.errors import ModelError
from framing.pretrained import DEFAULT_MODEL, packaged_models, resolve_model

from conftest import model_params

pytest.importorskip("onnxruntime")


@pytest.fixture
def shelf(tmp_path, monkeypatch, tiny_examples, schema):
    """A packaged-model folder holding one tiny tfidf model named 'tiny'."""
    shelf = tmp_path / "pretrained"
    shelf.mkdir()
    clf = FramingClassifier("tfidf", schema=schema, model=model_params("tfidf", None))
    clf.fit(tiny_examples).save(shelf / "tiny")
    monkeypatch.setattr(pretrained, "HERE", shelf)
    return shelf


def test_pretrained_name_resolves_to_the_packaged_folder(shelf, tmp_path, monkeypatch):
    assert packaged_models() == ["tiny"]
    assert resolve_model("tiny") == shelf / "tiny"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny").mkdir()  # a folder of that name in the working directory wins
    assert resolve_model("tiny") == pretrained.Path("tiny")
    assert resolve_model("some/path") == pretrained.Path("some/path")


def test_pretrained_load_by_name_predicts(shelf, tiny_examples):
    clf = FramingClassifier.load("tiny")
    assert len(clf.predict([ex.text for ex in tiny_examples[:3]])) == 3


def test_pretrained_missing_default_names_the_make_target(shelf):
    with pytest.raises(ModelError, match="make default-model"):
        FramingClassifier.load(DEFAULT_MODEL)
    with pytest.raises(ModelError, match="model folder not found"):
        FramingClassifier.load("no_such_model")


def test_pretrained_shipped_default_loads_offline_and_reads_the_founding_example():
    """The model in the repo: int8 ONNX, under 40 MB, every file verified, one pass for frames
    and both targets."""
    folder = resolve_model(DEFAULT_MODEL)
    assert folder.parent == pretrained.HERE
    assert sum(p.stat().st_size for p in folder.iterdir()) < 40e6
    clf = FramingClassifier.load(DEFAULT_MODEL)
    assert clf.runtime_ == "onnx" and not clf.backend_.reads_pairs
    texts = [
        "The summit is a step toward a multipolar world free of Western hegemony.",
        "Washington warned that an arms deal would violate UN sanctions on North Korea.",
    ]
    proba = clf.predict_proba(texts)
    assert proba.frames.shape == (2, len(clf.schema_.frames))
    assert set(proba.stance) == set(clf.schema_.targets)
    assert (folder / "README.md").read_text().startswith("# Model card")


def test_pretrained_copy_of_the_folder_is_a_plain_model_folder(tmp_path):
    """Copying the packaged folder elsewhere gives the same model (nothing depends on where)."""
    copy = shutil.copytree(resolve_model(DEFAULT_MODEL), tmp_path / "copy")
    texts = ["Sanctions have isolated Moscow from global markets."]
    a = FramingClassifier.load(copy).predict_proba(texts)
    b = FramingClassifier.load(DEFAULT_MODEL).predict_proba(texts)
    assert (a.frames == b.frames).all()


def test_pretrained_is_what_the_default_comparisons_score_with():
    """#13: the comparison configs score with the best shipped model unless --model says so."""
    from pathlib import Path

    from framing.compare.settings import load_compare_config

    configs = Path(__file__).parents[1] / "configs" / "compare"
    for name in ("un_default.yaml", "news_example.yaml"):
        model = load_compare_config(configs / name).model
        assert resolve_model(model) == pretrained.HERE / DEFAULT_MODEL, name
