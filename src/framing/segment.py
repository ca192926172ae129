"""Sentence segmentation: the one splitter (pysbd's rule-based segmenters) that every path
cutting documents into sentences uses (`framing compare` with `segment: true`, articles in
`framing predict`).

Text is NFC-normalised first (composed and decomposed accents, e.g. from different HTML
sources, become the same string). Each document is split with pysbd's rules for its detected
language where pysbd has them (zh and ja split at 。！？, ar at its own marks); languages pysbd
lacks (pt, ko, uk, tr, ...) use the English rules, which suit their Western punctuation.
Paragraphs (separated by a blank line) are split separately, so a headline or a line without a
final full stop never runs into the next paragraph; within a paragraph line breaks are spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import pysbd

from framing.data import Example
from framing.languages import detect_languages

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")


@lru_cache(maxsize=16)
def _segmenter(language: str) -> pysbd.Segmenter:
    """pysbd's segmenter for `language`, or its English rules where pysbd has none."""
    try:
        return pysbd.Segmenter(language=language, clean=False)
    except ValueError:  # pysbd: "Provide valid language ID"
        return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str, language: str | None = "en") -> list[str]:
    """The sentences of `text` in order, stripped, none empty (pysbd, paragraph by paragraph);
    `language=None` detects it."""
    text = unicodedata.normalize("NFC", text)
    if language is None:
        language = detect_languages([text])[0] or "en"
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
    languages = detect_languages([doc.text for doc in documents])
    for doc, language in zip(documents, languages, strict=True):
        doc_id = doc.doc_id or doc.id
        for k, part in enumerate(split_sentences(doc.text, language or "en")):
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
