"""Contrasts between cells: pairwise differences (groups; the largest sources) and trends over
periods, each with a bootstrap interval and a p-value Holm-adjusted within its family.

Everything is computed on the cells' bootstrap replicates, so a difference's interval carries
the sampling error of both cells (and of the dev set, for the corrected estimator).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from framing.compare.estimates import CellEstimates
from framing.compare.levels import Level
from framing.compare.tables import ALL
from framing.errors import ConfigError
from framing.stats import bootstrap_p_value, holm_adjust, summarise


def trend_slopes(replicates: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Least-squares slope over the period axis (axis 1) per replicate: (B+1, P, C) -> (B+1, C).
    A replicate with a missing period gives NaN."""
    xc = x - x.mean()
    denom = float((xc**2).sum())
    if denom == 0:
        return np.full((replicates.shape[0], replicates.shape[2]), np.nan)
    centred = replicates - replicates.mean(axis=1, keepdims=True)
    return np.einsum("bpc,p->bc", centred, xc) / denom


def differences(
    levels: Sequence[Level],
    kept: Mapping[str, CellEstimates],
    reported: Sequence[tuple[int, str]],
    contrast_sources: int,
    ci_level: float,
) -> list[dict[str, Any]]:
    """The differences.csv rows: pairwise differences between groups and between the
    `contrast_sources` largest sources, then trends over periods (overall and per group)."""
    by_name = {level.name: level for level in levels}
    rows: list[dict[str, Any]] = []
    for name in ("group", "source"):
        if name in by_name:
            limit = contrast_sources if name == "source" else None
            rows += pairwise(by_name[name], kept[name], reported, limit, ci_level)
    if "period" in by_name:
        rows += trends(by_name, kept, reported, ci_level)
    return rows


def pairwise(
    level: Level,
    cells: CellEstimates,
    reported: Sequence[tuple[int, str]],
    limit: int | None,
    ci_level: float,
) -> list[dict[str, Any]]:
    """Differences a - b between every pair of cells with sentences (only the `limit` largest
    cells if given), p-values Holm-adjusted within each estimator."""
    have = np.flatnonzero(cells.n_sentences > 0)
    if limit is not None:
        have = have[np.argsort(-cells.n_sentences[have], kind="stable")][:limit]
    pairs = [(a, b) for i, a in enumerate(have) for b in have[i + 1 :]]
    if not pairs:
        return []
    rep_cols = np.array([c for c, _ in reported])
    ia, ib = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    key = 1 if level.name == "group" else 0  # name a cell by its group, or by its source
    rows: list[dict[str, Any]] = []
    for estimator, reps in cells.replicates.items():
        sub = reps[..., rep_cols]
        diff = sub[:, ia] - sub[:, ib]
        point, low, high = summarise(diff, ci_level)
        p = bootstrap_p_value(diff)
        adj = holm_adjust(p.ravel()).reshape(p.shape)
        for k, (a, b) in enumerate(pairs):
            for j, (_, label) in enumerate(reported):
                rows.append(
                    {
                        "kind": "difference",
                        "level": level.name,
                        "a": level.cells[a][key],
                        "b": level.cells[b][key],
                        "period": ALL,
                        "label": label,
                        "estimator": estimator,
                        "difference": point[k, j],
                        "ci_low": low[k, j],
                        "ci_high": high[k, j],
                        "p_value": p[k, j],
                        "p_holm": adj[k, j],
                        "n_docs_a": int(cells.n_docs[a]),
                        "n_docs_b": int(cells.n_docs[b]),
                    }
                )
    return rows


def _period_positions(periods: Sequence[str]) -> np.ndarray:
    """The x of each period for a slope: its number (years), else its rank."""
    try:
        return np.array([float(p) for p in periods])
    except ValueError:
        return np.arange(len(periods), dtype=np.float64)


@dataclass(frozen=True)
class _Series:
    """One trend series: its level, its name (`all` or a group), and its cells in period order."""

    level: str
    name: str
    cells: CellEstimates
    index: np.ndarray


def trends(
    by_name: Mapping[str, Level],
    kept: Mapping[str, CellEstimates],
    reported: Sequence[tuple[int, str]],
    ci_level: float,
) -> list[dict[str, Any]]:
    """Least-squares slope per period step for the whole corpus and each group, p-values
    Holm-adjusted over all series and labels of one estimator."""
    periods = [cell[2] for cell in by_name["period"].cells]
    if len(periods) < 2:
        return []
    n_p = len(periods)
    series = [_Series("period", ALL, kept["period"], np.arange(n_p))]
    if "group_period" in by_name:
        for g_i, cell in enumerate(by_name["group_period"].cells[::n_p]):
            index = g_i * n_p + np.arange(n_p)
            series.append(_Series("group_period", cell[1], kept["group_period"], index))
    x = _period_positions(periods)
    span = f"{periods[0]}-{periods[-1]}"
    rows: list[dict[str, Any]] = []
    for estimator in kept["period"].replicates:
        family: list[dict[str, Any]] = []
        for one in series:
            family += _trend_rows(one, estimator, x, span, reported, ci_level)
        adj = holm_adjust([r["p_value"] for r in family])
        for r, a in zip(family, adj, strict=True):
            r["p_holm"] = a
        rows.extend(family)
    return rows


