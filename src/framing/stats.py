"""Statistics shared by evaluation and comparison: per-document sums, document (cluster)
bootstrap weights, percentile intervals, bootstrap p-values and Holm's adjustment.

A "document" (speech, article) is the unit that is resampled: sentences of one document are
not independent, so resampling sentences would make every interval too narrow.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np


def document_index(documents: Sequence[str]) -> tuple[np.ndarray, int]:
    """Map each row's document key to 0..n_docs-1 in order of first appearance."""
    ids: dict[str, int] = {}
    index = np.array([ids.setdefault(doc, len(ids)) for doc in documents], dtype=int)
    return index, len(ids)


def sum_by_document(values: np.ndarray, doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Sum rows of `values` (n, k) within each document -> (n_docs, k)."""
    out = np.zeros((n_docs, values.shape[1]))
    np.add.at(out, doc, values)
    return out


def document_bootstrap(n_docs: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n_docs) counts: how often each document is drawn in each resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=n_resamples).astype(float)


def stratified_bootstrap(strata: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster-bootstrap weights resampled within strata: row 0 is all ones (the point
    estimate), rows 1..n_boot count how often each document is drawn when the documents of
    every stratum are resampled with replacement within it. Stratum -1 gets weight 0."""
    n_docs = len(strata)
    weights = np.zeros((n_boot + 1, n_docs))
    weights[0] = strata >= 0
    order = np.argsort(strata, kind="stable")
    bounds = np.flatnonzero(np.diff(strata[order])) + 1
    for idx in np.split(order, bounds):
        if len(idx) == 0 or strata[idx[0]] < 0:
            continue
        m = len(idx)
        draws = rng.integers(0, m, size=(n_boot, m)) + (np.arange(n_boot) * m)[:, None]
        weights[1:, idx] = np.bincount(draws.ravel(), minlength=n_boot * m).reshape(n_boot, m)
    return weights


def percentile_interval(samples: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0, NaN samples ignored (NaN where none is finite)."""
    alpha = (1 - level) / 2
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanquantile(samples, alpha, axis=0)
        high = np.nanquantile(samples, 1 - alpha, axis=0)
    return low, high


def rounded_interval(samples: np.ndarray, level: float = 0.95) -> list[float | None]:
    """A 1-D sample's percentile interval as JSON-ready [low, high] (None when undefined)."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return [None, None]
    low, high = percentile_interval(samples, level)
    return [round(float(low), 6), round(float(high), 6)]


def summarise(replicates: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, ...]:
    """Point estimate (row 0) and percentile CI over rows 1.. (NaN replicates ignored)."""
    low, high = percentile_interval(replicates[1:], level)
    point = replicates[0]
    bad = np.isnan(point)
    low[bad] = np.nan
    high[bad] = np.nan
    return point, low, high


def bootstrap_p_value(diff: np.ndarray) -> np.ndarray:
    """Two-sided bootstrap p-value for 'no difference' from replicates (B+1, ...), row 0 the
    estimate: the share of centred replicates at least as far from 0 as the estimate."""
    point = diff[0]
    boot = diff[1:]
    valid = ~np.isnan(boot)
    extreme = (np.abs(boot - point) >= np.abs(point)) & valid
    n_valid = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (1 + extreme.sum(axis=0)) / (1 + n_valid)
    return np.where(np.isnan(point) | (n_valid == 0), np.nan, np.minimum(p, 1.0))


def holm_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of p-values (NaNs are kept and not counted)."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out
