"""Segmentation in the languages users bring: pysbd's rules per detected language, English rules
where pysbd has none, and NFC-normalised text."""

from __future__ import annotations

import unicodedata

import pytest

from framing.data import Example
from framing.segment import segment_documents, split_sentences

pytest.importorskip("lingua")

DOCS = {
    "zh": "金正恩与普京在东方航天发射场会面。西方国家警告军火交易。俄罗斯说它没有被孤立！",
    "ja": "両首脳はボストーチヌイ宇宙基地で会談した。西側は武器取引を警告した。",
    "ko": "김정은과 푸틴이 보스토치니 우주기지에서 만났다. 서방은 무기 거래를 경고했다. "
    "러시아는 고립되지 않았다고 말했다.",
    "pt": "Kim Jong Un encontrou Putin no cosmódromo. O Ocidente alertou sobre armas. "
    "A Rússia diz que não está isolada.",
    "ar": "التقى كيم جونغ أون بوتين في قاعدة الفضاء. حذر الغرب من صفقة أسلحة.",
    "ru": "Ким Чен Ын встретился с Путиным на космодроме. Запад предупредил о сделке. "
    "Россия не в изоляции.",
}
EXPECTED = {"zh": 3, "ja": 2, "ko": 3, "pt": 3, "ar": 2, "ru": 3}


@pytest.mark.parametrize("language", sorted(DOCS))
def test_segment_splits_each_language_into_its_sentences(language: str) -> None:
    sentences = split_sentences(DOCS[language], language=None)
    assert len(sentences) == EXPECTED[language], sentences
    assert "".join(sentences).replace(" ", "") == DOCS[language].replace(" ", "")


def test_segment_documents_detects_the_language_of_each_document() -> None:
    docs = [Example(id=lang, text=text, doc_id=lang) for lang, text in DOCS.items()]
    out = segment_documents(docs)
    counts = {lang: sum(ex.doc_id == lang for ex in out) for lang in DOCS}
    assert counts == EXPECTED
    assert [ex.id for ex in out if ex.doc_id == "zh"] == ["zh_0000", "zh_0001", "zh_0002"]


def test_segment_normalises_unicode_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "A Rússia não está isolada. O Ocidente alertou.")
    sentences = split_sentences(decomposed, language="pt")
    assert sentences[0] == "A Rússia não está isolada."
    assert all(unicodedata.is_normalized("NFC", s) for s in sentences)
