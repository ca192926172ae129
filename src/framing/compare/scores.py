"""Scoring sentences with a model, and the score cache.

Scoring a whole corpus is the slow step of a comparison, so the probabilities are cached in
`cache_dir` under a key made of the model folder's file hashes, the corpus file's hash and the
reading options (`fields`, `segment`); the cached file also records a hash of the scored texts
and is used only if that matches. The cache file is written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from framing.classifier import FramingClassifier
from framing.data import Example
from framing.files import atomic_file, sha256
from framing.labels import LabelSchema
from framing.languages import other_languages, report_other_languages
from framing.modelfolder import INDEX, file_hashes
from framing.predictions import Probabilities

logger = logging.getLogger(__name__)


class Scorer(Protocol):
    """What a comparison needs of a model: its schema, thresholds and probabilities."""

    schema: LabelSchema
    thresholds: dict[str, float]

    def predict_proba(
        self, texts: list[str], *, batch_size: int = ..., show_progress: bool = ...
    ) -> Probabilities: ...


def score_texts(
    model: Scorer, texts: list[str], batch_size: int, show_progress: bool, desc: str
) -> Probabilities:
    """Score texts in chunks with a progress bar over sentences."""
    from tqdm.auto import tqdm

    chunk = max(batch_size * 16, 512)
    frames, stance = [], []
    last: Probabilities | None = None
    # The corpus is checked once by `check_languages`, not chunk by chunk here.
    options = {"on_other_language": "ignore"} if isinstance(model, FramingClassifier) else {}
    with tqdm(total=len(texts), desc=desc, unit="sent", disable=not show_progress) as bar:
        for start in range(0, len(texts), chunk):
            last = model.predict_proba(
                texts[start : start + chunk], batch_size=batch_size, **options
            )
            frames.append(np.asarray(last.frames, dtype=np.float32))
            stance.append({t: np.asarray(v, dtype=np.float32) for t, v in last.stance.items()})
            bar.update(len(last))
    if last is None:  # no texts: ask for one to learn the label names
        last = model.predict_proba(texts[:1], batch_size=1)
    return Probabilities(
        frames=np.concatenate(frames)
        if frames
        else np.zeros((0, len(last.frame_names)), np.float32),
        stance={t: np.concatenate([s[t] for s in stance]) for t in (stance[0] if stance else {})},
        frame_names=tuple(last.frame_names),
        stance_labels=tuple(last.stance_labels),
    )


def _folder_digest(folder: Path) -> str:
    """SHA-256 over a folder's relative file names and file hashes. A model folder's
    framing.json already lists the hash of every file (and loading checks them), so its own
    hash stands for the folder and the weights are not read twice."""
    if (folder / INDEX).is_file():
        return sha256(folder / INDEX)
    listing = json.dumps(file_hashes(folder), sort_keys=True)
    return hashlib.sha256(listing.encode()).hexdigest()


def cache_key(
    model_folder: Path,
    corpus: Path,
    fields: Mapping[str, str],
    segment: bool,
    window: str | None = None,
) -> str:
    """The score cache's key: what the scores depend on (model files, corpus bytes or a corpus
    folder's files, reading options, the date window)."""
    digest = hashlib.sha256()
    digest.update(_folder_digest(model_folder).encode())
    if corpus.is_file():
        digest.update(sha256(corpus).encode())
    elif corpus.is_dir():
        digest.update(_folder_digest(corpus).encode())
    options: list[object] = [dict(fields), segment] + ([window] if window else [])
    digest.update(json.dumps(options, sort_keys=True).encode())
    return digest.hexdigest()


def _load(path: Path, texts_digest: str) -> Probabilities | None:
    """The cached probabilities in `path`, or None if it holds scores of other texts."""
    with np.load(path, allow_pickle=False) as saved:
        if str(saved["texts_sha256"]) != texts_digest:
            return None
        return Probabilities(
            frames=saved["frames"],
            stance={str(t): saved[f"stance_{i}"] for i, t in enumerate(saved["targets"])},
            frame_names=tuple(str(x) for x in saved["frame_names"]),
            stance_labels=tuple(str(x) for x in saved["stance_labels"]),
        )


def _save(path: Path, proba: Probabilities, texts_digest: str) -> None:
    """Write the probabilities to `path` atomically."""
    targets = list(proba.stance)
    with atomic_file(path, "wb") as handle:
        np.savez(
            handle,
            frames=proba.frames,
            targets=np.array(targets, dtype=str),
            frame_names=np.array(proba.frame_names, dtype=str),
            stance_labels=np.array(proba.stance_labels, dtype=str),
            texts_sha256=np.array(texts_digest),
            **{f"stance_{i}": proba.stance[t] for i, t in enumerate(targets)},
        )


def check_languages(model: Scorer, languages: Sequence[str | None]) -> None:
    """One warning for the whole corpus when some of it is in languages the model was not
    trained for (models that record their training languages only)."""
    if isinstance(model, FramingClassifier) and model.languages_:
        others = other_languages(languages, model.languages_)
        report_other_languages(others, len(languages), model.languages_, "warn")


def language_mix(
    languages: Sequence[str | None], examples: Sequence[Example]
) -> dict[str, dict[str, int]]:
    """Sentences per detected language ('unsure' where the detector is), overall ('all') and
    per source."""
    mix: dict[str, Counter[str]] = {"all": Counter()}
    for lang, ex in zip(languages, examples, strict=True):
        source = str(ex.source)
        name = lang or "unsure"
        mix["all"][name] += 1
        mix.setdefault(source, Counter())[name] += 1
    return {key: dict(counts.most_common()) for key, counts in mix.items()}


def score_corpus(
    model: Scorer,
    texts: list[str],
    batch_size: int,
    cache: Path | None = None,
    show_progress: bool = False,
) -> Probabilities:
    """The model's probabilities for every text, from the cache file `cache` when it holds
    these texts' scores, else scored now (and saved there when `cache` is given)."""
    texts_digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()
    if cache is not None and cache.is_file():
        cached = _load(cache, texts_digest)
        if cached is not None:
            logger.info("Scores loaded from cache %s", cache)
            return cached
    started = time.perf_counter()
    proba = score_texts(model, texts, batch_size, show_progress, "Scoring corpus")
    logger.info("Scored %d sentences in %.1f s", len(texts), time.perf_counter() - started)
    if cache is not None:
        _save(cache, proba, texts_digest)
    return proba


def cache_file(cache_dir: Path, key: str) -> Path:
    """Where the scores for a cache key live."""
    return cache_dir / f"scores-{key[:32]}.npz"
