"""Honest cells on the default UN report's code path: a cell the correction cannot resolve (the
corrected estimate clips at 0 in every resample, a near-singular confusion matrix, too few gold
sentences) reads 'not resolvable' with its naive share and the reason, never as a bare zero."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from compare_news_helpers import KeywordModel

from framing.compare import compare, load_compare_config

UN_DEFAULT = Path(__file__).parents[1] / "configs" / "compare" / "un_default.yaml"
COUNTRIES = (
    ("Russia", "RUS", 0.5),
    ("United States of America", "USA", 0.1),
    ("Brazil", "BRA", 0.3),
)


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _corpus() -> list[dict]:
    rows = []
    for name, iso3, missiles in COUNTRIES:
        for year in (2021, 2022):
            for k in range(20):
                text = "missile news today" if k < 20 * missiles else "trade talks continue"
                doc = f"{iso3}_{year}"
                rows.append(
                    {
                        "id": f"{doc}_{k}",
                        "doc_id": doc,
                        "source": name,
                        "iso3": iso3,
                        "date": str(year),
                        "text": text + (" sanction" if k % 2 else ""),
                    }
                )
    return rows


def _dev() -> list[dict]:
    """Many 'missile' sentences without the threat frame (a high false-positive rate), and
    'sanction' exactly as frequent with and without the pressure frame (tpr = fpr)."""
    rows = []
    for k in range(60):
        missile = k < 40
        rows.append(
            {
                "id": f"dev{k}",
                "doc_id": f"dev_doc{k % 6}",
                "source": "dev",
                "text": ("missile news" if missile else "trade") + (" sanction" if k % 2 else ""),
                "frames": (["threat"] if k < 10 else []) + (["pressure"] if k % 4 < 2 else []),
                "stance": {"west": "none"},
            }
        )
    return rows


def _markdown_cells(md: str) -> list[tuple[str, str]]:
    """(column header, cell) of every table cell of report.md."""
    cells, header = [], None
    for line in md.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        parts = [p.strip() for p in line.strip("|").split(" | ")]
        if header is None:
            header = parts
        elif not line.startswith("|---"):
            cells.extend(zip(header, parts))
    return cells


def test_un_default_report_never_shows_an_unsupported_zero(tmp_path: Path) -> None:
    corpus = _write(tmp_path / "corpus.jsonl", _corpus())
    gold = [
        dict(r, frames=["threat"] * ("missile" in r["text"]), stance={"west": "none"})
        for r in _corpus()[::15]
    ]
    overrides = [
        f"corpus={corpus}",
        f"dev={_write(tmp_path / 'dev.jsonl', _dev())}",
        f"gold_sample={_write(tmp_path / 'gold.jsonl', gold)}",
        "cache_dir=null",
        "bootstrap.n=100",
    ]
    config = load_compare_config(UN_DEFAULT, overrides)
    result = compare(config, tmp_path / "out", model=KeywordModel())
    assert result.headline == "design"
    rows = list(csv.DictReader(open(result.output_dir / "estimates.csv", encoding="utf-8")))
    floors = [r for r in rows if r["estimator"] == "corrected" and r["ci_high"] == "0"]
    singular = [
        r
        for r in rows
        if r["estimator"] == "corrected" and r["estimate"] == "" and r["n_sentences"] != "0"
    ]
    assert floors and singular  # the fixture does reach both cases
    cells = _markdown_cells(result.report_md.read_text())
    shown_zero = re.compile(r"^(≈?0(\.0)?%?( \[0\.0%, 0\.0%\])?( †)?( · naive .*)?|.*floor.*)$")
    bad = [(h, c) for h, c in cells if h not in ("naive", "sentences") and shown_zero.match(c)]
    assert not bad, bad[:5]
    ceiling = [(h, c) for h, c in cells if h != "naive" and c.startswith("100.0% [100.0%, 100.0%]")]
    assert not ceiling, ceiling[:5]  # a correction stuck at 100% is as unsupported as at 0
    unresolved = [c for _, c in cells if c.startswith("not resolvable (naive ")]
    assert any("clips at 0" in c for c in unresolved)
    assert any("do not separate the classes" in c for c in unresolved)
    assert all(re.match(r"not resolvable \(naive \d+\.\d%\): \S", c) for c in unresolved)


def test_compare_cell_stuck_at_either_bound_is_not_resolvable() -> None:
    """A corrected share whose interval reads [0.0%, 0.0%] or [100.0%, 100.0%] is a bound set by
    the error rates (the other classes clipped), not a measurement; a naive share is counted."""
    from framing.compare.results import Cell

    def cell(estimator: str, low: float, high: float) -> Cell:
        return Cell(high, low, high, estimator, False, 120, 4, "", naive=0.977)

    assert "clips at 100%" in cell("corrected", 1.0, 1.0).unresolvable
    assert "clips at 0" in cell("design", 0.0, 0.0).unresolvable
    assert cell("naive", 1.0, 1.0).unresolvable == ""
    assert cell("corrected", 0.97, 1.0).unresolvable == ""


def test_compare_heatmap_cells_follow_the_table_rule() -> None:
    """The heat-map annotates an unresolvable cell the way the table does (with its naive
    share), never as '0.0% [0.0, 0.0]'; a resolvable one shows estimate and interval."""
    from framing.compare.plots import _cell_text
    from framing.compare.results import Cell

    floor = Cell(0.0, 0.0, 0.0, "corrected", True, 300, 3, "", naive=0.016)
    assert _cell_text(floor) == "not\nresolvable\n(naive 1.6%)"
    fine = Cell(0.05, 0.02, 0.08, "design", False, 300, 3, "", naive=0.04)
    assert _cell_text(fine) == "5.0%\n[2.0, 8.0]"
    empty = Cell(float("nan"), float("nan"), float("nan"), "design", False, 0, 0, "no sentences")
    assert _cell_text(empty) == "no data"
