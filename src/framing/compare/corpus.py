"""The corpus of a comparison: reading it (and the dev and gold files), splitting documents into
sentences, and describing its documents: their source, group and period.

A "document" (speech, article) is the unit the bootstrap resamples; a "source" (country, outlet)
writes documents; a "group" is a named bloc of sources from the groups file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from framing.articles import corpus_kind, read_articles
from framing.compare.settings import Grouping
from framing.config import WindowConfig
from framing.data import Example, iter_records, read_examples
from framing.dates import date_span
from framing.errors import ConfigError, DataError
from framing.labels import LabelSchema
from framing.segment import segment_documents
from framing.stats import document_index

logger = logging.getLogger(__name__)


def read_input(
    path: Path, what: str, schema: LabelSchema | None, fields: Mapping[str, str]
) -> list[Example]:
    """Read the corpus, dev or gold file `path` (config key `what`) with the config's `fields`.

    Raises:
        ConfigError: the file does not exist.
        DataError: the file is empty or invalid.
    """
    if not path.exists():
        raise ConfigError(f"{what} not found: {path}")
    if what != "corpus":
        fields = _fields_present(path, fields)
    try:
        return read_examples(path, schema=schema, fields=fields)
    except DataError as exc:
        if "no records found" in str(exc):
            raise DataError(
                f"{what} {path} is empty: there is nothing to compare. Point `{what}` at a "
                "file with one sentence (or document) per line"
            ) from None
        raise


def _fields_present(path: Path, fields: Mapping[str, str]) -> dict[str, str]:
    """The renames whose column the first record of `path` has: dev and gold files may use the
    corpus's column names or the canonical ones."""
    if not fields or not path.is_file():
        return dict(fields)
    for _, record in iter_records(path):
        return {name: column for name, column in fields.items() if column in record}
    return dict(fields)


def check_fields(path: Path, fields: Mapping[str, str]) -> None:
    """Check that the first record of `path` has every column the `fields` mapping names (a
    missing one would silently leave its canonical field at its default, e.g. source 'unknown').

    Raises:
        DataError: naming the file, the line and the missing column.
    """
    if not fields or not path.is_file():
        return
    for line_no, record in iter_records(path):
        missing = [(name, col) for name, col in fields.items() if col not in record]
        if missing:
            canonical, column = missing[0]
            raise DataError(
                f"corpus {path} line {line_no}: no column '{column}', which `fields` maps to "
                f"'{canonical}' (columns there: {', '.join(map(str, record)) or 'none'})"
            )
        return


def read_corpus(path: Path, fields: Mapping[str, str], segment: bool) -> list[Example]:
    """The corpus's sentences: checked, read, and split into sentences if `segment`.

    The corpus is a JSONL/CSV file, a folder of .txt/.html articles with a metadata.csv, or a
    dataset saved with `save_to_disk` (see `framing.articles`); a folder of articles is always
    segmented.

    Raises:
        ConfigError: the corpus does not exist, or is a folder of articles without `segment`.
        DataError: the corpus (or a file of it) is empty or invalid.
    """
    if not path.exists():
        raise ConfigError(f"corpus not found: {path}")
    kind = corpus_kind(path)
    if kind == "file":
        check_fields(path, fields)
        documents = read_input(path, "corpus", None, fields)
    else:
        if kind == "folder" and not segment:
            raise ConfigError(
                f"corpus {path} is a folder of whole articles: set `segment: true` to split them "
                "into sentences"
            )
        documents = read_articles(path, fields)
    return segment_documents(documents) if segment else documents


def within_window(
    examples: Sequence[Example], window: WindowConfig | None, corpus: Path
) -> list[Example]:
    """The sentences of documents dated within `window` (a document's date counts as its first
    day); all of them without a window.

    Raises:
        DataError: a document has no date or an unreadable one, or no document is in the window.
    """
    if window is None or (window.start is None and window.end is None):
        return list(examples)
    low, high = window.start or date.min, window.end or date.max
    kept, seen = [], []
    for ex in examples:
        span = date_span(ex.date) if ex.date else None
        if span is None:
            what = f"the date {ex.date!r}, not YYYY-MM-DD" if ex.date else "no date"
            raise DataError(
                f"corpus {corpus}: document '{document_of(ex)}' has {what}; `window` keeps "
                "documents by date: give every document an ISO date, or remove `window`"
            )
        seen.append(span[0])
        if low <= span[0] <= high:
            kept.append(ex)
    if not kept:
        raise DataError(
            f"corpus {corpus}: no document is dated within the window {window.start or '…'} to "
            f"{window.end or '…'} (the corpus's dates run from {min(seen)} to {max(seen)})"
        )
    return kept


def period_of(date: str | None, mode: str | None) -> str | None:
    """A document's period: its year (`year`), its whole date (`date`), or None."""
    if mode is None or not date:
        return None
    if mode == "year":
        match = re.match(r"\s*(\d{4})", date)
        return match.group(1) if match else None
    return date.strip()


