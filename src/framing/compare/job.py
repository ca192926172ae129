"""The `compare` job: read the corpus, score it (cached), estimate every cell with bootstrap
intervals, contrast the cells, and write the output folder with its report.

`compare()` reads top to bottom as the steps it runs; each step is a function of its own module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from framing.classifier import FramingClassifier
from framing.compare.columns import LabelColumns, encode_gold, encode_predictions, label_columns
from framing.compare.contrasts import differences
from framing.compare.corpus import (
    Documents,
    describe_documents,
    document_of,
    read_corpus,
    read_input,
)
from framing.compare.estimates import (
    ESTIMATORS,
    CellEstimates,
    DevConfusion,
    GoldRows,
    dev_confusion,
    sum_documents,
)
from framing.compare.levels import build_levels, estimate_levels
from framing.compare.report import build_report
from framing.compare.scores import Scorer, cache_file, cache_key, score_corpus, score_texts
from framing.compare.settings import Grouping, load_groups
from framing.compare.tables import DIFFERENCE_COLUMNS, ESTIMATE_COLUMNS, evidence_rows, write_csv
from framing.config import CompareConfig
from framing.data import Example
from framing.errors import ConfigError, DataError
from framing.files import atomic_dir, dump_yaml, write_json, write_jsonl
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
    texts = [ex.text for ex in corpus.examples]
    proba = score_corpus(model, texts, config.batch_size, cache, show_progress)
    hard, soft = encode_predictions(proba, thresholds, columns)
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
    """The corpus's sentences, the groups file, and the documents with their groups."""

    examples: list[Example]
    grouping: Grouping | None
    documents: Documents


def _read_corpus(config: CompareConfig) -> _Corpus:
    """Read the corpus and the groups file and describe the documents, before the slow
    scoring, so that a bad corpus or groups file fails at once."""
    examples = read_corpus(config.corpus, config.fields, config.segment)
    grouping = load_groups(config.groups) if config.groups is not None else None
    documents = describe_documents(examples, grouping, config.period, config.sources, config.corpus)
    return _Corpus(examples, grouping, documents)


@dataclass(frozen=True)
class _Found:
    """What the estimation step found: the rows of the output files, and the replicates per
    level (the summary lists the estimators the `all` level has)."""

    corpus: _Corpus
    n_dev: int
    n_gold: int
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
    examples, grouping, documents = corpus.examples, corpus.grouping, corpus.documents
    dev, n_dev = _dev_confusion(config, model, columns, thresholds)
    gold, n_gold = _gold_rows(config, model, columns, examples, documents.doc_index, soft)
    scored = sum_documents(documents.doc_index, documents.n_docs, hard, soft, columns, gold)
    levels = build_levels(documents, grouping.order if grouping else (), config.source_periods)
    estimates, kept = estimate_levels(levels, scored, columns, dev, gold is not None, config)
    reported = columns.reported()
    return _Found(
        corpus=corpus,
        n_dev=n_dev,
        n_gold=n_gold,
        estimates=estimates,
        kept=kept,
        differences=differences(
            levels, kept, reported, config.contrast_sources, config.bootstrap.level
        ),
        evidence=evidence_rows(
            examples, soft, columns, documents.sources, config.evidence_per_cell
        ),
    )


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
    return out


def _model_and_cache(config: CompareConfig, model: Scorer | None) -> tuple[Scorer, Path | None]:
    """The model to score with (loaded from `config.model` unless given) and the score cache
    file to use (None: no cache, e.g. for a model passed in, whose files are unknown)."""
    if model is not None:
        return model, None
    if not config.model.is_dir():
        raise ConfigError(f"model folder not found: {config.model} (key `model`)")
    loaded = FramingClassifier.load(config.model)
    if config.cache_dir is None:
        return loaded, None
    key = cache_key(config.model, config.corpus, config.fields, config.segment)
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
    examples: Sequence[Example],
    doc_index: np.ndarray,
    soft: np.ndarray,
) -> tuple[GoldRows | None, int]:
    """The gold random sample, matched to corpus sentences by id so that its residuals join
    their documents; and its number of sentences."""
    if config.gold_sample is None:
        return None, 0
    gold = read_input(config.gold_sample, "gold_sample", model.schema, config.fields)
    row_of = {ex.id: i for i, ex in enumerate(examples)}
    missing = [g.id for g in gold if g.id not in row_of]
    if missing:
        raise DataError(
            f"gold_sample {config.gold_sample}: {len(missing)} of {len(gold)} "
            f"sentence ids are not in the corpus {config.corpus} (first: "
            f"{', '.join(repr(m) for m in missing[:3])}). The gold sample must be a random "
            "sample of the corpus's sentences, with the same ids"
        )
    rows = np.array([row_of[g.id] for g in gold], dtype=np.int64)
    y, mask = encode_gold(gold, columns)
    if not mask.any():
        raise DataError(
            f"gold_sample {config.gold_sample}: no sentence is labelled for any compared label"
        )
    return GoldRows(doc_index[rows], y, mask, soft[rows]), len(gold)


