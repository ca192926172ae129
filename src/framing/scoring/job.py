"""The `score` job: stream a corpus through a model into Parquet shards, resumably.

Read top to bottom: check the model and options, open (or resume) the scored folder, stage the
corpus as input shards (each shard a fixed row range), score the shards that are not done yet
with the chosen engine, check that every row is in exactly once, mark the folder complete.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from framing import __version__
from framing.data import Example
from framing.errors import ConfigError, DataError
from framing.files import check_writable, locked
from framing.languages import detect_languages, other_languages
from framing.modelfolder import read_index
from framing.pretrained import resolve_model
from framing.scoring.engines import ENGINES, EngineOptions, run_local, run_ray
from framing.scoring.shards import (
    INPUT,
    MANIFEST,
    SHARDS,
    check_rows,
    intact,
    model_digest,
    new_manifest,
    read_manifest,
    remove_partials,
    save_manifest,
    sentence_table,
    shard_name,
    write_table,
)
from framing.scoring.sources import corpus_digest, iter_sentences

logger = logging.getLogger(__name__)

LANGUAGE_SAMPLE = 2000  # sentences whose language is checked against the model's


@dataclass(frozen=True)
class ScoreResult:
    """What a `score` run did: the folder, rows in all, shards, rows scored by this run (0 when
    the folder was already complete), and seconds in all and spent scoring (after reading)."""

    output: Path
    n_rows: int
    n_shards: int
    n_scored: int
    seconds: float
    scoring_seconds: float = 0.0


def _check_options(shard_size: int, options: EngineOptions) -> None:
    if options.engine not in ENGINES:
        raise ConfigError(f"--engine {options.engine!r}: expected one of {', '.join(ENGINES)}")
    for name, value in (
        ("--shard-size", shard_size),
        ("--workers", options.workers or 1),
        ("--batch-size", options.batch_size),
        ("--chunk-rows", options.chunk_rows),
    ):
        if value < 1:
            raise ConfigError(f"{name} {value}: expected a positive integer")
    if options.cpus_per_worker <= 0:
        raise ConfigError(f"--cpus-per-worker {options.cpus_per_worker}: expected more than 0")


def _open_folder(output: Path, identity: Mapping[str, Any], shard_size: int) -> dict[str, Any]:
    """The manifest of `output`: a new one for a new (or empty) folder, the saved one to resume
    a folder scored from the same model, corpus and shard size."""
    if output.exists() and not output.is_dir():
        raise ConfigError(f"--output {output} is a file; expected a folder")
    if not (output / MANIFEST).is_file():
        if output.exists() and any(output.iterdir()):
            raise ConfigError(
                f"--output {output} exists and is not a scored folder; choose a new folder"
            )
        check_writable(output)
        output.mkdir(parents=True, exist_ok=True)
        return new_manifest(identity, shard_size)
    manifest = read_manifest(output)
    checks = {
        "model": (manifest["model"]["digest"], identity["model"]["digest"]),
        "corpus (or reading options)": (manifest["corpus"]["digest"], identity["corpus"]["digest"]),
        "shard size": (manifest["shard_size"], shard_size),
    }
    for what, (there, now) in checks.items():
        if there != now:
            raise ConfigError(
                f"--output {output} holds scores of another {what}; score into a new folder "
                "(or rerun with the model, corpus and --shard-size it was started with)"
            )
    logger.info("Resuming %s: %d shards done", output, len(manifest["shards"]))
    return manifest


def _identity(
    folder: Path, corpus: Path, fields: Mapping[str, str], segment: bool
) -> dict[str, Any]:
    """What a scored folder's rows depend on: the model and the corpus with its reading options."""
    return {
        "framing_version": __version__,
        "model": {
            "path": str(folder),
            "digest": model_digest(folder),
            "languages": read_index(folder).get("languages") or [],
        },
        "corpus": {
            "path": str(corpus),
            "digest": corpus_digest(corpus, fields, segment),
            "fields": dict(fields),
            "segment": segment,
        },
    }


def _shards_of(sentences: Iterator[Example], shard_size: int) -> Iterator[list[Example]]:
    shard: list[Example] = []
    for ex in sentences:
        shard.append(ex)
        if len(shard) == shard_size:
            yield shard
            shard = []
    if shard:
        yield shard


def _stage(
    corpus: Path,
    fields: Mapping[str, str],
    segment: bool,
    output: Path,
    manifest: dict[str, Any],
    show_progress: bool,
    chunk_rows: int,
) -> tuple[int, list[int]]:
    """Read the corpus once; write the input shard of every shard not scored yet. Returns the
    number of rows and the shards left to score."""
    size, n, todo = int(manifest["shard_size"]), 0, []
    sentences = iter_sentences(corpus, fields, segment)
    sample: list[str] = []
    with tqdm(desc="reading", unit="sent", disable=not show_progress) as bar:
        for k, shard in enumerate(_shards_of(sentences, size)):
            _keep_sample(sample, shard, n)
            n += len(shard)
            bar.update(len(shard))
            if intact(output, manifest, SHARDS, k):
                continue
            todo.append(k)
            if not intact(output, manifest, INPUT, k):
                table = sentence_table(shard, k * size)
                digest = write_table(output / INPUT / shard_name(k), table, chunk_rows)
                manifest[INPUT][shard_name(k)] = {
                    "rows": [k * size, k * size + len(shard)],
                    "sha256": digest,
                }
                save_manifest(output, manifest)
    if n == 0:
        raise DataError(f"corpus {corpus}: no sentences to score")
    _check_languages(sample, manifest["model"].get("languages") or [])
    return n, todo


