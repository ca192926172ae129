"""A gold sample for any corpus: a seeded uniform random sample of the compared sentences, written
for labelling with empty label columns and each sentence's context.

Labelled, the file is read back by the project's readers; `gold_sample:` in the compare config
then makes the headline design-based (mean predicted probability plus the mean gold residual of
the cell's gold sentences), unbiased whatever the model's errors.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from framing.compare.corpus import document_of, read_corpus, within_window
from framing.config import CompareConfig
from framing.data import Example
from framing.errors import ConfigError
from framing.files import atomic_file
from framing.labels import LabelSchema
from framing.modelfolder import read_index
from framing.pretrained import resolve_model
from framing.readers import file_format

CONTEXT_COLUMNS = ("id", "doc_id", "source", "date", "url", "title", "prev", "text", "next")


def schema_of(config: CompareConfig) -> LabelSchema:
    """The label schema of the config's model (its framing.json), whose frames and targets get
    label columns.

    Raises:
        ConfigError: the model folder does not exist.
    """
    folder = resolve_model(config.model)
    if not folder.is_dir():
        raise ConfigError(f"model folder not found: {config.model} (key `model` or --model)")
    return LabelSchema.from_dict(read_index(folder)["schema"])


def draw_gold_sample(
    config: CompareConfig, n: int, output: Path, seed: int = 0, schema: LabelSchema | None = None
) -> int:
    """Draw `n` sentences uniformly at random (seeded) from the corpus as `compare` reads it
    (segmented, in the window) and write them to `output` (.jsonl or .csv) with empty label
    columns (`frames`, `stance.<target>`) and their context (previous and next sentence of the
    article, url, title); returns the number written.

    Raises:
        ConfigError: `n` is not positive or larger than the corpus, or `output` exists.
        DataError: the corpus is invalid (as for `compare`).
    """
    kind = file_format(output)
    if kind == "parquet":
        raise ConfigError(f"{output}: a gold sample is edited by hand; expected .jsonl or .csv")
    if output.exists():
        raise ConfigError(f"{output} already exists; choose a new --output file")
    schema = schema or schema_of(config)
    everything = read_corpus(config.corpus, config.fields, config.segment)
    sentences = within_window(everything, config.window, config.corpus)
    if not 1 <= n <= len(sentences):
        raise ConfigError(
            f"--draw-gold {n}: expected between 1 and the corpus's {len(sentences)} sentences"
        )
    picked = np.sort(np.random.default_rng(seed).choice(len(sentences), size=n, replace=False))
    rows = [_row(sentences, int(i), schema, kind) for i in picked]
    with atomic_file(output) as handle:
        if kind == "jsonl":
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        else:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return len(rows)


def _row(sentences: list[Example], i: int, schema: LabelSchema, kind: str) -> dict[str, Any]:
    """One sentence to label: its context columns, then empty label columns."""
    ex = sentences[i]
    same = document_of(ex)
    prev = sentences[i - 1].text if i > 0 and document_of(sentences[i - 1]) == same else ""
    after = i + 1 < len(sentences) and document_of(sentences[i + 1]) == same
    row: dict[str, Any] = {
        "id": ex.id,
        "doc_id": same,
        "source": ex.source,
        "date": ex.date or "",
        "url": str(ex.extra.get("url") or ""),
        "title": str(ex.extra.get("title") or ""),
        "prev": prev,
        "text": ex.text,
        "next": sentences[i + 1].text if after else "",
    }
    if kind == "jsonl":
        row["frames"] = None
        row["stance"] = {t: None for t in schema.targets}
    else:
        row["frames"] = ""
        row.update({f"stance.{t}": "" for t in schema.targets})
    return row
