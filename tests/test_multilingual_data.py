"""The team-translated multilingual test set (data/multilingual) and its build script's refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framing.data import read_examples

from conftest import load_script

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data" / "multilingual"
LANGS = ("pt", "ru", "ko", "zh", "es", "ar")


@pytest.mark.parametrize("folder", ["multilingual", "multilingual_dev"])
@pytest.mark.parametrize("lang", LANGS)
def test_shipped_language_matches_english(lang, folder, schema):
    data = REPO / "data" / folder
    english = {ex.id: ex for ex in read_examples(data / "en.jsonl", schema)}
    rows = read_examples(data / f"{lang}.jsonl", schema)
    assert len(rows) == len(english) >= 300
    for ex in rows:
        source = english[ex.extra["source_id"]]
        assert ex.id == f"{source.id}.{lang}" and ex.extra["lang"] == lang
        assert ex.frames == source.frames and ex.stance == source.stance
        assert ex.doc_id == source.doc_id and ex.text != source.text


def _setup(tmp_path, monkeypatch, lines, lang="pt"):
    module = load_script("scripts/build_multilingual.py")
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    source = [
        {
            "id": f"X_2020_{i}",
            "doc_id": "X_2020",
            "source": "X",
            "date": "2020",
            "text": f"s {i}",
            "frames": [],
            "stance": {"russia": "none", "the_west": "none"},
        }
        for i in range(2)
    ]
    (tmp_path / "source_en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in source))
    folder = tmp_path / "annotation" / "translations" / lang
    folder.mkdir(parents=True)
    (folder / "batch_01.jsonl").write_text("".join(line + "\n" for line in lines))
    return module


def _row(i, **change):
    row = {"id": f"X_2020_{i}", "lang": "pt", "text": f"frase {i}", "translator": "pass1"}
    row.update(change)
    return json.dumps({k: v for k, v in row.items() if v is not None})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_row(1, id=None), "line 2: missing id"),
        (_row(1, id="Y_1"), "line 2: id 'Y_1' is not in source_en.jsonl"),
        (_row(1, lang="es"), "line 2: id 'X_2020_1' has lang 'es', expected 'pt'"),
        (_row(1, text="  "), "line 2: id 'X_2020_1' has an empty text"),
        (_row(1, txt="x"), "line 2: unknown field 'txt'"),
        (_row(0), "line 2: id 'X_2020_0' is translated twice"),
        ("{not json", "line 2: not valid JSON"),
    ],
)
def test_build_refuses_bad_rows(tmp_path, monkeypatch, capsys, bad, message):
    module = _setup(tmp_path, monkeypatch, [_row(0), bad])
    assert module.main(["--langs", "pt"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "batch_01.jsonl" in err and message in err


def test_build_refuses_missing_translation_and_applies_checks(tmp_path, monkeypatch, capsys):
    module = _setup(tmp_path, monkeypatch, [_row(0)])
    assert module.main(["--langs", "pt"]) == 1
    assert "1 of 2 source sentences have no translation" in capsys.readouterr().err
    module = _setup(tmp_path / "b", monkeypatch, [_row(0), _row(1)])
    checks = tmp_path / "b" / "annotation" / "checks" / "pt"
    checks.mkdir(parents=True)
    fix = {"id": "X_2020_1", "lang": "pt", "verdict": "fix", "text": "melhor", "reader": "r1"}
    ok = {"id": "X_2020_0", "lang": "pt", "verdict": "ok", "reader": "r1"}
    (checks / "batch_01.jsonl").write_text(json.dumps(ok) + "\n" + json.dumps(fix) + "\n")
    assert module.main(["--langs", "pt"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "b" / "pt.jsonl").read_text().splitlines()]
    assert [r["second_reading"] for r in rows] == ["ok", "fixed"]
    assert rows[1]["text"] == "melhor" and rows[1]["id"] == "X_2020_1.pt"


@pytest.mark.parametrize(
    ("purpose", "synthetic", "english"),
    [("test", False, True), ("train", True, False), ("dev", True, True)],
)
def test_build_purpose_flags_rows_and_writes_english(
    tmp_path, monkeypatch, purpose, synthetic, english
):
    module = _setup(tmp_path, monkeypatch, [_row(0), _row(1)])
    assert module.main(["--langs", "pt", "--purpose", purpose, "--root", str(tmp_path)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "pt.jsonl").read_text().splitlines()]
    assert [r.get("synthetic", False) for r in rows] == [synthetic, synthetic]
    assert (tmp_path / "en.jsonl").is_file() == english


@pytest.mark.parametrize("lang", LANGS)
def test_glossary_renders_every_term_in_order(lang):
    folder = REPO / "data" / "multilingual_glossary"
    terms = [
        json.loads(line)["id"] for line in (folder / "terms_en.jsonl").read_text().splitlines()
    ]
    rows = [
        json.loads(line)
        for line in (folder / "translations" / f"{lang}.jsonl").read_text("utf-8").splitlines()
    ]
    assert [r["id"] for r in rows] == terms and len(terms) == 160
    assert all(r["lang"] == lang and r["text"].strip() for r in rows)
