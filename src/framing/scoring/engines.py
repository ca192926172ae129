"""The two engines that turn staged input shards into scored shards: `local` (this process)
and `ray` (Ray Data: the staged row groups -> `map_batches` on an actor pool that reads and
scores them -> ordered batches back to this process).

Both run the same `BatchScorer` on the same staged shards and hand each finished shard to the
same `deliver` callback, which checks its rows and writes it: the engine decides only where the
model runs. With Ray the model is loaded once per actor; an actor that dies is restarted and
its batch retried (Ray Data's defaults for actor pools: unlimited restarts and retries), so a
lost worker costs time, not rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from framing.classifier import FramingClassifier
from framing.errors import ConfigError, FramingError
from framing.predictions import predictions_from
from framing.scoring.shards import FRAME_PREFIX, STANCE_PREFIX

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

ENGINES = ("local", "ray")


class BatchScorer:
    """Loads a model once and adds its predictions and probabilities to batches of sentences
    (Arrow tables with a `text` column); the unit of work of both engines."""

    def __init__(self, model: str, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size
        self.classifier = FramingClassifier.load(model)

    def __call__(self, table: pa.Table) -> pa.Table:
        import pyarrow as pa

        clf = self.classifier
        proba = clf.predict_proba(
            table.column("text").to_pylist(),
            batch_size=self.batch_size,
            on_other_language="ignore",
        )
        preds = predictions_from(proba, clf.thresholds)
        out = table.append_column(
            "frames", pa.array([p.frames for p in preds], pa.list_(pa.string()))
        )
        for target in proba.stance:
            labels = pa.array([p.stance[target] for p in preds], pa.string())
            out = out.append_column(f"stance:{target}", labels)
        for j, name in enumerate(proba.frame_names):
            out = out.append_column(FRAME_PREFIX + name, pa.array(proba.frames[:, j]))
        for target, p in proba.stance.items():
            for k, label in enumerate(proba.stance_labels):
                out = out.append_column(f"{STANCE_PREFIX}{target}:{label}", pa.array(p[:, k]))
        return out


class RowGroupScorer(BatchScorer):
    """A `BatchScorer` fed (path, row group) items of the staged shards: it reads the rows
    itself, so Ray moves only the items in and the scored rows out."""

    def __call__(self, table: pa.Table) -> pa.Table:
        import pyarrow as pa
        import pyarrow.parquet as pq

        paths, groups = table.column("path").to_pylist(), table.column("row_group").to_pylist()
        rows = [pq.ParquetFile(p).read_row_group(g) for p, g in zip(paths, groups, strict=True)]
        return super().__call__(pa.concat_tables(rows))


@dataclass(frozen=True)
class EngineOptions:
    """How to run: the engine, its workers (Ray actors) and CPUs per worker, the Ray address
    (None: a local Ray instance), rows per model call and sentences per model batch."""

    engine: str = "local"
    workers: int | None = None  # Ray actors; None: as many as the cluster's CPUs allow
    cpus_per_worker: float = 1.0
    address: str | None = None
    chunk_rows: int = 1024
    batch_size: int = 64


Deliver = Callable[[int, "pa.Table"], None]


def run_local(
    model: str,
    inputs: Sequence[tuple[int, Path]],
    options: EngineOptions,
    deliver: Deliver,
    bar: tqdm,
) -> None:
    """Score each staged shard in this process, `chunk_rows` rows per model call."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    scorer = BatchScorer(model, options.batch_size)
    for k, path in inputs:
        table = pq.read_table(path)
        parts = []
        for start in range(0, table.num_rows, options.chunk_rows):
            parts.append(scorer(table.slice(start, options.chunk_rows)))
            bar.update(parts[-1].num_rows)
        deliver(k, pa.concat_tables(parts))


def _start_ray(address: str | None) -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "--engine ray needs Ray: pip install 'framing[ray]' (or use --engine local)"
        ) from None
    if not ray.is_initialized():
        ray.init(
            address=address, include_dashboard=False, log_to_driver=False, configure_logging=False
        )
    return ray


def run_ray(
    model: str,
    inputs: Sequence[tuple[int, Path]],
    options: EngineOptions,
    deliver: Deliver,
    bar: tqdm,
    shard_rows: Callable[[int], int],
    shard_size: int,
) -> None:
    """Score the staged shards on a Ray Data actor pool and deliver each shard once all its
    rows are back (batches come back in order; a shard is complete when its count is)."""
    import pyarrow.parquet as pq

    ray = _start_ray(options.address)
    workers = options.workers or max(
        1, int(ray.cluster_resources().get("CPU", 1) // options.cpus_per_worker)
    )
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    # One item per row group of the staged shards (row groups are `chunk_rows` long), read by
    # the actor that scores it: read_parquet would join small files into one block and leave
    # all but one actor idle, and reader tasks that reserve a CPU wait on the actors.
    items = [
        {"path": str(path), "row_group": g}
        for _, path in inputs
        for g in range(pq.ParquetFile(path).num_row_groups)
    ]
    dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        RowGroupScorer,
        fn_constructor_kwargs={"model": model, "batch_size": options.batch_size},
        batch_size=None,
        batch_format="pyarrow",
        concurrency=workers,
        num_cpus=options.cpus_per_worker,
    )
    try:
        _collect(dataset, deliver, bar, shard_rows, shard_size)
    except ray.exceptions.RayError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FramingError(
            f"the Ray job failed ({type(exc).__name__}: {first}); the shards finished so far "
            "are kept: fix the cause and rerun the same command to resume"
        ) from exc


def _collect(
    dataset: Any, deliver: Deliver, bar: tqdm, shard_rows: Callable[[int], int], shard_size: int
) -> None:
    """Gather the scored batches into shards and deliver each one once it is whole."""
    import pyarrow as pa

    waiting: dict[int, list[pa.Table]] = {}
    for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        bar.update(batch.num_rows)
        for k, part in _by_shard(batch, shard_size):
            waiting.setdefault(k, []).append(part)
            if sum(t.num_rows for t in waiting[k]) >= shard_rows(k):
                deliver(k, pa.concat_tables(waiting.pop(k)).combine_chunks())
    for k, parts in waiting.items():  # incomplete shards: deliver's row check reports them
        deliver(k, pa.concat_tables(parts))


def _by_shard(batch: pa.Table, shard_size: int) -> list[tuple[int, pa.Table]]:
    """A batch cut where its rows pass from one shard to the next (Ray may join blocks of
    neighbouring input files into one batch)."""
    import numpy as np

    shard = batch.column("row_id").to_numpy() // shard_size
    cuts = [0, *(np.flatnonzero(np.diff(shard)) + 1).tolist(), batch.num_rows]
    return [(int(shard[a]), batch.slice(a, b - a)) for a, b in zip(cuts, cuts[1:]) if b > a]
