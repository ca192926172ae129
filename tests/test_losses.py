"""The finetune losses: gold labels as before, a teacher's soft labels where there is no gold."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from framing.data import Example
from framing.models.losses import IGNORE, frame_loss, target_loss


def _soft_frames(schema, probs):
    return {"frames": dict(zip(schema.frames, probs))}


def test_frame_loss_is_bce_against_the_teacher_and_least_at_its_probabilities(schema):
    probs = [0.9, 0.2, 0.05, 0.5]
    rows = [Example(id="a", text="x", soft=_soft_frames(schema, probs))]
    at_teacher = torch.logit(torch.tensor([probs])).requires_grad_(True)
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.full((4,), 5.0))  # gold rows only
    loss = frame_loss(rows, at_teacher, bce, schema)
    expected = F.binary_cross_entropy_with_logits(at_teacher, torch.tensor([probs]))
    assert torch.isclose(loss, expected)
    loss.backward()
    assert at_teacher.grad.abs().max() < 1e-5  # the teacher's probabilities are the optimum
    elsewhere = torch.zeros(1, 4)
    assert frame_loss(rows, elsewhere, bce, schema) > loss


def test_frame_loss_averages_gold_and_soft_rows_and_prefers_gold(schema):
    logits = torch.tensor([[2.0, -1.0, 0.0, 1.0], [0.5, 0.5, -2.0, 0.0]])
    soft = _soft_frames(schema, [0.1, 0.9, 0.1, 0.1])
    gold_row = Example(id="g", text="x", frames=("multipolarity",), soft=soft)  # gold wins
    soft_row = Example(id="s", text="y", soft=soft)
    bce = torch.nn.BCEWithLogitsLoss()
    both = frame_loss([gold_row, soft_row], logits, bce, schema)
    gold_only = bce(logits[:1], torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
    soft_only = F.binary_cross_entropy_with_logits(logits[1:], torch.tensor([[0.1, 0.9, 0.1, 0.1]]))
    assert torch.isclose(both, (gold_only + soft_only) / 2)
    unlabelled = Example(id="u", text="z")
    assert frame_loss([unlabelled], logits[:1], bce, schema) == 0


def test_target_loss_reads_the_teacher_distribution_where_a_target_has_no_gold(schema):
    teacher = {"favor": 0.6, "against": 0.1, "none": 0.3}
    row = Example(
        id="a", text="x", stance={"russia": "against"}, soft={"stance": {"the_west": teacher}}
    )
    logits = torch.zeros(1, 2, 3)
    logits[0, 1] = torch.log(torch.tensor([0.6, 0.1, 0.3]))
    logits.requires_grad_(True)
    ce = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)
    loss = target_loss([row], logits, ce, schema)
    gold = F.cross_entropy(logits[0, :1], torch.tensor([schema.stance_labels.index("against")]))
    entropy = -sum(p * torch.log(torch.tensor(p)) for p in teacher.values())
    assert torch.isclose(loss, (gold + entropy) / 2, atol=1e-6)
    loss.backward()
    assert logits.grad[0, 1].abs().max() < 1e-6  # soft cell at the teacher's distribution
    assert logits.grad[0, 0].abs().max() > 1e-3  # the gold cell still pulls


def test_target_loss_without_soft_labels_is_the_plain_weighted_ce(schema):
    rows = [Example(id="a", text="x", stance={"russia": "favor"})]
    logits = torch.randn(1, 2, 3, generator=torch.Generator().manual_seed(0))
    ce = torch.nn.CrossEntropyLoss(weight=torch.tensor([2.0, 1.0, 0.5]), ignore_index=IGNORE)
    expected = F.cross_entropy(logits[0, :1], torch.tensor([0]))
    assert torch.isclose(target_loss(rows, logits, ce, schema), expected)


def test_target_loss_keeps_the_class_weighted_mean_over_gold_cells(schema):
    """Gold cells only: exactly the weighted CE the loss was before soft labels existed, which
    differs from the unweighted one (so dropping the weights would fail here)."""
    rows = [
        Example(id="a", text="x", stance={"russia": "favor", "the_west": "against"}),
        Example(id="b", text="y", stance={"russia": "none"}),
    ]
    logits = torch.randn(2, 2, 3, generator=torch.Generator().manual_seed(1))
    weight = torch.tensor([2.0, 1.0, 0.5])
    ce = torch.nn.CrossEntropyLoss(weight=weight, ignore_index=IGNORE)
    gold = torch.tensor([[0, 1], [2, IGNORE]])
    expected = F.cross_entropy(
        logits.reshape(-1, 3), gold.reshape(-1), weight=weight, ignore_index=IGNORE
    )
    loss = target_loss(rows, logits, ce, schema)
    assert torch.isclose(loss, expected)
    assert not torch.isclose(
        loss, F.cross_entropy(logits.reshape(-1, 3), gold.reshape(-1), ignore_index=IGNORE)
    )
