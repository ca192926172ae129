"""Opening a project: the database checked against its config, and the config's new draws made
(each sentence with its neighbours in the same document, and how it was selected).

Draws are append-only: a draw made once is stored with its settings; adding a draw to the config
(say an `uncertainty` round after training on the first labels) draws only that one, and changing
or removing a stored draw is an error, so the database always says how every item was chosen.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from framing.annotate.project import (
    AnnotateConfig,
    DisagreementDraw,
    KeywordDraw,
    RandomDraw,
    SimilarityDraw,
    UncertaintyDraw,
    draw_settings,
)
from framing.annotate.sampling import (
    Picked,
    active_selection,
    disagreement,
    draw_keywords,
    draw_random,
    margins,
    tfidf_similarity,
    top,
)
from framing.annotate.store import Item, Store
from framing.classifier import FramingClassifier
from framing.data import Example, example_to_dict, read_examples
from framing.errors import ConfigError
from framing.labels import LabelSchema, load_schema
from framing.models.bases import resolve_base
from framing.models.encoder import SentenceEncoder
from framing.readers import iter_records

logger = logging.getLogger(__name__)

# Fields of a corpus record that would be mistaken for this project's labels in the export.
_LABEL_FIELDS = (
    "frames",
    "stance",
    "soft",
    "selection",
    "adjudicated",
    "flag",
    "note",
    "annotators",
)


def open_project(config: AnnotateConfig) -> tuple[Store, LabelSchema]:
    """Open (or create) the project's database and make the config's draws not yet made.

    Raises:
        ConfigError: the schema differs from the one the database was built with, or a stored
            draw was changed or removed in the config.
        DataError: the corpus or the context file is invalid.
    """
    schema = load_schema(config.schema_)
    store = Store(config.database_path)
    try:
        _check_schema(store, schema, config)
        done = store.meta("draws") or []
        _check_draws(done, config)
        if len(done) < len(config.draws):
            _make_draws(store, config, first=len(done))
    except BaseException:
        store.close()
        raise
    return store, schema


def read_project(config: AnnotateConfig) -> tuple[Store, LabelSchema]:
    """Open an existing project database as it is, drawing nothing (for agreement and export).

    Raises:
        ConfigError: there is no database yet, or it was built with another schema.
    """
    if not config.database_path.is_file():
        raise ConfigError(
            f"database: {config.database_path} does not exist yet; start the project with "
            "framing annotate first"
        )
    schema = load_schema(config.schema_)
    store = Store(config.database_path)
    try:
        _check_schema(store, schema, config)
    except BaseException:
        store.close()
        raise
    return store, schema


def _check_schema(store: Store, schema: LabelSchema, config: AnnotateConfig) -> None:
    stored = store.meta("schema")
    if stored is None:
        store.set_meta("schema", schema.to_dict())
        store.set_meta("name", config.name)
    elif LabelSchema.from_dict(stored) != schema:
        raise ConfigError(
            f"schema: {config.schema_} differs from the schema database {config.database_path} "
            "was built with; use that schema again, or a new `database:` path"
        )


def _check_draws(done: list[dict[str, Any]], config: AnnotateConfig) -> None:
    if len(done) > len(config.draws):
        raise ConfigError(
            f"draws: the database {config.database_path} holds {len(done)} draws but the config "
            f"lists {len(config.draws)}; draws are append-only (restore the removed ones)"
        )
    for index, stored in enumerate(done):
        if draw_settings(config.draws[index]) != stored:
            raise ConfigError(
                f"draws.{index}: differs from the draw stored in {config.database_path} "
                f"({stored}); draws are append-only: restore it and add a new draw at the end"
            )


def _make_draws(store: Store, config: AnnotateConfig, first: int) -> None:
    pool = read_examples(config.corpus, None, config.fields or None)
    drawn = {item.id for item in store.items()}
    for index in range(first, len(config.draws)):
        draw = config.draws[index]
        candidates = [ex for ex in pool if ex.id not in drawn]
        picked = pick(draw, [ex.text for ex in candidates], f"draws.{index}")
        chosen = [(candidates[i], selection) for i, selection in picked]
        items = with_context([ex for ex, _ in chosen], [s for _, s in chosen], config)
        store.add_items(items, index, draw_settings(draw))
        drawn.update(item.id for item in items)
        if len(items) < draw.n:
            logger.warning("draws.%d: %d of %d sentences found", index, len(items), draw.n)


def pick(draw: BaseModel, texts: Sequence[str], where: str) -> Picked:
    """Positions into `texts` chosen by one draw, each with its selection tag."""
    if isinstance(draw, RandomDraw):
        return draw_random(len(texts), draw.n, draw.seed)
    if isinstance(draw, KeywordDraw):
        return draw_keywords(texts, draw.n, draw.keywords, draw.seed)
    if isinstance(draw, SimilarityDraw):
        if draw.embedding == "tfidf":
            scores = tfidf_similarity(texts, draw.description)
            return top(scores, draw.n, f"enriched:similarity:{draw.name}")
        encoder = SentenceEncoder(resolve_base("default"))
        vectors = encoder.encode([*texts, draw.description])
        return top(vectors[:-1] @ vectors[-1], draw.n, f"enriched:embedding:{draw.name}")
    if isinstance(draw, UncertaintyDraw):
        clf = _load_model(draw.model, f"{where}.model")
        scores = margins(clf.predict_proba(list(texts)), clf.thresholds, draw.labels, where)
        return top(scores, draw.n, active_selection("uncertainty", draw.labels))
    if isinstance(draw, DisagreementDraw):
        models = [_load_model(m, f"{where}.models.{i}") for i, m in enumerate(draw.models)]
        probas = [clf.predict_proba(list(texts)) for clf in models]
        scores = disagreement(probas, draw.labels, where)
        return top(scores, draw.n, active_selection("disagreement", draw.labels))
    raise ConfigError(f"{where}: unknown draw method")  # pydantic admits no other


def _load_model(path: Path, where: str) -> FramingClassifier:
    if not path.is_dir():
        raise ConfigError(f"{where}: model folder not found: {path}")
    return FramingClassifier.load(path)


def _neighbours(config: AnnotateConfig, docs: set[str]) -> dict[str, list[tuple[str, str]]]:
    """(id, text) of every sentence of `docs` in the context file (or the corpus), in file order."""
    path = config.context or config.corpus
    fields = None if config.context else (config.fields or None)
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for _, record in iter_records(path, fields):
        doc = str(record.get("doc_id") or record.get("id"))
        if doc in docs:
            out[doc].append((str(record.get("id")), str(record.get("text", ""))))
    return out


def with_context(
    examples: Sequence[Example], selections: Sequence[str], config: AnnotateConfig
) -> list[Item]:
    """Items for drawn examples: their record without labels, selection and neighbours."""
    docs = _neighbours(config, {ex.document for ex in examples}) if examples else {}
    size = config.context_size
    items = []
    for ex, selection in zip(examples, selections):
        sentences = docs.get(ex.document, [])
        ids = [ident for ident, _ in sentences]
        at = ids.index(ex.id) if ex.id in ids else None
        before = [t for _, t in sentences[max(0, at - size) : at]] if at is not None else []
        after = [t for _, t in sentences[at + 1 : at + 1 + size]] if at is not None else []
        record = {k: v for k, v in example_to_dict(ex).items() if k not in _LABEL_FIELDS}
        items.append(Item(0, ex.id, record, selection, before, after))
    return items
