"""What the torch kinds (encoder, finetune) share: picking the device, seeding, length-sorted
batching, loading an encoder (cut to N layers), mean pooling, the pair-input target text and
progress bars. Torch and transformers are imported inside functions so `framing --help` stays
fast."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from framing.errors import ConfigError

if TYPE_CHECKING:
    import torch

# Batches per window that `length_grouped` sorts by length (HF Trainer's group_by_length uses 50).
LENGTH_WINDOW = 16


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


def token_lengths(tokenizer: Any, texts: Sequence[str], max_length: int) -> np.ndarray:
    """The number of tokens of each text after truncation to max_length."""
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    return np.asarray([len(row) for row in ids], dtype=np.int64)


def length_sorted_batches(
    tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int
) -> list[np.ndarray]:
    """Index batches of similar token length, longest first, so padding (wasted work) is small."""
    order = np.argsort(-token_lengths(tokenizer, texts, max_length), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def length_grouped(
    order: Sequence[int], lengths: np.ndarray, batch_size: int, window: int = LENGTH_WINDOW
) -> list[list[int]]:
    """Training batches from a shuffled order, cut after each window of `window` batches is
    sorted by token length: a batch pads to little more than its own texts (on our training
    sentences, 57% of the padded tokens of random batches) while the windows stay random."""
    span = batch_size * window
    batches = []
    for start in range(0, len(order), span):
        chunk = sorted(order[start : start + span], key=lambda i: -lengths[i])
        batches.extend(chunk[s : s + batch_size] for s in range(0, len(chunk), batch_size))
    return batches


def padded_batches(
    tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int
) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Tokenise once, then yield length-sorted index batches with their padded ids and mask:
    the same arrays as calling the tokenizer per batch with padding, without tokenising twice
    (the second pass cost 14% of int8 scoring time with the multilingual tokenizer)."""
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    lengths = np.asarray([len(row) for row in ids], dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    pad = tokenizer.pad_token_id or 0
    left = getattr(tokenizer, "padding_side", "right") == "left"
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        width = int(lengths[batch].max())
        input_ids = np.full((len(batch), width), pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, index in enumerate(batch):
            cols = slice(width - lengths[index], width) if left else slice(0, lengths[index])
            input_ids[row, cols] = ids[index]
            mask[row, cols] = 1
        yield (
            batch,
            {
                "input_ids": input_ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids),
            },
        )


def load_encoder(path: Path, layers: int | None) -> Any:
    """The pre-trained encoder at `path`, cut to its first `layers` transformer layers."""
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    have = config.num_hidden_layers
    if layers is None or layers == have:
        return AutoModel.from_pretrained(str(path), local_files_only=True)
    if layers > have:
        raise ConfigError(
            f"models.finetune.layers: {layers} is more than the {have} layers of the base "
            f"encoder at {path}; use at most {have}, or leave it out for all"
        )
    config.num_hidden_layers = layers
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the dropped layers' weights are unused on purpose
    try:
        return AutoModel.from_pretrained(str(path), config=config, local_files_only=True)
    finally:
        hf_logging.set_verbosity(level)


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
