"""Whole articles in: a folder of .txt/.html files described by a metadata CSV, or a `datasets`
dataset saved to disk (`save_to_disk`), read as one `Example` per article.

JSONL and CSV files of articles are read by `framing.data.read_examples` like any other file; the
folder and dataset forms are read here. HTML is reduced to its article text with trafilatura
(offline: `trafilatura.extract` on the file's content, nothing is fetched). Every problem is one
`DataError` naming the folder or file, the metadata line and the column.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from framing.data import Example, iter_records, parse_record
from framing.errors import DataError
from framing.readers import names, remap, shown

logger = logging.getLogger(__name__)

METADATA_FILE = "metadata.csv"
REQUIRED_COLUMNS = ("file", "outlet")
OPTIONAL_COLUMNS = ("date", "url", "title")
ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
_EXPECTED = (
    f"expected the columns {', '.join(REQUIRED_COLUMNS)} (required) and "
    f"{', '.join(OPTIONAL_COLUMNS)} (optional), plus any others (e.g. country, bloc)"
)


def corpus_kind(path: Path) -> str:
    """'file' (JSONL/CSV), 'folder' (article files + metadata.csv) or 'dataset' (saved to disk).

    Raises:
        DataError: a folder that is neither.
    """
    if not path.is_dir():
        return "file"
    if (path / METADATA_FILE).is_file():
        return "folder"
    if any((path / name).is_file() for name in ("state.json", "dataset_dict.json")):
        return "dataset"
    raise DataError(
        f"{path}: a folder without {METADATA_FILE} and not a saved dataset; expected a folder of "
        f".txt/.html articles with a {METADATA_FILE} ({_EXPECTED}), or a dataset written by "
        "datasets' save_to_disk"
    )


def read_articles(path: Path, fields: Mapping[str, str] | None = None) -> list[Example]:
    """The articles of a folder (metadata.csv + files) or of a saved dataset, one Example each
    (id = doc_id = the article's id), metadata such as url, title, country kept in `extra`."""
    kind = corpus_kind(path)
    if kind == "folder":
        return read_article_folder(path)
    if kind == "dataset":
        return read_saved_dataset(path, fields or {})
    raise DataError(f"{path}: not a folder of articles or a saved dataset")


def read_article_folder(folder: Path) -> list[Example]:
    """Read every article the folder's metadata.csv lists (columns file, outlet, date, url, title
    and any others); files the metadata does not list are skipped with a warning."""
    meta = folder / METADATA_FILE
    examples: list[Example] = []
    seen: dict[str, int] = {}
    listed: set[Path] = set()
    for line_no, row in iter_records(meta):
        where = f"{meta} line {line_no}"
        _check_columns(row, where)
        path = _article_path(folder, row, where)
        listed.add(path)
        example = parse_record(_article_record(folder, path, row), where)
        if example.id in seen:
            raise DataError(
                f"{where}: article '{example.id}' is listed twice "
                f"(first on line {seen[example.id]})"
            )
        seen[example.id] = line_no
        examples.append(example)
    unlisted = [p.name for p in folder.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES]
    unlisted = [n for n in unlisted if (folder / n).resolve() not in listed]
    if unlisted:
        logger.warning(
            "%d article file(s) in %s are not in %s and are skipped (e.g. %s)",
            len(unlisted),
            folder,
            METADATA_FILE,
            unlisted[0],
        )
    return examples


def _check_columns(row: Mapping[str, Any], where: str) -> None:
    """Every required metadata column is there (the CSV reader gives every row every column)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in row]
    if missing:
        raise DataError(
            f"{where}: no column '{missing[0]}' in {METADATA_FILE}; {_EXPECTED}; found: "
            f"{names(row)}"
        )


def _article_path(folder: Path, row: Mapping[str, Any], where: str) -> Path:
    """The file a metadata row names: inside the folder, existing, a .txt or .html file."""
    name = str(row.get("file") or "").strip()
    if not name:
        raise DataError(f"{where}: column 'file' is empty; expected the article's file name")
    if not str(row.get("outlet") or "").strip():
        raise DataError(f"{where}: column 'outlet' is empty; expected the article's outlet")
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise DataError(f"{where}: file {shown(name)} is outside the folder {folder}")
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        raise DataError(
            f"{where}: file {shown(name)} is not a .txt or .html file; expected one of "
            f"{', '.join(ARTICLE_SUFFIXES)}"
        )
    if not path.is_file():
        raise DataError(f"{where}: file {shown(name)} not found in {folder}")
    return path


def _article_record(folder: Path, path: Path, row: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical record of one listed article: its text and the metadata columns."""
    ident = str(row.get("id") or "").strip() or str(
        path.relative_to(folder.resolve()).with_suffix("")
    )
    record: dict[str, Any] = {"id": ident, "doc_id": ident, "source": str(row["outlet"]).strip()}
    record["text"] = _without_title(article_text(path), str(row.get("title") or ""))
    for key, value in row.items():
        if key in ("id", "outlet", "text", "doc_id", "source"):
            continue
        if isinstance(value, str) and value.strip():
            record[key] = value.strip()
    return record


def _without_title(text: str, title: str) -> str:
    """The text without a first paragraph that repeats the title (an HTML page's <h1>): the
    title is kept as metadata, as for articles read from JSONL or CSV."""
    first, _, rest = text.strip().partition("\n\n")
    return rest if title.strip() and first.strip() == title.strip() and rest.strip() else text


def article_text(path: Path) -> str:
    """The text of one article file: UTF-8 text as is, HTML reduced to its article text.

    Raises:
        DataError: the file cannot be read, is not UTF-8, or holds no text (after extraction).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        if b"\x00" in raw:
            raise UnicodeDecodeError("utf-8", raw, raw.index(0), raw.index(0) + 1, "NUL byte")
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not valid UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1});"
            " save the article as UTF-8"
        ) from None
    if path.suffix.lower() in (".html", ".htm"):
        text = html_to_text(text)
        if not text.strip():
            raise DataError(
                f"{path}: empty article: no article text found in the HTML (trafilatura "
                "extracted nothing)"
            )
    if not text.strip():
        raise DataError(f"{path}: empty article: the file holds no text")
    return text


def html_to_text(html: str) -> str:
    """An HTML page's main text (trafilatura, offline), paragraphs separated by blank lines."""
    import trafilatura

    extracted = trafilatura.extract(
        html, favor_recall=True, include_comments=False, include_tables=False
    )
    if not extracted:
        return ""
    return "\n\n".join(line.strip() for line in extracted.splitlines() if line.strip())


def load_saved_dataset(path: Path) -> Any:
    """The one split a folder written by `save_to_disk` holds (memory-mapped, not read)."""
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as exc:  # noqa: BLE001 - any failure of the loader is a bad corpus
        raise DataError(
            f"{path}: cannot be loaded with datasets.load_from_disk ({type(exc).__name__})"
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        raise DataError(
            f"{path}: holds the splits {names(loaded)}; point the corpus at one split "
            f"(e.g. {path / next(iter(loaded))})"
        )
    return loaded


def read_saved_dataset(path: Path, fields: Mapping[str, str]) -> list[Example]:
    """The rows of a dataset saved with `save_to_disk`, renamed by `fields`, one Example each."""
    loaded = load_saved_dataset(path)
    examples: list[Example] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(loaded, start=1):
        where = f"{path} row {i}"
        record = remap(plain_row(row), fields, where)
        example = parse_record(record, where)
        if example.id in seen:
            first = seen[example.id]
            raise DataError(f"{where}: duplicate id {example.id!r} (first in row {first})")
        seen[example.id] = i
        examples.append(example)
    if not examples:
        raise DataError(f"{path}: the dataset has no rows; expected one article per row")
    return examples


def _plain(value: Any) -> Any:
    """A dataset cell as the readers expect it: dates as ISO strings, None for missing cells."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset row with its cells as the readers expect them."""
    return {k: _plain(v) for k, v in row.items()}
