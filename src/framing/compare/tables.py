"""The comparison folder's tables: column names of estimates.csv and differences.csv, the `all`
marker, number formatting and CSV writing, and the evidence rows (evidence.jsonl).

`framing.compare.report` reads these files back, so both sides take the format from here.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framing.compare.columns import LabelColumns
from framing.compare.corpus import position_in
from framing.data import Example

ALL = "all"
ESTIMATE_COLUMNS = (
    "source",
    "group",
    "period",
    "label",
    "estimator",
    "estimate",
    "ci_low",
    "ci_high",
    "n_sentences",
    "n_docs",
    "level",
    "note",
)
DIFFERENCE_COLUMNS = (
    "kind",
    "level",
    "a",
    "b",
    "period",
    "label",
    "estimator",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "n_docs_a",
    "n_docs_b",
)


def _fmt(value: Any) -> Any:
    """A CSV cell: floats to 6 significant digits, NaN and infinities empty."""
    if isinstance(value, (float, np.floating)):
        return "" if not math.isfinite(float(value)) else f"{float(value):.6g}"
    return value


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Write `rows` as a CSV file with the header `columns` (missing keys left empty)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(row.get(k, "")) for k in columns})


def evidence_rows(
    examples: Sequence[Example],
    soft: np.ndarray,
    columns: LabelColumns,
    sources: Sequence[str],
    per_cell: int,
) -> list[dict[str, Any]]:
    """The `per_cell` sentences with the highest probability for each frame x source."""
    if per_cell == 0 or not examples:
        return []
    src_index = position_in([ex.source for ex in examples], sources)
    rows: list[dict[str, Any]] = []
    for task, frame, start in zip(columns.tasks, columns.is_frame, columns.offsets, strict=True):
        if not frame:
            continue
        p = soft[:, start + 1]
        order = np.lexsort((-p, src_index))
        sorted_src = src_index[order]
        first = np.searchsorted(sorted_src, np.arange(len(sources)))
        for s_i, s in enumerate(sources):
            for rank in range(per_cell):
                at = first[s_i] + rank
                if at >= len(order) or sorted_src[at] != s_i:
                    break
                ex = examples[order[at]]
                rows.append(
                    {
                        "source": s,
                        "label": f"frame:{task}",
                        "rank": rank + 1,
                        "id": ex.id,
                        "doc_id": ex.doc_id,
                        "probability": round(float(p[order[at]]), 4),
                        "text": ex.text,
                        **_article_links(ex),
                    }
                )
    return rows


def _article_links(example: Example) -> dict[str, str]:
    """The article's url and title, where the corpus gives them (evidence links to them)."""
    return {k: str(example.extra[k]) for k in ("url", "title") if example.extra.get(k)}