def _trend_rows(
    series: _Series,
    estimator: str,
    x: np.ndarray,
    span: str,
    reported: Sequence[tuple[int, str]],
    ci_level: float,
) -> list[dict[str, Any]]:
    """One series' trend rows (the caller fills in `p_holm`, over the whole family)."""
    rep_cols = np.array([c for c, _ in reported])
    sub = series.cells.replicates[estimator][:, series.index][..., rep_cols]
    slopes = trend_slopes(sub, x)
    point, low, high = summarise(slopes[:, None, :], ci_level)
    p = bootstrap_p_value(slopes)
    return [
        {
            "kind": "trend",
            "level": series.level,
            "a": series.name,
            "b": "",
            "period": span,
            "label": label,
            "estimator": estimator,
            "difference": point[0, j],
            "ci_low": low[0, j],
            "ci_high": high[0, j],
            "p_value": p[j],
            "n_docs_a": int(series.cells.n_docs[series.index].sum()),
            "n_docs_b": 0,
        }
        for j, (_, label) in enumerate(reported)
    ]


@dataclass(frozen=True)
class Chosen:
    """A contrast the config names (`contrasts: [[a, b], ...]`), resolved to two cells of one
    level."""

    level: str
    a: int
    b: int


def _named_cells(levels: Sequence[Level]) -> dict[str, list[tuple[str, int]]]:
    """Every cell a contrast may name: sources by name, groups and facet values by value; each
    also as '<level>:<name>'."""
    out: dict[str, list[tuple[str, int]]] = {}
    for level in levels:
        if level.name in ("all", "period", "group_period", "source_period"):
            continue
        key = 0 if level.name == "source" else 1
        for u, cell in enumerate(level.cells):
            for name in (cell[key], f"{level.name}:{cell[key]}"):
                out.setdefault(name, []).append((level.name, u))
    return out


def resolve_contrasts(levels: Sequence[Level], pairs: Sequence[Sequence[str]]) -> list[Chosen]:
    """The cells of each contrast the config names.

    Raises:
        ConfigError: a name is no outlet, group or facet value; names cells of two levels; or
            the two names of a pair are in different levels.
    """
    named = _named_cells(levels)
    chosen = []
    for a, b in pairs:
        found = []
        for name in (a, b):
            cells = named.get(name, [])
            if not cells:
                some = ", ".join(repr(n) for n in list(named)[:6] if ":" not in n)
                raise ConfigError(
                    f"contrasts: {name!r} is no outlet, group or facet value of the corpus "
                    f"(e.g. {some}); write an outlet name, a group, or '<facet>:<value>'"
                )
            if len(cells) > 1:
                where = ", ".join(f"'{lv}:{name}'" for lv, _ in cells)
                raise ConfigError(
                    f"contrasts: {name!r} names cells of several levels; write {where}"
                )
            found.append(cells[0])
        if found[0][0] != found[1][0]:
            raise ConfigError(
                f"contrasts: [{a}, {b}] compares a {found[0][0]} with a {found[1][0]}; "
                "compare two cells of one level (two outlets, two groups, two facet values)"
            )
        chosen.append(Chosen(found[0][0], found[0][1], found[1][1]))
    return chosen


def chosen_contrasts(
    levels: Sequence[Level],
    kept: Mapping[str, CellEstimates],
    reported: Sequence[tuple[int, str]],
    chosen: Sequence[Chosen],
    ci_level: float,
) -> list[dict[str, Any]]:
    """differences.csv rows of kind 'contrast': a - b for each chosen pair and label, p-values
    Holm-adjusted over all chosen contrasts and labels of one estimator."""
    if not chosen:
        return []
    by_name = {level.name: level for level in levels}
    rep_cols = np.array([c for c, _ in reported])
    rows: list[dict[str, Any]] = []
    for estimator in kept["all"].replicates:
        family: list[dict[str, Any]] = []
        for pair in chosen:
            level, cells = by_name[pair.level], kept[pair.level]
            sub = cells.replicates[estimator][..., rep_cols]
            diff = sub[:, pair.a] - sub[:, pair.b]
            point, low, high = summarise(diff[:, None, :], ci_level)
            p = bootstrap_p_value(diff)
            key = 0 if pair.level == "source" else 1
            for j, (_, label) in enumerate(reported):
                family.append(
                    {
                        "kind": "contrast",
                        "level": pair.level,
                        "a": level.cells[pair.a][key],
                        "b": level.cells[pair.b][key],
                        "period": ALL,
                        "label": label,
                        "estimator": estimator,
                        "difference": point[0, j],
                        "ci_low": low[0, j],
                        "ci_high": high[0, j],
                        "p_value": p[j],
                        "n_docs_a": int(cells.n_docs[pair.a]),
                        "n_docs_b": int(cells.n_docs[pair.b]),
                    }
                )
        for row, adj in zip(family, holm_adjust([r["p_value"] for r in family]), strict=True):
            row["p_holm"] = adj
        rows.extend(family)
    return rows
