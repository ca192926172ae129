"""The annotation project config: the shipped example loads; bad keys name themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from annotate_helpers import write_project

from framing.annotate.project import RandomDraw, load_annotate_config
from framing.errors import ConfigError

REPO = Path(__file__).parents[1]


def test_project_example_config_loads() -> None:
    config = load_annotate_config(REPO / "configs" / "annotate" / "example.yaml")
    assert config.name == "example"
    assert sum(d.n for d in config.draws) == 30
    assert config.database_path == Path("annotations/example.sqlite")
    assert isinstance(config.draws[0], RandomDraw)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"colour": "red"}, "colour"),
        ({"draws": [{"method": "random", "n": 3, "sed": 1}]}, "draws.0.random.sed"),
        ({"draws": [{"method": "guess", "n": 3}]}, "draws.0"),
        ({"draws": [{"method": "keywords", "n": 3, "keywords": []}]}, "draws.0.keywords.keywords"),
        ({"draws": [{"method": "random", "n": 0}]}, "draws.0.random.n"),
        ({"draws": [{"method": "disagreement", "n": 3, "models": ["a"]}]}, "models"),
        ({"annotators": ["ok", "not ok"]}, "annotators"),
        ({"context_size": 11}, "context_size"),
    ],
)
def test_project_bad_key_is_named(tmp_path: Path, change: dict, key: str) -> None:
    path = write_project(tmp_path, **change)
    with pytest.raises(ConfigError) as info:
        load_annotate_config(path)
    assert key in str(info.value) and str(path) in str(info.value)


def test_project_overrides_are_checked(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    assert load_annotate_config(path, ["context_size=3"]).context_size == 3
    with pytest.raises(ConfigError, match="context_size"):
        load_annotate_config(path, ["context_size=many"])


def test_project_needs_a_draw(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "schema": "s.yaml", "corpus": "c.jsonl"}))
    with pytest.raises(ConfigError, match="draws: required key is missing"):
        load_annotate_config(path)
