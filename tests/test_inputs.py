"""What users hand to FramingClassifier: texts and examples in their usual shapes are taken,
mistakes are one clear error naming the argument (never read letter by letter)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from framing.data import Example
from framing.errors import DataError
from framing.inputs import as_examples, as_texts, unlabelled_examples


def test_texts_from_a_dataframe_are_its_text_column_not_its_column_names():
    frame = pd.DataFrame({"id": [1, 2], "text": ["Sanctions bite.", "A new order."]})
    assert as_texts(frame) == ["Sanctions bite.", "A new order."]
    assert as_texts(frame["text"]) == ["Sanctions bite.", "A new order."]
    assert as_texts(np.array(["One.", "Two."])) == ["One.", "Two."]
    with pytest.raises(TypeError, match=r"without a 'text' column \(columns: id, body\)"):
        as_texts(pd.DataFrame({"id": [1], "body": ["x"]}))


@pytest.mark.parametrize("value", [None, 5, 2.5])
def test_texts_that_are_not_a_collection_name_the_method_and_type(value):
    with pytest.raises(TypeError, match=r"predict_proba\(\) expects a list of strings, got "):
        as_texts(value, "predict_proba")


def test_example_labels_given_as_a_string_are_refused_not_read_letter_by_letter(schema):
    with pytest.raises(DataError, match=r"example 0: frames must be a list of frame names"):
        as_examples([Example("a", "Sanctions.", frames="isolation")], schema)  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"example 0: stance must be a mapping of target to label"):
        as_examples([Example("a", "Sanctions.", stance="favor")], schema)  # type: ignore[arg-type]
    good = Example("a", "Sanctions.", frames=("isolation",), stance={"russia": "against"})
    assert as_examples([good], schema) == [good]


def test_a_path_is_refused_with_how_to_read_it(schema, tmp_path):
    with pytest.raises(TypeError, match=r"got the path .*read_examples\(path, schema\)"):
        as_examples(Path(tmp_path / "train.jsonl"), schema)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"fit\(\) expects a list of .* got NoneType"):
        as_examples(None, schema)  # type: ignore[arg-type]


def test_unlabelled_texts_become_numbered_examples(schema):
    out = unlabelled_examples(["First text.", {"text": "Second text."}], schema, "zero_shot")
    assert [(ex.id, ex.text, ex.frames, ex.stance) for ex in out] == [
        ("text-1", "First text.", None, None),
        ("text-2", "Second text.", None, None),
    ]
    with pytest.raises(TypeError, match=r"zero_shot\(\) expects a list of texts"):
        unlabelled_examples("one text", schema, "zero_shot")
