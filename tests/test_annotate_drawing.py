"""Opening a project: draws made once, with context and selection; append-only; active draws
from trained models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from annotate_helpers import TINY, write_project

from framing.annotate.drawing import open_project, read_project
from framing.annotate.project import load_annotate_config
from framing.classifier import FramingClassifier
from framing.errors import ConfigError


def _open(path: Path):
    store, schema = open_project(load_annotate_config(path))
    return store, schema


def test_drawing_items_carry_context_and_no_labels(tmp_path: Path) -> None:
    store, _ = _open(write_project(tmp_path))
    rows = [json.loads(line) for line in TINY.read_text().splitlines()]
    docs: dict[str, list[dict]] = {}
    for row in rows:
        docs.setdefault(row["doc_id"], []).append(row)
    items = store.items()
    assert len(items) == 6 and {i.selection for i in items} == {"random"}
    for item in items:
        assert "frames" not in item.record and "stance" not in item.record
        doc = docs[item.record["doc_id"]]
        at = [r["id"] for r in doc].index(item.id)
        assert item.before == [r["text"] for r in doc[max(0, at - 1) : at]]
        assert item.after == [r["text"] for r in doc[at + 1 : at + 2]]
    assert any(item.before for item in items) and any(item.after for item in items)
    store.close()


def test_drawing_is_append_only(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    store, _ = _open(path)
    first = [i.id for i in store.items()]
    store.close()
    config = yaml.safe_load(path.read_text())
    config["draws"].append({"method": "keywords", "n": 3, "keywords": ["sanctions", "NATO"]})
    path.write_text(yaml.safe_dump(config))
    store, _ = _open(path)
    items = store.items()
    assert [i.id for i in items[:6]] == first  # the first draw is not made again
    assert all(i.selection.startswith("enriched:keyword:") for i in items[6:])
    assert not set(first) & {i.id for i in items[6:]}
    store.close()
    config["draws"][0]["seed"] = 2
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match="draws.0: differs from the draw stored"):
        _open(path)
    config["draws"] = config["draws"][:1]
    config["draws"][0]["seed"] = 1
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match="holds 2 draws but the config lists 1"):
        _open(path)


def test_drawing_refuses_another_schema(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    _open(path)[0].close()
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({"frames": {"isolation": "x"}, "targets": {}}))
    with pytest.raises(ConfigError, match="differs from the schema"):
        _open(write_project(tmp_path, schema=str(other)))
    with pytest.raises(ConfigError, match="does not exist yet"):
        read_project(load_annotate_config(write_project(tmp_path, database="nowhere.sqlite")))


def test_drawing_uncertainty_and_disagreement_from_models(
    tmp_path: Path, schema, tiny_examples
) -> None:
    models = []
    for i, c in enumerate((0.1, 10.0)):
        clf = FramingClassifier(kind="tfidf", schema=schema, model={"C": c})
        clf.fit(tiny_examples)
        clf.save(tmp_path / f"m{i}")
        models.append(str(tmp_path / f"m{i}"))
    draws = [
        {"method": "uncertainty", "n": 4, "model": models[0], "labels": ["isolation"]},
        {"method": "disagreement", "n": 3, "models": models},
    ]
    store, _ = _open(write_project(tmp_path, draws=draws))
    selections = [i.selection for i in store.items()]
    assert selections == ["active:uncertainty:isolation"] * 4 + ["active:disagreement"] * 3
    store.close()
    bad = [{"method": "uncertainty", "n": 2, "model": models[0], "labels": ["nato"]}]
    with pytest.raises(ConfigError, match="draws.0: label 'nato'"):
        _open(write_project(tmp_path, draws=bad, database=str(tmp_path / "b.sqlite")))
    gone = [{"method": "uncertainty", "n": 2, "model": str(tmp_path / "none")}]
    with pytest.raises(ConfigError, match="draws.0.model: model folder not found"):
        _open(write_project(tmp_path, draws=gone, database=str(tmp_path / "c.sqlite")))


@pytest.mark.slow
def test_drawing_similarity_with_the_packaged_encoder(tmp_path: Path) -> None:
    draws = [
        {
            "method": "similarity",
            "n": 3,
            "name": "multipolar",
            "embedding": "encoder",
            "description": "a multipolar world order free of Western hegemony",
        }
    ]
    store, _ = _open(write_project(tmp_path, draws=draws))
    items = store.items()
    assert [i.selection for i in items] == ["enriched:embedding:multipolar"] * 3
    assert "sul-1-00" in {i.id for i in items}  # the fixture's own multipolar-world sentence
    store.close()
