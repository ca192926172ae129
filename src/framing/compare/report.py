"""Rendering of a comparison folder: report.md and a self-contained report.html.

This module computes nothing new. It reads estimates.csv, differences.csv, evidence.jsonl and
summary.json as `framing.compare.job` wrote them, picks rows, formats numbers and draws plots, so
every number in a report can be found in those files. The HTML embeds its plots as PNG data URIs
and uses inline CSS only: opening it makes no network request. All corpus text (sentences, source
and group names) is escaped, because a corpus is untrusted input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from framing.compare.page import KEY, Page, ci, html_page, md_text, p_text, pp
from framing.compare.plots import heatmap, short_label, stance_plot, trend_plot
from framing.compare.results import HeadlineTable, Results, number, read_results
from framing.compare.sections import (
    chosen_contrasts,
    facets,
    languages,
    naive_beside,
    naive_differences,
    scope,
    syndication,
)
from framing.compare.tables import ALL

_MAX_CONTRASTS = 15


# -- what the report shows -------------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """The rows and labels the report's sections show, chosen from the summary and estimates."""

    table: HeadlineTable
    headline: str
    labels: list[str]
    frames: list[str]
    targets: list[str]
    classes: dict[str, list[str]]
    periods: list[str]
    groups: list[str]
    source_rows: dict[str, dict[str, str]]
    top_rows: list[tuple[str, str]]
    main_level: str
    main_rows: list[tuple[str, str]]


def _view(results: Results) -> _View:
    """Rows of the main views: groups if there are any, and the largest sources (plus the ones
    the config asks for) in a second view."""
    summary, rows = results.summary, results.estimates
    labels: list[str] = summary["labels"]
    targets = list(dict.fromkeys(x.split(":")[1] for x in labels if x.startswith("stance:")))
    groups: list[str] = (summary.get("groups") or {}).get("order") or []
    source_rows = {r["source"]: r for r in rows if r["level"] == "source"}
    by_size = sorted(source_rows.values(), key=lambda r: (-int(r["n_sentences"]), r["source"]))
    top = [r["source"] for r in by_size[: summary.get("top_sources", 20)]]
    top += [s for s in summary.get("highlight_sources", []) if s not in top]
    top_rows = [(s, source_rows[s]["group"] if s in source_rows else "") for s in top]
    group_rows = [(ALL, g) for g in groups]
    return _View(
        table=HeadlineTable(rows, summary["headline"]),
        headline=summary["headline"],
        labels=labels,
        frames=[x for x in labels if x.startswith("frame:")],
        targets=targets,
        classes={
            t: [x.split(":")[2] for x in labels if x.startswith(f"stance:{t}:")] for t in targets
        },
        periods=summary.get("periods") or [],
        groups=groups,
        source_rows=source_rows,
        top_rows=top_rows,
        main_level="group" if group_rows else "source",
        main_rows=group_rows or top_rows,
    )


def _row_name(view: _View, row: tuple[str, str]) -> str:
    """A main-view row's name: its group, or its source."""
    return row[1] if view.main_level == "group" else row[0]


# -- sections --------------------------------------------------------------------------------


