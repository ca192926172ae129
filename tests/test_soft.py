"""Soft labels (a teacher's probabilities) are read, checked and written like gold labels."""

from __future__ import annotations

import json

import pytest

from framing.data import example_to_dict, read_examples
from framing.errors import DataError
from framing.soft import parse_soft

FRAMES = {"multipolarity": 0.9, "western_pressure": 0.1, "isolation": 0.0, "security_threat": 0.2}
STANCE = {"russia": {"favor": 0.7, "against": 0.1, "none": 0.2}}


def test_parse_soft_keeps_frames_and_stance(schema):
    soft = parse_soft({"frames": FRAMES, "stance": STANCE}, "f line 1", schema)
    assert soft == {"frames": FRAMES, "stance": STANCE}
    assert parse_soft(None, "f line 1", schema) is None
    assert parse_soft({"stance": STANCE}, "f line 1", schema) == {"stance": STANCE}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"frames": {**FRAMES, "isolation": 1.5}},
            r"soft\.frames\.isolation is 1\.5; expected a probability",
        ),
        (
            {"frames": {**FRAMES, "isolation": "high"}},
            r"soft\.frames\.isolation must be a probability",
        ),
        (
            {"frames": {**FRAMES, "isolation": True}},
            r"soft\.frames\.isolation must be a probability",
        ),
        (
            {"frames": {"multipolarity": 0.9}},
            r"soft\.frames lacks western_pressure, isolation, security_threat;",
        ),
        (
            {"frames": {**FRAMES, "sovereignty": 0.1}},
            r"soft\.frames has sovereignty, not in the schema",
        ),
        (
            {"stance": {"china": STANCE["russia"]}},
            r"soft\.stance target 'china' is not in the schema",
        ),
        (
            {"stance": {"russia": {"favor": 0.7, "against": 0.7, "none": 0.2}}},
            r"soft\.stance\.russia sums to 1\.6000",
        ),
        ({"stance": {"russia": {"favor": 0.8, "none": 0.2}}}, r"soft\.stance\.russia has labels"),
        ({"stance": ["favor"]}, r"soft\.stance must be a mapping"),
        ({"frame": FRAMES}, r"soft has the key 'frame'; expected 'frames' and/or 'stance'"),
        ({}, r"soft is empty"),
        ({"stance": {}}, r"soft\.stance is empty; expected a distribution per target"),
        ([0.1], r"soft must be a mapping"),
    ],
)
def test_parse_soft_refuses_bad_values_in_one_line(schema, value, message):
    with pytest.raises(DataError, match=r"^f line 3: " + message) as info:
        parse_soft(value, "f line 3", schema)
    assert "\n" not in str(info.value)


def test_soft_labels_round_trip_through_a_file(schema, tmp_path):
    row = {"id": "a", "text": "Moscow is not alone.", "soft": {"frames": FRAMES, "stance": STANCE}}
    path = tmp_path / "soft.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (example,) = read_examples(path, schema)
    assert example.frames is None and example.stance is None
    assert example.soft == row["soft"] and "soft" not in example.extra
    assert example_to_dict(example)["soft"] == row["soft"]


def test_a_bad_soft_label_names_file_and_line(schema, tmp_path):
    path = tmp_path / "soft.jsonl"
    good = {"id": "a", "text": "A sentence.", "soft": {"stance": STANCE}}
    bad = {"id": "b", "text": "Another.", "soft": {"stance": {"russia": {"favor": 2}}}}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError, match=rf"^{path} line 2: soft\.stance\.russia\.favor is 2"):
        read_examples(path, schema)
