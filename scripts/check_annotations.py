"""Check an annotator's label file against its batch: every id once, labels from the schema.

Usage: python scripts/check_annotations.py BATCH.jsonl LABELS.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FRAMES = {"multipolarity", "western_pressure", "isolation", "security_threat"}
TARGETS = {"russia", "the_west"}
STANCES = {"favor", "against", "none"}


def check(batch: Path, labels: Path) -> list[str]:
    """Problems found (empty when the label file is complete and valid)."""
    wanted = [json.loads(line)["id"] for line in batch.read_text().splitlines() if line.strip()]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(labels.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{labels} line {n}: not JSON ({exc.msg})")
            continue
        ident = row.get("id")
        if ident not in wanted:
            problems.append(f"{labels} line {n}: id {ident!r} is not in {batch.name}")
        if ident in seen:
            problems.append(f"{labels} line {n}: id {ident!r} repeats line {seen[ident]}")
        seen[ident] = n
        frames = row.get("frames")
        if not isinstance(frames, list) or not set(frames) <= FRAMES:
            problems.append(f"{labels} line {n}: frames {frames!r} not a list of {sorted(FRAMES)}")
        stance = row.get("stance")
        valid = isinstance(stance, dict) and set(stance) == TARGETS
        if not valid or not set(stance.values()) <= STANCES:
            problems.append(
                f"{labels} line {n}: stance {stance!r} must give russia and "
                f"the_west each one of {sorted(STANCES)}"
            )
    missing = [i for i in wanted if i not in seen]
    if missing:
        problems.append(f"{len(missing)} ids not labelled yet, first: {missing[:5]}")
    return problems


if __name__ == "__main__":
    found = check(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) if found else f"OK: {sys.argv[2]} labels all of {sys.argv[1]}")
    sys.exit(1 if found else 0)
