"""Comparing news outlets: wire copies on a fixture with known copies, both syndication views,
date windows, facets and chosen contrasts, the gold sample drawn and read back, and the report
(checked in headless Chromium: every plot rendered, no request, text escaped)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from compare_news_helpers import ARTICLES, FOLDER, OUTLETS, SCHEMA, KeywordModel, news_config

from framing.cli import _compare_overrides
from framing.compare import compare, draw_gold_sample, load_compare_config
from framing.compare.corpus import read_corpus
from framing.compare.syndication import find_copies
from framing.data import read_examples
from framing.errors import ConfigError
from framing.stats import document_index


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_wire_copies_found_exact_and_near() -> None:
    sentences = read_corpus(FOLDER, {}, segment=True)
    doc_index, _ = document_index([s.doc_id for s in sentences])
    copies = find_copies(sentences, doc_index, 0.7)
    docs = list(dict.fromkeys(s.doc_id for s in sentences))
    cluster = {d: int(copies.articles.cluster[i]) for i, d in enumerate(docs)}
    assert cluster["gw-001"] >= 0 and cluster["gw-001"] == cluster["dl-001"] == cluster["eh-001"]
    assert all(cluster[d] == -1 for d in ("dl-002", "eh-002", "sp-001", "sp-002"))
    original = {d: bool(copies.articles.original[i]) for i, d in enumerate(docs)}
    assert original["gw-001"] and not original["dl-001"] and not original["eh-001"]
    by_id = {s.id: i for i, s in enumerate(sentences)}
    # the near copy's added sentence is no copy of anything, but its article is a copy
    assert copies.sentences.cluster[by_id["eh-001_0003"]] == -1
    assert copies.copy[by_id["eh-001_0003"]] and copies.syndicated[by_id["eh-001_0003"]]
    assert not copies.copy[by_id["gw-001_0000"]] and copies.syndicated[by_id["gw-001_0000"]]
    assert not copies.syndicated[by_id["dl-002_0000"]]


def _run(tmp: Path, extra: str = "", corpus: Path = FOLDER, name: str = "out"):
    config = load_compare_config(news_config(tmp, corpus, extra))
    return compare(config, tmp / name, model=KeywordModel())


def test_count_all_and_count_once_views(tmp_path: Path) -> None:
    every = _run(tmp_path, name="all")
    once = _run(tmp_path, "syndication: count_once\n", name="once")
    shares = {r["source"]: r for r in _read_csv(every.output_dir / "syndication.csv")}
    assert set(shares) == OUTLETS
    assert float(shares["Daily Ledger"]["share_syndicated"]) == pytest.approx(3 / 6)
    assert float(shares["Global Wire"]["share_copied"]) == 0.0
    assert float(shares["Eastern Herald"]["share_copied"]) == pytest.approx(4 / 7)
    assert every.n_sentences == 21 and once.n_sentences == 21 - 7
    members = _read_csv(every.output_dir / "wire_copies.csv")
    originals = {(r["kind"], r["id"]) for r in members if r["original"] == "True"}
    assert ("article", "gw-001") in originals
    assert once.summary["syndication"]["n_copies_dropped"] == 7
    md = every.report_md.read_text()
    assert "Wire copies (syndication)" in md and "count_all" in md


def test_window_facets_and_chosen_contrasts(tmp_path: Path) -> None:
    extra = (
        "window: {from: 2022-01-01, to: 2022-12-31}\n"
        "contrasts: [[Daily Ledger, Eastern Herald], ['group:west', 'group:east'],\n"
        "  ['country:US', 'country:RU']]\n"
    )
    result = _run(tmp_path, extra)
    assert {r["source"] for r in result.estimates if r["level"] == "source"} == OUTLETS - {
        "Southern Post"
    }
    levels = {r["level"] for r in result.estimates}
    assert {"source", "group", "country", "bloc", "all", "period"} <= levels
    chosen = [r for r in result.differences if r["kind"] == "contrast"]
    pairs = {(r["level"], r["a"], r["b"]) for r in chosen}
    assert pairs == {
        ("source", "Daily Ledger", "Eastern Herald"),
        ("group", "west", "east"),
        ("country", "US", "RU"),
    }
    naive = [r for r in chosen if r["estimator"] == "naive"]
    assert all(r["p_holm"] >= r["p_value"] for r in naive if np.isfinite(r["p_value"]))
    md = result.report_md.read_text()
    assert "Chosen contrasts" in md and "By country" in md and "2022-12-31" in md


def test_cli_from_to_become_the_window(tmp_path: Path) -> None:
    overrides = _compare_overrides([], None, "2022-03-02", "2022-06-01")
    config = load_compare_config(news_config(tmp_path, FOLDER), overrides)
    assert str(config.window.start) == "2022-03-02" and str(config.window.end) == "2022-06-01"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("contrasts: [[Nowhere, east]]\n", "'Nowhere' is no outlet"),
        ("contrasts: [[west, east]]\n", "write 'group:west', 'bloc:west'"),
        ("contrasts: [['group:west', US]]\n", "compares a group with a country"),
        ("facets: [country, bloc]\ncontrasts: [[west, east]]\ngroups: null\n", None),
        ("syndication: sometimes\n", "syndication"),
        ("window: {from: soon}\n", "window.from"),
        ("window: {since: 2022}\n", "window.since"),
        ("facets: [source]\n", "facets"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, extra: str, message: str | None) -> None:
    text = news_config(tmp_path, FOLDER).read_text()
    keys = tuple(k.split(":")[0] + ":" for k in extra.splitlines())
    lines = [x for x in text.splitlines() if not x.startswith(keys)]
    (tmp_path / "c.yaml").write_text("\n".join(lines) + "\n" + extra)
    if message is None:  # bloc as a facet alone: west and east resolve to it
        compare(load_compare_config(tmp_path / "c.yaml"), tmp_path / "ok", model=KeywordModel())
        return
    with pytest.raises(ConfigError) as info:
        compare(load_compare_config(tmp_path / "c.yaml"), tmp_path / "o", model=KeywordModel())
    assert message in str(info.value)
    assert not (tmp_path / "o").exists()


def _label(row: dict) -> dict:
    text = row["text"].lower()
    row["frames"] = ["threat"] * ("missile" in text) + ["pressure"] * ("sanction" in text)
    row["stance"] = {"west": "favor" if "friends" in text else "none"}
    return row


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_gold_sample_drawn_labelled_and_used(tmp_path: Path, suffix: str) -> None:
    config = load_compare_config(news_config(tmp_path, FOLDER, "min_gold: 1\n"))
    out = tmp_path / f"gold.{suffix}"
    assert draw_gold_sample(config, 12, out, seed=3, schema=SCHEMA) == 12
    again = tmp_path / f"again.{suffix}"
    draw_gold_sample(config, 12, again, seed=3, schema=SCHEMA)
    assert out.read_text() == again.read_text()  # seeded
    with pytest.raises(ConfigError, match="already exists"):
        draw_gold_sample(config, 12, out, seed=3, schema=SCHEMA)
    drawn = read_examples(out, SCHEMA)  # readable as is: every label empty
    assert all(ex.frames is None and ex.stance is None for ex in drawn)
    assert {"prev", "next", "url", "title"} <= set(drawn[0].extra)
    labelled = tmp_path / "labelled.jsonl"
    rows = (
        [json.loads(x) for x in out.read_text().splitlines()]
        if suffix == "jsonl"
        else [
            {k: v for k, v in r.items() if k not in ("frames", "stance.west")}
            for r in _read_csv(out)
        ]
    )
    labelled.write_text("".join(json.dumps(_label(r)) + "\n" for r in rows))
    without = compare(config, tmp_path / "dev_only", model=KeywordModel())
    assert without.headline == "naive"
    with_gold = load_compare_config(
        news_config(tmp_path, FOLDER, f"min_gold: 1\ngold_sample: {labelled}\n")
    )
    result = compare(with_gold, tmp_path / "gold_run", model=KeywordModel())
    assert result.headline == "design" and result.summary["gold_sample"]["n"] == 12
    assert "design-based, from the gold random sample" in result.report_md.read_text()


def test_report_links_evidence_and_escapes_text(tmp_path: Path) -> None:
    corpus = tmp_path / "evil.jsonl"
    rows = [json.loads(x) for x in ARTICLES.read_text().splitlines()]
    rows[3]["source"] = "<script>alert(1)</script>"
    rows[3]["url"] = "javascript:alert(1)"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = _run(tmp_path, corpus=corpus)
    html = result.report_html.read_text()
    assert "<script>" not in html and "javascript:" not in html.replace("javascript:alert", "")
    assert 'href="https://herald.example/eh-002"' in html
    assert "<script>alert" not in result.report_md.read_text()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
def test_news_report_renders_offline_in_headless_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found; apt-get install -y chromium")
    result = _run(tmp_path, "contrasts: [['group:west', 'group:east']]\n")
    page_uri = result.report_html.as_uri()
    requests: list[str] = []
    with sync_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.route(
            "**/*",
            lambda route: route.continue_() if route.request.url == page_uri else route.abort(),
        )
        page.goto(page_uri, wait_until="load")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        scripts = page.evaluate("document.scripts.length")
        text = page.evaluate("document.body.innerText")
        links = page.evaluate("Array.from(document.links).map(a => a.href)")
        browser.close()
    assert len(images) >= 3 and all(done and width > 0 for done, width in images), images
    assert scripts == 0
    assert [u for u in requests if u != page_uri and not u.startswith("data:")] == []
    assert "Wire copies" in text and "Daily Ledger" in text
    assert "https://ledger.example/dl-002" in links
