"""Build the team-translated multilingual test set from its translation batches (issue #14).

Reads data/multilingual/source_en.jsonl (the English UN test sentences chosen by
scripts/select_translation_set.py) and every translation batch
data/multilingual/annotation/translations/<lang>/batch_NN.jsonl, one JSON object a line:

  {"id": "<source id>", "lang": "<lang>", "text": "<translation>", "translator": "pass1",
   "note": "<optional: where the translation shifts meaning>"}

and, where the second reading has been done, annotation/checks/<lang>/batch_NN.jsonl (format in
annotation/CHECK_BRIEF.md). Writes

  data/multilingual/<lang>.jsonl   one row per source sentence: the fields of data/un/test.jsonl
                                   with `text` translated, plus `lang`, `source_id`,
                                   `translation: "team"`, `second_reading` and, where the
                                   translator left one, `translation_note`; labels are the
                                   English row's
  data/multilingual/en.jsonl       the English originals of the same ids (`translation: "original"`)
  data/multilingual/summary.json   counts per language and label, second-reading status

`--root data/multilingual_train --purpose train` builds the translate-train set instead: the
same checks, rows flagged `synthetic: true` (team-written text: train and dev only, never a
test set), and no en.jsonl (its originals are already in data/un/train.jsonl).
`--root data/multilingual_dev --purpose dev` builds the dev set that chooses between recipes:
rows flagged `synthetic: true` as for train, and an en.jsonl of the originals to compare with.

A translated row's id is `<source id>.<lang>` (unique when languages are pooled); `doc_id` stays
the statement's, so document-bootstrap intervals resample the same speeches in every language.

Refuses, with one error line naming the file and line, a translation or check row that is not a
JSON object, has a missing or unknown id, a wrong `lang`, an empty `text`, an unknown field, or
repeats an id; and a language whose batches do not cover every source sentence.

Usage: python scripts/build_multilingual.py [--langs pt ru ko zh es ar] [--root DIR]
    [--purpose test|train|dev]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "data" / "multilingual"
LANGS = ("pt", "ru", "ko", "zh", "es", "ar")
FRAMES = ("multipolarity", "western_pressure", "isolation", "security_threat")
TARGETS = ("russia", "the_west")
TRANSLATION_FIELDS = {"id", "lang", "text", "translator", "note"}
CHECK_FIELDS = {"id", "lang", "verdict", "text", "label", "translated_value", "reader", "note"}
VERDICTS = ("ok", "fix", "label_shift")


class BuildError(Exception):
    """One problem in one input line; the message is the whole error line."""


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a non-object line is refused."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{rel(path)} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise BuildError(f"{where}: not valid JSON ({err.msg})") from None
        if not isinstance(row, dict):
            raise BuildError(f"{where}: expected a JSON object, found {type(row).__name__}")
        rows.append((number, row))
    return rows


def check_common(
    row: dict[str, Any], where: str, lang: str, known: dict[str, Any], allowed: set[str]
) -> str:
    """The checks shared by translation and check rows; returns the row's id."""
    unknown = sorted(set(row) - allowed)
    if unknown:
        raise BuildError(f"{where}: unknown field {unknown[0]!r}; expected only {sorted(allowed)}")
    rid = row.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise BuildError(f"{where}: missing id; expected an English sentence's id")
    if rid not in known:
        raise BuildError(f"{where}: id {rid!r} is not in source_en.jsonl")
    if row.get("lang") != lang:
        raise BuildError(
            f"{where}: id {rid!r} has lang {row.get('lang')!r}, expected {lang!r} (its folder's)"
        )
    return rid


def nonempty_text(row: dict[str, Any], where: str, rid: str) -> str:
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BuildError(f"{where}: id {rid!r} has an empty text; expected the translated sentence")
    return text.strip()


