"""Labelled and unlabelled sentences: the `Example` record, reading and checking files, splits."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framing.errors import DataError
from framing.labels import LabelSchema
from framing.readers import describe, iter_records, names, one_line, shown
from framing.soft import SoftLabels, parse_soft

__all__ = [
    "check_training_data",
    "CANONICAL_FIELDS",
    "Example",
    "example_to_dict",
    "iter_records",
    "parse_record",
    "read_examples",
    "split_examples",
    "to_hf_dataset",
    "write_examples",
]

if TYPE_CHECKING:
    import datasets

CANONICAL_FIELDS = ("id", "text", "source", "doc_id", "date", "frames", "stance", "soft")
# What pandas writes for a missing cell once it is turned into a string (astype(str)).
_MISSING_MARKERS = frozenset({"nan", "none", "null", "<na>", "nat"})


@dataclass(frozen=True)
class Example:
    """One sentence. `frames`/`stance` are None when that task is unlabelled for this sentence.

    `stance` holds only the targets that were labelled; a target absent from it is unlabelled.
    `soft` holds a teacher's probabilities (framing.soft), which only a `finetune` student reads.
    """

    id: str
    text: str
    source: str = "unknown"
    doc_id: str = ""
    date: str | None = None
    frames: tuple[str, ...] | None = None
    stance: dict[str, str] | None = None
    # Not part of equality: the same sentence with the same gold labels is the same example,
    # whichever teacher guessed for it.
    soft: SoftLabels | None = field(default=None, compare=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def document(self) -> str:
        """The document this sentence belongs to: the unit of grouped splits and of the
        bootstrap (its doc_id, or its own id when it has none)."""
        return self.doc_id or self.id


@lru_cache(maxsize=1024)
def _close_field(key: str, missing: tuple[str, ...]) -> str | None:
    """The canonical field (of those `missing` from the record) a misspelled key was meant to be."""
    norm = key.strip().lower().replace("-", "_").replace(" ", "_")
    head = norm.split(".", 1)[0]
    if "." in norm and head != norm:
        if head == "stance" or (
            head.startswith("s") and get_close_matches(head, ["stance"], 1, 0.8)
        ):
            return "stance"
        return None
    for name in missing:
        if norm == name or norm.replace("_", "") == name.replace("_", ""):
            return name
    close = get_close_matches(norm, [f for f in missing if f[0] == norm[:1]], 1, 0.8)
    return close[0] if close else None


def _refuse_misspelled(record: Mapping[str, Any], where: str) -> None:
    """A label or metadata field under a near-miss name would be silently ignored: refuse it."""
    missing: tuple[str, ...] | None = None
    for key in record:
        if key in CANONICAL_FIELDS or not isinstance(key, str):
            continue
        if missing is None:
            missing = tuple(f for f in CANONICAL_FIELDS if f not in record)
        guess = _close_field(key, missing)
        if guess is None:
            continue
        if guess == "stance" and "." in key:
            target = one_line(key.split(".", 1)[1], 40)
            hint = "" if key.startswith("stance.") else f"did you mean 'stance.{target}'? "
            raise DataError(
                f"{where}: unknown field {key!r}; {hint}expected a CSV column stance.<target>, "
                f'or in JSON a mapping like "stance": {{"{target}": "favor"}}'
            )
        raise DataError(
            f"{where}: unknown field {key!r}; did you mean '{guess}'? (under any other name "
            f"its value would be ignored; rename it, or map it with data.fields)"
        )


def _scalar(value: Any, where: str, name: str, required: bool = False) -> str | None:
    """An id or metadata cell: a string or an integer (floats, NaN and booleans are refused)."""
    if value is None:
        if required:
            raise DataError(f"{where}: missing field '{name}'; expected a string or an integer")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DataError(
            f"{where}: field '{name}' must be a string or an integer, found {describe(value, 40)}"
        )
    text = str(value)
    if not text.strip():
        if required:
            raise DataError(f"{where}: field '{name}' is empty; expected a non-empty string")
        return None
    return _encodable(text, where, name)


def _encodable(text: str, where: str, name: str) -> str:
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DataError(
            f"{where}: field '{name}' holds an unpaired surrogate ({text[exc.start]!r}); "
            "expected valid Unicode text"
        ) from None
    return text


def _check_text(value: Any, where: str) -> str:
    if value is None:
        raise DataError(f"{where}: missing field 'text'; expected the sentence as a string")
    if not isinstance(value, str):
        raise DataError(
            f"{where}: field 'text' must be a string (the sentence), found {describe(value, 40)}"
        )
    if not value.strip():
        raise DataError(f"{where}: field 'text' is empty; expected the sentence")
    if value.strip().lower() in _MISSING_MARKERS:
        raise DataError(
            f"{where}: field 'text' is {value.strip()!r}, a missing-value marker; "
            "expected the sentence (drop rows without text)"
        )
    return _encodable(value, where, "text")


def _unknown(kind: str, name: str, known: Sequence[str], schema: LabelSchema) -> str:
    close = get_close_matches(name, list(known), 1, 0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if kind == "frame" and ("," in name or ";" in name):
        hint += " (one name per list item)"
    return (
        f"{kind} {name!r} is not in the schema ({names(known)}){hint}. "
        f"Fix the data or the schema {schema.name!r}"
    )


def _check_frames(value: Any, where: str, schema: LabelSchema | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise DataError(
            f"{where}: field 'frames' must be a list of frame names, e.g. [{shown(value, 30)}], "
            f"found the string {shown(value, 30)}"
        )
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise DataError(
            f"{where}: field 'frames' must be a list of frame names, found {describe(value)}"
        )
    for i, name in enumerate(value):
        if not name.strip():
            raise DataError(f"{where}: frames[{i}] is empty; expected a frame name")
        if name in value[:i]:
            raise DataError(f"{where}: frame {name!r} is listed twice; expected each frame once")
        if schema is not None and name not in schema.frames:
            raise DataError(f"{where}: {_unknown('frame', name, schema.frames, schema)}")
        _encodable(name, where, "frames")
    if schema is not None:
        return tuple(f for f in schema.frames if f in value)
    return tuple(value)


def _check_label(target: Any, label: Any, where: str, schema: LabelSchema | None) -> str | None:
    if not isinstance(target, str) or not target.strip():
        raise DataError(f"{where}: stance has a target {shown(target)}; expected a target name")
    if label is None:
        return None  # this target is unlabelled for this sentence
    if schema is not None and target not in schema.targets:
        raise DataError(f"{where}: stance {_unknown('target', target, schema.targets, schema)}")
    key = f"stance.{one_line(target, 60)}"
    if not isinstance(label, str):
        raise DataError(f"{where}: {key} must be a label string, found {describe(label)}")
    label = label.lower()
    if not label.strip():
        raise DataError(f"{where}: {key} is empty; expected a stance label or null")
    if schema is not None and label not in schema.stance_labels:
        close = get_close_matches(label.strip(), list(schema.stance_labels), 1, 0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"{where}: {key} is {one_line(repr(label), 40)}, expected one of "
            f"{', '.join(schema.stance_labels)}{hint}"
        )
    return _encodable(label, where, key)


def _check_stance(value: Any, where: str, schema: LabelSchema | None) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise DataError(
            f"{where}: field 'stance' must map each target to a label, "
            f'e.g. {{"russia": "favor"}}, found {describe(value)}'
        )
    stance: dict[str, str] = {}
    for target, label in value.items():
        checked = _check_label(target, label, where, schema)
        if checked is not None:
            stance[target] = checked
    return stance or None


def parse_record(record: dict[str, Any], where: str, schema: LabelSchema | None = None) -> Example:
    """Check one canonical record and turn it into an Example; `where` is 'file line N'."""
    _refuse_misspelled(record, where)
    ident = _scalar(record.get("id"), where, "id", required=True)
    assert ident is not None
    source = _scalar(record.get("source"), where, "source") or "unknown"
    doc_id = _scalar(record.get("doc_id"), where, "doc_id") or ident
    date = _scalar(record.get("date"), where, "date")
    text = _check_text(record.get("text"), where)
    extra = {k: v for k, v in record.items() if k not in CANONICAL_FIELDS}
    return Example(
        id=ident,
        text=text,
        source=source,
        doc_id=doc_id,
        date=date,
        frames=_check_frames(record.get("frames"), where, schema),
        stance=_check_stance(record.get("stance"), where, schema),
        soft=parse_soft(record.get("soft"), where, schema),
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
    for line_no, raw in iter_records(path, fields):
        where = f"{path} line {line_no}"
        example = parse_record(raw, where, schema)
        if example.id in seen:
            raise DataError(
                f"{where}: duplicate id {example.id!r} (first seen on line {seen[example.id]})"
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
    if ex.soft is not None:
        record["soft"] = ex.soft
    record.update(ex.extra)
    return record


def split_examples(
    examples: Sequence[Example], fractions: Sequence[float], seed: int
) -> list[list[Example]]:
    """Split into len(fractions) parts by document, so no document lands in two parts.

    Fractions are of documents, drawn with a seeded shuffle; the same seed gives the same split.
    """
    import numpy as np

    if any(not 0 <= f <= 1 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise DataError(
            f"split fractions must each be between 0 and 1 and sum to 1, got {list(fractions)}"
        )
    groups = sorted({ex.document for ex in examples})
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
        parts[part_of[ex.document]].append(ex)
    for part, fraction in zip(parts, fractions):
        if fraction > 0 and not part:
            raise DataError(
                f"split fractions {list(fractions)}: the part with fraction {fraction} gets none "
                f"of the {len(groups)} document(s); expected at least one: raise that fraction "
                "(data.split.dev / data.split.test) or give that part its own file"
            )
    return parts


def to_hf_dataset(examples: Sequence[Example]) -> datasets.Dataset:
    """A `datasets.Dataset` with the canonical columns (labels as JSON strings where present)."""
    import datasets

    return datasets.Dataset.from_dict(
        {
            "id": [ex.id for ex in examples],
            "text": [ex.text for ex in examples],
            "source": [ex.source for ex in examples],
            "doc_id": [ex.doc_id for ex in examples],
            "frames": [
                json.dumps(list(ex.frames)) if ex.frames is not None else None for ex in examples
            ],
            "stance": [json.dumps(ex.stance) if ex.stance else None for ex in examples],
        }
    )


def check_training_data(
    train: Sequence[Example],
    dev: Sequence[Example] | None,
    schema: LabelSchema,
    kind: str = "finetune",
) -> None:
    """Refuse data nothing can be learnt from; warn where the result would mislead. Soft labels
    train only a `finetune` student and never tune one (dev)."""
    soft = next((ex for ex in train if ex.soft is not None), None)
    if soft is not None and kind != "finetune":
        raise DataError(
            f"example {soft.id!r} carries soft labels (a teacher's probabilities); only kind "
            f"finetune learns from them, not {kind}: train {kind} without the soft-label file"
        )
    soft_dev = next((ex for ex in dev or () if ex.soft is not None), None)
    if soft_dev is not None:
        raise DataError(
            f"dev example {soft_dev.id!r} carries soft labels; a teacher's guesses may train a "
            "model but never choose its epoch or thresholds: move that file to the training data"
        )
    if not any(ex.frames is not None or ex.stance or ex.soft for ex in train):
        raise DataError("fit() got no labelled examples: every example lacks frames and stance")
    for where, items in (("example", train), ("dev example", dev or ())):
        for i, ex in enumerate(items):
            if not isinstance(ex.text, str) or not ex.text.strip():
                raise DataError(f"{where} {i}: field 'text' must be a non-empty string")
    labelled = [ex for ex in train if ex.frames is not None]
    for frame in schema.frames:
        positives = sum(frame in ex.frames for ex in labelled)  # type: ignore[operator]
        if labelled and positives in (0, len(labelled)):
            state = "no" if positives == 0 else "only"
            warnings.warn(
                f"frame {frame!r} has {state} positive training examples; its head can only "
                f"predict a constant ({'never' if positives == 0 else 'always'} present)",
                UserWarning,
                stacklevel=3,
            )
    if dev:
        seen = {ex.text for ex in train}
        shared = sum(ex.text in seen for ex in dev)
        if shared:
            warnings.warn(
                f"{shared} of {len(dev)} dev sentences are also training sentences; the chosen "
                "epoch/C and frame thresholds will be tuned on training data and look too good",
                UserWarning,
                stacklevel=3,
            )
