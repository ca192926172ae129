"""Language detection (lingua, offline) and the check of a model's training languages."""

from __future__ import annotations

import warnings
from collections import Counter

import pytest

from framing import FramingClassifier
from framing.errors import ConfigError, DataError, ModelError
from framing.languages import (
    check_on_other_language,
    detect_languages,
    other_languages,
    report_other_languages,
    trained_languages,
)

pytest.importorskip("lingua")

SENTENCES = {
    "en": ["Sanctions have cut Moscow off from global markets.", "NATO expansion is a threat."],
    "pt": ["As sanções isolaram Moscou dos mercados globais.", "A Rússia não está isolada."],
    "es": ["Las sanciones aislaron a Moscú de los mercados mundiales.", "Rusia no está aislada."],
    "ru": ["Санкции отрезали Москву от мировых рынков.", "Россия не находится в изоляции."],
    "ar": ["عزلت العقوبات موسكو عن الأسواق العالمية.", "روسيا ليست معزولة."],
    "ko": ["제재로 모스크바는 세계 시장에서 고립되었다.", "러시아는 고립되지 않았다."],
    "zh": ["制裁使莫斯科与全球市场隔绝。", "俄罗斯并没有被孤立。"],
}


def test_detects_each_language_of_the_test_set():
    for lang, texts in SENTENCES.items():
        assert detect_languages(texts) == [lang, lang], lang


def test_unsure_texts_are_none_and_never_count_as_another_language():
    assert detect_languages([]) == []
    assert detect_languages(["123 456", "!!!"]) == [None, None]
    assert other_languages(["en", None, "ru", "ru"], ["en"]) == Counter({"ru": 2})
    assert other_languages(["ru"], []) == Counter()  # folders from before: nothing to compare


def test_trained_languages_keep_those_of_at_least_one_percent():
    texts = SENTENCES["en"] * 60 + SENTENCES["ru"][:1]  # 1 of 121: under 1%
    assert trained_languages(texts) == ["en"]
    assert trained_languages(SENTENCES["en"] * 3 + SENTENCES["pt"]) == ["en", "pt"]


def test_report_warns_once_refuses_in_one_line_or_ignores():
    others = Counter({"ru": 2, "zh": 1})
    with pytest.warns(UserWarning, match=r"^3 of 10 texts are in languages .*\(ru 2, zh 1;") as w:
        report_other_languages(others, 10, ["en"], "warn")
    assert len(w) == 1
    with pytest.raises(DataError, match=r"3 of 10 texts .* trained for en.*'refuse'") as info:
        report_other_languages(others, 10, ["en"], "refuse")
    assert "\n" not in str(info.value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report_other_languages(others, 10, ["en"], "ignore")
        report_other_languages(Counter(), 10, ["en"], "warn")


def test_bad_on_other_language_names_key_and_value():
    assert check_on_other_language("refuse") == "refuse"
    with pytest.raises(ConfigError, match=r"on_other_language must be one of .* got 'loud'"):
        check_on_other_language("loud")


@pytest.fixture(scope="module")
def english_model(tiny_examples, schema):
    return FramingClassifier("tfidf", schema=schema).fit(tiny_examples)


def test_classifier_records_languages_and_checks_them(english_model, tmp_path):
    clf = english_model
    assert clf.languages_ == ("en",)
    texts = SENTENCES["en"] + SENTENCES["ru"] + SENTENCES["zh"][:1]
    with pytest.warns(UserWarning, match=r"3 of 5 texts .*\(ru 2, zh 1; trained for en\)") as w:
        clf.predict(texts)
    assert len([x for x in w if "languages this model" in str(x.message)]) == 1
    with pytest.raises(DataError, match=r"2 of 2 texts .*ru 2"):
        clf.predict_proba(SENTENCES["ru"], on_other_language="refuse")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*languages this model")
        clf.predict(SENTENCES["en"])
        clf.predict(SENTENCES["ru"] + SENTENCES["en"], on_other_language="ignore")
    with pytest.raises(ConfigError, match=r"on_other_language .* got 'no'"):
        clf.predict(SENTENCES["en"], on_other_language="no")
    loaded = FramingClassifier.load(clf.save(tmp_path / "m"))
    assert loaded.languages_ == ("en",)


def test_load_refuses_malformed_languages(english_model, tmp_path):
    import json

    folder = english_model.save(tmp_path / "m")
    index = json.loads((folder / "framing.json").read_text())
    index["languages"] = "en"
    (folder / "framing.json").write_text(json.dumps(index))
    with pytest.raises(ModelError, match=r"'languages' in framing.json must be a list .* 'en'"):
        FramingClassifier.load(folder)
    index.pop("languages")  # a folder saved before languages were recorded loads, unchecked
    (folder / "framing.json").write_text(json.dumps(index))
    assert FramingClassifier.load(folder).languages_ == ()


def test_compare_checks_the_corpus_language_once_and_reports_the_mix(english_model):
    """A corpus scored in many chunks gives one language warning for all of it (the UN corpus
    is ~150 chunks), and the report's Languages section shows the mix per source."""
    from framing.compare.page import Page
    from framing.compare.scores import check_languages, language_mix, score_texts
    from framing.compare.sections import languages as languages_section
    from framing.data import Example

    texts = (SENTENCES["en"] * 300) + SENTENCES["ru"] * 2  # 604 texts: two chunks of 512
    with pytest.warns(UserWarning, match=r"4 of 604 texts .*ru 4") as caught:
        found = detect_languages(texts)
        check_languages(english_model, found)
        proba = score_texts(english_model, texts, batch_size=8, show_progress=False, desc="x")
    assert len([w for w in caught if "languages this model" in str(w.message)]) == 1
    assert len(proba) == 604
    examples = [
        Example(id=str(i), text=t, source="TASS" if i >= 600 else "VOA")
        for i, t in enumerate(texts)
    ]
    mix = language_mix(found, examples)
    assert mix["all"] == {"en": 600, "ru": 4} and mix["TASS"] == {"ru": 4}
    page = Page()
    languages_section(page, {"languages": mix, "model": {"languages": ["en"]}})
    text = "\n".join(page.md)
    assert "## Languages" in text and "| TASS | 4 | ru 100.0% |" in text
