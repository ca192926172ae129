from __future__ import annotations

import gzip
import json

import pytest

from framing.data import read_examples, split_examples, write_examples
from framing.errors import DataError


def _write(tmp_path, lines, name="d.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_data_reads_fixture(tiny_examples):
    assert len(tiny_examples) == 30
    first = tiny_examples[0]
    assert first.frames == ("multipolarity",)
    assert first.stance == {"russia": "favor", "the_west": "against"}
    assert first.doc_id == "sul-1" and first.source == "Outlet Sul"


def test_data_frames_only_and_unlabelled(tmp_path, schema):
    path = _write(
        tmp_path,
        [
            json.dumps({"id": "a", "text": "x y", "frames": ["isolation"]}),
            json.dumps({"id": "b", "text": "z", "stance": {"russia": "favor"}}),
            json.dumps({"id": "c", "text": "w"}),
        ],
    )
    a, b, c = read_examples(path, schema)
    assert a.stance is None and a.frames == ("isolation",)
    assert b.frames is None and b.stance == {"russia": "favor"}
    assert c.frames is None and c.stance is None and c.doc_id == "c"


@pytest.mark.parametrize(
    "line, message",
    [
        (
            '{"id": "a", "text": "x", "frames": ["multipolar"]}',
            "line 2: frame 'multipolar' is not in the schema (multipolarity, western_pressure",
        ),
        ('{"id": "a", "text": "x", "stance": {"nato": "favor"}}', "line 2: stance target 'nato'"),
        (
            '{"id": "a", "text": "x", "stance": {"russia": "pro"}}',
            "line 2: stance.russia is 'pro', expected one of favor, against, none",
        ),
        ('{"id": "a", "text": "   "}', "line 2: field 'text' is empty"),
        ('{"id": "a"}', "line 2: missing field 'text'"),
        ('{"text": "x"}', "line 2: missing field 'id'"),
        (
            '{"id": "a", "text": "x", "frames": "isolation"}',
            "line 2: field 'frames' must be a list",
        ),
        ('{"id": "a", "text": ', "line 2: not valid JSON"),
        ('["a", "b"]', "line 2: expected a JSON object"),
        ('{"id": "first", "text": "dup"}', "line 2: duplicate id 'first' (first seen on line 1)"),
        (  # a control character in the id stays on one line (found by tests/test_fuzz.py)
            '{"id": "b", "text": "x"}\n{"id": "0\\r", "text": "a"}\n{"id": "0\\r", "text": "b"}',
            "line 4: duplicate id '0\\r' (first seen on line 3)",
        ),
        ('{"id": "a", "text": 5.5, "source": {"x": 1}}', "line 2: field 'source' must be a string"),
    ],
)
def test_data_errors_name_file_line_field(tmp_path, schema, line, message):
    path = _write(tmp_path, ['{"id": "first", "text": "ok"}', line])
    with pytest.raises(DataError) as info:
        read_examples(path, schema)
    assert str(path) in str(info.value)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_data_empty_and_missing_file(tmp_path, schema):
    with pytest.raises(DataError, match="no records found"):
        read_examples(_write(tmp_path, [""]), schema)
    with pytest.raises(DataError, match="data file not found"):
        read_examples(tmp_path / "nope.jsonl", schema)
    with pytest.raises(DataError, match="unsupported file type"):
        read_examples(_write(tmp_path, ["x"], "d.xlsx"), schema)


def test_data_field_mapping_and_csv(tmp_path, schema):
    path = tmp_path / "d.csv"
    path.write_text(
        "uid,sentence,outlet,frames,stance.russia\n"
        "1,Sanctions bite,Daily,western_pressure;isolation,against\n"
        "2,Nothing here,Daily,,\n"
    )
    one, two = read_examples(path, schema, {"id": "uid", "text": "sentence", "source": "outlet"})
    assert one.text == "Sanctions bite" and one.source == "Daily"
    assert one.frames == ("western_pressure", "isolation")
    assert one.stance == {"russia": "against"}
    assert two.frames is None and two.stance is None


def test_data_csv_bad_label_names_line(tmp_path, schema):
    path = tmp_path / "d.csv"
    path.write_text("id,text,frames\n1,a,isolation\n2,b,nonsense\n")
    with pytest.raises(DataError, match=r"d.csv line 3: frame 'nonsense'"):
        read_examples(path, schema)


def test_data_csv_quote_left_open_at_the_end_is_an_error_not_a_merged_row(tmp_path, schema):
    path = tmp_path / "d.csv"
    path.write_text('id,text\na1,"unterminated quote\na2,ok\n')
    with pytest.raises(DataError, match=r"d.csv line \d+: not valid CSV \(unexpected end of"):
        read_examples(path, schema)


def test_data_gzip_roundtrip(tmp_path, tiny_examples):
    plain = tmp_path / "x.jsonl"
    write_examples(tiny_examples, plain)
    packed = tmp_path / "x.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    again = read_examples(packed)
    assert [e.id for e in again] == [e.id for e in tiny_examples]
    assert again[1].frames == tiny_examples[1].frames


def test_data_split_is_grouped_and_seeded(tiny_examples):
    parts = split_examples(tiny_examples, [0.6, 0.2, 0.2], seed=1)
    assert sum(len(p) for p in parts) == len(tiny_examples)
    docs = [{ex.doc_id for ex in p} for p in parts]
    assert not (docs[0] & docs[1]) and not (docs[0] & docs[2]) and not (docs[1] & docs[2])
    again = split_examples(tiny_examples, [0.6, 0.2, 0.2], seed=1)
    assert [[e.id for e in p] for p in parts] == [[e.id for e in p] for p in again]
    other = split_examples(tiny_examples, [0.6, 0.2, 0.2], seed=2)
    assert [[e.id for e in p] for p in parts] != [[e.id for e in p] for p in other]


def test_data_split_fractions_must_sum_to_one(tiny_examples):
    with pytest.raises(DataError, match="sum to 1"):
        split_examples(tiny_examples, [0.5, 0.2], seed=0)


def test_data_to_hf_dataset(tiny_examples):
    from framing.data import to_hf_dataset

    ds = to_hf_dataset(tiny_examples)
    assert ds.num_rows == 30 and ds["text"][0] == tiny_examples[0].text
    first = tiny_examples[0]
    assert json.loads(ds["frames"][0]) == list(first.frames)
    assert json.loads(ds["stance"][0]) == first.stance


def test_data_csv_bom_and_line_endings(tmp_path, schema):
    """A UTF-8 BOM before the header is dropped; CRLF and bare-CR line endings both read."""
    for ending in ("\n", "\r\n", "\r"):
        path = tmp_path / "bom.csv"
        rows = ["id,text,frames", "1,Sanctions bite,isolation", '2,"Two\nlines",']
        path.write_bytes(b"\xef\xbb\xbf" + ending.join(rows).encode() + ending.encode())
        one, two = read_examples(path, schema)
        assert one.id == "1" and one.frames == ("isolation",)
        assert two.text == "Two\nlines" and two.frames is None


def test_data_csv_fields_rename_label_columns(tmp_path, schema):
    """Renamed frame and stance columns are parsed like the canonical ones."""
    path = tmp_path / "d.csv"
    path.write_text(
        "uid,sentence,labels,position.russia\n1,Sanctions bite,isolation;multipolarity,favor\n"
    )
    fields = {"id": "uid", "text": "sentence", "frames": "labels", "stance": "position"}
    (ex,) = read_examples(path, schema, fields)
    assert ex.frames == ("multipolarity", "isolation") and ex.stance == {"russia": "favor"}


def test_data_jsonl_bom_and_unlabelled_null_target(tmp_path, schema):
    path = tmp_path / "d.jsonl"
    record = {"id": 7, "text": "x", "stance": {"russia": None, "the_west": "none"}, "note": 1}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(record).encode() + b"\n")
    (ex,) = read_examples(path, schema)
    assert ex.id == "7" and ex.stance == {"the_west": "none"} and ex.extra == {"note": 1}


def test_data_extra_fields_are_not_mistaken_for_typos(tmp_path, schema):
    """Fields near no canonical name (or whose canonical name is present) stay as extras."""
    record = {"id": "a", "text": "x", "framing": "f", "labels": [], "stance": None, "stances": 1}
    (ex,) = read_examples(_write(tmp_path, [json.dumps(record)]), schema)
    assert ex.extra == {"framing": "f", "labels": [], "stances": 1}


def test_data_split_part_without_documents(tiny_examples):
    with pytest.raises(DataError, match=r"the part with fraction 0.01 gets none of the 10"):
        split_examples(tiny_examples, [0.98, 0.01, 0.01], seed=0)
    with pytest.raises(DataError, match="between 0 and 1"):
        split_examples(tiny_examples, [1.2, -0.2], seed=0)


def test_data_iter_records_is_lazy(tmp_path):
    from framing.data import iter_records

    path = _write(tmp_path, ['{"id": "a", "text": "x"}', "not json"])
    records = iter_records(path)
    assert next(records) == (1, {"id": "a", "text": "x"})
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        next(records)
