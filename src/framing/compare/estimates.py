"""Prevalence estimators and their cluster-bootstrap replicates, per compared cell.

Counting a classifier's labels (naive classify-and-count) biases prevalence estimates whenever the
classifier errs, and its confidence intervals miss (Card & Smith 2018). Three estimators are
therefore put side by side for every cell (a source, group, period, ...):

- ``naive``: the share of sentences the model labels (classify and count);
- ``corrected``: adjusted classify-and-count from the model's confusion rates on a labelled dev set
  (``acc``: hard predictions; ``pacc``: mean probabilities), i.e. solve ``q = R^T pi`` where
  ``R[i, j] = P(pred j | true i)``; for a binary frame this is ``(q - fpr) / (tpr - fpr)``;
- ``design``: where a gold-labelled uniform random sample of the corpus exists, the mean predicted
  probability plus the mean residual ``gold - predicted`` on the gold sentences of the same cell
  (prediction-powered inference; Angelopoulos et al. 2023; Egami et al. 2023's DSL).

Confidence intervals come from a cluster bootstrap: documents are resampled within each cell, and
the dev set's documents are resampled too, so the uncertainty of the error rates is part of every
interval. Everything works on per-document sums with numpy (no per-sentence loops).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from framing.compare.columns import LabelColumns
from framing.stats import stratified_bootstrap, sum_by_document

ESTIMATORS = ("naive", "corrected", "design")

# ---------------------------------------------------------------------------------------------
# Per-document sums: everything the estimators need, so the bootstrap only reweights documents.


@dataclass(frozen=True)
class ScoredDocs:
    """Per-document sums of a scored corpus; row d is document d.

    `gold_n[d, t]` counts gold-labelled sentences of task t in document d, and `gold_resid[d, c]`
    sums (gold one-hot - predicted probability) over them.
    """

    n: np.ndarray
    hard: np.ndarray
    soft: np.ndarray
    gold_n: np.ndarray
    gold_resid: np.ndarray


@dataclass(frozen=True)
class GoldRows:
    """The gold sample's sentences: their document, gold one-hot labels, labelled-task mask and
    the model's probabilities for them."""

    doc_index: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    soft: np.ndarray


@dataclass(frozen=True)
class DevConfusion:
    """Per-dev-document confusion sums, flattened per task as K*K blocks (true i, predicted j)."""

    hard: np.ndarray
    soft: np.ndarray


def sum_documents(
    doc_index: np.ndarray,
    n_docs: int,
    hard: np.ndarray,
    soft: np.ndarray,
    columns: LabelColumns,
    gold: GoldRows | None = None,
) -> ScoredDocs:
    """Sum sentence-level arrays per document.

    Args:
        doc_index: (n,) document number of each sentence.
        n_docs: number of documents.
        hard, soft: (n, n_columns) from `encode_predictions`.
        columns: the column layout.
        gold: optional gold-sample sentences, whose residuals are summed into their documents.
    """
    n = np.bincount(doc_index, minlength=n_docs).astype(np.float64)
    gold_n = np.zeros((n_docs, len(columns.tasks)))
    gold_resid = np.zeros((n_docs, columns.n_columns))
    if gold is not None:
        resid = (gold.y - gold.soft) * columns.task_mask_to_columns(gold.mask)
        gold_n = sum_by_document(gold.mask.astype(np.float64), gold.doc_index, n_docs)
        gold_resid = sum_by_document(resid, gold.doc_index, n_docs)
    return ScoredDocs(
        n=n,
        hard=sum_by_document(hard, doc_index, n_docs),
        soft=sum_by_document(soft, doc_index, n_docs),
        gold_n=gold_n,
        gold_resid=gold_resid,
    )


def dev_confusion(
    doc_index: np.ndarray,
    n_docs: int,
    y: np.ndarray,
    mask: np.ndarray,
    hard: np.ndarray,
    soft: np.ndarray,
    columns: LabelColumns,
) -> DevConfusion:
    """Confusion sums per dev document: for each task, counts[i, j] of (true i, predicted j),
    with hard predictions and with probabilities."""
    blocks_h, blocks_s = [], []
    for t, (start, classes) in enumerate(zip(columns.offsets, columns.classes, strict=True)):
        k = len(classes)
        sl = slice(start, start + k)
        yt = y[:, sl] * mask[:, t : t + 1]
        blocks_h.append((yt[:, :, None] * hard[:, None, sl]).reshape(len(y), k * k))
        blocks_s.append((yt[:, :, None] * soft[:, None, sl]).reshape(len(y), k * k))
    return DevConfusion(
        hard=sum_by_document(np.concatenate(blocks_h, axis=1), doc_index, n_docs),
        soft=sum_by_document(np.concatenate(blocks_s, axis=1), doc_index, n_docs),
    )


# ---------------------------------------------------------------------------------------------
# Estimators (pure functions on arrays; leading axes are bootstrap replicates and cells)