def position_in(values: Sequence[str | None], order: Sequence[str]) -> np.ndarray:
    """Each value's position in `order` (-1 for None or a value not in it)."""
    lookup = {v: i for i, v in enumerate(order)}
    return np.array([lookup.get(v, -1) if v is not None else -1 for v in values], dtype=np.int64)


def document_of(example: Example) -> str:
    """The document a sentence belongs to (its own id if it names none)."""
    return example.doc_id or example.id


@dataclass(frozen=True)
class Documents:
    """The corpus's documents, in order of first appearance, and what each belongs to.

    `doc_index[i]` is the document of sentence i; `source[d]`, `group[d]` and `period[d]` are
    document d's source, group (None: no grouping) and period (None: none).
    """

    doc_index: np.ndarray
    source: list[str]
    group: list[str | None]
    period: list[str | None]
    sources: list[str]
    missing_sources: list[str]
    source_group: dict[str, str | None]
    periods: list[str]
    facet: dict[str, list[str]] = field(default_factory=dict)
    facet_values: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_docs(self) -> int:
        """Number of documents."""
        return len(self.source)

    @property
    def n_sources_seen(self) -> int:
        """Sources with at least one sentence."""
        return len(self.sources) - len(self.missing_sources)


def describe_documents(
    examples: Sequence[Example],
    grouping: Grouping | None,
    period_mode: str | None,
    wanted_sources: Sequence[str],
    corpus: Path,
    facets: Sequence[str] = (),
) -> Documents:
    """Number the documents and find each one's source, group and period.

    `sources` lists the corpus's sources (sorted) then those of `wanted_sources` without
    sentences, which become empty cells.

    Raises:
        DataError: a sentence lacks the field the groups file keys its members by.
        ConfigError: no source of the corpus is a member of any group.
    """
    doc_index, _ = document_index([document_of(ex) for ex in examples])
    first: dict[str, Example] = {}
    for ex in examples:
        first.setdefault(document_of(ex), ex)
    heads = list(first.values())
    doc_source = [ex.source for ex in heads]
    doc_period = [period_of(ex.date, period_mode) for ex in heads]
    seen = sorted(set(doc_source))
    missing = [s for s in wanted_sources if s not in seen]
    for name in missing:
        logger.warning("Source %r (key `sources`) has no sentences in the corpus", name)
    source_group = group_sources(heads, grouping, corpus) if grouping is not None else {}
    facet = {name: facet_of(heads, name, corpus) for name in facets}
    return Documents(
        doc_index=doc_index,
        source=doc_source,
        group=[source_group.get(s) for s in doc_source],
        period=doc_period,
        sources=seen + missing,
        missing_sources=missing,
        source_group=source_group,
        periods=sorted({p for p in doc_period if p is not None}),
        facet=facet,
        facet_values={name: sorted(set(values)) for name, values in facet.items()},
    )


def facet_of(heads: Sequence[Example], name: str, corpus: Path) -> list[str]:
    """Each document's value of the metadata column `name` (config key `facets`).

    Raises:
        DataError: a document lacks the column or leaves it empty.
    """
    values = []
    for ex in heads:
        value = ex.source if name == "source" else ex.extra.get(name)
        if value is None or not str(value).strip():
            raise DataError(
                f"corpus {corpus}: document '{document_of(ex)}' has no value in column '{name}', "
                "which `facets` names; fill it in for every document or remove the facet"
            )
        values.append(str(value).strip())
    return values


def group_sources(
    heads: Sequence[Example], grouping: Grouping, corpus: Path
) -> dict[str, str | None]:
    """The group of each source, looked up by the field the groups file names (`key`) on the
    first sentence of each document.

    Raises:
        DataError: a sentence lacks that field.
        ConfigError: no member of the groups file matches any sentence's field.
    """
    source_group: dict[str, str | None] = {}
    matched = False
    for ex in heads:
        value = _key(ex, grouping)
        if value is None:
            raise DataError(
                f"corpus {corpus}: sentence '{ex.id}' has no field '{grouping.key}', "
                f"which the groups file {grouping.path} keys its members by. Add the field, "
                "or set `key: source` in the groups file"
            )
        matched = matched or str(value) in grouping.members
        source_group[ex.source] = grouping.group_of(str(value))
    if heads and not matched:
        expected = ", ".join(repr(m) for m in list(grouping.members)[:5])
        found = ", ".join(repr(s) for s in sorted({str(_key(ex, grouping)) for ex in heads})[:5])
        raise ConfigError(
            f"groups file {grouping.path}: no member matches the `{grouping.key}` of any sentence "
            f"of the corpus {corpus} (expected e.g. {expected}; the corpus has e.g. {found}). "
            "Fix the members or the groups file's `key`"
        )
    return source_group


def _key(example: Example, grouping: Grouping) -> object:
    """The value of the groups file's `key` field on a sentence."""
    return example.source if grouping.key == "source" else example.extra.get(grouping.key)
