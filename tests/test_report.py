"""Tests for framing.compare.report: it renders a comparison folder, escapes corpus text and
loads offline."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from framing.compare.report import build_report
from framing.compare.tables import DIFFERENCE_COLUMNS, ESTIMATE_COLUMNS

EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"
LABELS = [
    "frame:threat",
    "frame:pressure",
    "stance:west:favor",
    "stance:west:against",
    "stance:west:none",
]


PERIODS = ["2020", "2021", "2022"]


def _estimate_rows(level: str, source: str, group: str, period: str, n: int) -> list[dict]:
    """One cell's estimates.csv rows, every label x estimator (empty where n == 0)."""
    rows = []
    for j, label in enumerate(LABELS):
        for k, est in enumerate(("naive", "corrected", "design")):
            value = "" if n == 0 else 0.1 + 0.05 * j + 0.01 * k
            rows.append(
                {
                    "source": source,
                    "group": group,
                    "period": period,
                    "label": label,
                    "estimator": est,
                    "estimate": value,
                    "ci_low": "" if n == 0 else value - 0.03,
                    "ci_high": "" if n == 0 else value + 0.03,
                    "n_sentences": n,
                    "n_docs": n // 10,
                    "level": level,
                    "note": "no sentences" if n == 0 else "",
                }
            )
    return rows


def _write_estimates(folder: Path) -> None:
    rows = []
    for s, g in [("Aland", "west"), (EVIL, "east"), ("Empty", "east")]:
        rows += _estimate_rows("source", s, g, "all", 0 if s == "Empty" else 120)
    for g in ("west", "east"):
        rows += _estimate_rows("group", "all", g, "all", 120)
        for p in PERIODS:
            rows += _estimate_rows("group_period", "all", g, p, 40)
    rows += _estimate_rows("all", "all", "all", "all", 240)
    for p in PERIODS:
        rows += _estimate_rows("period", "all", "all", p, 80)
    with open(folder / "estimates.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ESTIMATE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _write_differences(folder: Path) -> None:
    with open(folder / "differences.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=DIFFERENCE_COLUMNS)
        writer.writeheader()
        writer.writerow(
            {
                "kind": "difference",
                "level": "source",
                "a": "Aland",
                "b": EVIL,
                "period": "all",
                "label": "frame:threat",
                "estimator": "design",
                "difference": -0.123,
                "ci_low": -0.2,
                "ci_high": -0.05,
                "p_value": 0.002,
                "p_holm": 0.004,
                "n_docs_a": 12,
                "n_docs_b": 12,
            }
        )
        writer.writerow(
            {
                "kind": "trend",
                "level": "period",
                "a": "all",
                "b": "",
                "period": "2020-2022",
                "label": "frame:threat",
                "estimator": "design",
                "difference": 0.01,
                "ci_low": -0.01,
                "ci_high": 0.03,
                "p_value": 0.3,
                "p_holm": 0.3,
                "n_docs_a": 24,
                "n_docs_b": 0,
            }
        )


def _write_evidence(folder: Path) -> None:
    (folder / "evidence.jsonl").write_text(
        json.dumps(
            {
                "source": EVIL,
                "label": "frame:threat",
                "rank": 1,
                "id": "E_1",
                "doc_id": "E",
                "probability": 0.97,
                "text": EVIL + " missiles",
            }
        )
        + "\n"
    )


def _folder(tmp_path: Path) -> Path:
    """A comparison folder as compare() writes it, with hand-chosen numbers."""
    folder = tmp_path / "cmp"
    folder.mkdir()
    _write_estimates(folder)
    _write_differences(folder)
    _write_evidence(folder)
    summary = {
        "name": "tiny",
        "model": {"path": "m", "kind": "tfidf", "thresholds": {}},
        "corpus": {"path": "c.jsonl", "segmented": False},
        "n_sentences": 240,
        "n_docs": 24,
        "n_sources": 2,
        "sources_without_sentences": ["Empty"],
        "groups": {"path": "g.yaml", "name": "g", "order": ["west", "east"]},
        "periods": PERIODS,
        "dev": {"path": "d", "n": 50},
        "gold_sample": {"path": "gold", "n": 30, "min_gold": 10},
        "estimators": ["naive", "corrected", "design"],
        "correction": "acc",
        "headline": "design",
        "headline_reason": "Because.",
        "bootstrap": {"n": 100, "seed": 0, "level": 0.95},
        "labels": LABELS,
        "top_sources": 20,
        "highlight_sources": ["Empty"],
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_report_writes_markdown_and_html_with_numbers_from_csv(tmp_path: Path) -> None:
    md_path, html_path = build_report(_folder(tmp_path))
    md = md_path.read_text()
    html = html_path.read_text()
    # design estimate of frame:threat for group west: 0.1 + 0.02 -> 12.0% [9.0%, 15.0%]
    assert "12.0% [9.0%, 15.0%]" in md and "12.0% [9.0%, 15.0%]" in html
    assert "-12.3 pp" in md and "0.004" in md
    assert html.count("<img ") == 4  # groups, sources, stance, trends
    assert html.count('src="data:image/png;base64,') == 4
    assert "http://" not in html and "https://" not in html


def test_report_escapes_corpus_text(tmp_path: Path) -> None:
    md_path, html_path = build_report(_folder(tmp_path))
    html = html_path.read_text()
    md = md_path.read_text()
    assert "<script>" not in html and "<script>" not in md
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.browser
def test_report_html_renders_offline_in_headless_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found; apt-get install -y chromium")
    _, html_path = build_report(_folder(tmp_path))
    requests: list[str] = []
    with sync_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        # Anything but the page itself is aborted, so a stray fetch fails here, not silently.
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url == html_path.as_uri() else route.abort()
            ),
        )
        page.goto(html_path.as_uri(), wait_until="load")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        scripts = page.evaluate("document.scripts.length")
        browser.close()
    assert len(images) == 4
    assert all(complete and width > 0 for complete, width in images), images
    assert scripts == 0
    external = [u for u in requests if u != html_path.as_uri() and not u.startswith("data:")]
    assert external == [], external
