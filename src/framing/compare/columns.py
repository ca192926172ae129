"""Label columns: every task (a frame, or a stance target) is a K-class variable, so frames and
stance share one correction path. A frame has the classes (absent, present).

Predictions and gold labels are encoded here as one-hot (or probability) arrays with one column
per class of every task, in the layout `LabelColumns` describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from framing.data import Example
from framing.errors import ConfigError, ModelError
from framing.labels import LabelSchema
from framing.predictions import Probabilities


@dataclass(frozen=True)
class LabelColumns:
    """The column layout of every per-class array: tasks in schema order, classes within tasks."""

    tasks: tuple[str, ...]
    classes: tuple[tuple[str, ...], ...]
    is_frame: tuple[bool, ...]

    @property
    def offsets(self) -> tuple[int, ...]:
        """Start column of each task."""
        starts, at = [], 0
        for classes in self.classes:
            starts.append(at)
            at += len(classes)
        return tuple(starts)

    @property
    def n_columns(self) -> int:
        """Number of columns: the classes of every task."""
        return sum(len(c) for c in self.classes)

    def reported(self) -> list[tuple[int, str]]:
        """(column, label) pairs that appear in estimates: a frame's 'present' column, and every
        stance class, labelled `frame:<name>` and `stance:<target>:<label>`."""
        out: list[tuple[int, str]] = []
        for task, classes, frame, start in zip(
            self.tasks, self.classes, self.is_frame, self.offsets, strict=True
        ):
            if frame:
                out.append((start + 1, f"frame:{task}"))
            else:
                out.extend((start + k, f"stance:{task}:{c}") for k, c in enumerate(classes))
        return out

    def task_mask_to_columns(self, mask: np.ndarray) -> np.ndarray:
        """Spread a per-task (n, n_tasks) array over the columns of each task's classes."""
        return np.repeat(mask, [len(c) for c in self.classes], axis=-1)


def label_columns(
    schema: LabelSchema, labels: Sequence[str] | None = None, where: str = "labels"
) -> LabelColumns:
    """The columns for a schema's frames and stance targets, optionally only those in `labels`.

    Raises:
        ConfigError: a name in `labels` is neither a frame nor a target of the model.
    """
    frames, targets = list(schema.frames), list(schema.targets)
    if labels is not None:
        unknown = [x for x in labels if x not in frames and x not in targets]
        if unknown:
            raise ConfigError(
                f"{where}: {', '.join(repr(x) for x in unknown)} not in the model's schema "
                f"'{schema.name}' (frames: {', '.join(frames) or 'none'}; targets: "
                f"{', '.join(targets) or 'none'}). Fix `labels` or use a model trained on them"
            )
        frames = [f for f in frames if f in labels]
        targets = [t for t in targets if t in labels]
    return LabelColumns(
        tasks=tuple(frames) + tuple(targets),
        classes=tuple(("absent", "present") for _ in frames)
        + tuple(tuple(schema.stance_labels) for _ in targets),
        is_frame=tuple(True for _ in frames) + tuple(False for _ in targets),
    )


def encode_predictions(
    proba: Probabilities, thresholds: Mapping[str, float], columns: LabelColumns
) -> tuple[np.ndarray, np.ndarray]:
    """Hard (one-hot) and soft per-class arrays, each (n, n_columns), from model probabilities.

    A frame is predicted present iff its probability >= its threshold (0.5 if none is given);
    a stance prediction is the argmax, as `FramingClassifier.predict` does.

    Raises:
        ModelError: the probabilities lack a frame or target of `columns`.
    """
    n = len(proba)
    hard = np.zeros((n, columns.n_columns), dtype=np.float32)
    soft = np.zeros((n, columns.n_columns), dtype=np.float32)
    frame_index = {name: i for i, name in enumerate(proba.frame_names)}
    for task, frame, start, classes in zip(
        columns.tasks, columns.is_frame, columns.offsets, columns.classes, strict=True
    ):
        if frame:
            _encode_frame(proba, frame_index, task, thresholds, hard, soft, start)
        else:
            _encode_stance(proba, task, classes, hard, soft, start)
    return hard, soft


def _encode_frame(
    proba: Probabilities,
    frame_index: Mapping[str, int],
    task: str,
    thresholds: Mapping[str, float],
    hard: np.ndarray,
    soft: np.ndarray,
    start: int,
) -> None:
    """Fill a frame's (absent, present) columns of `hard` and `soft` in place."""
    if task not in frame_index:
        raise ModelError(
            f"the model gives no probability for frame '{task}' "
            f"(it has {', '.join(proba.frame_names) or 'no frames'})"
        )
    p = np.clip(np.asarray(proba.frames[:, frame_index[task]], dtype=np.float64), 0, 1)
    soft[:, start] = 1 - p
    soft[:, start + 1] = p
    present = p >= float(thresholds.get(task, 0.5))
    hard[:, start + 1] = present
    hard[:, start] = ~present


def _encode_stance(
    proba: Probabilities,
    task: str,
    classes: Sequence[str],
    hard: np.ndarray,
    soft: np.ndarray,
    start: int,
) -> None:
    """Fill a stance target's class columns of `hard` (argmax) and `soft` in place."""
    if task not in proba.stance:
        raise ModelError(
            f"the model gives no stance for target '{task}' "
            f"(it has {', '.join(proba.stance) or 'no targets'})"
        )
    if tuple(proba.stance_labels) != tuple(classes):
        raise ModelError(
            f"the model's stance labels {list(proba.stance_labels)} differ from the "
            f"schema's {list(classes)}"
        )
    p = np.asarray(proba.stance[task], dtype=np.float64)
    soft[:, start : start + len(classes)] = p
    hard[np.arange(len(p)), start + np.argmax(p, axis=1)] = 1


def encode_gold(
    examples: Sequence[Example], columns: LabelColumns
) -> tuple[np.ndarray, np.ndarray]:
    """Gold one-hot labels (n, n_columns) and a labelled mask per task (n, n_tasks).

    A frame task is labelled when the example has `frames`; a target when `stance` names it.
    """
    y = np.zeros((len(examples), columns.n_columns), dtype=np.float32)
    mask = np.zeros((len(examples), len(columns.tasks)), dtype=bool)
    for i, ex in enumerate(examples):
        for t, (task, frame, start, classes) in enumerate(
            zip(columns.tasks, columns.is_frame, columns.offsets, columns.classes, strict=True)
        ):
            if frame and ex.frames is not None:
                y[i, start + (1 if task in ex.frames else 0)] = 1
                mask[i, t] = True
            elif not frame and ex.stance is not None and task in ex.stance:
                y[i, start + classes.index(ex.stance[task])] = 1
                mask[i, t] = True
    return y, mask
