"""The language of each text (ISO 639-1), from lingua's offline detector, and the check that a
model is asked about languages it was trained on.

The detector knows a fixed, modest list of languages (`LANGUAGES`), is built once per process
and runs lingua's high-accuracy mode: its low-accuracy mode called about 1 English UN sentence
in 300 French. A text gets `None` when it is too short or the two likeliest languages are too
close to call (`MIN_DISTANCE`); such texts never count as another language.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from framing.errors import ConfigError, DataError

LANGUAGES = (
    "en", "pt", "es", "ru", "ar", "ko", "zh", "fr", "de", "uk", "it", "ja", "tr", "fa", "hi",
)  # fmt: skip
MIN_DISTANCE = 0.2  # lingua's minimum relative distance: below it a text is 'unsure' (None)
MIN_SHARE = 0.01  # a model is trained for the languages of at least 1% of its training texts
ON_OTHER_LANGUAGE = ("warn", "refuse", "ignore")


@functools.lru_cache(maxsize=1)
def _detector() -> Any:
    """lingua's detector over LANGUAGES (language models load lazily, per script met)."""
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        raise ConfigError(
            "language detection needs the package lingua-language-detector "
            "(pip install lingua-language-detector)"
        ) from None
    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    return builder.with_minimum_relative_distance(MIN_DISTANCE).build()


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """The ISO 639-1 code of each text, or None where the detector is unsure."""
    if not texts:
        return []
    found = _detector().detect_languages_in_parallel_of(list(texts))
    return [None if lang is None else lang.iso_code_639_1.name.lower() for lang in found]


def trained_languages(texts: Sequence[str], min_share: float = MIN_SHARE) -> list[str]:
    """The languages of at least `min_share` of the texts, most frequent first."""
    counts = Counter(lang for lang in detect_languages(texts) if lang is not None)
    return [lang for lang, n in counts.most_common() if n >= min_share * len(texts)]


def check_on_other_language(value: Any) -> str:
    """`on_other_language` checked: one of warn, refuse, ignore."""
    if value not in ON_OTHER_LANGUAGE:
        raise ConfigError(
            f"on_other_language must be one of {', '.join(ON_OTHER_LANGUAGE)}, got {value!r}"
        )
    return str(value)


def other_languages(languages: Iterable[str | None], trained: Sequence[str]) -> Counter[str]:
    """How many texts are in each detected language the model was not trained for."""
    if not trained:  # a model saved before languages were recorded: nothing to compare with
        return Counter()
    return Counter(lang for lang in languages if lang is not None and lang not in trained)


def report_other_languages(
    others: Counter[str], total: int, trained: Sequence[str], on_other_language: str
) -> None:
    """One warning (warn) or one DataError (refuse) naming the count and the languages."""
    if not others or on_other_language == "ignore":
        return
    n = sum(others.values())
    found = ", ".join(f"{lang} {count}" for lang, count in others.most_common())
    message = (
        f"{n} of {total} texts are in languages this model was not trained for ({found}; "
        f"trained for {', '.join(trained)}); its predictions there are not validated"
    )
    if on_other_language == "refuse":
        raise DataError(message + " (on_other_language='refuse')")
    warnings.warn(message + " (on_other_language='ignore' silences this)", UserWarning, 3)


__all__ = [
    "LANGUAGES",
    "ON_OTHER_LANGUAGE",
    "check_on_other_language",
    "detect_languages",
    "other_languages",
    "report_other_languages",
    "trained_languages",
]
