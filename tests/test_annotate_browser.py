"""`framing annotate` in headless Chromium: two annotators label by keyboard only, a reload and a
closed tab lose nothing, hostile text stays text, and the agreement page shows α.

Skipped, with the reason, where playwright or Chromium is missing (as tests/test_report.py).
The test prints its own pace (the app's time per sentence when the keys come at once); it
asserts nothing about time.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from annotate_helpers import HOSTILE, TINY, write_hostile_corpus, write_project

from framing.annotate.app import create_app
from framing.annotate.drawing import open_project
from framing.annotate.project import load_annotate_config
from framing.annotate.store import Store

N_ITEMS = 13  # 1 hostile + 12 random


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture()
def served(tmp_path: Path):
    uvicorn = pytest.importorskip("uvicorn", reason="pip install uvicorn (the annotate extra)")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(write_hostile_corpus(tmp_path).read_text() + TINY.read_text())
    draws = [
        {"method": "keywords", "n": 1, "keywords": ["coercion"]},
        {"method": "random", "n": N_ITEMS - 1, "seed": 5},
    ]
    config = load_annotate_config(write_project(tmp_path, corpus=str(corpus), draws=draws))
    store, schema = open_project(config)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(store, schema, config), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", config.database_path
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


def _label(page, keys: list[str]) -> None:
    """Press each key, then Enter, and wait for the next sentence."""
    for key in keys:
        page.keyboard.press(key)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _progress(page) -> str:
    return page.locator("#progress").inner_text()


def _alice(page, base: str, database: Path) -> dict[str, float]:
    page.goto(base + "/")
    page.fill("#annotator", "alice")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # The first item is the hostile sentence: shown as text, never run.
    assert page.locator("#sentence").inner_text() == HOSTILE
    assert page.evaluate("window.pwned") is None
    assert "<script>x()</script>" in page.locator(".ctx").last.inner_text()
    started = time.perf_counter()
    _label(page, ["2", "w", "s"])  # western_pressure, russia against, the_west against
    for i in range(4):
        _label(page, ["1"] if i % 2 else [])
    page.reload()  # mid-task: nothing lost, the same next sentence
    assert _progress(page).startswith("5 / 13 done")
    with page.expect_navigation():
        page.keyboard.press("u")  # undo the 5th answer: it comes back, pre-filled
    assert _progress(page).startswith("4 / 13 done")
    assert page.locator('input[value="multipolarity"]').is_checked()
    _label(page, ["1", "3"])  # now multipolarity off, isolation on
    with page.expect_navigation():
        page.keyboard.press("k")  # skip: comes back at the end
    page.keyboard.press("f")  # flag
    page.keyboard.press("n")  # n focuses the note, so the next keys are typed
    page.keyboard.type("unclear <b>who</b>")
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.close()  # a closed tab loses nothing either
    answers = Store(database).answers("alice")
    assert len(answers) == 7 and sum(a.status == "skipped" for a in answers.values()) == 1
    return {"started": started, "labelled": 8}


def _finish(page, base: str, who: str, keys: list[str]) -> int:
    page.goto(f"{base}/label/{who}")
    count = 0
    while page.locator("#answer-form").count():
        _label(page, keys)
        count += 1
    assert "All 13 sentences are answered" in page.content()
    return count


@pytest.mark.browser
def test_annotate_browser_two_annotators_keyboard_only(served) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found; apt-get install -y chromium")
    base, database = served
    outside: list[str] = []
    with sync_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        context = browser.new_context()
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(base)
                else (outside.append(route.request.url), route.abort())
            ),
        )
        pace = _alice(context.new_page(), base, database)
        rest = _finish(context.new_page(), base, "alice", [])
        seconds = time.perf_counter() - pace["started"]
        bob = _finish(context.new_page(), base, "bob", ["3"])
        page = context.new_page()
        page.goto(base + "/agreement")
        alpha = {
            row.get_attribute("data-label"): row.locator(".alpha").inner_text()
            for row in page.locator("#alpha tbody tr").all()
        }
        browser.close()
    assert outside == []
    assert bob == N_ITEMS
    answers = Store(database).answers()
    assert len(answers) == 2 * N_ITEMS
    alice = {k[1]: a for k, a in answers.items() if k[0] == "alice"}
    hostile = alice["h-1"]
    assert hostile.frames == ("western_pressure",)
    assert hostile.stance == {"russia": "against", "the_west": "against"}
    assert [a.note for a in alice.values() if a.flag] == ["unclear <b>who</b>"]
    assert all(a.seconds is not None and a.seconds >= 0 for a in alice.values())
    assert set(alpha) == {
        "multipolarity",
        "western_pressure",
        "isolation",
        "security_threat",
        "russia",
        "the_west",
    }
    assert alpha["isolation"] != "–" and float(alpha["isolation"]) < 1.0
    n = pace["labelled"] + rest
    print(
        f"\npace: {n} sentences answered by keyboard in {seconds:.1f} s "
        f"({1000 * seconds / n:.0f} ms each, with a reload, an undo, a skip and a note)"
    )
    print(json.dumps(alpha))
