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


def test_compare_groups_reject_member_in_two_groups(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("groups:\n  a: [X, Y]\n  b: [Y]\n")
    with pytest.raises(ConfigError, match="'Y' is in both 'a' and 'b'"):
        load_groups(path)


def test_compare_un_blocs_file_loads() -> None:
    grouping = load_groups(Path(__file__).parents[1] / "configs/groups/un_blocs.yaml")
    assert grouping.key == "iso3"
    assert grouping.group_of("RUS") == "russia_aligned" and grouping.group_of("DEU") == "western"
    assert grouping.group_of("BRA") == "brics_other" and grouping.group_of("KEN") == "other"
