from __future__ import annotations

import pytest

from framing.errors import ConfigError
from framing.labels import LabelSchema, load_schema


def test_labels_default_schema_order(schema):
    assert schema.frames == ("multipolarity", "western_pressure", "isolation", "security_threat")
    assert schema.targets == ("russia", "the_west")
    assert schema.stance_labels == ("favor", "against", "none")
    assert "multipolarity" in schema.definitions


def test_labels_roundtrip_dict(schema):
    assert LabelSchema.from_dict(schema.to_dict()) == schema


def test_labels_other_schema_from_yaml(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: pstance\ntargets:\n  trump: t\nstance_labels: [favor, against]\n")
    schema = load_schema(path)
    assert schema.frames == () and schema.targets == ("trump",)
    assert schema.none_label is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("frames: {}\n", "at least one frame or one target"),
        ("frames:\n  a: x\ntypo: 1\n", "typo: Extra inputs are not permitted"),
        ("targets:\n  t: x\nstance_labels: [favor]\n", "stance_labels needs at least 2"),
        ("- a\n- b\n", "expected a mapping"),
        ("frames: [\n", "not valid YAML"),
    ],
)
def test_labels_bad_schema_names_problem(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected) as info:
        load_schema(path)
    assert str(path) in str(info.value)
