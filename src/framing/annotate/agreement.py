"""Agreement between annotators: Krippendorff's α per label over the items two or more of them
answered, and the list of items whose answers differ (what adjudication works through)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from framing.annotate.store import Answer, Item, Store
from framing.labels import LabelSchema


@dataclass(frozen=True)
class LabelAgreement:
    """α for one frame or target; `alpha` is None when it is undefined (`reason` says why)."""

    label: str
    kind: str
    alpha: float | None
    items: int
    disagreements: int
    reason: str = ""


@dataclass(frozen=True)
class Disagreement:
    """An item whose annotators gave different labels, with every answer and any decision."""

    item: Item
    answers: dict[str, Answer]
    labels: tuple[str, ...]


def _done_by_item(store: Store) -> dict[str, dict[str, Answer]]:
    out: dict[str, dict[str, Answer]] = {}
    for (annotator, item_id), answer in store.answers().items():
        if answer.status == "done":
            out.setdefault(item_id, {})[annotator] = answer
    return out


def _value(answer: Answer, label: str, schema: LabelSchema) -> float:
    if label in schema.targets:
        value = answer.stance.get(label)
        known = value in schema.stance_labels
        return float(schema.stance_labels.index(value)) if known else float("nan")
    return float(label in answer.frames)


def _alpha(matrix: np.ndarray) -> tuple[float | None, str]:
    import krippendorff

    values = matrix[~np.isnan(matrix)]
    if matrix.shape[1] == 0:
        return None, "no item answered by two annotators yet"
    if len(np.unique(values)) < 2:
        return None, "every answer is the same value (α is undefined)"
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")), ""


def agreement(store: Store, schema: LabelSchema) -> list[LabelAgreement]:
    """Krippendorff's α (nominal) per frame and per target over items with ≥ 2 done answers."""
    shared = {k: v for k, v in _done_by_item(store).items() if len(v) >= 2}
    annotators = sorted({name for answers in shared.values() for name in answers})
    items = sorted(shared)
    out = []
    labels = [(f, "frame") for f in schema.frames] + [(t, "target") for t in schema.targets]
    for label, kind in labels:
        matrix = np.full((len(annotators), len(items)), np.nan)
        for col, item_id in enumerate(items):
            for name, answer in shared[item_id].items():
                matrix[annotators.index(name), col] = _value(answer, label, schema)
        differ = sum(len({_value(a, label, schema) for a in shared[i].values()}) > 1 for i in items)
        alpha, reason = _alpha(matrix)
        out.append(LabelAgreement(label, kind, alpha, len(items), differ, reason))
    return out


def disagreements(store: Store, schema: LabelSchema) -> list[Disagreement]:
    """Items answered by two or more annotators whose labels differ, in item order."""
    by_item = _done_by_item(store)
    out = []
    for item in store.items():
        answers = by_item.get(item.id, {})
        if len(answers) < 2 or len({a.labels() for a in answers.values()}) == 1:
            continue
        labels = tuple(
            label
            for label in (*schema.frames, *schema.targets)
            if len({_value(a, label, schema) for a in answers.values()}) > 1
        )
        out.append(Disagreement(item, answers, labels))
    return out
