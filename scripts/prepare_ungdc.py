"""Segment UN General Debate speeches (2014-2023) into sentences in the canonical JSONL schema.

Reads the UNGDC subset described in ``<input>/PROVENANCE.md`` and ``<input>/index.csv`` and writes
``data/un/sentences.jsonl.gz``: one sentence per line, sorted by year, ISO3 code and position.

    python scripts/prepare_ungdc.py [--input DIR] [--output FILE] [--workers N]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO / ".." / "shared" / "datasets" / "ungdc"
DEFAULT_OUTPUT = REPO / "data" / "un" / "sentences.jsonl.gz"

TERMINAL = tuple('.?!:;…"”’)')
DATE = r"\d{2}/\d{2}/\d{4}"
SYMBOL = r"A/\d+/[\w./-]+"
FOOTER = re.compile(r"^\d{2}-\d{5}(?:\s*\(E\))?(?:\s*\*\d+\*)?(?:\s+\d+/\d+)?(?:\s+|$)")
FURNITURE = [
    re.compile(rf"^(?:{DATE}|{SYMBOL})(?:\s+(?:{DATE}|{SYMBOL}))*$"),
    re.compile(r"^\d{1,3}(?:/\d{1,3})?$"),
    re.compile(r"^[\s_*=-]*$"),
    re.compile(r"^This record contains the text of speeches delivered in English"),
]
STAGE = re.compile(r"\s*\(spoke in [^)]*\)\s*")
INLINE_FOOTER = re.compile(
    r"\s*(?:\b\d{1,3}/\d{1,3}\s+\d{2}-\d{5}\b|\b\d{2}-\d{5}\s+\d{1,3}/\d{1,3}\b)\s*"
)
BROKEN_HYPHEN = re.compile(r"(\w)- (?!(?:and|or|to|nor)\b)([a-z])")
SPACES = re.compile(r"\s+")
MIN_BROKEN_WORDS = 8
LETTER = re.compile(r"[^\W\d_]")


def read_index(root: Path) -> list[dict[str, str]]:
    """Return the rows of ``index.csv``."""
    with (root / "index.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def paragraphs(raw: str) -> list[str]:
    """Drop page furniture and rejoin lines broken by hard wrapping or page breaks.

    A line continues the previous one when that one has no closing punctuation and the line starts
    in lower case or with a digit, the previous line was hard-wrapped (trailing space), or the
    previous line is a long text cut off mid-sentence (a page break), not a heading or salutation.
    """
    paras: list[str] = []
    prev_wrapped = False
    for line in raw.split("\n"):
        wrapped = line.endswith(" ")
        text = FOOTER.sub("", line.strip())
        text = INLINE_FOOTER.sub(" ", STAGE.sub(" ", text)).strip()
        if not text or any(p.match(text) for p in FURNITURE):
            continue
        prev = paras[-1] if paras else ""
        open_end = bool(prev) and not prev.endswith(TERMINAL)
        if open_end and prev.endswith("-") and prev[-2:-1].isalpha():
            paras[-1] = prev + text
        elif open_end and (
            text[0].islower()
            or text[0].isdigit()
            or prev_wrapped
            or (prev[-1].isalnum() and len(prev.split()) >= MIN_BROKEN_WORDS)
        ):
            paras[-1] = f"{prev} {text}"
        else:
            paras.append(text)
        prev_wrapped = wrapped
    return paras


def keep(sentence: str) -> bool:
    """True for a real sentence: at least 3 words and some letters."""
    return len(sentence.split()) >= 3 and LETTER.search(sentence) is not None


def segment(raw: str) -> list[str]:
    """Split one speech into cleaned sentences."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    sentences: list[str] = []
    for para in paragraphs(raw):
        para = BROKEN_HYPHEN.sub(r"\1-\2", SPACES.sub(" ", para))
        for sent in segmenter.segment(para):
            sent = sent.strip()
            if not sent:
                continue
            if sentences and sent[0].islower():
                sentences[-1] = f"{sentences[-1]} {sent}"
            else:
                sentences.append(sent)
    return [s for s in sentences if keep(s)]


def speech_records(row: dict[str, str], root: Path) -> list[dict[str, str]]:
    """Canonical records for the sentences of one speech."""
    raw = (root / row["file"]).read_text(encoding="utf-8")
    doc_id = f"{row['country_iso3']}_{row['year']}"
    return [
        {
            "id": f"{doc_id}_{n:03d}",
            "doc_id": doc_id,
            "source": row["country"],
            "iso3": row["country_iso3"],
            "date": row["year"],
            "text": text,
        }
        for n, text in enumerate(segment(raw), start=1)
    ]


def _records(args: tuple[dict[str, str], Path]) -> list[dict[str, str]]:
    return speech_records(*args)


def build(root: Path, workers: int) -> Iterator[dict[str, str]]:
    """Yield all sentence records, sorted by year, ISO3 and position."""
    rows = sorted(read_index(root), key=lambda r: (r["year"], r["country_iso3"]))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for records in pool.map(_records, [(r, root) for r in rows], chunksize=8):
            yield from records


def write_jsonl_gz(records: Iterator[dict[str, str]], path: Path) -> int:
    """Write records as gzip JSONL with a fixed header (no name, no mtime); return the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as out,
    ):
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n = write_jsonl_gz(build(args.input.resolve(), args.workers), args.output)
    print(f"wrote {n} sentences to {args.output}")


if __name__ == "__main__":
    main()
