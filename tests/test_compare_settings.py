"""Tests for framing.compare.settings and the compare models in framing.config: config and
groups-file errors name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from framing.compare import load_compare_config, load_groups
from framing.errors import ConfigError


def test_compare_config_errors_name_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("model: m\ncorpus: c\nbootstrap: {n: 5, sed: 1}\nheadline: best\n")
    with pytest.raises(ConfigError) as info:
        load_compare_config(path)
    message = str(info.value)
    assert str(path) in message and "bootstrap.n" in message and "bootstrap.sed" in message
    assert "headline" in message
    with pytest.raises(ConfigError, match="needs a gold_sample"):
        load_compare_config(path, ["bootstrap={}", "headline=design"])


@pytest.mark.parametrize("count", [0, -5])
def test_compare_config_rejects_zero_or_negative_bootstrap(tmp_path: Path, count: int) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: m\ncorpus: c\n")
    with pytest.raises(
        ConfigError,
        match=rf"^Invalid compare config .*c\.yaml: bootstrap\.n: Input should be greater than "
        rf"or equal to 20 \(got {count}\)$",
    ):
        load_compare_config(path, [f"bootstrap.n={count}"])


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("min_gold=0", "min_gold"),
        ("batch_size=-1", "batch_size"),
        ("top_sources=0", "top_sources"),
        ("evidence_per_cell=-1", "evidence_per_cell"),
    ],
)
def test_compare_config_rejects_other_bad_counts(tmp_path: Path, override: str, key: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: m\ncorpus: c\n")
    with pytest.raises(ConfigError, match=rf"^Invalid compare config .*: {key}: Input should be"):
        load_compare_config(path, [override])


def test_compare_config_name_must_be_a_folder_name(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: a/b\nmodel: m\ncorpus: c\n")
    with pytest.raises(ConfigError, match="name: Value error, name must be letters, digits"):
        load_compare_config(path)


def test_compare_config_corrected_headline_needs_dev(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: m\ncorpus: c\nheadline: corrected\n")
    with pytest.raises(ConfigError, match="headline: 'corrected' needs a labelled dev set"):
        load_compare_config(path)


def test_compare_groups_reject_member_in_two_groups(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("groups:\n  a: [X, Y]\n  b: [Y]\n")
    with pytest.raises(ConfigError, match="'Y' is in both 'a' and 'b'"):
        load_groups(path)


def test_compare_groups_file_missing_or_invalid(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^groups file not found: .*nope\.yaml$"):
        load_groups(tmp_path / "nope.yaml")
    path = tmp_path / "g.yaml"
    path.write_text("groups: {}\nkeys: iso3\n")
    with pytest.raises(ConfigError, match=r"groups file .*g\.yaml") as info:
        load_groups(path)
    assert "groups:" in str(info.value) and "keys:" in str(info.value)


def test_compare_un_blocs_file_loads() -> None:
    grouping = load_groups(Path(__file__).parents[1] / "configs/groups/un_blocs.yaml")
    assert grouping.key == "iso3"
    assert grouping.group_of("RUS") == "russia_aligned" and grouping.group_of("DEU") == "western"
    assert grouping.group_of("BRA") == "brics_other" and grouping.group_of("KEN") == "other"


def test_compare_default_config_loads() -> None:
    config = load_compare_config(Path(__file__).parents[1] / "configs/compare/un_default.yaml")
    assert config.headline_estimator() == "design"
    assert config.bootstrap.n == 1000 and config.bootstrap.seed == 13
