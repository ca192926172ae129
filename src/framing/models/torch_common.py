"""What the torch kinds (encoder, finetune) share: picking the device, seeding, length-sorted
batching, mean pooling, the pair-input target text and progress bars. Torch and transformers
are imported inside functions so `framing --help` stays fast."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from framing.errors import ConfigError

if TYPE_CHECKING:
    import torch


def pick_device(device: str) -> str:
    """'auto' means CUDA when present, else CPU; 'cuda' without a CUDA device is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device is 'cuda' but no CUDA device is available; use 'auto'")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch so a run repeats exactly on the same machine."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


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


def target_text(target: str) -> str:
    """How a target name is written in the pair input: 'the_west' -> 'the west'."""
    return target.replace("_", " ")


def progress(iterable: Any, show: bool, desc: str, total: int | None = None) -> Any:
    """A tqdm bar when asked for, else the bare iterable."""
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="batch", leave=False)
