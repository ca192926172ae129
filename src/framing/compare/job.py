"""The `compare` job: read the corpus, score it (cached), estimate every cell with bootstrap
intervals, contrast the cells, and write the output folder with its report.

`compare()` reads top to bottom as the steps it runs; each step is a function of its own module.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from framing.classifier import FramingClassifier
from framing.compare.columns import LabelColumns, encode_gold, encode_predictions, label_columns
from framing.compare.contrasts import Chosen, chosen_contrasts, differences, resolve_contrasts
from framing.compare.corpus import (
    Documents,
    describe_documents,
    document_of,
    read_corpus,
    read_input,
    within_window,
)
from framing.compare.estimates import (
    ESTIMATORS,
    CellEstimates,
    DevConfusion,
    GoldRows,
    dev_confusion,
    sum_documents,
)
from framing.compare.levels import Level, build_levels, estimate_levels
from framing.compare.report import build_report
from framing.compare.scores import (
    Scorer,
    cache_file,
    cache_key,
    check_languages,
    language_mix,
    score_corpus,
    score_texts,
)
from framing.compare.settings import Grouping, load_groups
from framing.compare.summary import build_summary
from framing.compare.syndication import (
    COPY_COLUMNS,
    SYNDICATION_COLUMNS,
    Copies,
    copy_rows,
    find_copies,
    syndication_rows,
)
from framing.compare.tables import DIFFERENCE_COLUMNS, ESTIMATE_COLUMNS, evidence_rows, write_csv
from framing.config import CompareConfig
from framing.data import Example
from framing.errors import ConfigError, DataError
from framing.files import atomic_dir, check_writable, dump_yaml, write_json, write_jsonl
from framing.languages import detect_languages
from framing.modelfolder import INDEX
from framing.predictions import Probabilities
from framing.pretrained import resolve_model
from framing.scoring.shards import model_digest, read_scores
from framing.stats import document_index

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComparisonResult:
    """What `compare` wrote: the folder, the estimate and difference rows, and the headline."""

    output_dir: Path
    estimates: list[dict[str, Any]]
    differences: list[dict[str, Any]]
    headline: str
    n_sentences: int
    n_docs: int
    report_md: Path
    report_html: Path
    summary: dict[str, Any] = field(default_factory=dict)


def compare(
    config: CompareConfig,
    output_dir: str | Path | None = None,
    show_progress: bool = False,
    *,
    model: Scorer | None = None,
) -> ComparisonResult:
    """Estimate frame prevalence and stance per source, group and period, and write a report.

    Writes, atomically, a new folder holding estimates.csv, differences.csv, evidence.jsonl,
    summary.json, config.yaml, report.md and report.html.

    Args:
        config: a checked config (`load_compare_config`).
        output_dir: the folder to create (must not exist); default
            `experiments/compare/<UTC time>_<name>`.
        show_progress: show a progress bar while scoring.
        model: a loaded classifier to use instead of loading `config.model` (no score cache then).

    Raises:
        ConfigError: the output folder exists, a file is missing, `labels` names a label the
            model lacks, or no source of the corpus is in the groups file.
        DataError: the corpus is empty or invalid or lacks a column `fields` names; dev or gold
            labels are not in the schema; gold sentences are not in the corpus.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    out = _new_output_folder(config, output_dir)
    model, cache = _model_and_cache(config, model)
    columns = label_columns(model.schema, config.labels, where="compare config key `labels`")
    thresholds = dict(getattr(model, "thresholds", {}) or {})
    corpus = _read_corpus(config)
    timings["read_s"] = time.perf_counter() - started

    started = time.perf_counter()
    check_languages(model, corpus.languages)
    proba = _probabilities(config, model, corpus.read, cache, show_progress)
    hard, soft = encode_predictions(proba, thresholds, columns)
    hard, soft = hard[corpus.keep], soft[corpus.keep]
    timings["score_s"] = time.perf_counter() - started

    started = time.perf_counter()
    found = _estimate(config, model, columns, thresholds, corpus, hard, soft)
    timings["estimate_s"] = time.perf_counter() - started

    summary = _summary(config, model, found, columns, timings)
    report_md, report_html = _write_folder(out, config, found, summary)
    logger.info("Comparison written to %s", out)
    return ComparisonResult(
        output_dir=out,
        estimates=found.estimates,
        differences=found.differences,
        headline=summary["headline"],
        n_sentences=len(corpus.examples),
        n_docs=corpus.documents.n_docs,
        report_md=report_md,
        report_html=report_html,
        summary=summary,
    )


