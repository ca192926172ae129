"""Every bad input gets one clear line naming the file (and line, field or config key), raised as
the project's own error class; the CLI prints that line, exit 1, and no traceback.

One table: (id, a builder that writes the bad input under tmp_path and runs the reader, the
loader or the CLI, the expected error class, a regex the one-line message must match).
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from framing.config import load_config
from framing.data import read_examples
from framing.errors import ConfigError, DataError, FramingError
from framing.labels import load_schema

from conftest import SCHEMA, TINY

GOOD = '{"id": "a", "text": "Sanctions bite.", "frames": ["isolation"]}'
_DROP = object()  # a field left out of the record


@dataclass
class Cli:
    """A CLI run to check: its arguments and the library call it must fail like."""

    args: list[str]
    library: Callable[[], Any]


def _write(tmp: Path, name: str, data: str | bytes) -> Path:
    path = tmp / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _jsonl(tmp: Path, *lines: str, name: str = "d.jsonl") -> Path:
    return _write(tmp, name, "\n".join(lines) + "\n")


def _read(path: Path, fields: dict[str, str] | None = None) -> Any:
    return read_examples(path, load_schema(SCHEMA), fields)


def _line(tmp: Path, line: str) -> Any:
    """A file whose first line is fine and whose second line is `line`."""
    return _read(_jsonl(tmp, GOOD.replace('"a"', '"first"'), line))


def _rec(tmp: Path, **fields: Any) -> Any:
    """Line 2 holds a record built from `fields` (id 'a' and a sentence unless given)."""
    record = {"id": "a", "text": "Sanctions bite.", **fields}
    return _line(tmp, json.dumps({k: v for k, v in record.items() if v is not _DROP}))


def _csv(tmp: Path, text: str | bytes, fields: dict[str, str] | None = None) -> Any:
    return _read(_write(tmp, "d.csv", text), fields)


def _gz(tmp: Path, data: bytes, name: str = "d.jsonl.gz") -> Any:
    return _read(_write(tmp, name, data))


def _packed(text: str = GOOD + "\n") -> bytes:
    return gzip.compress(text.encode() * 40)


def _schema(tmp: Path, text: str | bytes) -> Any:
    return load_schema(_write(tmp, "s.yaml", text))


def _config_path(tmp: Path, text: str | None = None, **changes: Any) -> Path:
    raw = {
        "name": "t",
        "schema": str(SCHEMA),
        "data": {"train": str(TINY)},
        "model": {"kind": "tfidf"},
    }
    return _write(tmp, "c.yaml", text if text is not None else yaml.safe_dump({**raw, **changes}))


def _config(tmp: Path, *sets: str, **changes: Any) -> Any:
    return load_config(_config_path(tmp, **changes), list(sets))


def _split(tmp: Path, **split: Any) -> Any:
    return _config(tmp, data={"train": str(TINY), "split": split})


def _model(tmp: Path, **params: Any) -> Any:
    return _config(tmp, model={"kind": params.pop("kind", "tfidf"), **params})


def _check(config: Path, *sets: str) -> Cli:
    def library() -> Any:
        from framing.training import check

        return check(load_config(config, list(sets)))

    args = ["check", str(config)] + [arg for item in sets for arg in ("--set", item)]
    return Cli(args, library)


def _check_data(tmp: Path, data: Path, **data_keys: Any) -> Cli:
    return _check(_config_path(tmp, data={"train": str(data), **data_keys}))


def _c(id: str, build: Callable[[Path], Any], error: type[FramingError], pattern: str) -> Any:
    return pytest.param(build, error, pattern, id=id)


D, C = DataError, ConfigError
LINE2 = r"d\.jsonl line 2: "
CASES = [
    # --- files: encodings, compression, structure ---
    _c("jsonl-not-utf8", lambda t: _read(_write(t, "d.jsonl", b'{"id": "a", "text": "caf\xe9"}\n')),
       D, r"d\.jsonl line 1: not valid UTF-8 \(byte 0xe9 .*expected UTF-8"),
    _c("csv-not-utf8", lambda t: _csv(t, b"id,text\n1,ok\n2,Gr\xfc\xdfe\n"),
       D, r"d\.csv line 3: not valid UTF-8 \(byte 0xfc"),
    _c("jsonl-utf16-bom", lambda t: _read(_write(t, "d.jsonl", (GOOD + "\n").encode("utf-16"))),
       D, r"d\.jsonl line 1: the file is UTF-16 text .*save it as UTF-8"),
    _c("csv-utf16-bom", lambda t: _csv(t, "id,text\n1,ok\n".encode("utf-16")),
       D, r"d\.csv line 1: the file is UTF-16 text"),
    _c("jsonl-utf16-no-bom",
       lambda t: _read(_write(t, "d.jsonl", (GOOD + "\n").encode("utf-16-le"))),
       D, r"d\.jsonl line 1: found a NUL byte at byte 2; expected UTF-8 text"),
    _c("csv-utf16be-no-bom", lambda t: _csv(t, "id,text\n1,ok\n".encode("utf-16-be")),
       D, r"d\.csv line 1: found a NUL byte at byte 1"),
    _c("csv-bom-then-latin1",
       lambda t: _csv(t, codecs.BOM_UTF8 + b"id,text\n1,na\xefve\n"),
       D, r"d\.csv line 2: not valid UTF-8 \(byte 0xef"),
    _c("gz-not-gzip", lambda t: _gz(t, (GOOD + "\n").encode()),
       D, r"d\.jsonl\.gz: not a gzip file .*expected gzip data"),
    _c("gz-truncated", lambda t: _gz(t, _packed()[:-30]),
       D, r"d\.jsonl\.gz: the gzip data ends early, after line \d+ \(the file is truncated\)"),
    _c("gz-corrupt", lambda t: _gz(t, _packed()[:20] + b"\x00" * 8 + _packed()[28:]),
       D, r"d\.jsonl\.gz: corrupt gzip data"),
    _c("csv-gz-truncated",
       lambda t: _gz(t, gzip.compress(b"id,text\n1,ok\n" * 50)[:25], "d.csv.gz"),
       D, r"d\.csv\.gz: the gzip data ends early, after line \d+"),
    _c("jsonl-empty-file", lambda t: _read(_write(t, "d.jsonl", b"")),
       D, r"d\.jsonl: no records found \(the file is empty.*expected one JSON object per line"),
    _c("jsonl-blank-lines-only", lambda t: _read(_write(t, "d.jsonl", "\n  \n\t\n")),
       D, r"d\.jsonl: no records found"),
    _c("csv-header-only", lambda t: _csv(t, "id,text,frames\n"),
       D, r"d\.csv: no records found .*only a header"),
    _c("gz-empty-stream", lambda t: _gz(t, gzip.compress(b"")),
       D, r"d\.jsonl\.gz: no records found"),
    _c("jsonl-line-is-array", lambda t: _line(t, '["a", "b"]'),
       D, LINE2 + r"expected a JSON object like .*found array .*one object per line"),
    _c("jsonl-line-is-string", lambda t: _line(t, '"Sanctions bite."'),
       D, LINE2 + r"expected a JSON object .*found string \"Sanctions bite\.\""),
    _c("jsonl-line-is-number", lambda t: _line(t, "12345"),
       D, LINE2 + r"expected a JSON object .*found number 12345$"),
    _c("jsonl-line-is-null", lambda t: _line(t, "null"),
       D, LINE2 + r"expected a JSON object .*found null$"),
    _c("jsonl-broken-json", lambda t: _line(t, '{"id": "a", "text": '),
       D, LINE2 + r"not valid JSON \(Expecting value at column \d+\)"),
    _c("jsonl-pretty-printed",
       lambda t: _read(_jsonl(t, "{", '  "id": "a",', '  "text": "x"', "}")),
       D, r"d\.jsonl line 1: not valid JSON .*one complete JSON object per line"),
    _c("jsonl-duplicate-key", lambda t: _line(t, '{"id": "a", "text": "x", "text": "y"}'),
       D, LINE2 + r"key 'text' appears twice in one object"),
    _c("jsonl-5000-digit-number", lambda t: _line(t, '{"id": ' + "9" * 5000 + ', "text": "x"}'),
       D, LINE2 + r"not valid JSON \(Exceeds the limit"),
    _c("jsonl-nested-too-deeply", lambda t: _line(t, "[" * 100_000),
       D, LINE2 + r"not valid JSON \(maximum recursion depth"),
    _c("csv-ragged-row-long", lambda t: _csv(t, "id,text\n1,ok\n2,Sanctions, they bite\n"),
       D, r"d\.csv line 3: expected 2 cells like the header \(id, text\), found 3 .*quote"),
    _c("csv-ragged-row-short", lambda t: _csv(t, "id,text,source\n1,ok,x\n2,short\n"),
       D, r"d\.csv line 3: expected 3 cells like the header \(id, text, source\), found 2"),
    _c("csv-duplicate-column", lambda t: _csv(t, "id,text,text\n1,a,b\n"),
       D, r"d\.csv line 1: column 'text' appears twice in the header \(columns 2 and 3\)"),
    _c("csv-value-in-unnamed-column", lambda t: _csv(t, "id,text,\n1,ok,\n2,ok,stray\n"),
       D, r"d\.csv line 3: column 3 has no name in the header but holds \"stray\""),
    _c("csv-frames-bad-json", lambda t: _csv(t, 'id,text,frames\n1,ok,"[isolation"\n'),
       D, r"d\.csv line 2: field 'frames' starts with '\[' but is not a JSON list"),
    _c("csv-frames-only-separators", lambda t: _csv(t, "id,text,frames\n1,ok,;;\n"),
       D, r"d\.csv line 2: field 'frames' is \";;\", separators without frame names"),
    _c("unsupported-suffix", lambda t: _read(_write(t, "d.txt", GOOD)),
       D, r"d\.txt: unsupported file type '\.txt'; expected \.jsonl"),
    _c("data-path-is-folder", lambda t: _read(t), D, r": is a folder; expected a data file"),
    _c("data-file-missing", lambda t: _read(t / "nope.jsonl"),
       D, r"data file not found: .*nope\.jsonl"),
    # --- records: text, id and metadata ---
    _c("text-integer", lambda t: _rec(t, text=12345),
       D, LINE2 + r"field 'text' must be a string \(the sentence\), found number 12345"),
    _c("text-float", lambda t: _rec(t, text=3.5), D, LINE2 + r"field 'text' .*found number 3\.5"),
    _c("text-nan-literal", lambda t: _line(t, '{"id": "a", "text": NaN}'),
       D, LINE2 + r"field 'text' must be a string .*found NaN"),
    _c("text-null", lambda t: _rec(t, text=None),
       D, LINE2 + r"missing field 'text'; expected the sentence"),
    _c("text-list", lambda t: _rec(t, text=["Sanctions", "bite"]),
       D, LINE2 + r"field 'text' must be a string .*found array"),
    _c("text-object", lambda t: _rec(t, text={"en": "x"}),
       D, LINE2 + r"field 'text' must be a string .*found object"),
    _c("text-empty", lambda t: _rec(t, text=""), D, LINE2 + r"field 'text' is empty"),
    _c("text-whitespace", lambda t: _rec(t, text=" \t "), D, LINE2 + r"field 'text' is empty"),
    _c("text-nan-string", lambda t: _rec(t, text="nan"),
       D, LINE2 + r"field 'text' is 'nan', a missing-value marker"),
    _c("text-None-string", lambda t: _rec(t, text="None"),
       D, LINE2 + r"field 'text' is 'None', a missing-value marker"),
    _c("text-lone-surrogate", lambda t: _line(t, '{"id": "a", "text": "bad \\ud800 text"}'),
       D, LINE2 + r"field 'text' holds an unpaired surrogate"),
    _c("text-missing", lambda t: _rec(t, text=_DROP), D, LINE2 + r"missing field 'text'"),
    _c("id-float", lambda t: _rec(t, id=1.5),
       D, LINE2 + r"field 'id' must be a string or an integer, found number 1\.5"),
    _c("id-boolean", lambda t: _rec(t, id=True),
       D, LINE2 + r"field 'id' must be a string or an integer, found boolean"),
    _c("id-empty", lambda t: _rec(t, id="  "), D, LINE2 + r"field 'id' is empty"),
    _c("id-duplicate", lambda t: _rec(t, id="first"),
       D, LINE2 + r"duplicate id 'first' \(first seen on line 1\)"),
    _c("date-nan", lambda t: _line(t, '{"id": "a", "text": "x", "date": NaN}'),
       D, LINE2 + r"field 'date' must be a string or an integer, found NaN"),
    _c("source-float", lambda t: _rec(t, source=2.0),
       D, LINE2 + r"field 'source' must be a string or an integer, found number 2\.0"),
    # --- records: misspelled fields and column renames ---
    _c("misspelled-frame", lambda t: _rec(t, frame=["isolation"]),
       D, LINE2 + r"unknown field 'frame'; did you mean 'frames'\?"),
    _c("misspelled-stances", lambda t: _rec(t, stances={"russia": "favor"}),
       D, LINE2 + r"unknown field 'stances'; did you mean 'stance'\?"),
    _c("misspelled-Frames", lambda t: _rec(t, Frames=["isolation"]),
       D, LINE2 + r"unknown field 'Frames'; did you mean 'frames'\?"),
    _c("misspelled-Text", lambda t: _rec(t, text=_DROP, Text="Sanctions bite."),
       D, LINE2 + r"unknown field 'Text'; did you mean 'text'\?"),
    _c("misspelled-docid", lambda t: _rec(t, docid="speech-1"),
       D, LINE2 + r"unknown field 'docid'; did you mean 'doc_id'\?"),
    _c("jsonl-csv-style-stance-key", lambda t: _rec(t, **{"stance.russia": "favor"}),
       D, LINE2 + r"unknown field 'stance\.russia'; expected a CSV column .*or in JSON a mapping "
       r"like \"stance\": \{\"russia\": \"favor\"\}"),
    _c("csv-misspelled-stance-column",
       lambda t: _csv(t, "id,text,stances.russia\n1,ok,favor\n"),
       D, r"d\.csv line 2: unknown field 'stances\.russia'; did you mean 'stance\.russia'\?"),
    _c("csv-misspelled-frames-column",
       lambda t: _csv(t, "id,text,Frame\n1,ok,isolation\n"),
       D, r"d\.csv line 2: unknown field 'Frame'; did you mean 'frames'\?"),
    _c("fields-map-missing-column-jsonl",
       lambda t: _read(_jsonl(t, GOOD), {"text": "sentence"}),
       D, r"d\.jsonl line 1: data\.fields maps 'text' to column \"sentence\", which this record "
       r"lacks; .*found: id, text, frames"),
    _c("fields-map-missing-column-csv",
       lambda t: _csv(t, "id,text,outlet\n1,ok,Daily\n", {"source": "outlett"}),
       D, r"d\.csv line 2: data\.fields maps 'source' to column \"outlett\""),
    # --- records: label shapes and names ---
    _c("frames-string", lambda t: _rec(t, frames="isolation"),
       D, LINE2 + r"field 'frames' must be a list of frame names, e\.g\. \[\"isolation\"\], "
       r"found the string"),
    _c("frames-object", lambda t: _rec(t, frames={"isolation": 1}),
       D, LINE2 + r"field 'frames' must be a list of frame names, found object"),
    _c("frames-number-item", lambda t: _rec(t, frames=["isolation", 3]),
       D, LINE2 + r"field 'frames' must be a list .*found array"),
    _c("frames-duplicate", lambda t: _rec(t, frames=["isolation", "isolation"]),
       D, LINE2 + r"frame 'isolation' is listed twice"),
    _c("frames-empty-name", lambda t: _rec(t, frames=[""]), D, LINE2 + r"frames\[0\] is empty"),
    _c("frames-unknown", lambda t: _rec(t, frames=["Isolation"]),
       D, LINE2 + r"frame 'Isolation' is not in the schema \(multipolarity, .*\); did you mean "
       r"'isolation'\?"),
    _c("frames-comma-joined", lambda t: _rec(t, frames=["isolation, multipolarity"]),
       D, LINE2 + r"frame 'isolation, multipolarity' is not in the schema .*one name per list"),
    _c("stance-list", lambda t: _rec(t, stance=["favor"]),
       D, LINE2 + r"field 'stance' must map each target to a label, e\.g\. .*found array"),
    _c("stance-string", lambda t: _rec(t, stance="favor"),
       D, LINE2 + r"field 'stance' must map each target .*found string \"favor\""),
    _c("stance-label-number", lambda t: _rec(t, stance={"russia": 1}),
       D, LINE2 + r"stance\.russia must be a label string, found number 1"),
    _c("stance-label-empty", lambda t: _rec(t, stance={"russia": " "}),
       D, LINE2 + r"stance\.russia is empty"),
    _c("stance-target-unknown", lambda t: _rec(t, stance={"Russia": "favor"}),
       D, LINE2 + r"stance target 'Russia' is not in the schema \(russia, the_west\); did you "
       r"mean 'russia'\?"),
    _c("stance-label-unknown", lambda t: _rec(t, stance={"russia": "favour"}),
       D, LINE2 + r"stance\.russia is 'favour', expected one of favor, against, none; did you "
       r"mean 'favor'\?"),
    # --- label schemas ---
    _c("schema-duplicate-stance-label",
       lambda t: _schema(t, "targets: {t: x}\nstance_labels: [favor, against, none, favor]\n"),
       C, r"s\.yaml: label schema 'custom': stance_labels: 'favor' appears twice"),
    _c("schema-duplicate-frame-key", lambda t: _schema(t, "frames:\n  a: x\n  a: y\n"),
       C, r"s\.yaml: not valid YAML \(.*key 'a' appears twice \(lines 2 and 3\)"),
    _c("schema-duplicate-target-key", lambda t: _schema(t, "targets:\n  t: x\n  u: y\n  t: z\n"),
       C, r"s\.yaml: not valid YAML \(.*key 't' appears twice \(lines 2 and 4\)"),
    _c("schema-duplicate-top-key", lambda t: _schema(t, "name: a\nframes: {f: x}\nname: b\n"),
       C, r"s\.yaml: not valid YAML \(.*key 'name' appears twice"),
    _c("schema-empty-frame-name", lambda t: _schema(t, 'frames:\n  "": x\n'),
       C, r"label schema .*s\.yaml: frames: .*label name '' must be"),
    _c("schema-integer-frame-name", lambda t: _schema(t, "frames:\n  1: x\n"),
       C, r"label schema .*s\.yaml: frames: .*expected label names as strings, found int 1"),
    _c("schema-boolean-target-name", lambda t: _schema(t, "targets:\n  yes: x\n"),
       C, r"s\.yaml: targets: .*found bool True"),
    _c("schema-trailing-space-name", lambda t: _schema(t, 'frames:\n  "isolation ": x\n'),
       C, r"s\.yaml: frames: .*label name 'isolation ' must be"),
    _c("schema-empty-stance-label",
       lambda t: _schema(t, 'targets: {t: x}\nstance_labels: [a, ""]\n'),
       C, r"s\.yaml: stance_labels: .*label name '' must be"),
    _c("schema-number-stance-labels",
       lambda t: _schema(t, "targets: {t: x}\nstance_labels: [1, 2]\n"),
       C, r"s\.yaml: stance_labels: .*found int 1"),
    _c("schema-uppercase-stance-label",
       lambda t: _schema(t, "targets: {t: x}\nstance_labels: [Favor, against]\n"),
       C, r"s\.yaml: label schema 'custom': stance_labels: expected lowercase labels"),
    _c("schema-not-utf8", lambda t: _schema(t, b"frames:\n  isolation: caf\xe9\n"),
       C, r"s\.yaml: not UTF-8 text \(byte \d+\); save the label schema file as UTF-8"),
    _c("schema-null-definition", lambda t: _schema(t, "frames:\n  isolation:\n"),
       C, r"s\.yaml: frames\.isolation: Input should be a valid string \(got None\)"),
    # --- experiment configs ---
    _c("split-sum-past-one", lambda t: _split(t, dev=0.6, test=0.5),
       C, r"c\.yaml: data\.split: .*expected dev \+ test below 1 .*found 0\.6 \+ 0\.5 = 1\.1"),
    _c("split-sum-exactly-one", lambda t: _split(t, dev=0.5, test=0.5),
       C, r"c\.yaml: data\.split: .*found 0\.5 \+ 0\.5 = 1"),
    _c("split-negative", lambda t: _split(t, dev=-0.1),
       C, r"c\.yaml: data\.split\.dev: Input should be greater than or equal to 0"),
    _c("split-seed-negative", lambda t: _split(t, seed=-1),
       C, r"c\.yaml: data\.split\.seed: Input should be greater than or equal to 0"),
    _c("split-and-dev", lambda t: _config(t, data={"train": str(TINY), "dev": str(TINY),
                                                   "split": {"dev": 0.1}}),
       C, r"c\.yaml: data: .*split: carves dev out of train"),
    _c("tfidf-C-empty", lambda t: _model(t, C=[]),
       C, r"c\.yaml: models\.0\.tfidf\.C: .*expected a positive number or a non-empty list .*"
       r"found an empty list"),
    _c("tfidf-C-zero", lambda t: _model(t, C=0), C, r"models\.0\.tfidf\.C: .*found 0"),
    _c("tfidf-C-negative", lambda t: _model(t, C=-1), C, r"models\.0\.tfidf\.C: .*found -1"),
    _c("tfidf-C-grid-with-negative", lambda t: _model(t, C=[1.0, -3.0]),
       C, r"models\.0\.tfidf\.C: .*found -3\.0"),
    _c("tfidf-C-boolean", lambda t: _model(t, C=True),
       C, r"models\.0\.tfidf\.C: .*found the boolean true"),
    _c("encoder-C-zero", lambda t: _model(t, kind="encoder", C=[0]),
       C, r"models\.0\.encoder\.C: .*found 0"),
    _c("encoder-batch-size-zero", lambda t: _model(t, kind="encoder", batch_size=0),
       C, r"models\.0\.encoder\.batch_size: Input should be greater than or equal to 1"),
    _c("finetune-max-length-zero", lambda t: _model(t, kind="finetune", max_length=0),
       C, r"models\.0\.finetune\.max_length: Input should be greater than or equal to 8"),
    _c("model-name-with-slash", lambda t: _model(t, name="../escape"),
       C, r"models\.0\.tfidf\.name: String should match pattern"),
    _c("override-index-out-of-range", lambda t: _config(t, "models.5.kind=tfidf"),
       C, r"c\.yaml: override 'models\.5\.kind=tfidf': models has 1 item\(s\), so index 5 is out "
       r"of range; expected an index 0\.\.0"),
    _c("override-without-equals", lambda t: _config(t, "train.seed"),
       C, r"c\.yaml: override 'train\.seed' must look like key\.path=value \(found no '='\)"),
    _c("override-empty-key-part", lambda t: _config(t, "train..seed=3"),
       C, r"c\.yaml: override 'train\.\.seed=3': the key 'train\.\.seed' has an empty part"),
    _c("override-into-a-number", lambda t: _config(t, "train.seed=1", "train.seed.x=2"),
       C, r"c\.yaml: override 'train\.seed\.x=2': train\.seed is 1, not a mapping"),
    _c("override-list-by-name", lambda t: _config(t, "models.tfidf.C=1"),
       C, r"c\.yaml: override 'models\.tfidf\.C=1': models is a list; expected an index 0\.\.0, "
       r"found 'tfidf'"),
    _c("bootstrap-negative", lambda t: _config(t, evaluation={"bootstrap": -5}),
       C, r"c\.yaml: evaluation\.bootstrap: Input should be greater than or equal to 0"),
    _c("calibration-bins-one", lambda t: _config(t, evaluation={"calibration_bins": 1}),
       C, r"evaluation\.calibration_bins: Input should be greater than or equal to 2"),
    _c("favor-against-empty", lambda t: _config(t, evaluation={"favor_against": []}),
       C, r"evaluation\.favor_against: List should have at least 1 item"),
    _c("train-batch-size-negative", lambda t: _config(t, train={"batch_size": -8}),
       C, r"c\.yaml: train\.batch_size: Input should be greater than or equal to 1"),
    _c("train-epochs-zero", lambda t: _config(t, train={"epochs": 0}),
       C, r"train\.epochs: Input should be greater than or equal to 1"),
    _c("train-epochs-boolean", lambda t: _config(t, train={"epochs": True}),
       C, r"train\.epochs: .*expected a number, found the boolean true"),
    _c("train-lr-nan", lambda t: _config(t, "train.lr=.nan"),
       C, r"c\.yaml: train\.lr: Input should be a finite number"),
    _c("train-warmup-one", lambda t: _config(t, train={"warmup_ratio": 1}),
       C, r"train\.warmup_ratio: Input should be less than 1"),
    _c("unknown-key-top", lambda t: _config(t, modles=[]),
       C, r"c\.yaml: modles: Extra inputs are not permitted"),
    _c("unknown-key-depth-3", lambda t: _split(t, sed=1),
       C, r"c\.yaml: data\.split\.sed: Extra inputs are not permitted"),
    _c("unknown-key-in-model", lambda t: _model(t, ngrams=2),
       C, r"c\.yaml: models\.0\.tfidf\.ngrams: Extra inputs are not permitted"),
    _c("config-duplicate-key", lambda t: load_config(_config_path(t, "name: a\nname: b\n")),
       C, r"c\.yaml: not valid YAML \(.*key 'name' appears twice \(lines 1 and 2\)"),
    _c("config-impossible-date", lambda t: load_config(_config_path(t, "name: 2020-13-45\n")),
       C, r"c\.yaml: not valid YAML \(ValueError: month must be in 1\.\.12\)"),
    _c("fields-unknown-canonical-name",
       lambda t: _config(t, data={"train": str(TINY), "fields": {"txt": "sentence"}}),
       C, r"c\.yaml: data: .*fields: expected canonical field names .*found 'txt'"),
    _c("shared-documents-ok-unknown-set",
       lambda t: _config(t, data={"train": str(TINY), "shared_documents_ok": ["un_rnd"]}),
       C, r"c\.yaml: data: .*shared_documents_ok: expected names of eval sets .*found 'un_rnd'"),
    _c("eval-set-empty-list", lambda t: _config(t, data={"train": str(TINY), "eval": {"x": []}}),
       C, r"c\.yaml: data\.eval\.x: .*expected a file path or a non-empty list of file paths, "
       r"found \[\]"),
    # --- the CLI: `framing check` prints the same single line, exit 1, no traceback ---
    _c("cli-truncated-gzip",
       lambda t: _check_data(t, _write(t, "d.jsonl.gz", _packed()[:-30])),
       D, r"d\.jsonl\.gz: the gzip data ends early"),
    _c("cli-not-gzip", lambda t: _check_data(t, _write(t, "d.jsonl.gz", GOOD)),
       D, r"d\.jsonl\.gz: not a gzip file"),
    _c("cli-utf16-data", lambda t: _check_data(t, _write(t, "d.jsonl", GOOD.encode("utf-16"))),
       D, r"d\.jsonl line 1: the file is UTF-16 text"),
    _c("cli-text-is-a-number", lambda t: _check_data(t, _jsonl(t, GOOD, '{"id": 2, "text": 7}')),
       D, LINE2 + r"field 'text' must be a string"),
    _c("cli-misspelled-label-field",
       lambda t: _check_data(t, _jsonl(t, GOOD, '{"id": "b", "text": "x", "stances": {}}')),
       D, LINE2 + r"unknown field 'stances'; did you mean 'stance'\?"),
    _c("cli-fields-missing-column",
       lambda t: _check_data(t, _jsonl(t, GOOD), fields={"text": "sentence"}),
       D, r"d\.jsonl line 1: data\.fields maps 'text' to column \"sentence\""),
    _c("cli-override-out-of-range", lambda t: _check(_config_path(t), "models.5.kind=tfidf"),
       C, r"c\.yaml: override 'models\.5\.kind=tfidf': models has 1 item"),
    _c("cli-override-without-equals", lambda t: _check(_config_path(t), "train.seed"),
       C, r"c\.yaml: override 'train\.seed' must look like key\.path=value"),
    _c("cli-split-sum-past-one",
       lambda t: _check(_config_path(t, data={"train": str(TINY),
                                             "split": {"dev": 0.7, "test": 0.4}})),
       C, r"c\.yaml: data\.split: .*expected dev \+ test below 1"),
    _c("cli-duplicate-stance-label",
       lambda t: _check(_config_path(t, schema=str(_write(
           t, "s.yaml", "targets: {russia: r, the_west: w}\nstance_labels: [favor, none, favor]\n"
       )))),
       C, r"s\.yaml: label schema 'custom': stance_labels: 'favor' appears twice"),
]  # fmt: skip


def _outcome(build: Callable[[Path], Any], tmp_path: Path) -> None:
    """Run the case; a CLI case must fail like its library call, which is then re-raised."""
    result = build(tmp_path)
    if not isinstance(result, Cli):
        pytest.fail(f"no error raised; got {result!r:.200}")
    from framing.cli import app

    run = CliRunner().invoke(app, result.args)
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), run.output
    try:
        result.library()
    except FramingError as exc:
        assert lines[0] == f"error: {exc}"
        raise


@pytest.mark.parametrize("build, error, pattern", CASES)
def test_bad_input_gets_one_clear_line(tmp_path, build, error, pattern):
    with pytest.raises(FramingError) as info:
        _outcome(build, tmp_path)
    message = str(info.value)
    assert type(info.value) is error, message
    assert len(message.splitlines()) == 1, message
    assert re.search(pattern, message), message
    assert str(tmp_path) in message  # the file (config, schema or data) is named


def test_table_is_large_and_distinct():
    ids = [case.id for case in CASES]
    assert len(ids) >= 50 and len(set(ids)) == len(ids)
