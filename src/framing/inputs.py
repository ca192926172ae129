"""What users hand to `FramingClassifier`: texts to score and examples to learn from, checked
at the door so a mistake is one clear error naming the argument, not a failure deep inside."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from framing.data import Example, parse_record
from framing.errors import DataError
from framing.labels import LabelSchema
from framing.soft import parse_soft


def _table_column(texts: Any, method: str) -> Any:
    """The `text` column of a table (a `datasets.Dataset` or a pandas DataFrame), else the
    input itself: iterating a DataFrame gives its column names, never its rows."""
    columns = getattr(texts, "column_names", None)
    if columns is None and hasattr(texts, "columns") and hasattr(texts, "iloc"):
        columns = [str(c) for c in texts.columns]
    if columns is None or not hasattr(texts, "__getitem__"):
        return texts
    if "text" not in columns:
        raise TypeError(
            f"{method}() got a table without a 'text' column (columns: {', '.join(columns)})"
        )
    return texts["text"]


def as_texts(texts: Any, method: str = "predict") -> list[str]:
    """A list of strings from a list, array or Series of strings, or from the `text` column of
    a `datasets.Dataset` or pandas DataFrame; a bare str or a mapping is refused."""
    if isinstance(texts, Mapping):
        raise TypeError(
            f"{method}() expects a list of strings, got a mapping; pass the texts themselves: "
            f"clf.{method}(list_of_texts)"
        )
    if isinstance(texts, str):
        raise TypeError(
            f"{method}() expects a list of strings, got str; "
            f"wrap a single text: clf.{method}([text])"
        )
    texts = _table_column(texts, method)
    if not isinstance(texts, Iterable):
        raise TypeError(f"{method}() expects a list of strings, got {type(texts).__name__}")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{method}() expects strings; item {i} is {type(text).__name__}")
        if not text.strip():
            raise DataError(f"{method}() got an empty text at item {i}; drop it or give words")
    return texts


def _check_label_types(ex: Example, where: str) -> None:
    """An Example's frames must be a sequence of names and its stance a mapping (a str would
    be read letter by letter)."""
    if ex.frames is not None and (
        isinstance(ex.frames, str) or not isinstance(ex.frames, Iterable)
    ):
        raise DataError(
            f"{where}: frames must be a list of frame names (or None), found "
            f"{type(ex.frames).__name__} {ex.frames!r}; e.g. frames=({ex.frames!r},)"
        )
    if ex.stance is not None and not isinstance(ex.stance, Mapping):
        raise DataError(
            f"{where}: stance must be a mapping of target to label (or None), found "
            f"{type(ex.stance).__name__} {ex.stance!r}; e.g. stance={{'russia': 'against'}}"
        )


def check_labels(ex: Example, schema: LabelSchema, where: str) -> Example:
    """An Example built in Python, checked against the schema without parsing it again."""
    _check_label_types(ex, where)
    unknown = [f for f in ex.frames or () if f not in schema.frames]
    if unknown:
        raise DataError(
            f"{where}: frame {unknown[0]!r} is not in the schema ({', '.join(schema.frames)})"
        )
    parse_soft(ex.soft, where, schema)
    for target, label in (ex.stance or {}).items():
        if target not in schema.targets:
            raise DataError(
                f"{where}: stance target {target!r} is not in the schema "
                f"({', '.join(schema.targets)})"
            )
        if label not in schema.stance_labels:
            raise DataError(
                f"{where}: stance label {label!r} for {target!r} is not one of "
                f"{', '.join(schema.stance_labels)}"
            )
    return ex


def as_examples(
    items: Sequence[Example | Mapping[str, Any]], schema: LabelSchema, method: str = "fit"
) -> list[Example]:
    """Examples from Example objects (checked) or canonical dicts (parsed and checked)."""
    if isinstance(items, os.PathLike):
        raise TypeError(
            f"{method}() expects a list of Example objects or dicts, got the path {items}; "
            "read the file first: framing.read_examples(path, schema)"
        )
    if isinstance(items, (str, Mapping)) or not isinstance(items, Iterable):
        raise TypeError(
            f"{method}() expects a list of Example objects or dicts, got {type(items).__name__}"
        )
    examples = []
    for i, item in enumerate(items):
        if isinstance(item, Example):
            examples.append(check_labels(item, schema, f"example {i}"))
        elif isinstance(item, Mapping):
            examples.append(parse_record(dict(item), f"example {i}", schema))
        else:
            raise TypeError(
                f"{method}() expects Example objects or dicts; item {i} is {type(item).__name__}"
            )
    return examples


def unlabelled_examples(items: Any, schema: LabelSchema, method: str) -> list[Example]:
    """Examples for a method that reads texts only where given (zero-shot): plain strings
    become unlabelled examples numbered from 1, dicts without an id get their position as one."""
    if isinstance(items, (str, Mapping)) or not isinstance(items, Iterable):
        raise TypeError(
            f"{method}() expects a list of texts, Example objects or dicts, got "
            f"{type(items).__name__}"
        )
    rows: list[Example | Mapping[str, Any]] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            rows.append({"id": f"text-{i + 1}", "text": item})
        elif isinstance(item, Mapping) and "id" not in item:
            rows.append({"id": f"text-{i + 1}", **item})
        else:
            rows.append(item)
    return as_examples(rows, schema, method)
