"""Rendering of a comparison folder: report.md and a self-contained report.html.

This module computes nothing new. It reads estimates.csv, differences.csv, evidence.jsonl and
summary.json as `framing.compare` wrote them, picks rows, formats numbers and draws plots, so every
number in a report can be found in those files. The HTML embeds its plots as PNG data URIs and uses
inline CSS only: opening it makes no network request. All corpus text (sentences, source and group
names) is escaped, because a corpus is untrusted input.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

ALL = "all"
_MAX_CONTRASTS = 15
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1,h2,h3{line-height:1.2}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}.empty{color:#999}
img{max-width:100%;height:auto;border:1px solid #eee}.note{color:#555;font-size:.9em}
details{margin:.3em 0}summary{cursor:pointer}code{background:#f5f5f5;padding:0 .2em}
"""


@dataclass(frozen=True)
class _Cell:
    estimate: float
    low: float
    high: float
    estimator: str
    fallback: bool
    n_sentences: int
    n_docs: int
    note: str


def _num(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _pct(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{100 * value:.1f}%"


def _ci(cell: _Cell) -> str:
    if not math.isfinite(cell.estimate):
        return "—"
    if cell.note.startswith("at floor"):
        return "≈0 (floor) †" if cell.fallback else "≈0 (floor)"
    return f"{_pct(cell.estimate)} [{_pct(cell.low)}, {_pct(cell.high)}]" + (
        " †" if cell.fallback else ""
    )


def _pp(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{100 * value:+.1f} pp"


def _p(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


class _Table:
    """Headline cells indexed by (level, source, group, period, label)."""

    def __init__(self, rows: Sequence[dict[str, str]], headline: str) -> None:
        self.headline = headline
        by_key: dict[tuple[str, ...], dict[str, dict[str, str]]] = {}
        for row in rows:
            key = (row["level"], row["source"], row["group"], row["period"], row["label"])
            by_key.setdefault(key, {})[row["estimator"]] = row
        self.by_key = by_key

    def cell(
        self,
        level: str,
        source: str,
        group: str,
        period: str,
        label: str,
        estimator: str | None = None,
    ) -> _Cell:
        rows = self.by_key.get((level, source, group, period, label), {})
        name = estimator or self.headline
        row = rows.get(name)
        fallback = False
        # Where the design-based estimate is empty (too few gold sentences), show the corrected
        # one rather than a hole, and mark it.
        if estimator is None and name == "design" and (row is None or row["estimate"] == ""):
            if "corrected" in rows and rows["corrected"]["estimate"] != "":
                row, fallback = rows["corrected"], True
        if row is None:
            return _Cell(math.nan, math.nan, math.nan, name, False, 0, 0, "not estimated")
        return _Cell(
            _num(row["estimate"]),
            _num(row["ci_low"]),
            _num(row["ci_high"]),
            row["estimator"],
            fallback,
            int(row["n_sentences"] or 0),
            int(row["n_docs"] or 0),
            row["note"],
        )


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(label: str) -> str:
    return label.split(":", 1)[1] if label.startswith("frame:") else label


def _heatmap(
    table: _Table, level: str, rows: Sequence[tuple[str, str]], frames: Sequence[str], title: str
) -> str:
    """Heat-map of headline prevalence, each cell annotated with estimate and CI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    values = np.full((len(rows), len(frames)), np.nan)
    texts = [["" for _ in frames] for _ in rows]
    for i, (source, group) in enumerate(rows):
        for j, label in enumerate(frames):
            cell = table.cell(level, source, group, ALL, label)
            values[i, j] = cell.estimate
            texts[i][j] = (
                "no data"
                if not math.isfinite(cell.estimate)
                else f"{100 * cell.estimate:.1f}%\n[{100 * cell.low:.1f}, {100 * cell.high:.1f}]"
                + ("†" if cell.fallback else "")
            )
    fig, ax = plt.subplots(figsize=(1.8 + 1.9 * len(frames), 0.9 + 0.55 * len(rows)))
    masked = np.ma.masked_invalid(values)
    image = ax.imshow(
        masked,
        cmap="Blues",
        aspect="auto",
        vmin=0,
        vmax=max(0.05, float(np.nanmax(values)) if np.isfinite(values).any() else 1),
    )
    ax.set_xticks(range(len(frames)), [_short(f) for f in frames], rotation=20, ha="right")
    ax.set_yticks(range(len(rows)), [r[0] if level.startswith("source") else r[1] for r in rows])
    vmax = image.get_clim()[1]
    for i in range(len(rows)):
        for j in range(len(frames)):
            dark = math.isfinite(values[i, j]) and values[i, j] > 0.6 * vmax
            ax.text(
                j,
                i,
                texts[i][j],
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else "black",
            )
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.03, format=lambda v, _: f"{100 * v:.0f}%")
    return _png(fig)


def _stance_plot(
    table: _Table, level: str, rows: Sequence[tuple[str, str]], target: str, classes: Sequence[str]
) -> str:
    """Dot plot: share of each stance class (except none) per row, with CIs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [c for c in classes if c != "none"] or list(classes)
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.4 * len(rows)))
    colours = ["#2b7bba", "#d7301f", "#666666", "#41ab5d"]
    for k, cls in enumerate(shown):
        for i, (source, group) in enumerate(rows):
            cell = table.cell(level, source, group, ALL, f"stance:{target}:{cls}")
            if not math.isfinite(cell.estimate):
                continue
            y = i + (k - (len(shown) - 1) / 2) * 0.18
            ax.errorbar(
                cell.estimate,
                y,
                xerr=[[cell.estimate - cell.low], [cell.high - cell.estimate]],
                fmt="o",
                color=colours[k % 4],
                ms=4,
                capsize=2,
                label=cls if i == 0 else None,
            )
    ax.set_yticks(range(len(rows)), [r[0] if level.startswith("source") else r[1] for r in rows])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_xlabel("share of sentences")
    ax.set_title(f"Stance toward {target}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def _trend_plot(
    table: _Table, level: str, groups: Sequence[str], periods: Sequence[str], frames: Sequence[str]
) -> str:
    """Small multiples: one panel per frame, one line (with CI band) per group over periods."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(2, len(frames))
    nrows = math.ceil(len(frames) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(6 * cols, 3.2 * nrows), squeeze=False)
    for ax, label in zip(axes.ravel(), frames, strict=False):
        for group in groups:
            points = [table.cell(level, ALL, group, p, label) for p in periods]
            x = list(range(len(periods)))
            ax.plot(x, [c.estimate for c in points], marker="o", ms=3, label=group)
            ax.fill_between(x, [c.low for c in points], [c.high for c in points], alpha=0.15)
        ax.set_xticks(range(len(periods)), periods, rotation=45, fontsize=7)
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_title(_short(label), fontsize=10)
    for ax in axes.ravel()[len(frames) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def _md_text(text: str) -> str:
    """Corpus text for Markdown: HTML-escaped (renderers pass raw HTML through) and no pipes."""
    return escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _html_table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for j, value in enumerate(row):
            cls = ' class="num"' if j >= numeric_from else ""
            if value == "—":
                cls = ' class="empty"'
            cells.append(f"<td{cls}>{escape(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def build_report(folder: str | Path) -> tuple[Path, Path]:
    """Write report.md and report.html into a comparison folder, from the files in it.

    Returns:
        The paths of report.md and report.html.
    """
    folder = Path(folder)
    summary: dict[str, Any] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    rows = _read_csv(folder / "estimates.csv")
    differences = _read_csv(folder / "differences.csv")
    evidence: list[dict[str, Any]] = []
    if (folder / "evidence.jsonl").is_file():
        with open(folder / "evidence.jsonl", encoding="utf-8") as handle:
            evidence = [json.loads(line) for line in handle if line.strip()]
    headline = summary["headline"]
    table = _Table(rows, headline)
    labels: list[str] = summary["labels"]
    frames = [x for x in labels if x.startswith("frame:")]
    targets = list(dict.fromkeys(x.split(":")[1] for x in labels if x.startswith("stance:")))
    classes = {
        t: [x.split(":")[2] for x in labels if x.startswith(f"stance:{t}:")] for t in targets
    }
    periods: list[str] = summary.get("periods") or []
    groups: list[str] = (summary.get("groups") or {}).get("order") or []

    # Rows of the main views: groups if there are any, and the largest sources (plus the ones
    # the config asks for) in a second view.
    source_rows = {r["source"]: r for r in rows if r["level"] == "source"}
    by_size = sorted(source_rows.values(), key=lambda r: (-int(r["n_sentences"]), r["source"]))
    top = [r["source"] for r in by_size[: summary.get("top_sources", 20)]]
    top += [s for s in summary.get("highlight_sources", []) if s not in top]
    top_rows = [(s, source_rows[s]["group"] if s in source_rows else "") for s in top]
    group_rows = [(ALL, g) for g in groups]
    main_level, main_rows = ("group", group_rows) if group_rows else ("source", top_rows)

    md: list[str] = []
    html: list[str] = []

    def section(title: str, level: int = 2) -> None:
        md.extend([f"{'#' * level} {title}", ""])
        html.append(f"<h{level}>{escape(title)}</h{level}>")

    def para(text: str) -> None:
        md.extend([_md_text(text), ""])
        html.append(f"<p>{escape(text)}</p>")

    def table_out(header: Sequence[str], body: list[list[str]], numeric_from: int = 1) -> None:
        md.extend(
            _md_table([_md_text(h) for h in header], [[_md_text(c) for c in r] for r in body])
        )
        html.append(_html_table(header, body, numeric_from))

    def image(uri: str, alt: str) -> None:
        html.append(f'<p><img src="{uri}" alt="{escape(alt)}"></p>')
        md.extend([f"*Plot in report.html: {_md_text(alt)}.*", ""])

    name = summary["name"]
    md.extend([f"# Frame and stance comparison: {_md_text(name)}", ""])
    html.append(f"<h1>Frame and stance comparison: {escape(name)}</h1>")
    model = summary["model"]
    para(
        f"Corpus {summary['corpus']['path']}: {summary['n_sentences']:,} sentences in "
        f"{summary['n_docs']:,} documents from {summary['n_sources']:,} sources"
        + (f", periods {periods[0]}–{periods[-1]}" if periods else "")
        + f". Scored by the {model['kind']} model in {model['path']}."
    )
    est_names = ", ".join(summary["estimators"])
    para(
        f"Estimators: {est_names}. Headline: {headline}. {summary['headline_reason']} "
        f"Intervals are {int(100 * summary['bootstrap']['level'])}% cluster-bootstrap intervals "
        f"({summary['bootstrap']['n']} resamples of documents"
        + (", and of the dev set's documents" if summary.get("dev") else "")
        + "); differences carry Holm-adjusted p-values."
    )
    if summary.get("dev"):
        para(
            f"Dev set for the error-rate correction: {summary['dev']['path']} "
            f"({summary['dev']['n']} sentences, {summary['correction'].upper()})."
        )
    if summary.get("gold_sample"):
        g = summary["gold_sample"]
        para(
            f"Gold random sample: {g['path']} ({g['n']} sentences; a cell needs at least "
            f"{g['min_gold']} of them for a design-based estimate)."
        )
    if summary.get("sources_without_sentences"):
        para(
            "Sources asked for but without sentences in the corpus (empty cells): "
            + ", ".join(summary["sources_without_sentences"])
            + "."
        )
    para(
        "Every number below is a row of estimates.csv or differences.csv in this folder. "
        "† marks a cell where the corrected estimate stands in for a missing design-based one; "
        "— marks an empty cell (see the `note` column of estimates.csv). "
        "'≈0 (floor)' marks a corrected estimate that clipped at 0 in every bootstrap resample: "
        "the model labels fewer sentences there than its dev false-positive rate alone would "
        "produce, so the error correction cannot resolve a share above 0 and gives no interval "
        "(a dev set richer in hard negatives than the corpus makes this more frequent)."
    )

    # Frame prevalence.
    if frames:
        section("Frame prevalence")
        view = "group" if main_level == "group" else "source"
        if main_rows:
            image(
                _heatmap(
                    table,
                    main_level,
                    main_rows,
                    frames,
                    f"Share of sentences with each frame by {view} ({headline})",
                ),
                f"heat-map of frame prevalence by {view}",
            )
            table_out(
                [view] + [_short(f) for f in frames],
                [
                    [r[1] if main_level == "group" else r[0]]
                    + [_ci(table.cell(main_level, r[0], r[1], ALL, f)) for f in frames]
                    for r in main_rows
                ],
            )
        if main_level == "group" and top_rows:
            section("Largest sources (and those the config names)", 3)
            image(
                _heatmap(
                    table,
                    "source",
                    top_rows,
                    frames,
                    f"Share of sentences with each frame, largest sources ({headline})",
                ),
                "heat-map of frame prevalence by source",
            )
            table_out(
                ["source", "group", "sentences"] + [_short(f) for f in frames],
                [
                    [s, g, source_rows[s]["n_sentences"] if s in source_rows else "0"]
                    + [_ci(table.cell("source", s, g, ALL, f)) for f in frames]
                    for s, g in top_rows
                ],
                numeric_from=2,
            )

    # Stance.
    if targets:
        section("Stance per target")
        for t in targets:
            if main_rows:
                image(
                    _stance_plot(table, main_level, main_rows, t, classes[t]), f"stance toward {t}"
                )
            table_out(
                [main_level] + classes[t],
                [
                    [r[1] if main_level == "group" else r[0]]
                    + [
                        _ci(table.cell(main_level, r[0], r[1], ALL, f"stance:{t}:{c}"))
                        for c in classes[t]
                    ]
                    for r in main_rows
                ],
            )

    # Estimators side by side on the whole corpus.
    section("Estimators side by side (whole corpus)")
    table_out(
        ["label"] + summary["estimators"],
        [
            [lab] + [_ci(table.cell("all", ALL, ALL, ALL, lab, e)) for e in summary["estimators"]]
            for lab in labels
        ],
    )

    # Contrasts.
    section("Largest differences")
    diffs = [
        d
        for d in differences
        if d["kind"] == "difference" and d["estimator"] == headline and d["difference"] != ""
    ]
    diffs.sort(key=lambda d: (-abs(_num(d["difference"])), d["label"], d["a"], d["b"]))
    if diffs:
        para(
            f"The {min(_MAX_CONTRASTS, len(diffs))} largest of {len(diffs)} pairwise differences "
            "(groups, and the largest sources), largest first; p-values are Holm-adjusted within "
            "each level. All are in differences.csv."
        )
        table_out(
            ["level", "a", "b", "label", "a − b", "95% CI", "p (Holm)"],
            [
                [
                    d["level"],
                    d["a"],
                    d["b"],
                    d["label"],
                    _pp(_num(d["difference"])),
                    f"[{_pp(_num(d['ci_low']))}, {_pp(_num(d['ci_high']))}]",
                    _p(_num(d["p_holm"])),
                ]
                for d in diffs[:_MAX_CONTRASTS]
            ],
            numeric_from=4,
        )
    else:
        para("No pairwise differences could be estimated (fewer than two cells with sentences).")

    # Trends.
    if len(periods) >= 2:
        section("Trends over periods")
        trend_level, trend_groups = ("group_period", groups) if groups else ("period", [ALL])
        if frames:
            image(
                _trend_plot(table, trend_level, trend_groups, periods, frames),
                "frame prevalence over periods",
            )
        trends = [
            d
            for d in differences
            if d["kind"] == "trend" and d["estimator"] == headline and d["difference"] != ""
        ]
        trends.sort(key=lambda d: (_num(d["p_holm"]), -abs(_num(d["difference"]))))
        para(
            "Change per period (least-squares slope), the clearest first; p-values Holm-adjusted "
            "over all trends."
        )
        table_out(
            ["series", "label", "slope per period", "95% CI", "p (Holm)"],
            [
                [
                    d["a"],
                    d["label"],
                    _pp(_num(d["difference"])),
                    f"[{_pp(_num(d['ci_low']))}, {_pp(_num(d['ci_high']))}]",
                    _p(_num(d["p_holm"])),
                ]
                for d in trends[:_MAX_CONTRASTS]
            ],
            numeric_from=2,
        )

    # Evidence.
    if evidence:
        section("Evidence: the most probable sentences per frame and source")
        para("Read these to check the model against the text (from evidence.jsonl).")
        by_source: dict[str, list[dict[str, Any]]] = {}
        for row in evidence:
            by_source.setdefault(str(row["source"]), []).append(row)
        for source, items in by_source.items():
            md.extend([f"**{_md_text(source)}**", ""])
            html.append(f"<details><summary>{escape(source)}</summary><ul>")
            for item in items:
                line = (
                    f"{_short(item['label'])} · p={item['probability']:.2f} · "
                    f"{item['id']}: {item['text']}"
                )
                md.append(f"- {_md_text(line)}")
                html.append(f"<li>{escape(line)}</li>")
            md.append("")
            html.append("</ul></details>")

    md_path, html_path = folder / "report.md", folder / "report.html"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        # The page may load nothing from anywhere: images are data URIs, CSS is inline.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{escape(name)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(html)
        + "</body></html>\n"
    )
    html_path.write_text(page, encoding="utf-8")
    return md_path, html_path


# -- training and evaluation runs ------------------------------------------------------------


def _fmt_metric(value: Any, ci: Any = None) -> str:
    if value is None:
        return "–"
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    if ci and ci[0] is not None:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def _set_tables(name: str, block: dict[str, Any]) -> list[str]:
    lines = [f"#### {name} (n = {block['n']})", ""]
    frames = block.get("frames")
    if frames:
        lines += [
            f"Frames: micro-F1 {_fmt_metric(frames['micro_f1'], frames.get('micro_f1_ci'))}, "
            f"macro-F1 {_fmt_metric(frames['macro_f1'], frames.get('macro_f1_ci'))}",
            "",
            "| frame | precision | recall | F1 [95% CI] | support | ECE |",
            "|---|---|---|---|---|---|",
        ]
        for label, m in frames["per_label"].items():
            lines.append(
                f"| {label} | {_fmt_metric(m['precision'])} | {_fmt_metric(m['recall'])} | "
                f"{_fmt_metric(m['f1'], m.get('f1_ci'))} | {m['support']} | "
                f"{_fmt_metric(frames['ece'][label])} |"
            )
        lines.append("")
    for target, m in (block.get("stance") or {}).items():
        lines += [
            f"Stance toward **{target}**: "
            f"accuracy {_fmt_metric(m['accuracy'], m.get('accuracy_ci'))}, "
            f"macro-F1 {_fmt_metric(m['macro_f1'], m.get('macro_f1_ci'))}, "
            "F_avg (favor/against) "
            f"{_fmt_metric(m['f1_favor_against'], m.get('f1_favor_against_ci'))}, "
            f"ECE {_fmt_metric(m['ece'])}",
            "",
            "| label | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
        ]
        for label, s in m["per_label"].items():
            lines.append(
                f"| {label} | {_fmt_metric(s['precision'])} | {_fmt_metric(s['recall'])} | "
                f"{_fmt_metric(s['f1'])} | {s['support']} |"
            )
        labels = m["confusion"]["labels"]
        lines += [
            "",
            "Confusion (rows gold, columns predicted):",
            "",
            "| gold \\ pred | " + " | ".join(labels) + " |",
            "|---" * (len(labels) + 1) + "|",
        ]
        for label, row in zip(labels, m["confusion"]["matrix"]):
            lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
        lines.append("")
    by_source = block.get("by_source") or {}
    if by_source:
        lines += [
            "By source:",
            "",
            "| source | n | macro-F1 | frames macro-F1 |",
            "|---|---|---|---|",
        ]
        for source, s in by_source.items():
            lines.append(
                f"| {source} | {s['n']} | {_fmt_metric(s['macro_f1'])} | "
                f"{_fmt_metric(s['frames_macro_f1'])} |"
            )
        lines.append("")
    return lines


def render_run_report(name: str, metrics: dict[str, Any]) -> str:
    """The run's report.md: which model won on dev, then each model's tables per set."""
    models = metrics["models"]
    sets = sorted({s for m in models.values() for s in m["eval"]})
    lines = [
        f"# Run `{name}`",
        "",
        f"Best on dev: **{metrics['best_model']}** (selected on {metrics['select_on']}). "
        "macro-F1 here is the mean of each frame's F1 and each target's stance macro-F1.",
        "",
        "| model | kind | train s | dev macro-F1 | "
        + " | ".join(f"{s} macro-F1" for s in sets)
        + " |",
        "|---" * (4 + len(sets)) + "|",
    ]
    for model, m in models.items():
        dev = (m.get("dev") or {}).get("macro_f1")
        cells = [_fmt_metric(m["eval"].get(s, {}).get("macro_f1")) for s in sets]
        lines.append(
            f"| {model} | {m['kind']} | {m['train_seconds']:.1f} | {_fmt_metric(dev)} | "
            + " | ".join(cells)
            + " |"
        )
    lines.append("")
    for model, m in models.items():
        lines += [f"## {model}", ""]
        blocks = ([("dev", m["dev"])] if m.get("dev") else []) + list(m["eval"].items())
        for set_name, block in blocks:
            lines += _set_tables(set_name, block)
    return "\n".join(lines) + "\n"
