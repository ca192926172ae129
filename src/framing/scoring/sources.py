"""The sentences of a corpus, read as a stream with a position each, for `framing score`.

Reads every corpus form the toolkit reads (JSONL, CSV, gzipped or not, Parquet, a `datasets`
dataset saved to disk, a folder of articles) one record at a time, so memory stays flat however
long the corpus. The order and the checks are those of `framing compare`'s reader: the n-th
sentence here is the n-th sentence there, which is what lets `compare` read scored shards.
Ids are not checked for uniqueness here (that would hold every id in memory); the row position
(`row_id`) is the key of a scored corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from framing.articles import corpus_kind, load_saved_dataset, plain_row, read_article_folder
from framing.data import Example, iter_records, parse_record
from framing.errors import ConfigError
from framing.files import sha256
from framing.modelfolder import file_hashes
from framing.readers import remap
from framing.segment import segment_documents

_SEGMENT_BATCH = 256  # documents split together (language detection runs per batch)


def _file_records(path: Path, fields: Mapping[str, str]) -> Iterator[Example]:
    for line_no, record in iter_records(path, fields):
        yield parse_record(record, f"{path} line {line_no}")


def _dataset_records(path: Path, fields: Mapping[str, str]) -> Iterator[Example]:
    """The rows of a dataset saved with `save_to_disk`; the Arrow files are memory-mapped."""
    for i, row in enumerate(load_saved_dataset(path), start=1):
        where = f"{path} row {i}"
        yield parse_record(remap(plain_row(row), fields, where), where)


def _records(path: Path, fields: Mapping[str, str], segment: bool) -> Iterator[Example]:
    kind = corpus_kind(path)
    if kind == "file":
        return _file_records(path, fields)
    if not segment and kind == "folder":
        raise ConfigError(
            f"corpus {path} is a folder of whole articles: pass --segment to split them into "
            "sentences"
        )
    if kind == "folder":
        return iter(read_article_folder(path))
    return _dataset_records(path, fields)


def iter_sentences(path: Path, fields: Mapping[str, str], segment: bool) -> Iterator[Example]:
    """Every sentence of the corpus in order; with `segment`, records are whole documents split
    into sentences (ids `<doc_id>_<k>`, as in `framing compare`).

    Raises:
        ConfigError: the corpus does not exist.
        DataError: a record is invalid (the message names the file, line and field), or the
            corpus has no records.
    """
    if not path.exists():
        raise ConfigError(f"corpus not found: {path}")
    records = _records(path, fields, segment)
    if not segment:
        yield from records
        return
    batch: list[Example] = []
    for record in records:
        batch.append(record)
        if len(batch) == _SEGMENT_BATCH:
            yield from segment_documents(batch)
            batch = []
    yield from segment_documents(batch)


def corpus_digest(path: Path, fields: Mapping[str, str], segment: bool) -> str:
    """What the sentences depend on: the corpus bytes (every file of a folder) and the reading
    options. A scored folder records it, so a resume never mixes two corpora."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(sha256(path).encode())
    else:
        digest.update(json.dumps(file_hashes(path), sort_keys=True).encode())
    digest.update(json.dumps([dict(fields), segment], sort_keys=True).encode())
    return digest.hexdigest()