def _summary(
    config: CompareConfig,
    model: Scorer,
    found: _Found,
    columns: LabelColumns,
    timings: dict[str, float],
) -> dict[str, Any]:
    """summary.json: what was compared, how, and with which headline estimator and why."""
    headline = config.headline_estimator()
    thresholds = dict(getattr(model, "thresholds", {}) or {})
    kind = str(getattr(model, "kind", "unknown"))
    return {
        "name": config.name,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {"path": str(config.model), "kind": kind, "thresholds": thresholds},
        "corpus": {"path": str(config.corpus), "segmented": config.segment},
        "n_sentences": len(found.corpus.examples),
        "n_docs": found.corpus.documents.n_docs,
        "n_sources": found.corpus.documents.n_sources_seen,
        "sources_without_sentences": found.corpus.documents.missing_sources,
        "groups": _groups_summary(config, found.corpus.grouping),
        "periods": found.corpus.documents.periods,
        "period_mode": config.period,
        "dev": None if config.dev is None else {"path": str(config.dev), "n": found.n_dev},
        "gold_sample": None
        if config.gold_sample is None
        else {"path": str(config.gold_sample), "n": found.n_gold, "min_gold": config.min_gold},
        "estimators": [e for e in ESTIMATORS if e in found.kept["all"].replicates],
        "correction": config.correction,
        "headline": headline,
        "headline_reason": headline_reason(config, headline),
        "bootstrap": config.bootstrap.model_dump(),
        "labels": [label for _, label in columns.reported()],
        "definitions": dict(model.schema.definitions),
        "top_sources": config.top_sources,
        "highlight_sources": list(config.sources),
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
    }


def _groups_summary(config: CompareConfig, grouping: Grouping | None) -> dict[str, Any] | None:
    """The groups file, its name and its groups in order (None without one)."""
    if grouping is None:
        return None
    return {"path": str(config.groups), "name": grouping.name, "order": list(grouping.order)}


def headline_reason(config: CompareConfig, headline: str) -> str:
    """Why the report leads with `headline`, in words for readers of the report."""
    chosen = "The config sets this estimator as the headline. " if config.headline != "auto" else ""
    reasons = {
        "design": (
            "A gold-labelled uniform random sample of this corpus exists, so the design-based "
            "estimate (mean predicted probability plus the mean gold-minus-predicted residual on "
            "the cell's gold sentences) is unbiased for every cell whatever the model's errors, "
            "and its interval includes the gold sample's own sampling error. Cells with fewer "
            f"than {config.min_gold} gold sentences show the corrected estimate instead (marked †)."
        ),
        "corrected": (
            "There is no gold random sample of this corpus, so the headline is the estimate "
            "corrected for the model's confusion rates on the labelled dev set "
            f"({config.correction.upper()}). "
            "It removes the bias that those rates predict, assuming the model errs on this corpus "
            "as it does on the dev set; its interval includes the dev set's sampling error."
        ),
        "naive": (
            "Neither a labelled dev set nor a gold sample was given, so nothing can correct the "
            "model's errors: the naive share of sentences the model labels is biased whenever the "
            "model errs. Read it as a description of the model's output, not of the corpus."
        ),
    }
    return chosen + reasons[headline]


def _write_folder(
    out: Path, config: CompareConfig, found: _Found, summary: dict[str, Any]
) -> tuple[Path, Path]:
    """Write the output folder atomically (built aside, renamed into place when complete);
    returns the final paths of report.md and report.html."""
    with atomic_dir(out) as tmp:
        write_csv(tmp / "estimates.csv", ESTIMATE_COLUMNS, found.estimates)
        write_csv(tmp / "differences.csv", DIFFERENCE_COLUMNS, found.differences)
        write_jsonl(tmp / "evidence.jsonl", found.evidence)
        write_json(tmp / "summary.json", summary)
        config_text = dump_yaml(config.model_dump(mode="json"))
        (tmp / "config.yaml").write_text(config_text, encoding="utf-8")
        report_md, report_html = build_report(tmp)
    return out / report_md.name, out / report_html.name