@dataclass(frozen=True)
class _Corpus:
    """The corpus as read (`read`: in the window) and as compared (`examples`: without the wire
    copies under `count_once`; `keep` marks them in `read`), the groups file, the documents,
    the compared levels and the chosen contrasts, the wire copies found (None: `off`) and the
    detected language of each sentence of `read`."""

    read: list[Example]
    keep: np.ndarray
    examples: list[Example]
    grouping: Grouping | None
    documents: Documents
    levels: list[Level]
    chosen: list[Chosen]
    copies: Copies | None
    read_ids: frozenset[str]
    languages: list[str | None]  # detected per sentence of `read`


def _read_corpus(config: CompareConfig) -> _Corpus:
    """Read the corpus, keep the window, find the wire copies, read the groups file, describe
    the documents and resolve the contrasts: all before the slow scoring, so that a bad corpus,
    groups file or contrast fails at once."""
    everything = read_corpus(config.corpus, config.fields, config.segment)
    read = within_window(everything, config.window, config.corpus)
    copies = None
    keep = np.ones(len(read), dtype=bool)
    if config.syndication != "off":
        doc_index, _ = document_index([document_of(ex) for ex in read])
        copies = find_copies(read, doc_index, config.syndication_threshold)
        if config.syndication == "count_once":
            keep = ~copies.copy
    examples = [ex for ex, k in zip(read, keep) if k]
    grouping = load_groups(config.groups) if config.groups is not None else None
    documents = describe_documents(
        examples, grouping, config.period, config.sources, config.corpus, config.facets
    )
    levels = build_levels(documents, grouping.order if grouping else (), config.source_periods)
    chosen = resolve_contrasts(levels, config.contrasts)
    ids = frozenset(ex.id for ex in everything)
    languages = detect_languages([ex.text for ex in read])
    return _Corpus(
        read, keep, examples, grouping, documents, levels, chosen, copies, ids, languages
    )


@dataclass(frozen=True)
class _Found:
    """What the estimation step found: the rows of the output files, and the replicates per
    level (the summary lists the estimators the `all` level has)."""

    corpus: _Corpus
    n_dev: int
    n_gold: int
    n_gold_dropped: int
    estimates: list[dict[str, Any]]
    kept: dict[str, CellEstimates]
    differences: list[dict[str, Any]]
    evidence: list[dict[str, Any]]


def _estimate(
    config: CompareConfig,
    model: Scorer,
    columns: LabelColumns,
    thresholds: dict[str, float],
    corpus: _Corpus,
    hard: np.ndarray,
    soft: np.ndarray,
) -> _Found:
    """The dev confusion and gold residuals, then every level's estimates, the contrasts
    between cells, and the evidence sentences."""
    examples, documents, levels = corpus.examples, corpus.documents, corpus.levels
    dev, n_dev = _dev_confusion(config, model, columns, thresholds)
    gold, n_gold, n_dropped = _gold_rows(config, model, columns, corpus, soft)
    scored = sum_documents(documents.doc_index, documents.n_docs, hard, soft, columns, gold)
    estimates, kept = estimate_levels(levels, scored, columns, dev, gold is not None, config)
    reported = columns.reported()
    level = config.bootstrap.level
    return _Found(
        corpus=corpus,
        n_dev=n_dev,
        n_gold=n_gold,
        n_gold_dropped=n_dropped,
        estimates=estimates,
        kept=kept,
        differences=differences(levels, kept, reported, config.contrast_sources, level)
        + chosen_contrasts(levels, kept, reported, corpus.chosen, level),
        evidence=evidence_rows(
            examples, soft, columns, documents.sources, config.evidence_per_cell
        ),
    )


