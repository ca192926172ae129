"""The page a comparison report is written on: number formats, how a cell reads (honestly: a
cell the correction cannot resolve says so, with the naive share), Markdown and HTML tables side
by side, and the self-contained HTML document around them.

All corpus text is escaped here: a corpus is untrusted input.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape

from framing.compare.results import Cell

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1,h2,h3{line-height:1.2}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}.empty{color:#999}
img{max-width:100%;height:auto;border:1px solid #eee}.note{color:#555;font-size:.9em}
details{margin:.3em 0}summary{cursor:pointer}code{background:#f5f5f5;padding:0 .2em}
"""
KEY = (
    "Every number below is a row of estimates.csv or differences.csv in this folder. Each cell "
    "shows the headline estimate with its interval and, beside it, the naive share of sentences "
    "the model labels. † marks a cell where the corrected estimate stands in for a missing "
    "design-based one; — marks an empty cell (see the `note` column of estimates.csv). A cell "
    "the correction cannot resolve reads 'not resolvable', with the naive share and the reason: "
    "the corrected estimate clipped at 0 in (nearly) every bootstrap resample, so that its "
    "interval would read [0.0%, 0.0%] (the model labels fewer sentences there than its dev "
    "false-positive rate alone would produce) or at 100% (every other class clipped at 0), "
    "the dev confusion matrix does not separate the classes (near singular, or a class "
    "predicted at least as often from another true class as from its own), or the cell has too "
    "few gold sentences. Such a cell is never shown as 0 or 100%."
)

# -- formatting ------------------------------------------------------------------------------


def pct(value: float) -> str:
    """A share as a percentage with one decimal ('—' when missing)."""
    return "—" if not math.isfinite(value) else f"{100 * value:.1f}%"


def ci(cell: Cell) -> str:
    """How a cell reads: estimate [interval] and the naive share beside it; 'not resolvable'
    with the naive share and the reason where the correction cannot resolve it; '—' if empty."""
    reason = cell.unresolvable
    if reason:
        return f"not resolvable (naive {pct(cell.naive)}): {reason}"
    if not math.isfinite(cell.estimate):
        return "—"
    text = f"{pct(cell.estimate)} [{pct(cell.low)}, {pct(cell.high)}]"
    text += " †" if cell.fallback else ""
    if cell.estimator != "naive" and math.isfinite(cell.naive):
        text += f" · naive {pct(cell.naive)}"
    return text


def pp(value: float) -> str:
    """A difference in percentage points."""
    return "—" if not math.isfinite(value) else f"{100 * value:+.1f} pp"


def p_text(value: float) -> str:
    """A p-value, '<0.001' below 0.001."""
    if not math.isfinite(value):
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def md_text(text: str) -> str:
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


class Page:
    """The report being written, in Markdown and HTML side by side."""

    def __init__(self) -> None:
        self.md: list[str] = []
        self.html: list[str] = []

    def title(self, text: str) -> None:
        self.md.extend([f"# {md_text(text)}", ""])
        self.html.append(f"<h1>{escape(text)}</h1>")

    def section(self, title: str, level: int = 2) -> None:
        self.md.extend([f"{'#' * level} {title}", ""])
        self.html.append(f"<h{level}>{escape(title)}</h{level}>")

    def para(self, text: str) -> None:
        self.md.extend([md_text(text), ""])
        self.html.append(f"<p>{escape(text)}</p>")

    def table(self, header: Sequence[str], body: list[list[str]], numeric_from: int = 1) -> None:
        self.md.extend(
            _md_table([md_text(h) for h in header], [[md_text(c) for c in r] for r in body])
        )
        self.html.append(_html_table(header, body, numeric_from))

    def link_item(self, text: str, url: str | None) -> None:
        """A list item of corpus text, linked to `url` when it is an http(s) address."""
        safe = url if url and url.lower().startswith(("https://", "http://")) else None
        if safe:
            self.md.append(f"- {md_text(text)} ([article]({md_text(safe).replace(')', '%29')}))")
            self.html.append(
                f'<li>{escape(text)} <a href="{escape(safe, quote=True)}" '
                'rel="noopener noreferrer nofollow">article</a></li>'
            )
        else:
            self.md.append(f"- {md_text(text)}")
            self.html.append(f"<li>{escape(text)}</li>")

    def image(self, uri: str, alt: str) -> None:
        self.html.append(f'<p><img src="{uri}" alt="{escape(alt)}"></p>')
        self.md.extend([f"*Plot in report.html: {md_text(alt)}.*", ""])


def html_page(name: str, body: Sequence[str]) -> str:
    """The whole HTML document around the report's body."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        # The page may load nothing from anywhere: images are data URIs, CSS is inline.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{escape(name)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
