"""Reading a comparison's settings: the compare config and the groups file it names.

The pydantic models themselves live in `framing.config` (`CompareConfig`, `GroupsFile`); this
module reads the YAML, merges overrides, and adds the checks that span several keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from framing.config import CompareConfig, GroupsFile, apply_overrides
from framing.errors import ConfigError
from framing.files import read_yaml
from framing.labels import format_validation_error


def load_compare_config(path: str | Path, overrides: Sequence[str] = ()) -> CompareConfig:
    """Read a compare config YAML, merge `key.path=value` overrides, and check it.

    Raises:
        ConfigError: naming the file and every bad dotted key.
    """
    raw = apply_overrides(read_yaml(path), overrides)
    try:
        config = CompareConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"compare config {path}", exc)) from None
    if config.headline == "design" and config.gold_sample is None:
        raise ConfigError(
            f"Invalid compare config {path}:\n  headline: 'design' needs a gold_sample "
            "(a gold-labelled random sample of the corpus); set gold_sample or use 'corrected'"
        )
    if config.headline == "corrected" and config.dev is None:
        raise ConfigError(
            f"Invalid compare config {path}:\n  headline: 'corrected' needs a labelled dev set; "
            "set dev or use 'naive'"
        )
    return config


@dataclass(frozen=True)
class Grouping:
    """Sources grouped into named groups; `key` is the corpus field the members are written in."""

    name: str
    key: str
    members: dict[str, str]
    order: tuple[str, ...]
    default: str | None = None
    path: Path | None = None

    def group_of(self, value: str) -> str | None:
        """The group of a source whose `key` field is `value` (None: in no group)."""
        return self.members.get(value, self.default)


def load_groups(path: str | Path) -> Grouping:
    """Read a groups YAML file (see configs/groups/un_blocs.yaml).

    Raises:
        ConfigError: the file is invalid or lists one member in two groups.
    """
    raw = read_yaml(path, what="groups")
    try:
        parsed = GroupsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"groups file {path}", exc)) from None
    members: dict[str, str] = {}
    for group, names in parsed.groups.items():
        for member in names:
            member = str(member)
            if member in members and members[member] != group:
                raise ConfigError(
                    f"groups file {path}: '{member}' is in both '{members[member]}' and "
                    f"'{group}'; put it in one group"
                )
            members[member] = group
    order = tuple(parsed.groups) + (
        (parsed.default,) if parsed.default and parsed.default not in parsed.groups else ()
    )
    return Grouping(parsed.name, parsed.key, members, order, parsed.default, Path(path))
