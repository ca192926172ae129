"""Zero-shot frames: how close a sentence is to its frame's description, mapped to a
probability. No example of a frame is needed to score it.

Each frame's prototype is the mean embedding of its definition and seed phrases. Given texts
(labels unused), `fit` self-trains each frame's score on them: the texts closest to the
prototype (after centring on their mean; mixed with their tf-idf similarity to the
description's words) become pseudo-positives, the rest pseudo-negatives, and logistic
regressions on two views, the embeddings and the tf-idf words (`word_weight` of the score),
rank them again, for `self_training` rounds.
Scores are put on one scale per frame by their mean and spread over the same texts. A
logistic map then turns the scaled score into a probability, with its 0.5 point at the cut
that gives the best F1; the map of each frame is fitted on the labels of the *other* frames
only (leave one frame out), so no frame ever sees its own labels. Without
labelled frames the map is the self-trained head's own probability, or, with no texts to
self-train on, a fixed default. Stance toward a target is a rough template rule
(favor and against phrasings of the target, softmax against a fixed 'none' level).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from framing.config import TrainConfig, ZeroshotModelConfig
from framing.data import Example
from framing.errors import ConfigError, ModelError
from framing.labels import LabelSchema
from framing.modelfolder import HEADS, HEADS_META, VOCAB
from framing.models.base import EpochInfo
from framing.models.bases import resolve_base
from framing.models.encoder import SentenceEncoder
from framing.models.tfidf import vectorizer_from_json, vectorizer_json
from framing.models.torch_common import pick_device, target_text

# Default map when no labelled frame exists: raw cosine (no texts) or scaled cosine (texts,
# `self_training: 0`); a self-trained head maps by its own probability.
# Measured on MiniLM and the shipped corpus (docs/benchmarks.md): sentences of a frame sit near
# cosine 0.35 from its definition, and about 2 spreads above the mean of all sentences.
DEFAULT_RAW = (20.0, 0.35)
DEFAULT_SCALED = (2.0, 2.0)
MIN_TEXTS_TO_SCALE = 20
# Self-training's regularisation of each view, chosen on UN dev with the rounds, share and the
# words' weight (docs/benchmarks.md). The words: 1-2 grams as in the tfidf kind, but only those in
# two texts or more (a word of one text cannot tell its pseudo-label from others'), at most 200k.
SELF_TRAINING_C = 0.1
WORD_C = 0.3
WORDS = {
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "lowercase": True,
    "min_df": 2,
    "max_features": 200_000,
}
STANCE_TEMPERATURE = 0.05
STANCE_NONE_LEVEL = 0.35


def frame_descriptions(schema: LabelSchema) -> dict[str, list[str]]:
    """Each frame's definition followed by its seed phrases; an empty definition is refused."""
    out = {}
    for frame in schema.frames:
        definition = (schema.definitions.get(frame) or "").strip()
        if not definition:
            raise ConfigError(
                f"zeroshot: frame {frame!r} has an empty description in label schema "
                f"{schema.name!r}; write one (frames: {{{frame}: <what the frame means>}}), since "
                "zero-shot scores each sentence against it"
            )
        # The name joins the definition: on MiniLM it lifts the best-cut F1 of our four frames
        # from 0.40 to 0.42 (the definitions' exclusions, "Not ...", blur their embedding).
        seeds = [s for s in schema.seeds.get(frame, ()) if s.strip()]
        out[frame] = [definition, target_text(frame), *seeds]
    return out