def read_translations(folder: Path, lang: str, known: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    first: dict[str, str] = {}
    batches = sorted(folder.glob("batch_*.jsonl"))
    if not batches:
        raise BuildError(f"{rel(folder)}: no batch_NN.jsonl files")
    for path in batches:
        for number, row in read_rows(path):
            where = f"{rel(path)} line {number}"
            rid = check_common(row, where, lang, known, TRANSLATION_FIELDS)
            text = nonempty_text(row, where, rid)
            translator = row.get("translator")
            if not isinstance(translator, str) or not translator.strip():
                raise BuildError(f"{where}: id {rid!r} has no translator; expected e.g. 'pass1'")
            if rid in out:
                raise BuildError(f"{where}: id {rid!r} is translated twice (first at {first[rid]})")
            first[rid] = where
            out[rid] = {"text": text, "translator": translator, "note": row.get("note")}
    missing = [rid for rid in known if rid not in out]
    if missing:
        raise BuildError(
            f"{rel(folder)}: {len(missing)} of {len(known)} source sentences have no translation, "
            f"e.g. {missing[:3]}"
        )
    return out


def read_checks(folder: Path, lang: str, known: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The second reading, where it exists: id -> {verdict, text?, label?, translated_value?}."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("batch_*.jsonl")) if folder.is_dir() else []:
        for number, row in read_rows(path):
            where = f"{rel(path)} line {number}"
            rid = check_common(row, where, lang, known, CHECK_FIELDS)
            verdict = row.get("verdict")
            if verdict not in VERDICTS:
                raise BuildError(
                    f"{where}: id {rid!r} has verdict {verdict!r}, expected {VERDICTS}"
                )
            if rid in out:
                raise BuildError(f"{where}: id {rid!r} is checked twice")
            check: dict[str, Any] = {"verdict": verdict}
            if verdict == "fix" or (verdict == "label_shift" and "text" in row):
                check["text"] = nonempty_text(row, where, rid)
            if verdict == "label_shift":
                label = row.get("label")
                if label not in FRAMES + TARGETS:
                    raise BuildError(
                        f"{where}: id {rid!r} is a label_shift with label {label!r}; "
                        f"expected one of {FRAMES + TARGETS}"
                    )
                check["label"] = label
                check["translated_value"] = row.get("translated_value")
            out[rid] = check
    return out


def build_language(
    lang: str, source: list[dict[str, Any]], root: Path, synthetic: bool
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    known = {row["id"]: row for row in source}
    annotation = root / "annotation"
    translations = read_translations(annotation / "translations" / lang, lang, known)
    checks = read_checks(annotation / "checks" / lang, lang, known)
    rows, status = [], Counter()
    for english in source:
        rid = english["id"]
        done = translations[rid]
        check = checks.get(rid)
        text, reading = done["text"], "pending"
        if check is not None:
            reading = {"ok": "ok", "fix": "fixed"}.get(check["verdict"], "label_shift")
            if "text" in check:
                text = check["text"]
                if check["verdict"] == "label_shift":
                    reading = "label_shift_fixed"
        status[reading] += 1
        row = {key: english[key] for key in english if key != "ml_selection"}
        row.update(id=f"{rid}.{lang}", text=text)
        row.update(lang=lang, source_id=rid, translation="team", second_reading=reading)
        if done["note"]:
            row["translation_note"] = done["note"]
        if synthetic:
            row["synthetic"] = True
        rows.append(row)
    return rows, dict(status)


def label_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {frame: sum(frame in r["frames"] for r in rows) for frame in FRAMES}
    for target in TARGETS:
        for value in ("favor", "against"):
            counts[f"{target}:{value}"] = sum(r["stance"][target] == value for r in rows)
    return counts


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--langs", nargs="+", default=list(LANGS))
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--purpose", choices=("test", "train", "dev"), default="test")
    args = parser.parse_args(argv)
    root, synthetic = args.root, args.purpose != "test"
    try:
        source = [row for _, row in read_rows(root / "source_en.jsonl")]
        built = {lang: build_language(lang, source, root, synthetic) for lang in args.langs}
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    english = [
        {
            **{key: row[key] for key in row if key != "ml_selection"},
            "lang": "en",
            "source_id": row["id"],
            "translation": "original",
        }
        for row in source
    ]
    if args.purpose != "train":
        write_jsonl(root / "en.jsonl", english)
    for lang, (rows, _) in built.items():
        write_jsonl(root / f"{lang}.jsonl", rows)
    summary = {
        "sentences": len(source),
        "statements": len({row["doc_id"] for row in source}),
        "labels": label_counts(english),
        "no_label": sum(
            not r["frames"] and all(r["stance"][t] == "none" for t in TARGETS) for r in english
        ),
        "languages": {
            lang: {
                "rows": len(rows),
                "translator_notes": sum("translation_note" in r for r in rows),
                "second_reading": status,
            }
            for lang, (rows, status) in built.items()
        },
    }
    (root / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", "utf-8")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
