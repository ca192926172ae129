"""Soft labels: a teacher's probabilities for a sentence, which a `finetune` student learns from
(distillation). They are guesses, not judgements: they may train a model, never tune or measure
one. In a data file they are the `soft` field:

    "soft": {"frames": {"isolation": 0.12, ...}, "stance": {"russia": {"favor": 0.1, ...}}}

Every frame of the schema, or none; for each target given, a probability for every stance label
that sums to 1. JSON (JSONL, Parquet) only: a CSV cell is a string, and is refused as one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from framing.errors import DataError
from framing.labels import LabelSchema
from framing.readers import describe, names, one_line

SUM_TOLERANCE = 0.01  # rounding in files (4 digits per label) stays well inside this

SoftLabels = dict[str, Any]  # {"frames": {frame: p}, "stance": {target: {label: p}}}


def _probability(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(
            f"{where}: {key} must be a probability (a number in [0, 1]), found {describe(value)}"
        )
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise DataError(f"{where}: {key} is {value!r}; expected a probability in [0, 1]")
    return float(value)


def _mapping(value: Any, where: str, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DataError(f"{where}: {key} must be a mapping, found {describe(value)}")
    return value


def _frames(value: Any, where: str, schema: LabelSchema | None) -> dict[str, float]:
    value = _mapping(value, where, "soft.frames")
    frames = {
        str(name): _probability(p, where, f"soft.frames.{one_line(str(name), 40)}")
        for name, p in value.items()
    }
    if schema is not None and set(frames) != set(schema.frames):
        missing = [f for f in schema.frames if f not in frames]
        extra = [f for f in frames if f not in schema.frames]
        what = f"lacks {names(missing)}" if missing else f"has {names(extra)}, not in the schema"
        raise DataError(
            f"{where}: soft.frames {what}; expected a probability for every frame of the "
            f"schema ({names(schema.frames)})"
        )
    return frames


def _distribution(
    value: Any, where: str, key: str, labels: tuple[str, ...] | None
) -> dict[str, float]:
    value = _mapping(value, where, key)
    dist = {
        str(k): _probability(p, where, f"{key}.{one_line(str(k), 40)}") for k, p in value.items()
    }
    if labels is not None and set(dist) != set(labels):
        raise DataError(
            f"{where}: {key} has labels {names(list(dist))}; expected one probability for each "
            f"of {names(labels)}"
        )
    total = sum(dist.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise DataError(f"{where}: {key} sums to {total:.4f}; expected 1 (a distribution)")
    return dist


def parse_soft(value: Any, where: str, schema: LabelSchema | None = None) -> SoftLabels | None:
    """Check a record's `soft` field (against the schema when given); None when absent."""
    if value is None:
        return None
    value = _mapping(value, where, "soft")
    unknown = [k for k in value if k not in ("frames", "stance")]
    if unknown:
        raise DataError(
            f"{where}: soft has the key {unknown[0]!r}; expected 'frames' and/or 'stance'"
        )
    soft: SoftLabels = {}
    if value.get("frames") is not None:
        soft["frames"] = _frames(value["frames"], where, schema)
    if value.get("stance") is not None:
        stance = _mapping(value["stance"], where, "soft.stance")
        if schema is not None:
            unknown = [t for t in stance if t not in schema.targets]
            if unknown:
                raise DataError(
                    f"{where}: soft.stance target {one_line(str(unknown[0]), 40)!r} is not in "
                    f"the schema ({names(schema.targets)})"
                )
        labels = schema.stance_labels if schema is not None else None
        if not stance:
            raise DataError(f"{where}: soft.stance is empty; expected a distribution per target")
        soft["stance"] = {
            str(t): _distribution(d, where, f"soft.stance.{one_line(str(t), 40)}", labels)
            for t, d in stance.items()
        }
    if not soft:
        raise DataError(f"{where}: soft is empty; expected 'frames' and/or 'stance'")
    return soft
