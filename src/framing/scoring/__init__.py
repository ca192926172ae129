"""`framing score`: stream a corpus through a model into resumable Parquet shards, on this
process or on Ray (see `job`), and read them back for `framing compare` (see `shards`)."""

from __future__ import annotations

from framing.scoring.engines import EngineOptions
from framing.scoring.job import ScoreResult, score

__all__ = ["EngineOptions", "ScoreResult", "score"]
