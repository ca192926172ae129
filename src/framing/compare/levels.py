"""The compared cells, level by level, and their estimate rows.

A level is one way of cutting the corpus into cells: by source, by group, the whole corpus, by
period, by group and period, by source and period. Each cell is named by its (source, group,
period) with `all` for what it spans; each document belongs to at most one cell of a level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from framing.compare.columns import LabelColumns
from framing.compare.corpus import Documents, position_in
from framing.compare.estimates import CellEstimates, DevConfusion, ScoredDocs, estimate_cells
from framing.compare.tables import ALL
from framing.config import CompareConfig
from framing.stats import summarise


@dataclass(frozen=True)
class Level:
    """One level's cells, each named (source, group, period), and the cell of each document
    (-1: in none)."""

    name: str
    cells: list[tuple[str, str, str]]
    cell_of_doc: np.ndarray


def _crossed(
    name: str,
    firsts: Sequence[str],
    doc_first: Sequence[str | None],
    periods: Sequence[str],
    doc_period: Sequence[str | None],
    cell: Callable[[str, str], tuple[str, str, str]],
) -> Level:
    """The level crossing `firsts` (groups or sources) with periods; `cell(first, period)`
    names each cell."""
    keys = [f"{f}\x00{p}" for f in firsts for p in periods]
    doc_keys = [
        f"{f}\x00{p}" if f is not None and p is not None else None
        for f, p in zip(doc_first, doc_period, strict=True)
    ]
    return Level(name, [cell(f, p) for f in firsts for p in periods], position_in(doc_keys, keys))


def build_levels(docs: Documents, group_order: Sequence[str], source_periods: bool) -> list[Level]:
    """Every level the data allows: source and all always; group (and group x period) with a
    groups file; period with dated documents; source x period when asked for."""
    src_group = {s: (docs.source_group.get(s) or "") for s in docs.sources}
    levels = [
        Level(
            "source",
            [(s, src_group[s], ALL) for s in docs.sources],
            position_in(docs.source, docs.sources),
        )
    ]
    if group_order:
        levels.append(
            Level(
                "group", [(ALL, g, ALL) for g in group_order], position_in(docs.group, group_order)
            )
        )
    levels.append(Level("all", [(ALL, ALL, ALL)], np.zeros(docs.n_docs, dtype=np.int64)))
    periods = docs.periods
    if not periods:
        return levels + facet_levels(docs)
    levels.append(
        Level("period", [(ALL, ALL, p) for p in periods], position_in(docs.period, periods))
    )
    if group_order:
        levels.append(
            _crossed(
                "group_period",
                group_order,
                docs.group,
                periods,
                docs.period,
                lambda g, p: (ALL, g, p),
            )
        )
    if source_periods:
        levels.append(
            _crossed(
                "source_period",
                docs.sources,
                docs.source,
                periods,
                docs.period,
                lambda s, p: (s, src_group[s], p),
            )
        )
    return levels + facet_levels(docs)


def facet_levels(docs: Documents) -> list[Level]:
    """One level per facet (config key `facets`, e.g. country, bloc): a cell per value, named in
    the `group` column. They come last, so the other levels' replicates do not depend on them."""
    return [
        Level(name, [(ALL, v, ALL) for v in values], position_in(docs.facet[name], values))
        for name, values in docs.facet_values.items()
    ]


def cell_note(estimator: str, point: float, high: float) -> str:
    """Why a cell needs care: not estimable, or a correction that clipped at 0 in every resample."""
    if not np.isfinite(point):
        return "not estimable"
    if estimator == "corrected" and high == 0.0:
        # The model labels fewer sentences here than its dev false-positive rate predicts from
        # noise alone: every resample clips at 0, so the interval is a floor, not a measurement.
        return "at floor: observed rate below the dev false-positive rate"
    if estimator == "design" and high == 0.0:
        return "at floor: predicted share plus gold residual below 0 in every resample"
    return ""


def estimate_rows(
    level: Level, cells: CellEstimates, reported: Sequence[tuple[int, str]], ci_level: float
) -> list[dict[str, Any]]:
    """The estimates.csv rows of one level: every estimator x cell x reported label."""
    rep_cols = np.array([c for c, _ in reported])
    rows: list[dict[str, Any]] = []
    for estimator, reps in cells.replicates.items():
        point, low, high = summarise(reps[..., rep_cols], ci_level)
        for u, (src, grp, per) in enumerate(level.cells):
            for j, (_, label) in enumerate(reported):
                rows.append(
                    {
                        "source": src,
                        "group": grp,
                        "period": per,
                        "label": label,
                        "estimator": estimator,
                        "estimate": point[u, j],
                        "ci_low": low[u, j],
                        "ci_high": high[u, j],
                        "n_sentences": int(cells.n_sentences[u]),
                        "n_docs": int(cells.n_docs[u]),
                        "level": level.name,
                        "note": cells.notes[estimator][u]
                        or cell_note(estimator, point[u, j], high[u, j]),
                    }
                )
    return rows


def estimate_levels(
    levels: Sequence[Level],
    docs: ScoredDocs,
    columns: LabelColumns,
    dev: DevConfusion | None,
    use_gold: bool,
    config: CompareConfig,
) -> tuple[list[dict[str, Any]], dict[str, CellEstimates]]:
    """Estimate every cell of every level with one seeded generator, in level order (so the
    same config and data give the same replicates); returns the estimates.csv rows and the
    replicates per level name."""
    rng = np.random.default_rng(config.bootstrap.seed)
    reported = columns.reported()
    rows: list[dict[str, Any]] = []
    kept: dict[str, CellEstimates] = {}
    for level in levels:
        cells = estimate_cells(
            docs,
            level.cell_of_doc,
            len(level.cells),
            columns,
            dev=dev,
            correction=config.correction,
            use_gold=use_gold,
            min_gold=config.min_gold,
            n_boot=config.bootstrap.n,
            rng=rng,
        )
        kept[level.name] = cells
        rows.extend(estimate_rows(level, cells, reported, config.bootstrap.level))
    return rows, kept
