"""Sampling: reproducible random and keyword draws, similarity ranking, and the uncertainty and
disagreement scores computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from framing.annotate.sampling import (
    active_selection,
    disagreement,
    draw_keywords,
    draw_random,
    margins,
    tfidf_similarity,
    top,
)
from framing.errors import ConfigError
from framing.predictions import Probabilities


def _proba(frames: list[list[float]], stance: list[list[float]]) -> Probabilities:
    return Probabilities(
        frames=np.array(frames),
        stance={"russia": np.array(stance)},
        frame_names=("isolation", "multipolarity"),
        stance_labels=("favor", "against", "none"),
    )


def test_sampling_random_is_seeded_and_without_replacement() -> None:
    first = draw_random(50, 10, seed=3)
    assert first == draw_random(50, 10, seed=3) != draw_random(50, 10, seed=4)
    assert len({i for i, _ in first}) == 10 and {s for _, s in first} == {"random"}
    assert len(draw_random(5, 10, seed=0)) == 5


def test_sampling_keywords_match_whole_words_and_say_which() -> None:
    texts = ["New SANCTIONS today.", "Sanctionsmonger.", "A NATO summit.", "Nothing here."]
    picked = dict(draw_keywords(texts, 10, ["sanctions", "NATO"], seed=0))
    assert picked == {0: "enriched:keyword:sanctions", 2: "enriched:keyword:NATO"}


def test_sampling_similarity_ranks_the_closest_text_first() -> None:
    texts = ["The weather is fine.", "A multipolar world order.", "Hegemony of one power."]
    scores = tfidf_similarity(texts, "a multipolar world without hegemony")
    assert top(scores, 2, "enriched:similarity:x")[0] == (1, "enriched:similarity:x")
    assert scores[0] == 0.0


def test_sampling_top_breaks_ties_by_position() -> None:
    assert [i for i, _ in top(np.array([0.5, 0.9, 0.5, 0.9]), 3, "t")] == [1, 3, 0]


def test_sampling_margins_by_hand() -> None:
    proba = _proba([[0.3, 0.99], [0.9, 0.5]], [[0.4, 0.4, 0.2], [1.0, 0.0, 0.0]])
    # isolation at threshold 0.3: row 0 sits on it (1.0); row 1 is 0.6 above with 0.7 of room.
    iso = margins(proba, {"isolation": 0.3}, ["isolation"])
    assert iso == pytest.approx([1.0, 1 - 0.6 / 0.7])
    # russia: top-two gap 0 -> 1.0; gap 1 -> 0.0.
    assert margins(proba, {}, ["russia"]) == pytest.approx([1.0, 0.0])
    both = margins(proba, {"isolation": 0.3}, ["isolation", "russia"])
    assert both == pytest.approx([1.0, (1 - 0.6 / 0.7) / 2])
    with pytest.raises(ConfigError, match="'nato' is not a frame or target"):
        margins(proba, {}, ["nato"], where="draws.1")


def test_sampling_disagreement_by_hand() -> None:
    a = _proba([[0.1, 0.5]], [[1.0, 0.0, 0.0]])
    b = _proba([[0.9, 0.5]], [[0.0, 1.0, 0.0]])
    assert disagreement([a, b], ["isolation"]) == pytest.approx([0.8])
    assert disagreement([a, b], ["multipolarity"]) == pytest.approx([0.0])
    assert disagreement([a, b, b], ["russia"]) == pytest.approx([2 / 3])
    assert active_selection("uncertainty", ["russia"]) == "active:uncertainty:russia"
    assert active_selection("disagreement", None) == "active:disagreement"
