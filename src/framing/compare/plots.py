"""The comparison report's figures (matplotlib), each returned as a PNG data URI so that the
HTML report embeds it and loads nothing from anywhere.

Every plotted number is a headline cell of estimates.csv (`HeadlineTable`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

from framing.compare.results import Cell, HeadlineTable
from framing.compare.tables import ALL


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def short_label(label: str) -> str:
    """A label without its `frame:` prefix."""
    return label.split(":", 1)[1] if label.startswith("frame:") else label


def _cell_text(cell: Cell) -> str:
    """A heat-map cell: estimate and interval, or why there is none (never a bare 0%)."""
    if not math.isfinite(cell.estimate) and not cell.unresolvable:
        return "no data"
    if cell.unresolvable:
        naive = f"\n(naive {100 * cell.naive:.1f}%)" if math.isfinite(cell.naive) else ""
        return "not\nresolvable" + naive
    interval = f"[{100 * cell.low:.1f}, {100 * cell.high:.1f}]"
    return f"{100 * cell.estimate:.1f}%\n{interval}" + ("†" if cell.fallback else "")


def heatmap(
    table: HeadlineTable,
    level: str,
    rows: Sequence[tuple[str, str]],
    frames: Sequence[str],
    title: str,
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
            values[i, j] = cell.estimate if not cell.unresolvable else math.nan
            texts[i][j] = _cell_text(cell)
    fig, ax = plt.subplots(figsize=(1.8 + 1.9 * len(frames), 0.9 + 0.55 * len(rows)))
    masked = np.ma.masked_invalid(values)
    image = ax.imshow(
        masked,
        cmap="Blues",
        aspect="auto",
        vmin=0,
        vmax=max(0.05, float(np.nanmax(values)) if np.isfinite(values).any() else 1),
    )
    ax.set_xticks(range(len(frames)), [short_label(f) for f in frames], rotation=20, ha="right")
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


def stance_plot(
    table: HeadlineTable,
    level: str,
    rows: Sequence[tuple[str, str]],
    target: str,
    classes: Sequence[str],
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
            if not math.isfinite(cell.estimate) or cell.unresolvable:
                continue  # the table beside the plot says why
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
    if ax.get_legend_handles_labels()[0]:  # every cell may be unresolvable or empty
        ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def trend_plot(
    table: HeadlineTable,
    level: str,
    groups: Sequence[str],
    periods: Sequence[str],
    frames: Sequence[str],
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
            cells = [table.cell(level, ALL, group, p, label) for p in periods]
            # An unresolvable period is a gap in the line (NaN), never a point at 0.
            est, low, high = (
                [math.nan if c.unresolvable else getattr(c, part) for c in cells]
                for part in ("estimate", "low", "high")
            )
            x = list(range(len(periods)))
            ax.plot(x, est, marker="o", ms=3, label=group)
            ax.fill_between(x, low, high, alpha=0.15)
        ax.set_xticks(range(len(periods)), periods, rotation=45, fontsize=7)
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_title(short_label(label), fontsize=10)
    for ax in axes.ravel()[len(frames) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)
