"""The report's sections for outlet comparisons: facets (country, bloc, ...), the contrasts the
config names, and wire copies (syndication). Like `framing.compare.report`, they compute nothing:
every number is a row of estimates.csv, differences.csv or syndication.csv.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from framing.compare.page import Page, ci, p_text, pct, pp
from framing.compare.plots import short_label
from framing.compare.results import HeadlineTable, number
from framing.compare.tables import ALL


def facets(page: Page, table: HeadlineTable, summary: dict[str, Any]) -> None:
    """One table per facet (config key `facets`): each value's share of every label."""
    labels: list[str] = summary["labels"]
    for name, values in (summary.get("facets") or {}).items():
        page.section(f"By {name}")
        page.table(
            [name] + [short_label(label) for label in labels],
            [[v] + [ci(table.cell(name, ALL, v, ALL, label)) for label in labels] for v in values],
        )


def naive_differences(differences: Sequence[dict[str, str]]) -> dict[tuple[str, ...], float]:
    """The naive estimator's difference for each (kind, level, a, b, period, label)."""
    return {
        (d["kind"], d["level"], d["a"], d["b"], d["period"], d["label"]): number(d["difference"])
        for d in differences
        if d["estimator"] == "naive"
    }


def naive_beside(d: dict[str, str], naive: dict[tuple[str, ...], float]) -> str:
    """The naive difference of the same contrast, shown beside the headline one."""
    key = (d["kind"], d["level"], d["a"], d["b"], d["period"], d["label"])
    return pp(naive.get(key, float("nan")))


def chosen_contrasts(page: Page, headline: str, differences: Sequence[dict[str, str]]) -> None:
    """The contrasts the config names (`contrasts`), headline and naive side by side."""
    rows = [d for d in differences if d["kind"] == "contrast" and d["estimator"] == headline]
    if not rows:
        return
    naive = naive_differences(differences)
    page.section("Chosen contrasts")
    page.para(
        f"The contrasts the config names, a − b by the {headline} estimator with its interval and "
        "the naive difference beside it; p-values are Holm-adjusted over all chosen contrasts "
        "and labels. An empty difference means one side could not be estimated."
    )
    page.table(
        ["level", "a", "b", "label", "a − b", "95% CI", "p (Holm)", "naive a − b"],
        [
            [
                d["level"],
                d["a"],
                d["b"],
                d["label"],
                pp(number(d["difference"])),
                f"[{pp(number(d['ci_low']))}, {pp(number(d['ci_high']))}]",
                p_text(number(d["p_holm"])),
                naive_beside(d, naive),
            ]
            for d in rows
        ],
        numeric_from=4,
    )


def syndication(page: Page, summary: dict[str, Any], rows: Sequence[dict[str, str]]) -> None:
    """Wire copies: how they were found, which view the estimates take, and per outlet the
    share of its text shared with other outlets (from syndication.csv)."""
    info = summary.get("syndication") or {}
    if not rows or info.get("mode", "off") == "off":
        return
    page.section("Wire copies (syndication)")
    view = (
        "each story is counted once: later copies are left out of every estimate"
        if info["mode"] == "count_once"
        else "every copy is counted for the outlet that printed it"
    )
    page.para(
        f"Near-duplicate text across outlets: {info['method']}. {info['n_syndicated']:,} "
        f"sentences are shared with another outlet, {info['n_copies']:,} of them later copies. "
        f"View ({info['mode']}): {view}; {info['n_copies_dropped']:,} sentences were left out. "
        "Per outlet (syndication.csv; every copy in wire_copies.csv):"
    )
    page.table(
        ["outlet", "articles", "articles syndicated", "sentences", "syndicated", "copied"],
        [
            [
                r["source"],
                r["n_docs"],
                f"{r['docs_syndicated']} ({pct(number(r['share_docs_syndicated']))})",
                r["n_sentences"],
                pct(number(r["share_syndicated"])),
                pct(number(r["share_copied"])),
            ]
            for r in rows
        ],
    )


def languages(page: Page, summary: dict[str, Any], top: int = 20) -> None:
    """The language mix of the corpus (lingua, per sentence) and of its largest sources, so a
    reader sees where the model reads text in languages it was not trained for."""
    mix = summary.get("languages") or {}
    overall = mix.get("all") or {}
    total = sum(overall.values())
    if not total:
        return

    def shares(counts: dict[str, int]) -> str:
        n = sum(counts.values())
        return ", ".join(f"{lang} {pct(c / n)}" for lang, c in list(counts.items())[:4])

    trained = summary.get("model", {}).get("languages") or []
    page.section("Languages")
    page.para(
        f"Detected language of each sentence (lingua, offline): {shares(overall)}. "
        + (f"The model was trained on: {', '.join(trained)}. " if trained else "")
        + "Sources with the most sentences:"
    )
    sources = sorted(
        ((s, c) for s, c in mix.items() if s != "all"), key=lambda item: -sum(item[1].values())
    )
    page.table(
        ["source", "sentences", "languages"],
        [[source, f"{sum(c.values()):,}", shares(c)] for source, c in sources[:top]],
    )


def scope(page: Page, summary: dict[str, Any]) -> None:
    """The date window and the correction the headline numbers use."""
    window = summary.get("window")
    if window:
        page.para(
            f"Date window: documents dated from {window['from'] or 'the first'} to "
            f"{window['to'] or 'the last'} (both included)."
        )
    if summary.get("correction_used"):
        page.para(f"Correction behind the headline numbers: {summary['correction_used']}.")
