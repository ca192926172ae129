"""The project's labels as canonical JSONL (the fields of data/un/test.jsonl), final or one
annotator's, read back by `framing.read_examples` like any labelled file.

The final label of an item is its decision where one was made, else the label its annotators
agree on, else (a disagreement nobody has settled yet) the first annotator's, as the data card
does for the first pass; the export logs how many items are in that last case.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from framing.annotate.store import Answer, Item, Store
from framing.errors import ConfigError
from framing.files import atomic_file

logger = logging.getLogger(__name__)


def _record(item: Item, frames: tuple[str, ...], stance: dict[str, str]) -> dict[str, Any]:
    record = dict(item.record)
    text = record.pop("text")
    extras = {k: v for k, v in record.items() if k not in ("id", "doc_id", "source", "date")}
    head = {k: record[k] for k in ("id", "doc_id", "source", "date") if k in record}
    return {**head, **extras, "text": text, "frames": list(frames), "stance": dict(stance)}


def _notes(answers: dict[str, Answer]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    flagged = [name for name, a in answers.items() if a.flag]
    if flagged:
        out["flagged_by"] = flagged
    notes = {name: a.note for name, a in answers.items() if a.note}
    if notes:
        out["notes"] = notes
    return out


def final_records(store: Store, annotator: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Canonical records of every labelled item (or one annotator's answers), and how many
    disagreements were exported unsettled (the first annotator's label)."""
    by_item: dict[str, dict[str, Answer]] = {}
    for (name, item_id), answer in store.answers(annotator).items():
        if answer.status == "done":
            by_item.setdefault(item_id, {})[name] = answer
    decisions = {} if annotator else store.decisions()
    records, unsettled = [], 0
    for item in store.items():
        answers = by_item.get(item.id, {})
        decision = decisions.get(item.id)
        if decision is not None:
            frames, stance = decision.frames, decision.stance
        elif answers:
            first = next(iter(answers.values()))
            frames, stance = first.frames, first.stance
            unsettled += len({a.labels() for a in answers.values()}) > 1
        else:
            continue
        record = _record(item, frames, stance)
        record["selection"] = item.selection
        record["adjudicated"] = decision is not None
        record["annotators"] = list(answers)
        records.append({**record, **_notes(answers)})
    return records, unsettled


def export_labels(
    store: Store, output: Path, annotator: str | None = None, with_history: bool = False
) -> int:
    """Write the labelled items to `output` (a new .jsonl file); returns how many.

    Raises:
        ConfigError: `output` exists or is not a .jsonl path.
    """
    if output.suffix != ".jsonl":
        raise ConfigError(f"--output {output}: expected a .jsonl file name")
    if output.exists():
        raise ConfigError(f"{output} already exists; choose a new --output file")
    records, unsettled = final_records(store, annotator)
    if unsettled:
        logger.warning(
            "%d items where annotators disagree have no decision yet; exported with the first "
            "annotator's labels (settle them on the adjudication page)",
            unsettled,
        )
    with atomic_file(output) as handle:
        for record in records:
            if with_history:
                record["history"] = [
                    {k: v for k, v in row.items() if k != "item_id"}
                    for row in store.history(record["id"])
                ]
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)