def _intro(page: Page, summary: dict[str, Any], periods: Sequence[str]) -> None:
    """The title, what was compared with which model, the estimators, and how to read cells."""
    page.title(f"Frame and stance comparison: {summary['name']}")
    model = summary["model"]
    page.para(
        f"Corpus {summary['corpus']['path']}: {summary['n_sentences']:,} sentences in "
        f"{summary['n_docs']:,} documents from {summary['n_sources']:,} sources"
        + (f", periods {periods[0]}–{periods[-1]}" if periods else "")
        + f". Scored by the {model['kind']} model in {model['path']}."
    )
    page.para(
        f"Estimators: {', '.join(summary['estimators'])}. Headline: {summary['headline']}. "
        f"{summary['headline_reason']} "
        f"Intervals are {int(100 * summary['bootstrap']['level'])}% cluster-bootstrap intervals "
        f"({summary['bootstrap']['n']} resamples of documents"
        + (", and of the dev set's documents" if summary.get("dev") else "")
        + "); differences carry Holm-adjusted p-values."
    )
    if summary.get("dev"):
        page.para(
            f"Dev set for the error-rate correction: {summary['dev']['path']} "
            f"({summary['dev']['n']} sentences, {summary['correction'].upper()})."
        )
    if summary.get("gold_sample"):
        g = summary["gold_sample"]
        page.para(
            f"Gold random sample: {g['path']} ({g['n']} sentences; a cell needs at least "
            f"{g['min_gold']} of them for a design-based estimate)."
        )
    if summary.get("sources_without_sentences"):
        page.para(
            "Sources asked for but without sentences in the corpus (empty cells): "
            + ", ".join(summary["sources_without_sentences"])
            + "."
        )
    scope(page, summary)
    page.para(KEY)


def _frames(page: Page, view: _View) -> None:
    """Frame prevalence: a heat-map and table of the main view, then of the largest sources."""
    if not view.frames:
        return
    page.section("Frame prevalence")
    table, frames, headline = view.table, view.frames, view.headline
    name = "group" if view.main_level == "group" else "source"
    if view.main_rows:
        title = f"Share of sentences with each frame by {name} ({headline})"
        page.image(
            heatmap(table, view.main_level, view.main_rows, frames, title),
            f"heat-map of frame prevalence by {name}",
        )
        page.table(
            [name] + [short_label(f) for f in frames],
            [
                [_row_name(view, r)]
                + [ci(table.cell(view.main_level, r[0], r[1], ALL, f)) for f in frames]
                for r in view.main_rows
            ],
        )
    if view.main_level == "group" and view.top_rows:
        page.section("Largest sources (and those the config names)", 3)
        title = f"Share of sentences with each frame, largest sources ({headline})"
        page.image(
            heatmap(table, "source", view.top_rows, frames, title),
            "heat-map of frame prevalence by source",
        )
        page.table(
            ["source", "group", "sentences"] + [short_label(f) for f in frames],
            [
                [s, g, view.source_rows[s]["n_sentences"] if s in view.source_rows else "0"]
                + [ci(table.cell("source", s, g, ALL, f)) for f in frames]
                for s, g in view.top_rows
            ],
            numeric_from=2,
        )


def _stance(page: Page, view: _View) -> None:
    """Stance per target: a dot plot and a table of each class's share in the main view."""
    if not view.targets:
        return
    page.section("Stance per target")
    for t in view.targets:
        classes = view.classes[t]
        if view.main_rows:
            page.image(
                stance_plot(view.table, view.main_level, view.main_rows, t, classes),
                f"stance toward {t}",
            )
        page.table(
            [view.main_level] + classes,
            [
                [_row_name(view, r)]
                + [
                    ci(view.table.cell(view.main_level, r[0], r[1], ALL, f"stance:{t}:{c}"))
                    for c in classes
                ]
                for r in view.main_rows
            ],
        )


def _estimators(page: Page, view: _View, estimators: Sequence[str]) -> None:
    """Every estimator on the whole corpus, side by side."""
    page.section("Estimators side by side (whole corpus)")
    page.table(
        ["label"] + list(estimators),
        [
            [lab] + [ci(view.table.cell("all", ALL, ALL, ALL, lab, e)) for e in estimators]
            for lab in view.labels
        ],
    )


def _interval(row: dict[str, str]) -> str:
    return f"[{pp(number(row['ci_low']))}, {pp(number(row['ci_high']))}]"


