"""Property-based checks: whatever bytes, records, configs, overrides or schemas come in, the
readers and loaders raise only the project's own error (one line, naming the file) or succeed,
and valid input comes back exactly as written."""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from framing.config import load_config
from framing.data import CANONICAL_FIELDS, iter_records, read_examples
from framing.errors import ConfigError, DataError
from framing.labels import LabelSchema, load_schema

from conftest import SCHEMA

FUZZ = settings(
    max_examples=2000,
    deadline=None,
    database=None,  # keep the worktree clean; a failure prints its reproducing example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# hypothesis does not reset function-scoped fixtures between examples: one folder per module.
WORK = Path(tempfile.mkdtemp(prefix="framing-fuzz-"))
GEO = load_schema(SCHEMA)
SCHEMA_OBJ = LabelSchema(frames=GEO.frames, targets=GEO.targets, name="geo")


def _put(name: str, data: str | bytes) -> Path:
    """Write one example's file. Removed first: rewriting a file in place makes ext4 flush it
    (auto_da_alloc), which costs a millisecond per example."""
    path = WORK / name
    path.unlink(missing_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _clean_error(error: Exception, path: Path) -> None:
    """The error's message is one line and names the file."""
    message = str(error)
    assert len(message.splitlines()) == 1, message
    assert str(path) in message, message


def _read_all(path: Path) -> None:
    """Both entry points: only a DataError may come out."""
    for run in (lambda: list(iter_records(path)), lambda: read_examples(path, SCHEMA_OBJ)):
        try:
            run()
        except DataError as exc:
            _clean_error(exc, path)


# --- (a) data files: arbitrary bytes -------------------------------------------------------

TEXTISH = st.text(
    st.characters(codec="utf-8") | st.sampled_from('{}[]",:;\n\r\t\x00\ufeffidtext'), max_size=100
)
BYTES = st.one_of(
    st.binary(max_size=120),
    TEXTISH.map(lambda s: s.encode("utf-8")),
    TEXTISH.map(lambda s: s.encode("utf-16")),
    TEXTISH.map(lambda s: b"\xef\xbb\xbf" + s.encode("utf-8")),
)


@FUZZ
@given(
    data=BYTES,
    name=st.sampled_from(["d.jsonl", "d.csv", "d.jsonl.gz", "d.csv.gz"]),
    form=st.sampled_from(["raw", "gzip", "truncated", "headless"]),
    cut=st.integers(1, 100),
)
def test_fuzz_bytes(data: bytes, name: str, form: str, cut: int) -> None:
    """Any bytes as .jsonl/.csv, and as .gz: raw, whole gzip, gzip cut short or cut at the head."""
    if name.endswith(".gz") and form != "raw":
        data = gzip.compress(data)
        data = data[: max(len(data) - cut, 0)] if form == "truncated" else data
        data = data[cut:] if form == "headless" else data
    path = _put(name, data)
    _read_all(path)


# --- (a) data files: arbitrary JSON-ish records --------------------------------------------

KEYS = st.sampled_from(
    [*CANONICAL_FIELDS, "frame", "Frames", "stances", "Text", "docid", "stance.russia", "note"]
) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(GEO.frames + GEO.targets + GEO.stance_labels + ("nan", "", " "))
)
VALUES = (
    SCALARS
    | st.lists(SCALARS, max_size=3)
    | st.dictionaries(st.sampled_from(GEO.targets) | st.text(max_size=4), SCALARS, max_size=2)
)
RECORDS = st.lists(st.dictionaries(KEYS, VALUES, max_size=4), min_size=1, max_size=3)


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


@FUZZ
@given(
    records=RECORDS,
    as_csv=st.booleans(),
    fields=st.dictionaries(st.sampled_from(CANONICAL_FIELDS), KEYS, max_size=2),
)
def test_fuzz_records(records: list[dict[str, Any]], as_csv: bool, fields: dict[str, str]) -> None:
    """Records of any shape, as JSONL or as CSV cells, read plain and with column renames."""
    if as_csv:
        columns = list(dict.fromkeys(k for r in records for k in r))
        rows = [[_cell(r.get(c, "")) for c in columns] for r in records]
        path = _put("records.csv", _csv_text([columns, *rows]))
    else:
        path = _put("records.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    _read_all(path)
    try:
        read_examples(path, SCHEMA_OBJ, fields)
    except DataError as exc:
        _clean_error(exc, path)


# --- (a) valid input comes back as written -------------------------------------------------

PLAIN = st.characters(codec="utf-8", exclude_characters="\x00")
SENTENCE = st.text(PLAIN, min_size=1, max_size=30).filter(
    lambda s: s.strip() and s.strip().lower() not in {"nan", "none", "null", "<na>", "nat"}
)
VALID = st.lists(
    st.fixed_dictionaries(
        {"text": SENTENCE},
        optional={
            "source": st.text(PLAIN, min_size=1, max_size=8).filter(str.strip),
            "frames": st.lists(st.sampled_from(GEO.frames), unique=True, min_size=1, max_size=4),
            "stance": st.dictionaries(
                st.sampled_from(GEO.targets), st.sampled_from(GEO.stance_labels), min_size=1
            ),
        },
    ),
    min_size=1,
    max_size=4,
)


def _write_valid(records: list[dict[str, Any]], form: str) -> Path:
    if form.startswith("csv"):
        targets = list(GEO.targets)
        header = ["id", "text", "source", "frames", *(f"stance.{t}" for t in targets)]
        rows = [
            [i, r["text"], r.get("source", ""), ";".join(r.get("frames", []))]
            + [r.get("stance", {}).get(t, "") for t in targets]
            for i, r in enumerate(records)
        ]
        data = _csv_text([header, *rows]).encode()
    else:
        data = "".join(json.dumps({"id": i, **r}) + "\n" for i, r in enumerate(records)).encode()
    return _put(f"valid.{form}", gzip.compress(data) if form.endswith(".gz") else data)


@FUZZ
@given(records=VALID, form=st.sampled_from(["jsonl", "jsonl.gz", "csv", "csv.gz"]))
def test_fuzz_valid_roundtrip(records: list[dict[str, Any]], form: str) -> None:
    """Valid records, written as JSONL, CSV or either gzipped, read back exactly."""
    path = _write_valid(records, form)
    assert len(list(iter_records(path))) == len(records)
    got = [(e.id, e.text, e.source, e.frames, e.stance) for e in read_examples(path, SCHEMA_OBJ)]
    assert got == [
        (
            str(i),
            r["text"],
            r.get("source", "unknown"),
            tuple(f for f in GEO.frames if f in r["frames"]) if "frames" in r else None,
            r.get("stance"),
        )
        for i, r in enumerate(records)
    ]


# --- (b) configs: arbitrary YAML-ish mappings and override strings -------------------------

CONFIG_KEYS = st.sampled_from(
    ["name", "schema", "data", "train", "eval", "split", "fields", "model", "models", "kind",
     "C", "seed", "epochs", "batch_size", "lr", "evaluation", "bootstrap", "ci", "dev", "test",
     "max_length", "output_dir", "shared_documents_ok", "0"]
) | st.text(max_size=5)  # fmt: skip
LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
YAMLISH = (
    LEAVES
    | st.lists(LEAVES, max_size=3)
    | st.dictionaries(CONFIG_KEYS, LEAVES | st.lists(LEAVES, max_size=2), max_size=3)
)
BASE = {
    "name": "t",
    "schema": str(SCHEMA),
    "data": {"train": "train.jsonl", "split": {"dev": 0.2, "test": 0.1}},
    "models": [{"kind": "tfidf"}, {"kind": "encoder", "name": "enc"}],
}
OVERRIDE = st.text(max_size=20) | st.builds(
    lambda path, value: f"{'.'.join(path)}={value}",
    st.lists(CONFIG_KEYS | st.sampled_from(["1", "5", "-1", ""]), min_size=1, max_size=3),
    st.text(max_size=10) | YAMLISH.map(lambda v: yaml.safe_dump(v, default_flow_style=True)),
)
CONFIGS = (
    st.dictionaries(CONFIG_KEYS, YAMLISH, max_size=3).map(lambda c: yaml.safe_dump({**BASE, **c}))
    | st.dictionaries(CONFIG_KEYS, YAMLISH, max_size=5).map(yaml.safe_dump)
    | st.text(max_size=80)
)


@FUZZ
@given(text=CONFIGS, overrides=st.lists(OVERRIDE, max_size=3))
def test_fuzz_config(text: str, overrides: list[str]) -> None:
    """A valid config with keys replaced, any mapping or any text, with any --set overrides."""
    path = _put("config.yaml", text)
    try:
        load_config(path, overrides)
    except ConfigError as exc:
        _clean_error(exc, path)


# --- (c) label schemas ---------------------------------------------------------------------

NAMES = st.text(max_size=6) | st.integers() | st.booleans() | st.sampled_from(["", " a", "a"])
SCHEMAS = st.dictionaries(
    st.sampled_from(["name", "frames", "targets", "stance_labels"]) | st.text(max_size=5),
    LEAVES | st.lists(NAMES, max_size=4) | st.dictionaries(NAMES, LEAVES, max_size=4),
    max_size=4,
).map(yaml.safe_dump) | st.text(max_size=80)


def _load_schema(text: str) -> LabelSchema | None:
    path = _put("schema.yaml", text)
    try:
        return load_schema(path)
    except ConfigError as exc:
        _clean_error(exc, path)
        return None


@FUZZ
@given(text=SCHEMAS)
def test_fuzz_schema(text: str) -> None:
    """Whatever loads is usable: some frame or target, distinct names, 2+ stance labels."""
    schema = _load_schema(text)
    if schema is not None:
        assert schema.frames or schema.targets
        for names in (schema.frames, schema.targets, schema.stance_labels):
            assert len(set(names)) == len(names) and all(n and n == n.strip() for n in names)


NAME = st.text(st.sampled_from("abcxyz_09"), min_size=1, max_size=6)


@FUZZ
@given(
    frames=st.lists(NAME, unique=True, max_size=4),
    targets=st.lists(NAME, unique=True, max_size=3),
    labels=st.lists(NAME, unique=True, min_size=2, max_size=4),
)
def test_fuzz_valid_schema_roundtrip(frames: list[str], targets: list[str], labels: list[str]):
    assume(frames or targets)
    raw = {"frames": {f: f"def {f}" for f in frames}, "targets": {t: "x" for t in targets}}
    schema = _load_schema(yaml.safe_dump({**raw, "stance_labels": labels}, sort_keys=False))
    assert schema is not None
    assert (schema.frames, schema.targets, schema.stance_labels) == (
        tuple(frames),
        tuple(targets),
        tuple(labels),
    )
    assert all(schema.definitions[f] == f"def {f}" for f in frames)
