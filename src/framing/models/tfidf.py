"""TF-IDF word n-grams with logistic-regression heads: the fast, honest floor."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.feature_extraction.text import TfidfVectorizer

from framing.config import TfidfModelConfig, TrainConfig
from framing.data import Example
from framing.labels import LabelSchema
from framing.modelfolder import HEADS, VOCAB
from framing.models.base import EpochInfo
from framing.models.linear import LinearHeads, fit_heads_once


def vectorizer_json(vectorizer: TfidfVectorizer, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What rebuilds a fitted vectorizer, but for its idf (kept with the tensors): its
    settings, JSON-safe, and its vocabulary."""
    params = {**settings, "ngram_range": list(settings["ngram_range"]), "dtype": "float32"}
    vocab = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
    return {"vectorizer": params, "vocabulary": vocab}


def vectorizer_from_json(
    payload: Mapping[str, Any], idf: np.ndarray
) -> tuple[TfidfVectorizer, dict[str, Any]]:
    """A fitted vectorizer from `vectorizer_json`'s payload and its idf, with its settings."""
    params = dict(payload["vectorizer"])
    params["ngram_range"] = tuple(params["ngram_range"])
    params["dtype"] = np.float32
    vectorizer = TfidfVectorizer(**params, vocabulary=payload["vocabulary"])
    vectorizer.idf_ = idf.astype(np.float64)
    return vectorizer, params


class TfidfBackend:
    """One vectorizer shared by all heads; `fit` has a single 'epoch'."""

    kind = "tfidf"
    reads_pairs = False

    def __init__(self, schema: LabelSchema, config: TfidfModelConfig, train: TrainConfig):
        self.schema = schema
        self.config = config
        self.seed = train.seed
        self.C = config.C
        self.vectorizer_params = {
            "ngram_range": (1, config.ngram_max),
            "min_df": config.min_df,
            "max_features": config.max_features,
            "sublinear_tf": config.sublinear_tf,
            "lowercase": True,
            "dtype": np.float32,
        }
        self.vectorizer: TfidfVectorizer | None = None
        self.heads: LinearHeads | None = None

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Any], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        start = time.perf_counter()
        self.vectorizer = TfidfVectorizer(**self.vectorizer_params)
        X = self.vectorizer.fit_transform([ex.text for ex in train])
        X_dev = self.vectorizer.transform([ex.text for ex in dev]) if dev else None
        yield from fit_heads_once(self, X, X_dev, train, dev, score_dev, start)

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
        targets: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        assert self.vectorizer is not None and self.heads is not None
        X = self.vectorizer.transform(list(texts))
        unknown = np.flatnonzero(X.getnnz(axis=1) == 0)
        if unknown.size:
            # One constant message, so Python shows it once however many batches are scored.
            warnings.warn(
                "some texts share no word with the tfidf vocabulary (another language, or only "
                "symbols); their probabilities are the model's priors, not a reading of the text",
                UserWarning,
                stacklevel=4,
            )
        return self.heads.predict_proba(X)

    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json", exclude={"kind", "name"})

    def save(self, path: Path) -> None:
        assert self.vectorizer is not None and self.heads is not None
        tensors, meta = self.heads.state()
        tensors["idf"] = self.vectorizer.idf_.astype(np.float32)
        save_file(tensors, str(path / HEADS))
        payload = {**vectorizer_json(self.vectorizer, self.vectorizer_params), "heads": meta}
        (path / VOCAB).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls, path: Path, schema: LabelSchema, config: TfidfModelConfig, train: TrainConfig
    ) -> TfidfBackend:
        """Rebuild the vectorizer (vocabulary, idf) and the heads from JSON and safetensors."""
        payload = json.loads((path / VOCAB).read_text(encoding="utf-8"))
        tensors = load_file(str(path / HEADS))
        backend = cls(schema, config, train)
        backend.vectorizer, backend.vectorizer_params = vectorizer_from_json(
            payload, tensors.pop("idf")
        )
        backend.heads = LinearHeads.from_state(schema, tensors, payload["heads"])
        return backend
