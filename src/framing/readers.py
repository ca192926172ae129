"""Data file formats: JSONL and CSV, optionally gzipped, read line by line as UTF-8, and Parquet
read row group by row group (a Parquet file's "line N" is its N-th row).

Every problem (bytes that are not UTF-8, a broken gzip stream, a line that is not a JSON object,
a ragged CSV row, a renamed column that is missing) is one `DataError` naming the file and line.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from framing.errors import DataError

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".ndjson")
CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
_CR_ONLY = re.compile(r"(?<=\r)(?!\n)")  # split after a bare carriage return (old Mac endings)
_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")  # what str.splitlines splits on


class _DuplicateKey(ValueError):
    """A JSON object with the same key twice (json.loads would silently keep the last)."""


def json_type(value: Any) -> str:
    """The JSON name of a value's type: object, array, string, number, boolean, null or NaN."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def describe(value: Any, limit: int = 60) -> str:
    """'number 12345', 'string "x"', 'array [...]', 'null', 'NaN': a value's JSON type and value."""
    kind = json_type(value)
    if kind in ("null", "NaN"):
        return kind
    return f"{kind} {shown(value, limit)}"


def one_line(text: str, limit: int = 200) -> str:
    """`text` with every line break escaped (as repr would), cut to `limit` characters."""
    text = "".join(repr(ch)[1:-1] if ch in _BREAKS else ch for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any, limit: int = 60) -> str:
    """A short one-line rendering of a value for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return one_line(text, limit)


def names(items: Any) -> str:
    """Column or label names as one escaped, comma-separated line."""
    return one_line(", ".join(str(item) for item in items)) or "none"


def file_format(path: Path) -> str:
    """'jsonl', 'csv' or 'parquet' from the file name (case-insensitive), else a DataError."""
    suffixes = [s.lower() for s in path.suffixes]
    ending = "".join(suffixes[-2:]) if suffixes[-1:] == [".gz"] else "".join(suffixes[-1:])
    if ending in JSONL_SUFFIXES:
        return "jsonl"
    if ending in CSV_SUFFIXES:
        return "csv"
    if ending in PARQUET_SUFFIXES:
        return "parquet"
    raise DataError(
        f"{path}: unsupported file type {ending or '(no suffix)'!r}; "
        "expected .jsonl, .jsonl.gz, .csv, .csv.gz or .parquet"
    )


def _decode(raw: bytes, path: Path, line_no: int) -> str:
    if line_no == 1:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise DataError(
                f"{path} line 1: the file is UTF-16 text (it starts with a UTF-16 byte-order "
                "mark); expected UTF-8: save it as UTF-8"
            )
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
    if b"\x00" in raw:
        raise DataError(
            f"{path} line {line_no}: found a NUL byte at byte {raw.index(0) + 1}; expected UTF-8 "
            "text (the file looks like UTF-16 or binary): save it as UTF-8"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} line {line_no}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte "
            f"{exc.start + 1} of the line); expected UTF-8: save the file as UTF-8 (it may be "
            "Latin-1 or Windows-1252)"
        ) from None


def _read_failure(path: Path, lines_read: int, exc: BaseException) -> DataError:
    after = f"after line {lines_read}" if lines_read else "before the first line"
    if isinstance(exc, EOFError):
        return DataError(
            f"{path}: the gzip data ends early, {after} (the file is truncated); "
            "expected a complete gzip file: re-create or re-download it"
        )
    if isinstance(exc, gzip.BadGzipFile) and not lines_read and "Not a gzipped" in str(exc):
        return DataError(
            f"{path}: not a gzip file (the name ends in .gz but the bytes are not gzip); "
            "expected gzip data: compress it with gzip or drop the .gz from the name"
        )
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)):
        return DataError(f"{path}: corrupt gzip data {after} ({exc}); expected a valid gzip file")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return DataError(f"{path}: cannot read the file {after} ({reason})")


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) for each line, decoded as UTF-8 with a leading BOM dropped."""
    path = Path(path)
    lines_read = 0
    try:
        with _open_binary(path) as handle:
            for raw in handle:
                lines_read += 1
                yield lines_read, _decode(raw, path, lines_read)
    except (OSError, EOFError, zlib.error) as exc:
        raise _read_failure(path, lines_read, exc) from None


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        keys = [key for key, _ in pairs]
        raise _DuplicateKey(next(key for key in keys if keys.count(key) > 1))
    return record


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs)


def parse_json_line(text: str, where: str) -> dict[str, Any]:
    """One JSONL line as a dict; `where` is 'file line N'."""
    try:
        record = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); "
            "expected one complete JSON object per line"
        ) from None
    except _DuplicateKey as exc:
        raise DataError(
            f"{where}: key '{exc.args[0]}' appears twice in one object; expected each key once"
        ) from None
    except (ValueError, RecursionError) as exc:
        reason = str(exc).split(";")[0] or "nested too deeply"
        raise DataError(f"{where}: not valid JSON ({reason}); expected one JSON object") from None
    if not isinstance(record, dict):
        hint = (
            " (JSON Lines: one object per line, not one array)" if isinstance(record, list) else ""
        )
        raise DataError(
            f'{where}: expected a JSON object like {{"id": ..., "text": ...}}, '
            f"found {describe(record, 40)}{hint}"
        )
    return record


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_no, line in iter_lines(path):
        if line.strip():
            yield line_no, parse_json_line(line, f"{path} line {line_no}")


def _iso(value: Any) -> Any:
    """A Parquet date or timestamp cell as an ISO string, as the JSONL and CSV readers give it."""
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number from 1, row) of a Parquet file, one record batch in memory at a time."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        row_no = 0
        for batch in handle.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                row_no += 1
                yield row_no, {k: _iso(v) for k, v in row.items()}
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: not a readable Parquet file ({one_line(str(exc))})") from None


