"""Labelled and unlabelled sentences: the `Example` record, reading and checking files, splits."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framing.errors import DataError
from framing.labels import LabelSchema

if TYPE_CHECKING:
    import datasets

CANONICAL_FIELDS = ("id", "text", "source", "doc_id", "date", "frames", "stance")
REQUIRED_FIELDS = ("id", "text")


@dataclass(frozen=True)
class Example:
    """One sentence. `frames`/`stance` are None when that task is unlabelled for this sentence.

    `stance` holds only the targets that were labelled; a target absent from it is unlabelled.
    """

    id: str
    text: str
    source: str = "unknown"
    doc_id: str = ""
    date: str | None = None
    frames: tuple[str, ...] | None = None
    stance: dict[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def group(self) -> str:
        """The unit of grouped splits and of the cluster bootstrap (the document)."""
        return self.doc_id or self.id


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")  # noqa: SIM115


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path} line {line_no}: not valid JSON ({exc.msg} at column {exc.colno}); "
                    "each line must be one JSON object"
                ) from None
            if not isinstance(record, dict):
                raise DataError(
                    f"{path} line {line_no}: expected a JSON object, found {type(record).__name__}"
                )
            yield line_no, record


def _iter_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return
        for row in reader:
            record: dict[str, Any] = {k: v for k, v in row.items() if k is not None}
            if None in row:
                raise DataError(
                    f"{path} line {reader.line_num}: more cells than header columns "
                    f"({', '.join(reader.fieldnames)})"
                )
            yield reader.line_num, _csv_labels(record, path, reader.line_num)


def _csv_labels(record: dict[str, Any], path: Path, line_no: int) -> dict[str, Any]:
    """CSV cells: `frames` is ';'-separated or a JSON list; stance is `stance.<target>` columns."""
    frames = record.get("frames")
    if isinstance(frames, str):
        text = frames.strip()
        if text.startswith("["):
            try:
                record["frames"] = json.loads(text)
            except json.JSONDecodeError:
                raise DataError(
                    f"{path} line {line_no}: field 'frames' is not a JSON list"
                ) from None
        elif text:
            record["frames"] = [part.strip() for part in text.split(";") if part.strip()]
        else:
            record["frames"] = None
    stance = {k.split(".", 1)[1]: v for k, v in record.items() if k.startswith("stance.") and v}
    for key in [k for k in record if k.startswith("stance.")]:
        del record[key]
    if stance:
        record["stance"] = stance
    for key in ("date", "source", "doc_id"):
        if record.get(key) == "":
            record[key] = None
    return record


def iter_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, raw record) from a .jsonl, .jsonl.gz or .csv file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    suffixes = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    if suffixes in (".jsonl", ".jsonl.gz", ".json", ".ndjson"):
        yield from _iter_jsonl(path)
    elif suffixes in (".csv", ".csv.gz"):
        yield from _iter_csv(path)
    else:
        raise DataError(
            f"{path}: unsupported file type {suffixes!r}; expected .jsonl, .jsonl.gz or .csv"
        )


def _as_str(value: Any, where: str, name: str, required: bool) -> str | None:
    if value is None:
        if required:
            raise DataError(f"{where}: missing field '{name}'")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DataError(f"{where}: field '{name}' must be a string, found {type(value).__name__}")
    return str(value)


def _check_frames(value: Any, where: str, schema: LabelSchema | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(
            f"{where}: field 'frames' must be a list of frame names, found {json.dumps(value)[:60]}"
        )
    if schema is not None:
        for name in value:
            if name not in schema.frames:
                raise DataError(
                    f"{where}: frame '{name}' is not in the schema ({', '.join(schema.frames)}). "
                    f"Fix the data or the schema '{schema.name}'"
                )
        return tuple(f for f in schema.frames if f in value)
    return tuple(dict.fromkeys(value))


def _check_stance(value: Any, where: str, schema: LabelSchema | None) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DataError(
            f"{where}: field 'stance' must map target to label, found {type(value).__name__}"
        )
    stance: dict[str, str] = {}
    for target, label in value.items():
        if label is None:
            continue
        if schema is not None and target not in schema.targets:
            raise DataError(
                f"{where}: stance target '{target}' is not in the schema "
                f"({', '.join(schema.targets) or 'no targets'}). Fix the data or the schema "
                f"'{schema.name}'"
            )
        if not isinstance(label, str):
            raise DataError(f"{where}: stance.{target} must be a string, found {label!r}")
        label = label.lower()
        if schema is not None and label not in schema.stance_labels:
            raise DataError(
                f"{where}: stance.{target} is '{label}', expected one of "
                f"{', '.join(schema.stance_labels)}"
            )
        stance[target] = label
    return stance or None


def _remap(record: dict[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """Rename file columns to canonical names: `fields` maps canonical name -> column name."""
    if not fields:
        return record
    out = dict(record)
    for canonical, column in fields.items():
        if column != canonical and column in record:
            out[canonical] = out.pop(column)
    return out


def parse_record(record: dict[str, Any], where: str, schema: LabelSchema | None = None) -> Example:
    """Check one canonical record and turn it into an Example; `where` is 'file line N'."""
    text = _as_str(record.get("text"), where, "text", required=True)
    assert text is not None
    if not text.strip():
        raise DataError(f"{where}: field 'text' is empty")
    ident = _as_str(record.get("id"), where, "id", required=True)
    assert ident is not None
    if not ident.strip():
        raise DataError(f"{where}: field 'id' is empty")
    extra = {k: v for k, v in record.items() if k not in CANONICAL_FIELDS}
    return Example(
        id=ident,
        text=text,
        source=_as_str(record.get("source"), where, "source", required=False) or "unknown",
        doc_id=_as_str(record.get("doc_id"), where, "doc_id", required=False) or ident,
        date=_as_str(record.get("date"), where, "date", required=False),
        frames=_check_frames(record.get("frames"), where, schema),
        stance=_check_stance(record.get("stance"), where, schema),
        extra=extra,
    )


def read_examples(
    path: str | Path,
    schema: LabelSchema | None = None,
    fields: Mapping[str, str] | None = None,
) -> list[Example]:
    """Read and check a labelled or unlabelled file (JSONL, JSONL.gz or CSV).

    Every problem is a `DataError` naming the file, the line and the field; ids must be unique.

    Args:
        path: the file.
        schema: when given, every frame, target and stance label must belong to it.
        fields: maps canonical field names to this file's column names, e.g. {"text": "sentence"}.
    """
    examples: list[Example] = []
    seen: dict[str, int] = {}
    for line_no, raw in iter_records(path):
        where = f"{path} line {line_no}"
        example = parse_record(_remap(raw, fields or {}), where, schema)
        if example.id in seen:
            raise DataError(
                f"{where}: duplicate id '{example.id}' (first seen on line {seen[example.id]})"
            )
        seen[example.id] = line_no
        examples.append(example)
    if not examples:
        raise DataError(f"{path}: no records found; expected one JSON object (or CSV row) per line")
    return examples


def write_examples(examples: Iterable[Example], path: str | Path) -> None:
    """Write examples as canonical JSONL (extra fields kept)."""
    with open(path, "w", encoding="utf-8") as handle:
        for ex in examples:
            handle.write(json.dumps(example_to_dict(ex), ensure_ascii=False) + "\n")


def example_to_dict(ex: Example) -> dict[str, Any]:
    """The canonical JSON form of an example."""
    record: dict[str, Any] = {"id": ex.id, "doc_id": ex.doc_id, "source": ex.source}
    if ex.date is not None:
        record["date"] = ex.date
    record["text"] = ex.text
    if ex.frames is not None:
        record["frames"] = list(ex.frames)
    if ex.stance is not None:
        record["stance"] = dict(ex.stance)
    record.update(ex.extra)
    return record


def split_examples(
    examples: Sequence[Example], fractions: Sequence[float], seed: int
) -> list[list[Example]]:
    """Split into len(fractions) parts by document, so no document lands in two parts.

    Fractions are of documents, drawn with a seeded shuffle; the same seed gives the same split.
    """
    import numpy as np

    if abs(sum(fractions) - 1.0) > 1e-6:
        raise DataError(f"split fractions must sum to 1, got {list(fractions)}")
    groups = sorted({ex.group for ex in examples})
    order = np.random.default_rng(seed).permutation(len(groups))
    bounds = np.round(np.cumsum(fractions) * len(groups)).astype(int)
    part_of: dict[str, int] = {}
    start = 0
    for part, stop in enumerate(bounds):
        for index in order[start:stop]:
            part_of[groups[index]] = part
        start = stop
    parts: list[list[Example]] = [[] for _ in fractions]
    for ex in examples:
        parts[part_of[ex.group]].append(ex)
    return parts


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (recorded in run metadata)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def to_hf_dataset(examples: Sequence[Example]) -> datasets.Dataset:
    """A `datasets.Dataset` with the canonical columns (labels as JSON strings where present)."""
    import datasets

    return datasets.Dataset.from_dict(
        {
            "id": [ex.id for ex in examples],
            "text": [ex.text for ex in examples],
            "source": [ex.source for ex in examples],
            "doc_id": [ex.doc_id for ex in examples],
        }
    )
