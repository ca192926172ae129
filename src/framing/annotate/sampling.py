"""Which sentences to label next: uniform random, keyword- or similarity-enriched, and active
learning from trained models (least margin for one model, disagreement for a committee).

Every function returns positions into the candidate list with the `selection` string the data
card asks for (`random`, `enriched:keyword:<kw>`, `enriched:similarity:<name>`,
`enriched:embedding:<name>`, `active:uncertainty[:labels]`, `active:disagreement[:labels]`).
Ties are broken by position, so a draw is reproducible from its settings and the corpus alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from framing.errors import ConfigError
from framing.predictions import Probabilities

Picked = list[tuple[int, str]]


def draw_random(n_candidates: int, n: int, seed: int) -> Picked:
    """`n` positions drawn uniformly without replacement (seeded), in drawing order."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_candidates)[:n]
    return [(int(i), "random") for i in order]


def keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any keyword as whole words (phrases allowed)."""
    alternatives = "|".join(re.escape(k.strip()) for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE)


def draw_keywords(texts: Sequence[str], n: int, keywords: Sequence[str], seed: int) -> Picked:
    """A seeded random sample of `n` of the texts that contain a keyword; each is tagged with the
    first keyword it contains, as written in the config."""
    pattern = keyword_pattern(keywords)
    spelled = {k.strip().lower(): k.strip() for k in keywords}
    hits: Picked = []
    for i, text in enumerate(texts):
        match = pattern.search(text)
        if match:
            hits.append((i, f"enriched:keyword:{spelled[match.group(1).lower()]}"))
    order = np.random.default_rng(seed).permutation(len(hits))[:n]
    return [hits[int(j)] for j in order]


def tfidf_similarity(texts: Sequence[str], description: str) -> np.ndarray:
    """Cosine similarity of each text to `description` in a TF-IDF space fitted on the texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), stop_words="english")
    matrix = vectorizer.fit_transform(list(texts) + [description])
    # TfidfVectorizer rows are L2-normalised, so the dot product is the cosine.
    return np.asarray((matrix[:-1] @ matrix[-1].T).todense()).ravel()


def top(scores: np.ndarray, n: int, selection: str) -> Picked:
    """The `n` highest scores (ties: earlier position first), tagged `selection`."""
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores, dtype=float)))[:n]
    return [(int(i), selection) for i in order]


def _columns(proba: Probabilities, labels: Sequence[str] | None, where: str) -> list[str]:
    known = list(proba.frame_names) + list(proba.stance)
    chosen = list(labels) if labels else known
    unknown = [label for label in chosen if label not in known]
    if unknown:
        raise ConfigError(
            f"{where}: label {unknown[0]!r} is not a frame or target of the model "
            f"(known: {', '.join(known)})"
        )
    return chosen


def margins(
    proba: Probabilities,
    thresholds: Mapping[str, float],
    labels: Sequence[str] | None = None,
    where: str = "labels",
) -> np.ndarray:
    """Uncertainty in [0, 1] per sentence: the mean over `labels` (default: every frame and
    target) of 1 − the normalised margin, so 1 is a coin toss and 0 a sure answer.

    A frame's margin is its distance from its decision threshold, divided by the largest
    distance possible on that side; a target's is the gap between its two most probable labels.
    """
    chosen = _columns(proba, labels, where)
    parts = []
    for label in chosen:
        if label in proba.stance:
            ranked = np.sort(proba.stance[label], axis=1)
            parts.append(1.0 - (ranked[:, -1] - ranked[:, -2]))
            continue
        p = proba.frames[:, proba.frame_names.index(label)]
        cut = float(thresholds.get(label, 0.5))
        room = np.where(p >= cut, 1.0 - cut, cut)
        parts.append(1.0 - np.abs(p - cut) / np.maximum(room, 1e-9))
    return np.mean(parts, axis=0)


def disagreement(
    probas: Sequence[Probabilities], labels: Sequence[str] | None = None, where: str = "labels"
) -> np.ndarray:
    """Committee disagreement in [0, 1] per sentence: the mean over `labels` of the mean pairwise
    total-variation distance between the models' predicted distributions."""
    chosen = _columns(probas[0], labels, where)
    for proba in probas[1:]:
        _columns(proba, chosen, where)
    parts = []
    for label in chosen:
        dists = []
        for proba in probas:
            if label in proba.stance:
                dists.append(proba.stance[label])
            else:
                p = proba.frames[:, proba.frame_names.index(label)]
                dists.append(np.stack([p, 1.0 - p], axis=1))
        pairs = [
            0.5 * np.abs(dists[a] - dists[b]).sum(axis=1)
            for a in range(len(dists))
            for b in range(a + 1, len(dists))
        ]
        parts.append(np.mean(pairs, axis=0))
    return np.mean(parts, axis=0)


def active_selection(method: str, labels: Sequence[str] | None) -> str:
    """The `selection` tag of an active-learning draw, naming its labels when restricted."""
    return f"active:{method}" + (f":{'+'.join(labels)}" if labels else "")
