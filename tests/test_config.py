from __future__ import annotations

import pytest
import yaml

from framing.config import load_config
from framing.errors import ConfigError

from conftest import SCHEMA, TINY


def _config(tmp_path, **changes):
    raw = {
        "name": "t",
        "schema": str(SCHEMA),
        "data": {"train": str(TINY)},
        "model": {"kind": "tfidf"},
    }
    raw.update(changes)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_config_single_model_shorthand(tmp_path):
    cfg = load_config(_config(tmp_path))
    assert [m.kind for m in cfg.models] == ["tfidf"]
    assert cfg.train.seed == 13


def test_config_overrides_are_checked(tmp_path):
    path = _config(tmp_path)
    cfg = load_config(path, ["train.lr=5e-5", "models.0.ngram_max=3", "train.epochs=2"])
    assert cfg.train.lr == 5e-5 and cfg.models[0].ngram_max == 3 and cfg.train.epochs == 2
    with pytest.raises(ConfigError, match=r"train.lr: Input should be greater than 0"):
        load_config(path, ["train.lr=-1"])
    with pytest.raises(ConfigError, match=r"train.epoch: Extra inputs are not permitted"):
        load_config(path, ["train.epoch=5"])
    with pytest.raises(ConfigError, match="must look like key.path=value"):
        load_config(path, ["train.lr"])


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"model": {"kind": "bert"}}, "models.0"),
        ({"train": {"lr": "fast"}}, "train.lr"),
        ({"train": {"batch_size": 0}}, "train.batch_size"),
        ({"data": {"train": str(TINY), "trian": "x"}}, "data.trian"),
        ({"unknown_section": 1}, "unknown_section"),
        ({"evaluation": {"ci": 2}}, "evaluation.ci"),
        ({"name": "has space"}, "name"),
        ({"train": {"device": "tpu"}}, "train.device"),
    ],
)
def test_config_errors_name_the_key(tmp_path, changes, key):
    path = _config(tmp_path, **changes)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert f"{key}:" in str(info.value)


def test_config_reports_every_problem(tmp_path):
    path = _config(tmp_path, train={"lr": -1, "epoch": 5}, model={"kind": "tfidf", "C": "x"})
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert "train.lr" in message and "train.epoch" in message and "models.0.tfidf.C" in message


def test_config_file_problems(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    empty = tmp_path / "e.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_config(empty)
    bad = tmp_path / "b.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_config_duplicate_model_names(tmp_path):
    path = _config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw.pop("model")
    raw["models"] = [{"kind": "tfidf"}, {"kind": "tfidf"}]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="model names must be unique"):
        load_config(path)


def test_config_override_paths(tmp_path):
    path = _config(tmp_path, train=None)
    cfg = load_config(
        path, ["train.seed=5", "model.C=1e-3", "models.0.name=lin", "data.split.dev=0.2"]
    )
    assert cfg.train.seed == 5 and cfg.models[0].C == 0.001 and cfg.models[0].name == "lin"
    assert cfg.data.split is not None and cfg.data.split.dev == 0.2
    cfg = load_config(_config(tmp_path), ["models.0={kind: encoder, C: [1, 2]}"])
    assert cfg.models[0].kind == "encoder" and cfg.models[0].C == [1.0, 2.0]


@pytest.mark.parametrize(
    "override, message",
    [
        ("models.1.kind=tfidf", r"models has 1 item\(s\), so index 1 is out of range"),
        ("models.-1.kind=tfidf", r"models is a list; expected an index 0..0, found '-1'"),
        ("name.x=1", r"name is 't', not a mapping"),
        (".seed=1", r"the key '.seed' has an empty part"),
        ("=1", r"has an empty key"),
        ("train.seed", r"must look like key.path=value"),
    ],
)
def test_config_bad_override_names_file_and_key(tmp_path, override, message):
    path = _config(tmp_path)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, [override])
    assert str(info.value).startswith(f"{path}: override {override!r}")


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"train": {"seed": 2**32}}, "train.seed"),
        ({"train": {"weight_decay": -0.1}}, "train.weight_decay"),
        ({"train": {"patience": -1}}, "train.patience"),
        ({"train": {"max_steps": 0}}, "train.max_steps"),
        ({"train": {"threads": 0}}, "train.threads"),
        ({"train": {"lr": float("inf")}}, "train.lr"),
        ({"evaluation": {"bootstrap": 10**7}}, "evaluation.bootstrap"),
        ({"evaluation": {"ci": float("nan")}}, "evaluation.ci"),
        ({"evaluation": {"favor_against": [""]}}, "evaluation.favor_against.0"),
        ({"model": {"kind": "tfidf", "min_df": 0}}, "models.0.tfidf.min_df"),
        ({"model": {"kind": "tfidf", "max_features": 0}}, "models.0.tfidf.max_features"),
        ({"model": {"kind": "tfidf", "ngram_max": 4}}, "models.0.tfidf.ngram_max"),
        ({"model": {"kind": "encoder", "max_length": 4096}}, "models.0.encoder.max_length"),
        ({"model": {"kind": "encoder", "base": ""}}, "models.0.encoder.base"),
        ({"model": {"kind": "finetune", "name": ".hidden"}}, "models.0.finetune.name"),
        ({"data": {"train": []}}, "data.train"),
        ({"data": {"train": str(TINY), "eval": {"a b": str(TINY)}}}, "data.eval.a b.[key]"),
        ({"data": {"train": str(TINY), "fields": {"text": "t", "id": "t"}}}, "data"),
        (
            {"data": {"train": str(TINY), "split": {"test": 0.1}, "eval": {"test": str(TINY)}}},
            "data",
        ),
    ],
)
def test_config_numeric_and_name_bounds(tmp_path, changes, key):
    path = _config(tmp_path, **changes)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and f"{key}:" in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_config_read_yaml_still_importable():
    from framing import files
    from framing.config import read_yaml

    assert read_yaml is files.read_yaml
