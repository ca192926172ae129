"""The web app through Starlette's test client: labelling, undo, refusals, escaping, headers,
agreement and adjudication pages. (tests/test_annotate_browser.py drives a real browser.)"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from annotate_helpers import HOSTILE, write_hostile_corpus, write_project

from framing.annotate.app import create_app, serve
from framing.annotate.drawing import open_project
from framing.annotate.project import load_annotate_config
from framing.errors import ConfigError

testclient = pytest.importorskip("starlette.testclient", reason="pip install starlette httpx")


def _client(tmp_path: Path, **top):
    config = load_annotate_config(write_project(tmp_path, **top))
    store, schema = open_project(config)
    return testclient.TestClient(create_app(store, schema, config)), store


def _item_id(page: str) -> str:
    return re.search(r'name="item_id" value="([^"]+)"', page).group(1)


def _post(client, who: str, item_id: str, **fields):
    data = {"item_id": item_id, "stance.russia": "none", "stance.the_west": "none", **fields}
    return client.post(f"/label/{who}/answer", data=data, follow_redirects=False)


def test_app_labels_undoes_and_finishes(tmp_path: Path) -> None:
    client, store = _client(tmp_path)
    first = _item_id(client.get("/label/ann").text)
    reply = _post(client, "ann", first, frame="isolation", seconds="2.5")
    assert reply.status_code == 303 and reply.headers["location"] == "/label/ann"
    assert store.answers("ann")[("ann", first)].frames == ("isolation",)
    page = client.get("/label/ann").text
    assert _item_id(page) != first and "1 / 6 done" in page
    client.post("/label/ann/undo", follow_redirects=False)
    page = client.get("/label/ann").text
    assert _item_id(page) == first  # back to the undone sentence, pre-filled
    assert re.search(r'value="isolation" data-key="\d" checked', page)
    for _ in range(6):
        _post(client, "ann", _item_id(client.get("/label/ann").text))
    assert "All 6 sentences are answered" in client.get("/label/ann").text


def test_app_refuses_bad_answers(tmp_path: Path) -> None:
    client, store = _client(tmp_path, annotators=["ann", "bob"])
    item = store.items()[0].id
    assert _post(client, "ann", item, frame="nonsense").status_code == 400
    reply = client.post("/label/ann/answer", data={"item_id": item}, follow_redirects=False)
    assert reply.status_code == 400 and "choose a stance toward russia" in reply.text
    assert _post(client, "ann", "no-such-id").status_code == 404
    assert _post(client, "eve", item).status_code == 403
    assert client.get("/label/bad%20name").status_code == 400
    assert client.get("/start?annotator=eve").status_code == 403
    skipped = client.post(
        "/label/bob/answer", data={"item_id": item, "action": "skipped"}, follow_redirects=False
    )
    assert skipped.status_code == 303 and store.answers("bob")[("bob", item)].status == "skipped"
    assert store.answers("ann") == {}


def test_app_escapes_hostile_text_and_sends_a_strict_policy(tmp_path: Path) -> None:
    corpus = write_hostile_corpus(tmp_path)
    client, _ = _client(
        tmp_path,
        corpus=str(corpus),
        draws=[{"method": "keywords", "n": 1, "keywords": ["coercion"]}],
    )
    reply = client.get("/label/ann")
    page = reply.text
    assert "<script>window" not in page and "<script>x()" not in page and "<i>Outlet" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert "&lt;/p&gt;&lt;script&gt;x()" in page  # the next sentence, as context
    assert "default-src 'self'" in reply.headers["content-security-policy"]
    assert page.count("<script") == 1  # the app's own, from /static
    assert client.get("/static/../project.yaml").status_code == 404
    assert HOSTILE not in page


def test_app_agreement_adjudication_and_export(tmp_path: Path) -> None:
    client, store = _client(tmp_path)
    items = [i.id for i in store.items()]
    for who, frame in (("zelda", "isolation"), ("yuri", "security_threat")):
        for item in items[:3]:
            _post(client, who, item, frame=frame if item == items[0] else "isolation")
    page = client.get("/agreement").text
    assert re.search(r'data-label="isolation">.*?class="alpha">0\.\d{3}<', page)
    page = client.get("/adjudicate").text
    assert page.count('class="case"') == 1  # one sentence differs
    assert "zelda" not in page and "yuri" not in page and "<b>A</b>" in page  # blind
    reply = client.post(
        f"/adjudicate/{items[0]}",
        data={
            "frame": "isolation",
            "stance.russia": "none",
            "stance.the_west": "none",
            "adjudicator": "judge",
            "note": "per codebook 2.3",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert "decided by judge" in client.get("/adjudicate").text
    assert "per codebook 2.3" in client.get(f"/history/{items[0]}").text
    rows = [json.loads(line) for line in client.get("/export.jsonl").text.splitlines()]
    assert len(rows) == 3 and rows[0]["adjudicated"] is True and rows[0]["frames"] == ["isolation"]


def test_app_refuses_forms_posted_from_another_site(tmp_path: Path) -> None:
    client, store = _client(tmp_path)
    item = store.items()[0].id
    data = {"item_id": item, "stance.russia": "none", "stance.the_west": "none"}
    evil = client.post(
        "/label/ann/answer",
        data=data,
        headers={"origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert evil.status_code == 403 and store.answers() == {}
    same = client.post(
        "/label/ann/answer",
        data=data,
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303 and len(store.answers()) == 1


def test_app_serve_refuses_a_busy_port(tmp_path: Path) -> None:
    config = load_annotate_config(write_project(tmp_path))
    store, schema = open_project(config)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot serve on 127.0.0.1:{port}"):
            serve(store, schema, config, "127.0.0.1", port)
