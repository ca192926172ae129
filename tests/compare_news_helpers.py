"""Shared pieces of the news-comparison tests: the fixture corpus and a keyword model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from framing.labels import LabelSchema
from framing.predictions import Probabilities

NEWS = Path(__file__).parent / "data" / "news"
ARTICLES = NEWS / "articles.jsonl"
FOLDER = NEWS / "folder"
BLOCS = NEWS / "blocs.yaml"
SCHEMA = LabelSchema(frames=("threat", "pressure"), targets=("west",), name="tiny")
OUTLETS = {"Global Wire", "Daily Ledger", "Eastern Herald", "Southern Post"}


class KeywordModel:
    """A 'classifier' keyed on words, with the FramingClassifier surface compare() uses."""

    schema = SCHEMA
    thresholds = {"threat": 0.5, "pressure": 0.5}
    kind = "keyword"

    def predict_proba(
        self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False
    ) -> Probabilities:
        low = [t.lower() for t in texts]
        frames = np.array(
            [[0.9 if "missile" in t else 0.2, 0.8 if "sanction" in t else 0.1] for t in low]
        ).reshape(len(texts), 2)
        west = np.array([[0.7, 0.2, 0.1] if "friends" in t else [0.1, 0.3, 0.6] for t in low])
        return Probabilities(
            frames=frames,
            stance={"west": west.reshape(len(texts), 3)},
            frame_names=SCHEMA.frames,
            stance_labels=SCHEMA.stance_labels,
        )


def news_config(tmp: Path, corpus: Path, extra: str = "") -> Path:
    """A compare config over a news corpus (whole articles), written to tmp/compare.yaml."""
    path = tmp / "compare.yaml"
    path.write_text(
        f"name: news\nmodel: {tmp / 'no-model'}\ncorpus: {corpus}\nsegment: true\n"
        f"groups: {BLOCS}\nfacets: [country, bloc]\nbootstrap: {{n: 50, seed: 1}}\n"
        f"cache_dir: null\n{extra}",
        encoding="utf-8",
    )
    return path