def _stance_phrases(target: str) -> list[str]:
    name = target_text(target)
    return [f"support for {name}, praising or defending {name}", f"condemning {name}, blaming it"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def best_f1_cut(scores: np.ndarray, y: np.ndarray) -> float:
    """The score threshold (predict at or above it) with the highest F1 for labels y."""
    order = np.argsort(-scores)
    hits = np.cumsum(y[order])
    k = np.arange(1, len(order) + 1)
    f1 = 2 * hits / (k + y.sum())
    best = int(np.argmax(f1))
    return float(scores[order][best])


def fit_map(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, cut) of a logistic map from score to probability: the slope from a 1-d logistic
    regression (balanced classes), the 0.5 point at the best-F1 cut."""
    model = LogisticRegression(class_weight="balanced").fit(z.reshape(-1, 1), y)
    return max(float(model.coef_[0, 0]), 1e-3), best_f1_cut(z, y)


def _standard(scores: np.ndarray) -> np.ndarray:
    """Each column on mean 0 and spread 1 (a constant column stays 0)."""
    return (scores - scores.mean(0)) / np.maximum(scores.std(0), 1e-12)


def _balanced(C: float) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000)


def first_ranking(
    X: np.ndarray, prototypes: np.ndarray, lexical: np.ndarray | None, word_weight: float
) -> np.ndarray:
    """(texts, frames) scores that start self-training: the cosine to each prototype with both
    centred on the texts' mean, mixed (`word_weight`) with the texts' tf-idf similarity to the
    description (`lexical`), each on one scale."""
    centre = X.mean(0)
    centred = X - centre
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    directions = prototypes - centre
    directions /= np.maximum(np.linalg.norm(directions, axis=1, keepdims=True), 1e-12)
    cosine = centred @ directions.T
    if lexical is None or word_weight == 0:
        return cosine
    return (1 - word_weight) * _standard(cosine) + word_weight * _standard(lexical)


def self_trained_heads(
    X: np.ndarray,
    words: csr_matrix | None,
    start: np.ndarray,
    rounds: int,
    share: float,
    word_weight: float,
) -> dict[str, np.ndarray]:
    """Per frame, a linear score learnt from the texts alone, on the embeddings X and (weight
    `word_weight`) on their tf-idf `words`: each round the top `share` of the current ranking
    (first `start`) are positives for a balanced logistic regression per view, and the mixed
    score ranks again. The heads are returned pre-weighted, so a text's score is their sum.
    It was measured with thousands of texts; a few dozen give only a handful of positives."""
    n_frames = start.shape[1]
    n_words = words.shape[1] if words is not None else 0
    heads = {
        "frame.weight": np.zeros((n_frames, X.shape[1])),
        "frame.bias": np.zeros(n_frames),
        "frame.word_weight": np.zeros((n_frames, n_words)),
        "frame.word_bias": np.zeros(n_frames),
    }
    mix = word_weight if words is not None else 0.0
    positives = max(int(share * len(X)), 2)
    for j in range(n_frames):
        scores = start[:, j]
        for _ in range(rounds):
            pseudo = np.zeros(len(X), dtype=int)
            pseudo[np.argsort(-scores, kind="stable")[:positives]] = 1
            model = _balanced(SELF_TRAINING_C).fit(X, pseudo)
            heads["frame.weight"][j] = (1 - mix) * model.coef_[0]
            heads["frame.bias"][j] = (1 - mix) * model.intercept_[0]
            if mix:
                word_model = _balanced(WORD_C).fit(words, pseudo)
                heads["frame.word_weight"][j] = mix * word_model.coef_[0]
                heads["frame.word_bias"][j] = mix * word_model.intercept_[0]
            scores = X @ heads["frame.weight"][j] + heads["frame.bias"][j]
            if mix:
                scores = (
                    scores + words @ heads["frame.word_weight"][j] + heads["frame.word_bias"][j]
                )
    return heads


def _frame_labels(examples: Sequence[Example], schema: LabelSchema) -> tuple[np.ndarray, list]:
    """Rows labelled for frames and their (rows, n_frames) 0/1 matrix; frames with both classes."""
    rows = np.array([i for i, ex in enumerate(examples) if ex.frames is not None], dtype=int)
    y = np.array([[f in examples[i].frames for f in schema.frames] for i in rows], dtype=int)
    usable = [j for j in range(len(schema.frames)) if len(rows) and 0 < y[:, j].sum() < len(rows)]
    return (rows, y), usable  # type: ignore[return-value]


class ZeroshotBackend:
    """Frame prototypes from the schema's descriptions, self-trained on the texts given to
    `fit`, and a score-to-probability map per frame."""

    kind = "zeroshot"
    reads_pairs = False

    def __init__(self, schema: LabelSchema, config: ZeroshotModelConfig, train: TrainConfig):
        self.schema = schema
        self.config = config
        self.base = config.base
        self.max_length = config.max_length
        self.batch_size = config.batch_size
        self.device = train.device
        self.encoder: SentenceEncoder | None = None
        self.tensors: dict[str, np.ndarray] | None = None
        # The word view's vectorizer, where self-training used one.
        self.vectorizer: TfidfVectorizer | None = None
        self.meta: dict[str, Any] = {}

    def _encoder(self) -> SentenceEncoder:
        if self.encoder is None:
            path = resolve_base(self.base)
            self.encoder = SentenceEncoder(path, self.max_length, pick_device(self.device))
        return self.encoder

    def _prototypes(self) -> dict[str, np.ndarray]:
        encoder = self._encoder()
        frames = np.zeros((len(self.schema.frames), encoder.model.config.hidden_size), np.float32)
        for j, texts in enumerate(frame_descriptions(self.schema).values()):
            frames[j] = encoder.encode(texts).mean(0)
        stance = (
            np.stack([encoder.encode(_stance_phrases(t)) for t in self.schema.targets])
            if (self.schema.targets)
            else np.zeros((0, 2, frames.shape[1]), np.float32)
        )
        norm = np.linalg.norm(frames, axis=1, keepdims=True)
        return {"frame.prototype": frames / np.maximum(norm, 1e-12), "stance.prototype": stance}

    def _self_train(
        self, X: np.ndarray, texts: list[str], prototypes: np.ndarray
    ) -> tuple[dict[str, np.ndarray], TfidfVectorizer | None, csr_matrix | None]:
        """The self-trained heads, the word view's vectorizer and the texts' words: None where
        `word_weight` is 0 or the texts give no vocabulary (no word occurs in two texts)."""
        c = self.config
        vectorizer = words = lexical = None
        if c.word_weight > 0:
            vectorizer = TfidfVectorizer(**WORDS, dtype=np.float32)
            try:
                words = vectorizer.fit_transform(texts)
            except ValueError:  # no word occurs in two texts: the embeddings alone
                vectorizer = words = None
            else:
                described = [" ".join(d) for d in frame_descriptions(self.schema).values()]
                lexical = (words @ vectorizer.transform(described).T).toarray()
        start = first_ranking(X, prototypes, lexical, c.word_weight)
        heads = self_trained_heads(X, words, start, c.self_training, c.pseudo_share, c.word_weight)
        if vectorizer is None:
            del heads["frame.word_weight"], heads["frame.word_bias"]
        return heads, vectorizer, words

    @staticmethod
    def _raw(X: np.ndarray, words: csr_matrix | None, t: dict[str, np.ndarray]) -> np.ndarray:
        """Each text's frame scores before scaling: the heads on the embeddings, plus the word
        heads on the texts' tf-idf words where the model has them."""
        raw = X @ t["frame.weight"].T + t["frame.bias"]
        if words is not None:
            raw = raw + words @ t["frame.word_weight"].T + t["frame.word_bias"]
        return raw

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Any], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        """Build prototypes; self-train and scale the scores on the texts; fit each frame's
        map on the other frames' labels."""
        start = time.perf_counter()
        tensors = self._prototypes()
        n_frames = len(self.schema.frames)
        texts = [ex.text for ex in train]
        X = np.zeros((0, tensors["frame.prototype"].shape[1]), np.float32)
        if train:
            X = self._encoder().encode(texts, self.batch_size, show_progress)
        scaled = len(X) >= MIN_TEXTS_TO_SCALE
        self_trained = scaled and self.config.self_training > 0
        prototypes, vectorizer, words = tensors["frame.prototype"], None, None
        tensors["frame.weight"], tensors["frame.bias"] = prototypes, np.zeros(n_frames)
        if self_trained:
            heads, vectorizer, words = self._self_train(X, texts, prototypes)
            tensors.update(heads)
        raw = self._raw(X, words, tensors)  # the cosine, or the self-trained score
        mu = raw.mean(0) if scaled else np.zeros(n_frames)
        sd = np.maximum(raw.std(0), 1e-6) if scaled else np.ones(n_frames)
        (rows, y), usable = _frame_labels(train, self.schema)
        slope, cut = np.zeros(n_frames), np.zeros(n_frames)
        calibrated_on: dict[str, list[str]] = {}
        for j, frame in enumerate(self.schema.frames):
            others = [k for k in usable if k != j]
            if others:
                z = (raw[rows][:, others] - mu[others]) / sd[others]
                slope[j], cut[j] = fit_map(z.ravel(), y[:, others].ravel())
            elif self_trained:  # the heads' own 0.5 point: score 0 (chosen on UN dev)
                slope[j], cut[j] = sd[j], -mu[j] / sd[j]
            else:
                slope[j], cut[j] = DEFAULT_SCALED if scaled else DEFAULT_RAW
            calibrated_on[frame] = [self.schema.frames[k] for k in others]
        tensors.update({"frame.mu": mu, "frame.sd": sd, "frame.slope": slope, "frame.cut": cut})
        self.tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
        self.vectorizer = vectorizer
        self.meta = {
            "scaled": bool(scaled),
            "self_trained": bool(self_trained),
            "word_view": vectorizer is not None,
            "calibrated_on": calibrated_on,
        }
        scores = score_dev(self) if score_dev is not None and dev else {}
        yield EpochInfo(1, 1, None, time.perf_counter() - start, scores)

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
        targets: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Frame probabilities from scaled scores; a template stance distribution per target."""
        assert self.tensors is not None
        t, texts = self.tensors, list(texts)
        X = self._encoder().encode(texts, batch_size or self.batch_size, show_progress)
        words = None if self.vectorizer is None else self.vectorizer.transform(texts)
        z = (self._raw(X, words, t) - t["frame.mu"]) / t["frame.sd"]
        frames = _sigmoid(t["frame.slope"] * (z - t["frame.cut"]))
        stance = {}
        for k, target in enumerate(self.schema.targets):
            favor, against = (X @ t["stance.prototype"][k].T).T
            logits = np.stack([favor, against, np.full(len(X), STANCE_NONE_LEVEL)], 1)
            logits = logits / STANCE_TEMPERATURE
            logits = np.exp(logits - logits.max(1, keepdims=True))
            stance[target] = self._stance_columns(logits / logits.sum(1, keepdims=True))
        return frames.astype(np.float64), stance

    def _stance_columns(self, proba: np.ndarray) -> np.ndarray:
        """favor/against/none columns placed in the schema's stance-label order."""
        labels = self.schema.stance_labels
        out = np.zeros((len(proba), len(labels)))
        for col, name in enumerate(("favor", "against", "none")):
            if name in labels:
                out[:, labels.index(name)] = proba[:, col]
        return out / np.maximum(out.sum(1, keepdims=True), 1e-12)

    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json", exclude={"kind", "name"})

    def save(self, path: Path) -> None:
        """The encoder's weights and tokenizer, the prototypes, heads and maps, their metadata,
        and the word view's vocabulary (JSON) and idf where the model has one."""
        from safetensors.numpy import save_file

        assert self.tensors is not None
        encoder = self._encoder()
        encoder.model.save_pretrained(str(path))
        encoder.tokenizer.save_pretrained(str(path))
        tensors = dict(self.tensors)
        if self.vectorizer is not None:
            tensors["frame.word_idf"] = self.vectorizer.idf_.astype(np.float32)
            payload = vectorizer_json(self.vectorizer, WORDS)
            (path / VOCAB).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        save_file(tensors, str(path / HEADS))
        (path / HEADS_META).write_text(json.dumps(self.meta, indent=1), encoding="utf-8")

    @classmethod
    def load(
        cls, path: Path, schema: LabelSchema, config: ZeroshotModelConfig, train: TrainConfig
    ) -> ZeroshotBackend:
        """Rebuild from a model folder (the encoder is read from the folder itself)."""
        from safetensors.numpy import load_file

        tensors = load_file(str(path / HEADS))
        update: dict[str, Any] = {"base": str(path)}
        if "frame.weight" not in tensors:  # saved before self-training: the cosine, 0 rounds
            update["self_training"] = 0
            tensors["frame.weight"] = tensors["frame.prototype"]
            tensors["frame.bias"] = np.zeros(len(tensors["frame.prototype"]), np.float32)
        meta = json.loads((path / HEADS_META).read_text(encoding="utf-8"))
        if "word_view" not in meta:  # saved before the word view: the embeddings alone
            update["word_weight"] = 0.0
        backend = cls(schema, config.model_copy(update=update), train)
        if "frame.word_idf" in tensors:
            backend.vectorizer = _load_vectorizer(path, tensors.pop("frame.word_idf"))
        backend.tensors = tensors
        backend.meta = meta
        return backend


def _load_vectorizer(path: Path, idf: np.ndarray) -> TfidfVectorizer:
    """The word view's vectorizer from the folder's tfidf.json (its settings and vocabulary)
    and its idf tensor; a folder whose heads need the file but lack it is refused."""
    if not (path / VOCAB).is_file():
        raise ModelError(f"{path}: incomplete folder, the word heads need {VOCAB}")
    payload = json.loads((path / VOCAB).read_text(encoding="utf-8"))
    return vectorizer_from_json(payload, idf)[0]
