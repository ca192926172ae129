"""The scored folder that `framing score` writes: Parquet shards and the manifest that makes a
rerun resume.

Layout of a scored folder::

    score.json               the manifest: model, corpus, shard size, every finished shard's
                             row range and SHA-256, and `complete` once all rows are in
    shards/part-000000.parquet ...   rows [k * shard_size, (k + 1) * shard_size) of the corpus
    input/part-000000.parquet ...    the same rows before scoring (kept only while running)

Shard k always holds the same rows, so a rerun only has to score the shards the manifest does
not list (or whose bytes no longer match their hash): no row is scored into two shards and none
is left out. Every file is written under a temporary name and renamed into place, and the
manifest is rewritten after each shard, so an interruption at any point leaves a folder that
resumes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from framing.data import Example
from framing.errors import ConfigError, DataError
from framing.files import atomic_file, json_text, readable_by_all, sha256
from framing.modelfolder import INDEX
from framing.predictions import Probabilities

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

MANIFEST = "score.json"
SHARDS = "shards"
INPUT = "input"
FORMAT = "framing-scores/1"
SENTENCE_COLUMNS = ("row_id", "id", "doc_id", "source", "date", "text")
FRAME_PREFIX = "proba:frame:"
STANCE_PREFIX = "proba:stance:"


def model_digest(folder: Path) -> str:
    """A model folder's identity: the hash of its framing.json, which lists every file's hash."""
    return sha256(folder / INDEX)


def shard_name(k: int) -> str:
    """The file name of shard k (the same under shards/ and input/)."""
    return f"part-{k:06d}.parquet"


def sentence_table(examples: Sequence[Example], first_row: int) -> pa.Table:
    """The sentences as an Arrow table, numbered from `first_row` (their corpus positions)."""
    import pyarrow as pa

    return pa.table(
        {
            "row_id": pa.array(range(first_row, first_row + len(examples)), pa.int64()),
            "id": pa.array([ex.id for ex in examples], pa.string()),
            "doc_id": pa.array([ex.document for ex in examples], pa.string()),
            "source": pa.array([ex.source for ex in examples], pa.string()),
            "date": pa.array([ex.date for ex in examples], pa.string()),
            "text": pa.array([ex.text for ex in examples], pa.string()),
        }
    )


def write_table(path: Path, table: pa.Table, row_group_rows: int | None = None) -> str:
    """Write `table` as Parquet at `path` atomically (row groups of `row_group_rows` rows, the
    unit a Ray worker reads); returns the file's SHA-256."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp_name, compression="zstd", row_group_size=row_group_rows)
        digest = sha256(tmp_name)
        readable_by_all(tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return digest


def remove_partials(folder: Path) -> None:
    """Delete temporary files that an interrupted run left behind (never a finished shard)."""
    for sub in (SHARDS, INPUT):
        for tmp in (folder / sub).glob(".*.partial"):
            tmp.unlink(missing_ok=True)


def new_manifest(identity: Mapping[str, Any], shard_size: int) -> dict[str, Any]:
    """A manifest for a fresh scored folder."""
    return {
        "format": FORMAT,
        **identity,
        "shard_size": shard_size,
        "input": {},
        "shards": {},
        "n_rows": None,
        "complete": False,
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a scored folder (ConfigError when there is none or it is unreadable)."""
    path = folder / MANIFEST
    if not path.is_file():
        raise ConfigError(f"{folder}: not a scored folder (no {MANIFEST}); run `framing score`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable manifest ({exc}); score into a new folder") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError(f"{path}: expected a manifest of format {FORMAT}")
    return manifest


def save_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Rewrite the manifest atomically."""
    with atomic_file(folder / MANIFEST) as handle:
        handle.write(json_text(manifest))


def intact(folder: Path, manifest: Mapping[str, Any], part: str, k: int) -> bool:
    """Whether shard k of `part` ('shards' or 'input') is listed and its bytes match its hash;
    a listed shard that does not match is reported and dropped from the manifest."""
    listed = manifest[part].get(shard_name(k))
    if listed is None:
        return False
    path = folder / part / shard_name(k)
    if path.is_file() and sha256(path) == listed["sha256"]:
        return True
    logger.warning("%s is missing or damaged (SHA-256 differs from %s): redoing it", path, MANIFEST)
    del manifest[part][shard_name(k)]
    return False


def check_rows(table: pa.Table, first: int, n: int, where: Path) -> None:
    """A shard must hold rows first .. first + n - 1, each once, in order."""
    ids = table.column("row_id").to_numpy()
    if len(ids) != n or not np.array_equal(ids, np.arange(first, first + n)):
        raise DataError(f"{where}: expected rows {first}..{first + n - 1}, found {len(ids)} rows")


def _probabilities(table: pa.Table, frames: Sequence[str], targets: Sequence[str]) -> Probabilities:
    labels = tuple(
        dict.fromkeys(c.split(":")[3] for c in table.column_names if c.startswith(STANCE_PREFIX))
    )
    frame_cols = [table.column(FRAME_PREFIX + f).to_numpy() for f in frames]
    return Probabilities(
        frames=np.stack(frame_cols, axis=1).astype(np.float32)
        if frames
        else np.zeros((table.num_rows, 0), np.float32),
        stance={
            t: np.stack(
                [table.column(f"{STANCE_PREFIX}{t}:{lab}").to_numpy() for lab in labels], axis=1
            ).astype(np.float32)
            for t in targets
        },
        frame_names=tuple(frames),
        stance_labels=labels,
    )


def read_scores(
    folder: Path, model_digest: str, examples: Sequence[Example], key: str = "scores"
) -> Probabilities:
    """The probabilities a complete scored folder holds for `examples` (matched by id, text
    checked), for `framing compare`; the folder must have been scored by the same model.

    Raises:
        ConfigError: the folder is not complete, was scored by another model, or lacks one of
            the sentences (the message names the config key `key`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    manifest = read_manifest(folder)
    if not manifest.get("complete"):
        raise ConfigError(f"{key}: {folder} is not complete; rerun `framing score` to finish it")
    if manifest["model"]["digest"] != model_digest:
        raise ConfigError(
            f"{key}: {folder} was scored by another model ({manifest['model']['path']}); "
            "score the corpus with this model or point `model` at that one"
        )
    files = [folder / SHARDS / name for name in sorted(manifest["shards"])]
    table = pa.concat_tables([pq.read_table(f) for f in files])
    frames = [c[len(FRAME_PREFIX) :] for c in table.column_names if c.startswith(FRAME_PREFIX)]
    targets = list(
        dict.fromkeys(c.split(":")[2] for c in table.column_names if c.startswith(STANCE_PREFIX))
    )
    position = {ident: i for i, ident in enumerate(table.column("id").to_pylist())}
    texts = table.column("text")
    rows = []
    for ex in examples:
        i = position.get(ex.id)
        if i is None or texts[i].as_py() != ex.text:
            what = "has no sentence" if i is None else "holds another text for the sentence"
            raise ConfigError(
                f"{key}: {folder} {what} '{ex.id}' of the corpus; score this corpus with "
                "`framing score` into a new folder"
            )
        rows.append(i)
    return _probabilities(table.take(pa.array(rows, pa.int64())), frames, targets)
