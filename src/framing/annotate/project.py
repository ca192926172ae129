"""An annotation project's config: which corpus, which schema, which draws fill the database.

Every key is checked by pydantic; an unknown or misspelled key is an error naming it (see
configs/annotate/example.yaml for every key with a comment).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from framing.config import apply_overrides
from framing.errors import ConfigError
from framing.files import read_yaml
from framing.labels import format_validation_error

_STRICT = ConfigDict(extra="forbid", frozen=True)
ANNOTATOR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,39}$")
_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"
Count = Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)]


class RandomDraw(BaseModel):
    """A uniform random sample of the sentences not drawn yet (what a gold sample needs)."""

    model_config = _STRICT

    method: Literal["random"]
    n: Count
    seed: Seed = 0


class KeywordDraw(BaseModel):
    """A random sample of the sentences that contain one of `keywords` (whole words, any case)."""

    model_config = _STRICT

    method: Literal["keywords"]
    n: Count
    keywords: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    seed: Seed = 0


class SimilarityDraw(BaseModel):
    """The `n` sentences most similar to `description` (TF-IDF cosine, or the packaged encoder)."""

    model_config = _STRICT

    method: Literal["similarity"]
    n: Count
    description: str = Field(min_length=1)
    name: str = Field("description", pattern=_NAME)
    embedding: Literal["tfidf", "encoder"] = "tfidf"


class UncertaintyDraw(BaseModel):
    """The `n` sentences a trained model is least sure about (mean label entropy)."""

    model_config = _STRICT

    method: Literal["uncertainty"]
    n: Count
    model: Path
    labels: list[str] | None = None


class DisagreementDraw(BaseModel):
    """The `n` sentences two or more trained models disagree on most (query by committee)."""

    model_config = _STRICT

    method: Literal["disagreement"]
    n: Count
    models: list[Path] = Field(min_length=2)
    labels: list[str] | None = None


Draw = Annotated[
    RandomDraw | KeywordDraw | SimilarityDraw | UncertaintyDraw | DisagreementDraw,
    Field(discriminator="method"),
]


class AnnotateConfig(BaseModel):
    """A `framing annotate` project (see configs/annotate/example.yaml for every key)."""

    model_config = _STRICT

    name: str = Field(pattern=_NAME)
    schema_: Path = Field(alias="schema")
    corpus: Path
    fields: dict[str, str] = Field(default_factory=dict)
    context: Path | None = None
    context_size: int = Field(2, ge=0, le=10, strict=True)
    database: Path | None = None
    annotators: list[str] = Field(default_factory=list)
    draws: list[Draw] = Field(min_length=1)

    @field_validator("annotators")
    @classmethod
    def _plain_annotators(cls, value: list[str]) -> list[str]:
        for name in value:
            if not ANNOTATOR_NAME.fullmatch(name):
                raise ValueError(
                    f"annotator {name!r}: expected letters, digits, '_', '-' or '.' (≤ 40)"
                )
        if len(set(value)) != len(value):
            raise ValueError("each annotator name once")
        return value

    @property
    def database_path(self) -> Path:
        """The SQLite file: `database`, or annotations/<name>.sqlite."""
        return self.database or Path("annotations") / f"{self.name}.sqlite"


def draw_settings(draw: BaseModel) -> dict[str, Any]:
    """A draw as plain JSON data (paths as strings), stored with the items it drew."""
    return draw.model_dump(mode="json")


def load_annotate_config(path: str | Path, overrides: Sequence[str] = ()) -> AnnotateConfig:
    """Read an annotation project YAML, merge `key=value` overrides, and check it.

    Raises:
        ConfigError: naming the file and every bad dotted key.
    """
    raw = apply_overrides(read_yaml(path, what="annotation project"), overrides)
    try:
        return AnnotateConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"annotation project {path}", exc)) from None
