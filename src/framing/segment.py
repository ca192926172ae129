"""Sentence segmentation: the one splitter (pysbd's rule-based English segmenter) that every path
cutting documents into sentences uses (`framing compare` with `segment: true`, articles in
`framing predict`).

Paragraphs (separated by a blank line) are split separately, so a headline or a line without a
final full stop never runs into the next paragraph; within a paragraph line breaks are spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import pysbd

from framing.data import Example

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")


@lru_cache(maxsize=4)
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language, clean=False)


def split_sentences(text: str, language: str = "en") -> list[str]:
    """The sentences of `text` in order, stripped, none empty (pysbd, paragraph by paragraph)."""
    out: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        flat = " ".join(paragraph.split())
        if flat:
            out.extend(s.strip() for s in _segmenter(language).segment(flat) if s.strip())
    return out


def segment_documents(documents: Sequence[Example]) -> list[Example]:
    """Split whole documents into sentences with ids `<doc_id>_<k>` (k from 0000); each sentence
    keeps its document's source, doc_id, date and metadata (url, title, ...)."""
    out: list[Example] = []
    for doc in documents:
        doc_id = doc.doc_id or doc.id
        for k, part in enumerate(split_sentences(doc.text)):
            out.append(
                Example(
                    id=f"{doc_id}_{k:04d}",
                    text=part,
                    source=doc.source,
                    doc_id=doc_id,
                    date=doc.date,
                    extra=doc.extra,
                )
            )
    return out