def naive_estimate(count: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Classify and count: predicted-class counts over sentences (NaN where n == 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, count / np.where(n > 0, n, 1), np.nan)


def adjusted_estimate(q: np.ndarray, confusion: np.ndarray, min_det: float = 1e-3) -> np.ndarray:
    """Adjusted classify-and-count: solve q = R^T pi for the true class shares pi.

    Args:
        q: (..., K) observed predicted-class shares (hard counts for ACC, mean probabilities
            for PACC).
        confusion: (..., K, K) counts or rates with rows = true class, columns = predicted class;
            rows are normalised here. Broadcasts against q's leading axes.
        min_det: below this |det R| the correction is undefined (the classifier does not separate
            the classes) and the result is NaN. It is NaN too where some class is predicted at
            least as often from another true class as from its own (e.g. tpr <= fpr): solving
            would then turn "nothing observed" into "everything present".

    Returns:
        (..., K) shares, negatives clipped to 0 and renormalised (as QuaPy's ACC does). For
        K = 2 the 'present' share is (q - fpr) / (tpr - fpr) clipped to [0, 1].
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = confusion / confusion.sum(axis=-1, keepdims=True)
    k = rates.shape[-1]
    det = np.linalg.det(np.nan_to_num(rates, nan=0.0))
    diagonal = np.diagonal(np.nan_to_num(rates, nan=0.0), axis1=-2, axis2=-1)
    off = np.nan_to_num(rates, nan=0.0) - np.eye(k) * 2.0  # diagonal pushed below any rate
    inverted = (off.max(axis=-2) >= diagonal).any(axis=-1)
    bad = ~np.isfinite(rates).all(axis=(-1, -2)) | (np.abs(det) < min_det) | inverted
    safe = np.where(bad[..., None, None], np.eye(k), rates)
    rt = np.swapaxes(safe, -1, -2)
    q = np.asarray(q, dtype=np.float64)
    # np.linalg.solve broadcasts the stacks: rates (B, 1, K, K) against shares (B, U, K).
    pi = np.linalg.solve(rt, np.nan_to_num(q)[..., None])[..., 0]
    bad_b = np.broadcast_to(bad, pi.shape[:-1])
    pi = np.clip(pi, 0.0, None)
    total = pi.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pi = np.where(total > 0, pi / total, np.nan)
    pi[bad_b | np.isnan(q).any(axis=-1)] = np.nan
    return pi


def design_estimate(
    soft_sum: np.ndarray, n: np.ndarray, resid_sum: np.ndarray, gold_n: np.ndarray
) -> np.ndarray:
    """Prediction-powered (design-based) estimate: mean predicted probability over all sentences
    plus the mean residual (gold - predicted) over the cell's gold-sample sentences.

    Unbiased for the cell's true share when the gold sentences are a uniform random sample of
    the cell, whatever the model's errors; NaN where the cell has no sentences or no gold.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.where(n > 0, soft_sum / np.where(n > 0, n, 1), np.nan)
        resid = np.where(gold_n > 0, resid_sum / np.where(gold_n > 0, gold_n, 1), np.nan)
    return np.clip(pred + resid, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Bootstrap replicates of every cell


def sum_by_cell(
    weights: np.ndarray, cell_of_doc: np.ndarray, n_cells: int, values: np.ndarray
) -> np.ndarray:
    """sum_d weights[b, d] * values[d, f] over the documents of each cell -> (B, n_cells, F)."""
    from scipy import sparse

    docs = np.flatnonzero(cell_of_doc >= 0)
    n_feat = values.shape[1]
    rows = np.repeat(docs, n_feat)
    cols = (cell_of_doc[docs][:, None] * n_feat + np.arange(n_feat)[None, :]).ravel()
    member = sparse.csr_matrix(
        (values[docs].ravel(), (rows, cols)), shape=(len(cell_of_doc), n_cells * n_feat)
    )
    out = np.asarray((member.T @ weights.T).T)
    return out.reshape(weights.shape[0], n_cells, n_feat)


@dataclass(frozen=True)
class CellEstimates:
    """Bootstrap replicates for one level's cells: `replicates[estimator]` is (B+1, U, C), row 0
    the point estimate; `n_sentences`, `n_docs`, `n_gold` (U, T) are the point-sample sizes."""

    replicates: dict[str, np.ndarray]
    n_sentences: np.ndarray
    n_docs: np.ndarray
    n_gold: np.ndarray
    notes: dict[str, np.ndarray]


@dataclass(frozen=True)
class _CellSums:
    """Bootstrap-weighted sums per cell, each (B+1, n_cells, ...)."""

    n: np.ndarray
    hard: np.ndarray
    soft: np.ndarray
    gold_n: np.ndarray
    gold_resid: np.ndarray


def _cell_sums(
    docs: ScoredDocs,
    weights: np.ndarray,
    cell_of_doc: np.ndarray,
    n_cells: int,
    columns: LabelColumns,
) -> _CellSums:
    """Every per-document sum weighted by each replicate and summed within cells, in one pass."""
    n_t, n_c = len(columns.tasks), columns.n_columns
    feats = np.concatenate(
        [docs.n[:, None], docs.hard, docs.soft, docs.gold_n, docs.gold_resid], axis=1
    )
    agg = sum_by_cell(weights, cell_of_doc, n_cells, feats)
    return _CellSums(
        n=agg[..., :1],
        hard=agg[..., 1 : 1 + n_c],
        soft=agg[..., 1 + n_c : 1 + 2 * n_c],
        gold_n=agg[..., 1 + 2 * n_c : 1 + 2 * n_c + n_t],
        gold_resid=agg[..., 1 + 2 * n_c + n_t :],
    )


def estimate_cells(
    docs: ScoredDocs,
    cell_of_doc: np.ndarray,
    n_cells: int,
    columns: LabelColumns,
    *,
    dev: DevConfusion | None = None,
    correction: str = "acc",
    use_gold: bool = False,
    min_gold: int = 10,
    n_boot: int = 1000,
    rng: np.random.Generator | None = None,
) -> CellEstimates:
    """Naive, corrected and design-based estimates with cluster-bootstrap replicates per cell.

    Args:
        docs: per-document sums (`sum_documents`).
        cell_of_doc: (D,) the cell of each document (-1: in no cell); documents are resampled
            within their cell, so each cell keeps its number of documents.
        n_cells: number of cells.
        columns: the column layout.
        dev: dev confusion sums; without it there is no `corrected` estimate. Dev documents
            are resampled too, once per replicate, shared by all cells.
        correction: "acc" (hard predictions) or "pacc" (probabilities).
        use_gold: compute the `design` estimate from the gold sums in `docs`.
        min_gold: cells with fewer gold sentences for a task get no design estimate.
        n_boot: bootstrap resamples.
        rng: random generator (seeded by the caller).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    weights = stratified_bootstrap(cell_of_doc, n_boot, rng)
    sums = _cell_sums(docs, weights, cell_of_doc, n_cells, columns)
    empty = sums.n[0, :, 0] == 0
    reps = {"naive": naive_estimate(sums.hard, sums.n)}
    notes = {"naive": _base_note(empty)}
    if dev is not None:
        dev_w = stratified_bootstrap(np.zeros(dev.hard.shape[0], dtype=np.int64), n_boot, rng)
        conf = dev_w @ (dev.hard if correction == "acc" else dev.soft)
        observed = reps["naive"] if correction == "acc" else naive_estimate(sums.soft, sums.n)
        reps["corrected"], notes["corrected"] = _corrected(observed, conf, columns, empty)
    if use_gold:
        reps["design"], notes["design"] = _design(sums, columns, min_gold, empty)
    n_docs = np.bincount(cell_of_doc[cell_of_doc >= 0], minlength=n_cells)
    return CellEstimates(reps, sums.n[0, :, 0], n_docs, sums.gold_n[0], notes)


def _base_note(empty: np.ndarray) -> np.ndarray:
    """The note of every estimator: 'no sentences' on empty cells."""
    return np.where(empty, "no sentences", "").astype(object)


def _corrected(
    observed: np.ndarray, conf: np.ndarray, columns: LabelColumns, empty: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted classify-and-count per task from replicated dev confusion sums `conf` (B+1, .),
    and a note on the cells where the dev rates cannot separate the classes."""
    out = np.full_like(observed, np.nan)
    note = _base_note(empty)
    at = 0
    for start, classes in zip(columns.offsets, columns.classes, strict=True):
        k = len(classes)
        block = conf[:, at : at + k * k].reshape(-1, 1, k, k)
        at += k * k
        out[..., start : start + k] = adjusted_estimate(observed[..., start : start + k], block)
        if np.isnan(adjusted_estimate(np.full(k, 1 / k), block[0, 0])).any():
            note = np.where(
                (note == "") & ~empty,
                "dev confusion rates do not separate the classes for some labels",
                note,
            ).astype(object)
    return out, note


def _design(
    sums: _CellSums, columns: LabelColumns, min_gold: int, empty: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Design-based replicates, blanked where a cell has fewer than `min_gold` gold sentences
    for a task, and the note that says so."""
    gold_n_cols = columns.task_mask_to_columns(sums.gold_n)
    est = design_estimate(sums.soft, sums.n, sums.gold_resid, gold_n_cols)
    too_few = gold_n_cols[0] < min_gold
    est[:, too_few] = np.nan
    few_cells = too_few.any(axis=1) & ~empty
    note = np.where(few_cells, f"fewer than {min_gold} gold sentences", _base_note(empty))
    return est, note.astype(object)