def _csv_text(path: Path) -> Iterator[str]:
    for _, line in iter_lines(path):
        yield from (part for part in _CR_ONLY.split(line) if part)


def _csv_header(row: list[str], path: Path, line_no: int) -> list[str]:
    header = [name.strip() for name in row]
    seen: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name and name in seen:
            raise DataError(
                f"{path} line {line_no}: column {name!r} appears twice in the header (columns "
                f"{seen[name]} and {column}); expected each column name once"
            )
        seen[name] = column
    return header


def _csv_row(row: list[str], header: list[str], path: Path, line_no: int) -> dict[str, Any]:
    if len(row) != len(header):
        hint = (
            " (a comma inside an unquoted cell? quote that cell)" if len(row) > len(header) else ""
        )
        raise DataError(
            f"{path} line {line_no}: expected {len(header)} cells like the header "
            f"({names(header)}), found {len(row)}{hint}"
        )
    record: dict[str, Any] = {}
    for column, (name, value) in enumerate(zip(header, row), start=1):
        if name:
            record[name] = value
        elif value.strip():
            raise DataError(
                f"{path} line {line_no}: column {column} has no name in the header but holds "
                f"{shown(value, 30)}; expected a column name in the header"
            )
    return record


def _iter_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(_csv_text(path), strict=True)  # a quote left open is an error
    header: list[str] | None = None
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise DataError(
                f"{path} line {reader.line_num}: not valid CSV ({exc}); expected comma-separated "
                'cells, quoted with " where they hold commas or line breaks'
            ) from None
        if row is None:
            return
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = _csv_header(row, path, reader.line_num)
            continue
        yield reader.line_num, _csv_row(row, header, path, reader.line_num)


def csv_labels(record: dict[str, Any], where: str) -> dict[str, Any]:
    """CSV cells: `frames` is ';'-separated or a JSON list; stance is `stance.<target>` columns."""
    frames = record.get("frames")
    if isinstance(frames, str):
        text = frames.strip()
        if text.startswith("["):
            try:
                record["frames"] = json.loads(text)
            except (ValueError, RecursionError):
                raise DataError(
                    f"{where}: field 'frames' starts with '[' but is not a JSON list; expected "
                    f'e.g. ["isolation"] or isolation;multipolarity, found {shown(text)}'
                ) from None
        elif text:
            record["frames"] = [part.strip() for part in text.split(";") if part.strip()]
            if not record["frames"]:
                raise DataError(
                    f"{where}: field 'frames' is {shown(text)}, separators without frame names; "
                    "expected names separated by ';', or [] for 'no frame'"
                )
        else:
            record["frames"] = None
    stance_columns = [k for k in record if k.startswith("stance.")]
    stance = {k.split(".", 1)[1]: record.pop(k) for k in stance_columns}
    stance = {target: label for target, label in stance.items() if label.strip()}
    if stance:
        record["stance"] = stance
    for key in ("date", "source", "doc_id"):
        if isinstance(record.get(key), str) and not record[key].strip():
            record[key] = None
    return record


def remap(record: dict[str, Any], fields: Mapping[str, str], where: str) -> dict[str, Any]:
    """Rename columns to canonical names: `fields` maps canonical name -> this file's column.

    A mapped column absent from the record is an error; for `stance`, CSV columns
    `<column>.<target>` count as that column. A mapped column wins over a column that already
    has the canonical name.
    """
    moves = {canonical: column for canonical, column in fields.items() if column != canonical}
    if not moves:
        return record
    renamed: dict[str, str] = {}  # original key -> new key
    for canonical, column in moves.items():
        prefix = column + "."
        prefixed = [k for k in record if k.startswith(prefix)] if canonical == "stance" else []
        if column not in record and not prefixed:
            raise DataError(
                f"{where}: data.fields maps '{canonical}' to column {shown(column)}, which this "
                f"record lacks; expected a column {shown(column)}, found: {names(record)}"
            )
        if column in record:
            renamed[column] = canonical
        renamed.update({key: "stance." + key[len(prefix) :] for key in prefixed})
    out = {k: v for k, v in record.items() if k not in renamed and k not in renamed.values()}
    out.update({new: record[old] for old, new in renamed.items()})
    return out


def _check_fields(fields: Mapping[str, str], path: Path) -> None:
    seen: dict[str, str] = {}
    for canonical, column in fields.items():
        if column in seen:
            raise DataError(
                f"{path}: data.fields maps both '{seen[column]}' and '{canonical}' to column "
                f"{shown(column)}; expected one field per column"
            )
        seen[column] = canonical


def iter_records(
    path: str | Path, fields: Mapping[str, str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) from a .jsonl, .jsonl.gz, .csv, .csv.gz or .parquet file.

    Columns are renamed by `fields` (canonical name -> column) first; CSV label cells are then
    parsed into a `frames` list and a `stance` mapping. A file without records is an error.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a data file (.jsonl or .csv)")
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    kind = file_format(path)
    _check_fields(fields or {}, path)
    found = 0
    rows = {"jsonl": _iter_jsonl, "csv": _iter_csv, "parquet": _iter_parquet}[kind](path)
    for line_no, record in rows:
        where = f"{path} line {line_no}"
        record = remap(record, fields or {}, where)
        found += 1
        yield line_no, csv_labels(record, where) if kind == "csv" else record
    if not found:
        what = {
            "jsonl": "one JSON object per line",
            "csv": "a header line, then rows",
            "parquet": "a table with rows",
        }[kind]
        raise DataError(
            f"{path}: no records found (the file is empty, blank or only a header); expected {what}"
        )