def _keep_sample(sample: list[str], shard: list[Example], seen: int) -> None:
    """Reservoir sampling: `sample` stays a uniform random sample of the texts read so far."""
    rng = random.Random(seen)
    for i, ex in enumerate(shard, start=seen):
        if len(sample) < LANGUAGE_SAMPLE:
            sample.append(ex.text)
        elif (j := rng.randrange(i + 1)) < LANGUAGE_SAMPLE:
            sample[j] = ex.text


def _check_languages(sample: list[str], trained: list[str]) -> None:
    """One warning when a random sample of the corpus has texts in languages the model was not
    trained for (detecting every sentence would cost more than a fast model's scoring)."""
    others = other_languages(detect_languages(sample), trained)
    if others:
        found = ", ".join(f"{lang} {count}" for lang, count in others.most_common())
        warnings.warn(
            f"{sum(others.values())} of a random sample of {len(sample)} sentences are in "
            f"languages this model was not trained for ({found}; trained for "
            f"{', '.join(trained)}); its predictions there are not validated",
            UserWarning,
            stacklevel=4,
        )


def _deliverer(output: Path, manifest: dict[str, Any], n: int) -> Any:
    """The callback engines hand finished shards to: check the rows, write, record."""
    size = int(manifest["shard_size"])

    def deliver(k: int, table: Any) -> None:
        first, rows = k * size, min(size, n - k * size)
        path = output / SHARDS / shard_name(k)
        check_rows(table, first, rows, path)
        digest = write_table(path, table)
        manifest[SHARDS][shard_name(k)] = {"rows": [first, first + rows], "sha256": digest}
        save_manifest(output, manifest)

    return deliver


def _finish(output: Path, manifest: dict[str, Any], n: int) -> int:
    """Check that the shards hold rows 0..n-1 once each; mark the folder complete."""
    size = int(manifest["shard_size"])
    n_shards = -(-n // size)
    missing = [k for k in range(n_shards) if not intact(output, manifest, SHARDS, k)]
    covered = sum(entry["rows"][1] - entry["rows"][0] for entry in manifest[SHARDS].values())
    if missing or covered != n or len(manifest[SHARDS]) != n_shards:
        raise DataError(
            f"{output}: {len(missing)} shards missing and {covered} of {n} rows scored; "
            "rerun the same command to finish"
        )
    manifest.update(n_rows=n, complete=True, input={})
    save_manifest(output, manifest)
    shutil.rmtree(output / INPUT, ignore_errors=True)
    return n_shards


def score(
    corpus: str | Path,
    model: str | Path,
    output: str | Path,
    *,
    fields: Mapping[str, str] | None = None,
    segment: bool = False,
    shard_size: int = 50_000,
    options: EngineOptions | None = None,
    show_progress: bool = False,
) -> ScoreResult:
    """Score every sentence of `corpus` with `model` into Parquet shards under `output`.

    Rerunning the same call after an interruption (even kill -9) resumes: finished shards whose
    bytes match the manifest are kept, every other shard is scored again, and each row ends up
    in exactly one shard. See `framing.scoring.shards` for the folder's layout.

    Raises:
        ConfigError: a bad option, a missing model or corpus, or an `output` folder that holds
            something else (another model's or corpus's scores, or other files).
        DataError: an invalid corpus record (named by file, line and field).
    """
    started = time.perf_counter()
    options = options or EngineOptions()
    _check_options(shard_size, options)
    corpus, output = Path(corpus), Path(output)
    folder = resolve_model(model)
    if not corpus.exists():
        raise ConfigError(f"corpus not found: {corpus}")
    identity = _identity(folder, corpus, fields or {}, segment)
    manifest = _open_folder(output, identity, shard_size)
    with locked(output / "scoring"):
        remove_partials(output)
        n, todo = _stage(
            corpus, fields or {}, segment, output, manifest, show_progress, options.chunk_rows
        )
        manifest.update(complete=False)
        inputs = [(k, output / INPUT / shard_name(k)) for k in todo]
        scored = sum(min(shard_size, n - k * shard_size) for k in todo)
        scoring_started = time.perf_counter()
        deliver = _deliverer(output, manifest, n)
        with tqdm(total=scored, desc="scoring", unit="sent", disable=not show_progress) as bar:
            if options.engine == "ray" and inputs:
                run_ray(
                    str(folder),
                    inputs,
                    options,
                    deliver,
                    bar,
                    lambda k: min(shard_size, n - k * shard_size),
                    shard_size,
                )
            elif inputs:
                run_local(str(folder), inputs, options, deliver, bar)
        scoring_s = time.perf_counter() - scoring_started
        n_shards = _finish(output, manifest, n)
    return ScoreResult(output, n, n_shards, scored, time.perf_counter() - started, scoring_s)
