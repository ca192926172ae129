"""Using a saved model on files: `predict_file` (unlabelled in, JSONL out) and `evaluate_model`."""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tqdm.auto import tqdm

from framing.articles import read_articles
from framing.classifier import FramingClassifier
from framing.data import iter_records, read_examples
from framing.errors import ConfigError, DataError, FramingError
from framing.evaluation import evaluate
from framing.files import atomic_file, write_json, write_jsonl
from framing.languages import (
    check_on_other_language,
    detect_languages,
    other_languages,
    report_other_languages,
)
from framing.predictions import predictions_from, proba_row
from framing.readers import describe
from framing.report import render_run_report
from framing.runs import abandon_run, finish_run, start_run
from framing.segment import segment_documents
from framing.training import prediction_rows


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics for one labelled set and the folder they were written to."""

    metrics: dict[str, Any]
    output: Path


def evaluate_model(
    model: Path,
    data: Path,
    *,
    name: str | None = None,
    output: Path | None = None,
    bootstrap: int = 1000,
    show_progress: bool = False,
) -> EvaluationResult:
    """Score a labelled file with a saved model; write metrics.json, predictions and report.md."""
    if bootstrap < 0:
        raise ConfigError(f"bootstrap must be 0 or more resamples, got {bootstrap}")
    clf = FramingClassifier.load(model)
    examples = read_examples(data, clf.schema_)
    if not any(ex.frames is not None or ex.stance for ex in examples):
        raise DataError(
            f"{data}: no example carries frames or stance labels; evaluate needs labelled data "
            "(use `framing predict` for unlabelled text)"
        )
    name = name or Path(data).name.split(".")[0]
    proba = clf.predict_proba([ex.text for ex in examples], show_progress=show_progress)
    metrics = evaluate(examples, proba, clf.schema_, clf.thresholds, bootstrap=bootstrap)
    run = start_run(Path("experiments/evaluations"), name, output)
    try:
        write_json(
            run.tmp / "metrics.json", {"model": str(model), "data": str(data), name: metrics}
        )
        write_jsonl(run.tmp / "predictions.jsonl", prediction_rows(examples, proba, clf.thresholds))
        summary = {
            "select_on": "-",
            "best_model": clf.kind,
            "models": {
                clf.kind: {
                    "kind": clf.kind,
                    "train_seconds": 0.0,
                    "dev": None,
                    "eval": {name: metrics},
                }
            },
        }
        (run.tmp / "report.md").write_text(
            render_run_report(f"evaluate {model} on {data}", summary), encoding="utf-8"
        )
    except BaseException:
        abandon_run(run, keep=False)
        raise
    return EvaluationResult(metrics, finish_run(run))


Item = tuple[str, str, dict[str, Any]]


def _article_sentences(source: str, text_field: str) -> Iterator[Item]:
    """(id, text, metadata) of every sentence of whole articles: a folder of .txt/.html files
    with a metadata.csv, a saved dataset, or a JSONL/CSV file with one article per record."""
    path = Path(source)
    fields = {"text": text_field} if text_field != "text" else {}
    if path.is_dir():
        documents = read_articles(path, fields)
    else:
        documents = read_examples(path, fields=fields)
    for ex in segment_documents(documents):
        meta = {"doc_id": ex.doc_id, "source": ex.source, "date": ex.date}
        meta.update({k: ex.extra[k] for k in ("url", "title") if ex.extra.get(k)})
        yield ex.id, ex.text, meta


def _read_texts(source: str, text_field: str, articles: bool = False) -> Iterator[Item]:
    """(id, text, metadata) from JSONL/CSV records, plain lines (file or stdin), or the
    sentences of whole articles (`articles`, or a folder)."""
    if source != "-" and (articles or Path(source).is_dir()):
        yield from _article_sentences(source, text_field)
        return
    if source == "-":
        yield from _plain_lines(sys.stdin, "stdin")
        return
    path = Path(source)
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    if path.suffix in (".txt", ".text"):
        with open(path, encoding="utf-8") as handle:
            yield from _plain_lines(handle, str(path))
        return
    for line_no, record in iter_records(path):
        text = record.get(text_field)
        if text_field in record and not isinstance(text, str):
            raise DataError(
                f"{path} line {line_no}: field '{text_field}' must be a string (the sentence), "
                f"found {describe(text)}"
            )
        if not isinstance(text, str) or not text.strip():
            raise DataError(
                f"{path} line {line_no}: field '{text_field}' is missing or empty "
                f"(fields present: {', '.join(record) or 'none'}); use --text-field"
            )
        yield str(record.get("id", line_no)), text, {}


def _plain_lines(handle: IO[str], name: str) -> Iterator[Item]:
    """One text per non-blank line; input with none is refused, as an empty JSONL file is."""
    found = False
    for line_no, line in enumerate(handle, start=1):
        if line.strip():
            found = True
            yield str(line_no), line.rstrip("\n"), {}
    if not found:
        raise DataError(f"{name}: no text found (empty or blank); expected one sentence per line")


def predict_file(
    model: Path,
    source: str,
    output: Path | None,
    *,
    text_field: str = "text",
    targets: Sequence[str] | None = None,
    batch_size: int = 64,
    show_progress: bool = False,
    chunk_size: int = 4096,
    articles: bool = False,
    on_other_language: str = "warn",
) -> int:
    """Stream predictions with probabilities as JSONL; memory stays flat however long the input.

    With `articles` (implied for a folder: .txt/.html files with a metadata.csv, or a saved
    dataset) every record is a whole article, split into sentences; each output row then also
    carries its doc_id, source, date, url and title.

    The output is written under a unique temporary name beside it, locked against a second
    writer, and renamed into place only when every row is written.

    Each row carries `lang`, the detected language (ISO 639-1, or null when unsure). Texts in
    a language the model was not trained for give one warning at the end (`warn`), stop the
    run with one error line before anything is written (`refuse`), or pass (`ignore`).
    """
    mode = check_on_other_language(on_other_language)
    if batch_size < 1:
        raise ConfigError(f"batch size must be a positive integer, got {batch_size}")
    if source != "-" and not Path(source).exists():
        raise DataError(f"input file not found: {source}")
    clf = FramingClassifier.load(model)
    if output is not None and output.exists():
        raise FramingError(f"{output} already exists; choose a new output file")
    with contextlib.ExitStack() as stack:
        handle = sys.stdout if output is None else stack.enter_context(atomic_file(output))
        bar = stack.enter_context(
            tqdm(unit="sent", desc="predicting", file=sys.stderr, disable=not show_progress)
        )
        n, others = 0, Counter[str]()
        for chunk in _chunks(_read_texts(source, text_field, articles), chunk_size):
            langs = detect_languages([text for _, text, _ in chunk])
            others.update(other_languages(langs, clf.languages_))
            if mode == "refuse":
                report_other_languages(others, n + len(chunk), clf.languages_, mode)
            n += _write_chunk(clf, chunk, langs, handle, targets, batch_size)
            bar.update(len(chunk))
    report_other_languages(others, n, clf.languages_, mode)
    return n


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    """Consecutive lists of at most `size` items, read lazily."""
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_chunk(
    clf: FramingClassifier,
    chunk: list[Item],
    langs: list[str | None],
    handle: IO[str],
    targets: Sequence[str] | None,
    batch_size: int,
) -> int:
    texts = [text for _, text, _ in chunk]
    proba = clf.predict_proba(
        texts, targets=targets, batch_size=batch_size, on_other_language="ignore"
    )
    preds = predictions_from(proba, clf.thresholds)
    for i, ((ident, text, meta), pred) in enumerate(zip(chunk, preds)):
        row = {
            "id": ident,
            **meta,
            "text": text,
            "lang": langs[i],
            "frames": pred.frames,
            "stance": pred.stance,
            "proba": proba_row(proba, i, digits=5),
        }
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(chunk)


__all__ = ["EvaluationResult", "evaluate_model", "predict_file"]
