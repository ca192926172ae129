"""Articles in: every corpus format (JSONL, CSV, a folder of .txt/.html with metadata.csv, a saved
dataset) gives the same sentences with their outlet, article, date, url and title; every bad
input is one clear line naming the file."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from compare_news_helpers import ARTICLES, FOLDER, OUTLETS

from framing.articles import read_articles
from framing.compare.corpus import read_corpus, within_window
from framing.config import WindowConfig
from framing.errors import ConfigError, DataError
from framing.segment import segment_documents, split_sentences


def _records() -> list[dict]:
    return [json.loads(line) for line in ARTICLES.read_text().splitlines()]


def _as_csv(tmp: Path) -> Path:
    rows = _records()
    path = tmp / "articles.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _as_dataset(tmp: Path) -> Path:
    datasets = pytest.importorskip("datasets")
    path = tmp / "articles_ds"
    rows = _records()
    datasets.Dataset.from_list(rows).save_to_disk(str(path))
    return path


@pytest.mark.parametrize("kind", ["jsonl", "csv", "folder", "dataset"])
def test_every_corpus_format_gives_the_same_sentences(tmp_path: Path, kind: str) -> None:
    path = {
        "jsonl": lambda: ARTICLES,
        "csv": lambda: _as_csv(tmp_path),
        "folder": lambda: FOLDER,
        "dataset": lambda: _as_dataset(tmp_path),
    }[kind]()
    sentences = read_corpus(path, {}, segment=True)
    reference = read_corpus(ARTICLES, {}, segment=True)
    assert [s.text for s in sentences] == [s.text for s in reference]
    assert {s.source for s in sentences} == OUTLETS
    first = sentences[0]
    assert (first.id, first.doc_id, first.date) == ("gw-001_0000", "gw-001", "2022-03-01")
    assert first.extra["url"] == "https://wire.example/gw-001"
    assert first.extra["title"] == "Grain talks end without statement"
    assert all(s.doc_id and s.source and s.date for s in sentences)


def test_html_is_reduced_to_the_article_text() -> None:
    texts = " ".join(a.text for a in read_articles(FOLDER))
    assert "Copyright" not in texts and "Home" not in texts and "Sport" not in texts
    assert "missile tests worry" in texts.lower()


def test_one_segmenter_splits_paragraphs_and_abbreviations() -> None:
    assert split_sentences("Headline without stop\n\nMr. Smith met U.S. officials. They left.") == [
        "Headline without stop",
        "Mr. Smith met U.S. officials.",
        "They left.",
    ]
    docs = read_articles(FOLDER)
    sentences = segment_documents(docs[:1])
    assert [s.id for s in sentences] == ["gw-001_0000", "gw-001_0001", "gw-001_0002"]


def test_window_keeps_documents_dated_inside() -> None:
    sentences = read_corpus(ARTICLES, {}, segment=True)
    window = WindowConfig.model_validate({"from": "2022-03-02", "to": "2022"})
    kept = within_window(sentences, window, ARTICLES)
    assert {s.doc_id for s in kept} == {"dl-001", "eh-001", "dl-002", "eh-002"}


def _folder(tmp: Path) -> Path:
    folder = tmp / "folder"
    shutil.copytree(FOLDER, folder)
    return folder


def _drop_column(folder: Path, column: str) -> None:
    rows = list(csv.DictReader(open(folder / "metadata.csv", encoding="utf-8")))
    keep = [c for c in rows[0] if c != column]
    with open(folder / "metadata.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=keep, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _edit(folder: Path, name: str, content: bytes) -> None:
    (folder / name).write_bytes(content)


BAD_FOLDERS = [
    ("missing outlet column", lambda f: _drop_column(f, "outlet"), "no column 'outlet'"),
    ("missing file column", lambda f: _drop_column(f, "file"), "no column 'file'"),
    ("missing file", lambda f: (f / "dl-002.txt").unlink(), 'file "dl-002.txt" not found'),
    ("not UTF-8", lambda f: _edit(f, "dl-002.txt", "Caf\xe9 news.".encode("latin-1")), "UTF-8"),
    ("binary", lambda f: _edit(f, "dl-002.txt", b"\x00\x01\x02"), "UTF-8"),
    ("empty text", lambda f: _edit(f, "dl-002.txt", b"  \n\n"), "empty article"),
    (
        "empty html",
        lambda f: _edit(f, "eh-002.html", b"<html><body><article> </article></body></html>"),
        "empty article",
    ),
    ("no metadata", lambda f: (f / "metadata.csv").unlink(), "without metadata.csv"),
]


@pytest.mark.parametrize(
    ("case", "damage", "message"), BAD_FOLDERS, ids=[b[0] for b in BAD_FOLDERS]
)
def test_bad_article_folder_is_one_clear_line(tmp_path: Path, case, damage, message) -> None:
    folder = _folder(tmp_path)
    damage(folder)
    with pytest.raises(DataError) as info:
        read_corpus(folder, {}, segment=True)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert str(folder) in text


def test_unreadable_article_names_the_file(tmp_path: Path, monkeypatch) -> None:
    folder = _folder(tmp_path)
    real = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self.name == "dl-002.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(DataError) as info:
        read_corpus(folder, {}, segment=True)
    assert "dl-002.txt: cannot be read (Permission denied)" in str(info.value)


def test_metadata_row_outside_the_folder_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    meta = (folder / "metadata.csv").read_text().replace("dl-002.txt", "../secret.txt")
    (folder / "metadata.csv").write_text(meta)
    (tmp_path / "secret.txt").write_text("secret")
    with pytest.raises(DataError, match="outside the folder"):
        read_corpus(folder, {}, segment=True)


def test_folder_of_articles_needs_segment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="segment: true"):
        read_corpus(FOLDER, {}, segment=False)


def test_dataset_with_splits_names_them(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "dd"
    data = datasets.Dataset.from_list(_records())
    datasets.DatasetDict({"train": data}).save_to_disk(str(path))
    with pytest.raises(DataError, match="holds the splits train"):
        read_corpus(path, {}, segment=True)


@pytest.mark.parametrize(
    ("window", "date", "message"),
    [
        ({"from": "2030-01-01"}, None, "no document is dated within the window"),
        ({"from": "2022"}, "", "has no date"),
        ({"to": "2022"}, "March 2022", "not YYYY-MM-DD"),
    ],
)
def test_window_errors(tmp_path: Path, window: dict, date: str | None, message: str) -> None:
    rows = _records()
    if date is not None:
        rows[1]["date"] = date
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    sentences = read_corpus(path, {}, segment=True)
    with pytest.raises(DataError, match=message):
        within_window(sentences, WindowConfig.model_validate(window), path)
