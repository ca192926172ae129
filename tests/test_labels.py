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


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"frames": ("a",), "targets": ("t",), "stance_labels": ("favor", "none", "favor")},
         "stance_labels: 'favor' appears twice"),
        ({"frames": ("a", "b", "a"), "targets": ()}, "frames: 'a' appears twice"),
        ({"frames": (), "targets": ("t", "t")}, "targets: 't' appears twice"),
        ({"frames": ("",), "targets": ()}, "frames: expected a non-empty name"),
        ({"frames": (" a",), "targets": ()}, "frames: expected a non-empty name without outer"),
        ({"frames": (1,), "targets": ()}, "frames: expected names as strings, found int 1"),
        ({"frames": (), "targets": ("t",), "stance_labels": ("Favor", "against")},
         "expected lowercase"),
    ],
)  # fmt: skip
def test_labels_schema_object_refuses_bad_names(kwargs, expected):
    with pytest.raises(ConfigError, match=expected):
        LabelSchema(**kwargs)


def test_labels_from_dict_refuses_a_string_for_a_list():
    with pytest.raises(ConfigError, match="frames: expected a list of names"):
        LabelSchema.from_dict({"frames": "isolation"})


def test_labels_schema_errors_are_one_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("frames:\n  a: x\n  b: 2\ntargets: [t]\ntypo: 1\n")
    message = str(pytest.raises(ConfigError, load_schema, path).value)
    assert len(message.splitlines()) == 1
    assert "frames.b: Input should be a valid string (got 2)" in message
    assert "targets: Input should be a valid dictionary" in message
    assert "typo: Extra inputs are not permitted" in message


def test_labels_duplicate_yaml_key_names_lines(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("frames:\n  a: x\n  b: y\n  a: z\n")
    with pytest.raises(ConfigError, match=r"key 'a' appears twice \(lines 2 and 4\)"):
        load_schema(path)
