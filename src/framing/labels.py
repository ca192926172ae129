"""The label schema: which frames and stance targets exist, in a fixed order, with definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from framing.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")


@dataclass(frozen=True)
class LabelSchema:
    """Frames (multi-label) and stance targets (one label each); tuple order is the column order."""

    frames: tuple[str, ...]
    targets: tuple[str, ...]
    stance_labels: tuple[str, ...] = ("favor", "against", "none")
    name: str = "custom"
    definitions: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.frames and not self.targets:
            raise ConfigError(f"label schema {self.name!r}: needs at least one frame or one target")
        for kind, names in (("frame", self.frames), ("target", self.targets)):
            if len(set(names)) != len(names):
                raise ConfigError(f"label schema {self.name!r}: duplicate {kind} names in {names}")
        if self.targets and len(self.stance_labels) < 2:
            raise ConfigError(
                f"label schema {self.name!r}: stance_labels needs at least 2 labels, "
                f"got {list(self.stance_labels)}"
            )

    @property
    def none_label(self) -> str | None:
        """The label meaning 'no position', if the schema has one (excluded from F_avg)."""
        return "none" if "none" in self.stance_labels else None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, as stored in a model folder's framing.json."""
        return {
            "name": self.name,
            "frames": list(self.frames),
            "targets": list(self.targets),
            "stance_labels": list(self.stance_labels),
            "definitions": dict(self.definitions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelSchema:
        """Inverse of `to_dict`."""
        return cls(
            frames=tuple(data.get("frames", ())),
            targets=tuple(data.get("targets", ())),
            stance_labels=tuple(data.get("stance_labels", ("favor", "against", "none"))),
            name=str(data.get("name", "custom")),
            definitions=dict(data.get("definitions", {})),
        )


class _SchemaFile(BaseModel):
    """The YAML form: `frames` and `targets` map each name to its one-paragraph definition."""

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    frames: dict[str, str] = Field(default_factory=dict)
    targets: dict[str, str] = Field(default_factory=dict)
    stance_labels: list[str] = Field(default_factory=lambda: ["favor", "against", "none"])

    @field_validator("frames", "targets")
    @classmethod
    def _names_are_plain(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not _NAME.match(str(key)):
                raise ValueError(
                    f"label name {key!r} must be letters, digits, '_', '-', '.' or space"
                )
        return value


def format_validation_error(where: str, error: ValidationError) -> str:
    """One line per problem, each naming the dotted key, what was wrong and what was found."""
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        found = item.get("input")
        shown = repr(found) if not isinstance(found, dict) else "a mapping"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"{key}: {item['msg']} (got {shown})")
    if len(lines) == 1:
        return f"Invalid {where}: {lines[0]}"
    return "\n  ".join([f"Invalid {where}:", *lines])


def load_schema(path: str | Path) -> LabelSchema:
    """Read a label schema YAML file (see configs/labels/geopolitics.yaml)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"label schema file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'frames' and/or 'targets'")
    try:
        parsed = _SchemaFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"label schema {path}", exc)) from None
    definitions = {**parsed.frames, **{f"target:{k}": v for k, v in parsed.targets.items()}}
    try:
        return LabelSchema(
            frames=tuple(parsed.frames),
            targets=tuple(parsed.targets),
            stance_labels=tuple(parsed.stance_labels),
            name=parsed.name,
            definitions=definitions,
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