def _summary(
    config: CompareConfig,
    model: Scorer,
    found: _Found,
    columns: LabelColumns,
    timings: dict[str, float],
) -> dict[str, Any]:
    """summary.json (see `framing.compare.summary`), with the time each step took and the
    language mix of the compared sentences."""
    corpus = found.corpus
    summary = build_summary(
        config,
        model,
        corpus.documents,
        corpus.grouping,
        _counts(corpus, found),
        [e for e in ESTIMATORS if e in found.kept["all"].replicates],
        [label for _, label in columns.reported()],
    )
    summary["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    kept = [lang for lang, k in zip(corpus.languages, corpus.keep, strict=True) if k]
    summary["languages"] = language_mix(kept, corpus.examples)
    return summary


def _counts(corpus: _Corpus, found: _Found) -> dict[str, int]:
    """The numbers summary.json reports about sentences, dev, gold and wire copies."""
    copies = corpus.copies
    return {
        "n_sentences": len(corpus.examples),
        "n_dev": found.n_dev,
        "n_gold": found.n_gold,
        "n_gold_dropped": found.n_gold_dropped,
        "n_syndicated": int(copies.syndicated.sum()) if copies else 0,
        "n_copies": int(copies.copy.sum()) if copies else 0,
        "n_copies_dropped": int((~corpus.keep).sum()),
    }


def _new_output_folder(config: CompareConfig, output_dir: str | Path | None) -> Path:
    """The folder to write: `output_dir`, or a new time-stamped one; it must not exist."""
    if output_dir is not None:
        out = Path(output_dir)
    else:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d_%H%M%S")
        out = Path("experiments/compare") / f"{stamp}_{config.name}"
    if out.exists():
        raise ConfigError(
            f"output folder {out} already exists; comparisons are never overwritten. "
            "Choose a new --output folder or remove the old one"
        )
    check_writable(out)  # before the corpus is scored, not after
    return out


def _probabilities(
    config: CompareConfig,
    model: Scorer,
    examples: list[Example],
    cache: Path | None,
    show_progress: bool,
) -> Probabilities:
    """The model's probabilities for the compared sentences: read from the scored folder
    `scores` when the config names one (it must come from the same model), else scored now."""
    if config.scores is None:
        texts = [ex.text for ex in examples]
        return score_corpus(model, texts, config.batch_size, cache, show_progress)
    folder = resolve_model(config.model)
    if not (folder / INDEX).is_file():
        raise ConfigError("scores: reading a scored folder needs `model` to be a model folder")
    return read_scores(config.scores, model_digest(folder), examples)


def _model_and_cache(config: CompareConfig, model: Scorer | None) -> tuple[Scorer, Path | None]:
    """The model to score with (loaded from `config.model` unless given) and the score cache
    file to use (None: no cache, e.g. for a model passed in, whose files are unknown)."""
    if model is not None:
        return model, None
    folder = resolve_model(config.model)
    if not folder.is_dir():
        raise ConfigError(f"model folder not found: {config.model} (key `model`)")
    loaded = FramingClassifier.load(folder)
    if config.cache_dir is None:
        return loaded, None
    window = None if config.window is None else f"{config.window.start}..{config.window.end}"
    key = cache_key(folder, config.corpus, config.fields, config.segment, window)
    return loaded, cache_file(config.cache_dir, key)


def _dev_confusion(
    config: CompareConfig,
    model: Scorer,
    columns: LabelColumns,
    thresholds: dict[str, float],
) -> tuple[DevConfusion | None, int]:
    """The model's confusion sums per dev document, and the number of dev sentences."""
    if config.dev is None:
        return None, 0
    examples = read_input(config.dev, "dev", model.schema, config.fields)
    y, mask = encode_gold(examples, columns)
    if not mask.any():
        raise DataError(f"dev {config.dev}: no sentence is labelled for any compared label")
    proba = score_texts(model, [e.text for e in examples], config.batch_size, False, "dev")
    hard, soft = encode_predictions(proba, thresholds, columns)
    doc_index, n_docs = document_index([document_of(e) for e in examples])
    return dev_confusion(doc_index, n_docs, y, mask, hard, soft, columns), len(examples)


def _gold_rows(
    config: CompareConfig,
    model: Scorer,
    columns: LabelColumns,
    corpus: _Corpus,
    soft: np.ndarray,
) -> tuple[GoldRows | None, int, int]:
    """The gold random sample, matched to compared sentences by id so that its residuals join
    their documents; its number of sentences used, and of those outside the compared sentences
    (out of the window, or copies under `count_once`: a uniform sample stays uniform on the
    rest)."""
    if config.gold_sample is None:
        return None, 0, 0
    gold = read_input(config.gold_sample, "gold_sample", model.schema, config.fields)
    row_of = {ex.id: i for i, ex in enumerate(corpus.examples)}
    missing = [g.id for g in gold if g.id not in corpus.read_ids]
    if missing:
        raise DataError(
            f"gold_sample {config.gold_sample}: {len(missing)} of {len(gold)} "
            f"sentence ids are not in the corpus {config.corpus} (first: "
            f"{', '.join(repr(m) for m in missing[:3])}). The gold sample must be a random "
            "sample of the corpus's sentences, with the same ids (`framing gold-sample` draws one)"
        )
    inside = [g for g in gold if g.id in row_of]
    if not inside:
        raise DataError(
            f"gold_sample {config.gold_sample}: none of its {len(gold)} sentences is among the "
            "compared sentences (all are outside `window` or wire copies dropped by count_once)"
        )
    rows = np.array([row_of[g.id] for g in inside], dtype=np.int64)
    y, mask = encode_gold(inside, columns)
    if not mask.any():
        raise DataError(
            f"gold_sample {config.gold_sample}: no sentence is labelled for any compared label"
        )
    doc_index = corpus.documents.doc_index
    return GoldRows(doc_index[rows], y, mask, soft[rows]), len(inside), len(gold) - len(inside)


def _write_folder(
    out: Path, config: CompareConfig, found: _Found, summary: dict[str, Any]
) -> tuple[Path, Path]:
    """Write the output folder atomically (built aside, renamed into place when complete);
    returns the final paths of report.md and report.html."""
    with atomic_dir(out) as tmp:
        write_csv(tmp / "estimates.csv", ESTIMATE_COLUMNS, found.estimates)
        write_csv(tmp / "differences.csv", DIFFERENCE_COLUMNS, found.differences)
        write_jsonl(tmp / "evidence.jsonl", found.evidence)
        _write_copies(tmp, found.corpus)
        write_json(tmp / "summary.json", summary)
        config_text = dump_yaml(config.model_dump(mode="json"))
        (tmp / "config.yaml").write_text(config_text, encoding="utf-8")
        report_md, report_html = build_report(tmp)
    return out / report_md.name, out / report_html.name


def _write_copies(folder: Path, corpus: _Corpus) -> None:
    """syndication.csv (per source: syndicated and copied shares) and wire_copies.csv (every
    cluster member), when wire copies were looked for."""
    if corpus.copies is None:
        return
    doc_index, _ = document_index([document_of(ex) for ex in corpus.read])
    rows = syndication_rows(corpus.read, doc_index, corpus.copies, corpus.documents.sources)
    write_csv(folder / "syndication.csv", SYNDICATION_COLUMNS, rows)
    found = copy_rows(corpus.read, doc_index, corpus.copies)
    write_csv(folder / "wire_copies.csv", COPY_COLUMNS, found)
