"""summary.json of a comparison: what was compared, how, with which headline estimator and why,
and which correction the report's headline numbers use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from framing.compare.corpus import Documents
from framing.compare.scores import Scorer
from framing.compare.settings import Grouping
from framing.compare.syndication import ARTICLE_SHINGLE, MIN_WORDS, NUM_PERM, SENTENCE_SHINGLE
from framing.config import CompareConfig


def build_summary(
    config: CompareConfig,
    model: Scorer,
    documents: Documents,
    grouping: Grouping | None,
    counts: dict[str, int],
    estimators: Sequence[str],
    labels: Sequence[str],
) -> dict[str, Any]:
    """summary.json; `counts` holds n_sentences, n_dev, n_gold, n_gold_dropped, n_copies,
    n_copies_dropped and n_syndicated."""
    headline = config.headline_estimator()
    thresholds = dict(getattr(model, "thresholds", {}) or {})
    kind = str(getattr(model, "kind", "unknown"))
    trained = list(getattr(model, "languages_", ()) or ())
    gold = config.gold_sample
    return {
        "name": config.name,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {
            "path": str(config.model),
            "kind": kind,
            "thresholds": thresholds,
            "languages": trained,
        },
        "corpus": {"path": str(config.corpus), "segmented": config.segment},
        "n_sentences": counts["n_sentences"],
        "n_docs": documents.n_docs,
        "n_sources": documents.n_sources_seen,
        "sources_without_sentences": documents.missing_sources,
        "groups": _groups_summary(config, grouping),
        "facets": {name: list(values) for name, values in documents.facet_values.items()},
        "window": _window_summary(config),
        "syndication": _syndication_summary(config, counts),
        "periods": documents.periods,
        "period_mode": config.period,
        "dev": None if config.dev is None else {"path": str(config.dev), "n": counts["n_dev"]},
        "gold_sample": None
        if gold is None
        else {
            "path": str(gold),
            "n": counts["n_gold"],
            "n_outside": counts["n_gold_dropped"],
            "min_gold": config.min_gold,
        },
        "estimators": list(estimators),
        "correction": config.correction,
        "correction_used": correction_used(config),
        "headline": headline,
        "headline_reason": headline_reason(config, headline),
        "bootstrap": config.bootstrap.model_dump(),
        "labels": list(labels),
        "definitions": dict(model.schema.definitions),
        "top_sources": config.top_sources,
        "highlight_sources": list(config.sources),
    }


def _groups_summary(config: CompareConfig, grouping: Grouping | None) -> dict[str, Any] | None:
    """The groups file, its name and its groups in order (None without one)."""
    if grouping is None:
        return None
    return {"path": str(config.groups), "name": grouping.name, "order": list(grouping.order)}


def _window_summary(config: CompareConfig) -> dict[str, str | None] | None:
    if config.window is None:
        return None
    start, end = config.window.start, config.window.end
    return {"from": start and start.isoformat(), "to": end and end.isoformat()}


def _syndication_summary(config: CompareConfig, counts: dict[str, int]) -> dict[str, Any]:
    """The wire-copy detection's settings and what it found."""
    return {
        "mode": config.syndication,
        "threshold": config.syndication_threshold,
        "method": (
            f"MinHash ({NUM_PERM} permutations) + LSH, Jaccard >= "
            f"{config.syndication_threshold} on {SENTENCE_SHINGLE[0][:-1]} {SENTENCE_SHINGLE[1]}-"
            f"grams of sentences and {ARTICLE_SHINGLE[0][:-1]} {ARTICLE_SHINGLE[1]}-grams of "
            f"articles; texts under {MIN_WORDS} words are never matched"
        ),
        "n_syndicated": counts["n_syndicated"],
        "n_copies": counts["n_copies"],
        "n_copies_dropped": counts["n_copies_dropped"],
    }


def correction_used(config: CompareConfig) -> str:
    """Which correction the headline numbers use, in words."""
    if config.gold_sample is not None:
        return f"design-based, from the gold random sample {config.gold_sample}"
    if config.dev is not None:
        return (
            f"dev-rate correction ({config.correction.upper()}) from {config.dev}: no gold "
            "sample of this corpus was given (draw one with `framing gold-sample`)"
        )
    return "none: neither a dev set nor a gold sample was given"


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
