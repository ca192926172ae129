"""What the `finetune` kind minimises: weighted BCE over frames and CE over stance for gold
labels, and cross-entropy against a teacher's probabilities (soft labels, framing.soft) for
sentences without gold labels: distillation. Torch is imported inside functions, like the
rest of the torch kinds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from framing.data import Example
from framing.labels import LabelSchema

IGNORE = -100  # gold index of a (sentence, target) with no stance label: no loss


def soft_part(ex: Example, part: str) -> dict[str, Any]:
    """The teacher's soft labels of one kind ("frames" or "stance") for a sentence, or {}."""
    return (ex.soft or {}).get(part) or {}


def loss_weights(train: Sequence[Example], schema: LabelSchema, device: str) -> tuple[Any, Any]:
    """sqrt-inverse-frequency weights from the gold labels: rare frames and stances count more,
    without extremes."""
    import torch

    labelled = [ex for ex in train if ex.frames is not None]
    pos = np.array([sum(f in ex.frames for ex in labelled) for f in schema.frames])  # type: ignore[operator]
    neg = len(labelled) - pos
    pos_weight = np.sqrt(np.maximum(neg, 1) / np.maximum(pos, 1))
    labels = schema.stance_labels
    counts = np.ones(len(labels))
    for ex in train:
        for t, label in (ex.stance or {}).items():
            if t in schema.targets:
                counts[labels.index(label)] += 1
    class_weight = np.sqrt(counts.sum() / (len(labels) * counts))
    return (
        torch.tensor(pos_weight if len(pos) else [1.0], dtype=torch.float32, device=device),
        torch.tensor(class_weight, dtype=torch.float32, device=device),
    )


def frame_loss(rows: Sequence[Example], logits: Any, bce: Any, schema: LabelSchema) -> Any:
    """BCE over the sentences that carry frame labels (`bce` weights rare frames) and, for
    sentences with none, against the teacher's probabilities (unweighted: those already say
    how rare a frame is); the mean over both kinds of sentence, zero when neither is there."""
    import torch
    import torch.nn.functional as F

    frames = schema.frames
    hard = [r for r, ex in enumerate(rows) if ex.frames is not None]
    soft = [r for r, ex in enumerate(rows) if ex.frames is None and soft_part(ex, "frames")]
    if not (hard or soft) or not frames:
        return logits.sum() * 0.0
    logits = logits[:, : len(frames)].float()
    total = logits.sum() * 0.0
    if hard:
        gold = [[float(f in (rows[r].frames or ())) for f in frames] for r in hard]
        total = total + bce(logits[hard], torch.tensor(gold, device=logits.device)) * len(hard)
    if soft:
        goal = [[soft_part(rows[r], "frames")[f] for f in frames] for r in soft]
        target = torch.tensor(goal, device=logits.device)
        total = total + F.binary_cross_entropy_with_logits(logits[soft], target) * len(soft)
    return total / (len(hard) + len(soft))


def target_loss(rows: Sequence[Example], logits: Any, ce: Any, schema: LabelSchema) -> Any:
    """CE over the (sentence, schema target) cells that carry a stance label (`ce` weights rare
    labels and ignores IGNORE), and against the teacher's distribution for cells with only a
    soft label; the mean over both kinds of cell. `logits` is (batch, n_targets, n_labels)."""
    import torch

    labels = schema.stance_labels
    gold = torch.full(logits.shape[:2], IGNORE, dtype=torch.long, device=logits.device)
    goal = torch.zeros(logits.shape, device=logits.device)
    soft = torch.zeros(logits.shape[:2], dtype=torch.bool, device=logits.device)
    for r, ex in enumerate(rows):
        teacher = soft_part(ex, "stance")
        for j, t in enumerate(schema.targets):
            if ex.stance and t in ex.stance:
                gold[r, j] = labels.index(ex.stance[t])
            elif t in teacher:
                goal[r, j] = torch.tensor([teacher[t][x] for x in labels])
                soft[r, j] = True
    n_hard, n_soft = int((gold != IGNORE).sum()), int(soft.sum())
    logits = logits.float()
    total = logits.sum() * 0.0
    if n_hard:
        total = total + ce(logits.reshape(-1, logits.shape[-1]), gold.reshape(-1)) * n_hard
    if n_soft:
        total = total - (goal[soft] * torch.log_softmax(logits[soft], -1)).sum()
    return total / max(n_hard + n_soft, 1)