def _contrasts(page: Page, view: _View, differences: Sequence[dict[str, str]]) -> None:
    """The largest pairwise differences of the headline estimator."""
    page.section("Largest differences")
    diffs = [
        d
        for d in differences
        if d["kind"] == "difference" and d["estimator"] == view.headline and d["difference"] != ""
    ]
    diffs.sort(key=lambda d: (-abs(number(d["difference"])), d["label"], d["a"], d["b"]))
    if not diffs:
        page.para(
            "No pairwise differences could be estimated (fewer than two cells with sentences)."
        )
        return
    page.para(
        f"The {min(_MAX_CONTRASTS, len(diffs))} largest of {len(diffs)} pairwise differences "
        "(groups, and the largest sources), largest first; p-values are Holm-adjusted within "
        "each level. All are in differences.csv."
    )
    naive = naive_differences(differences)
    page.table(
        ["level", "a", "b", "label", "a − b", "95% CI", "p (Holm)", "naive a − b"],
        [
            [
                d["level"],
                d["a"],
                d["b"],
                d["label"],
                pp(number(d["difference"])),
                _interval(d),
                p_text(number(d["p_holm"])),
                naive_beside(d, naive),
            ]
            for d in diffs[:_MAX_CONTRASTS]
        ],
        numeric_from=4,
    )


def _trends(page: Page, view: _View, differences: Sequence[dict[str, str]]) -> None:
    """Frame prevalence over periods (per group if any), and the clearest trends."""
    if len(view.periods) < 2:
        return
    page.section("Trends over periods")
    level, series = ("group_period", view.groups) if view.groups else ("period", [ALL])
    if view.frames:
        page.image(
            trend_plot(view.table, level, series, view.periods, view.frames),
            "frame prevalence over periods",
        )
    trends = [
        d
        for d in differences
        if d["kind"] == "trend" and d["estimator"] == view.headline and d["difference"] != ""
    ]
    trends.sort(key=lambda d: (number(d["p_holm"]), -abs(number(d["difference"]))))
    page.para(
        "Change per period (least-squares slope), the clearest first; p-values Holm-adjusted "
        "over all trends."
    )
    page.table(
        ["series", "label", "slope per period", "95% CI", "p (Holm)"],
        [
            [
                d["a"],
                d["label"],
                pp(number(d["difference"])),
                _interval(d),
                p_text(number(d["p_holm"])),
            ]
            for d in trends[:_MAX_CONTRASTS]
        ],
        numeric_from=2,
    )


def _evidence(page: Page, evidence: Sequence[dict[str, Any]]) -> None:
    """The most probable sentences per frame and source, folded per source in the HTML."""
    if not evidence:
        return
    page.section("Evidence: the most probable sentences per frame and source")
    page.para("Read these to check the model against the text (from evidence.jsonl).")
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in evidence:
        by_source.setdefault(str(row["source"]), []).append(row)
    for source, items in by_source.items():
        page.md.extend([f"**{md_text(source)}**", ""])
        page.html.append(f"<details><summary>{escape(source)}</summary><ul>")
        for item in items:
            title = f" ({item['title']})" if item.get("title") else ""
            line = (
                f"{short_label(item['label'])} · p={item['probability']:.2f} · "
                f"{item['id']}{title}: {item['text']}"
            )
            page.link_item(line, item.get("url"))
        page.md.append("")
        page.html.append("</ul></details>")


def build_report(folder: str | Path) -> tuple[Path, Path]:
    """Write report.md and report.html into a comparison folder, from the files in it.

    Returns:
        The paths of report.md and report.html.
    """
    folder = Path(folder)
    results = read_results(folder)
    summary = results.summary
    view = _view(results)
    page = Page()
    _intro(page, summary, view.periods)
    _frames(page, view)
    _stance(page, view)
    _estimators(page, view, summary["estimators"])
    facets(page, view.table, summary)
    _contrasts(page, view, results.differences)
    chosen_contrasts(page, view.headline, results.differences)
    _trends(page, view, results.differences)
    syndication(page, summary, results.syndication)
    languages(page, summary)
    _evidence(page, results.evidence)
    md_path, html_path = folder / "report.md", folder / "report.html"
    md_path.write_text("\n".join(page.md) + "\n", encoding="utf-8")
    html_path.write_text(html_page(summary["name"], page.html), encoding="utf-8")
    return md_path, html_path
