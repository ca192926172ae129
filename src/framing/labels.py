"""The label schema: which frames and stance targets exist, in a fixed order, with definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from framing.errors import ConfigError
from framing.files import read_yaml
from framing.readers import one_line

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")


@dataclass(frozen=True)
class LabelSchema:
    """Frames (multi-label) and stance targets (one label each); tuple order is the column order."""

    frames: tuple[str, ...]
    targets: tuple[str, ...]
    stance_labels: tuple[str, ...] = ("favor", "against", "none")
    name: str = "custom"
    definitions: dict[str, str] = field(default_factory=dict, compare=False)
    # Optional example phrases per frame; zero-shot scores sentences against them too.
    seeds: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        where = f"label schema {self.name!r}"
        if not self.frames and not self.targets:
            raise ConfigError(f"{where}: needs at least one frame or one target")
        for key, names in (
            ("frames", self.frames),
            ("targets", self.targets),
            ("stance_labels", self.stance_labels),
        ):
            _check_names(where, key, names)
        for label in self.stance_labels:
            if label != label.lower():
                raise ConfigError(
                    f"{where}: stance_labels: expected lowercase labels (data labels are "
                    f"lowercased), found {label!r}"
                )
        if self.targets and len(self.stance_labels) < 2:
            raise ConfigError(
                f"{where}: stance_labels needs at least 2 labels, got {list(self.stance_labels)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, as stored in a model folder's framing.json."""
        return {
            "name": self.name,
            "frames": list(self.frames),
            "targets": list(self.targets),
            "stance_labels": list(self.stance_labels),
            "definitions": dict(self.definitions),
            "seeds": {k: list(v) for k, v in self.seeds.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelSchema:
        """Inverse of `to_dict`."""
        name = str(data.get("name", "custom"))
        lists = {"frames": (), "targets": (), "stance_labels": ("favor", "against", "none")}
        for key, default in lists.items():
            _check_names(f"label schema {name!r}", key, data.get(key, default))
        return cls(
            frames=tuple(data.get("frames", ())),
            targets=tuple(data.get("targets", ())),
            stance_labels=tuple(data.get("stance_labels", ("favor", "against", "none"))),
            name=name,
            definitions=dict(data.get("definitions", {})),
            seeds={k: tuple(v) for k, v in (data.get("seeds") or {}).items()},
        )


def _check_names(where: str, key: str, names: Any) -> None:
    """Label names: a sequence of distinct, non-empty strings without outer whitespace."""
    if isinstance(names, (str, bytes)) or not isinstance(names, (tuple, list)):
        raise ConfigError(f"{where}: {key}: expected a list of names, found {names!r:.60}")
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            raise ConfigError(
                f"{where}: {key}: expected names as strings, found {type(name).__name__} {name!r}"
            )
        if not name.strip() or name != name.strip():
            raise ConfigError(
                f"{where}: {key}: expected a non-empty name without outer spaces, found {name!r}"
            )
        if name in seen:
            raise ConfigError(f"{where}: {key}: {name!r} appears twice; expected each name once")
        seen.add(name)


class _SchemaFile(BaseModel):
    """The YAML form: `frames` and `targets` map each name to its one-paragraph definition;
    optional `seeds` map a frame to example phrases (zero-shot scores sentences against them)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    frames: dict[str, str] = Field(default_factory=dict)
    targets: dict[str, str] = Field(default_factory=dict)
    stance_labels: list[str] = Field(default_factory=lambda: ["favor", "against", "none"])
    seeds: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _seeds_name_frames(self) -> _SchemaFile:
        unknown = [name for name in self.seeds if name not in self.frames]
        if unknown:
            raise ValueError(
                f"seeds: expected frame names ({', '.join(self.frames)}), found {unknown[0]!r}"
            )
        return self

    @field_validator("frames", "targets", "stance_labels", mode="before")
    @classmethod
    def _names_are_plain(cls, value: Any) -> Any:
        """Frame and target keys, and stance labels, must be plain names."""
        if isinstance(value, (dict, list)):
            for name in value:
                _check_plain(name)
        return value


def _check_plain(name: Any) -> None:
    if not isinstance(name, str):
        raise ValueError(f"expected label names as strings, found {type(name).__name__} {name!r}")
    if not _NAME.fullmatch(name) or name != name.strip():
        raise ValueError(
            f"label name {name!r} must be letters, digits, '_', '-', '.' or inner spaces"
        )


def format_validation_error(where: str, error: ValidationError) -> str:
    """One line naming each problem's dotted key, what was expected and what was found."""
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "missing":
            problems.append(f"{key}: required key is missing")
            continue
        found = item.get("input")
        shown = repr(found) if not isinstance(found, dict) else "a mapping"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        message = " ".join(str(item["msg"]).split())
        problems.append(f"{key}: {message} (got {shown})")
    return one_line(f"Invalid {where}: " + "; ".join(problems), limit=2000)


def load_schema(path: str | Path) -> LabelSchema:
    """Read a label schema YAML file (see configs/labels/geopolitics.yaml)."""
    path = Path(path)
    raw = read_yaml(path, what="label schema")
    try:
        parsed = _SchemaFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"label schema {path}", exc)) from None
    seeds = {k: tuple(v) for k, v in parsed.seeds.items()}
    definitions = {**parsed.frames, **{f"target:{k}": v for k, v in parsed.targets.items()}}
    try:
        return LabelSchema(
            frames=tuple(parsed.frames),
            targets=tuple(parsed.targets),
            stance_labels=tuple(parsed.stance_labels),
            name=parsed.name,
            definitions=definitions,
            seeds=seeds,
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def as_schema(value: Any) -> LabelSchema:
    """A LabelSchema as given, or read from a schema file path; anything else is refused."""
    if isinstance(value, LabelSchema):
        return value
    if isinstance(value, (str, Path)):
        return load_schema(value)
    raise ConfigError(
        f"schema must be a LabelSchema or a schema YAML path, got {type(value).__name__}"
    )
