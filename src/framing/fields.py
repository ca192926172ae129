"""Field types the config models share: numbers that refuse YAML booleans, a `C` grid, names."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

STRICT = ConfigDict(extra="forbid", frozen=True)
PLAIN_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"  # names that become folder names or columns


def _no_bool(value: Any) -> Any:
    """Refuse a YAML boolean where a number belongs (pydantic would read `true` as 1)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found the boolean {str(value).lower()}")
    return value


def _c_grid(value: Any) -> float | list[float]:
    """`C`: one positive number or a non-empty list of them (a grid chosen on dev)."""
    expected = "expected a positive number or a non-empty list of positive numbers"
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError(f"{expected}, found an empty list")
    numbers = []
    for item in items:
        if isinstance(item, bool):
            raise ValueError(f"{expected}, found the boolean {str(item).lower()}")
        try:
            number = float(item)
        except (TypeError, ValueError):
            raise ValueError(f"{expected}, found {item!r:.40}") from None
        if not math.isfinite(number) or number <= 0:
            raise ValueError(f"{expected}, found {item!r:.40}")
        numbers.append(number)
    return numbers if isinstance(value, list) else numbers[0]


def _files(value: Any) -> Any:
    """A data key: one file path or a non-empty list of them."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, (str, Path)) and str(v).strip() for v in items):
        raise ValueError(
            f"expected a file path or a non-empty list of file paths, found {value!r:.60}"
        )
    return value


Int = Annotated[int, BeforeValidator(_no_bool)]
Float = Annotated[float, BeforeValidator(_no_bool)]
Seed = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=2**32 - 1)]
CGrid = Annotated[float | list[float], BeforeValidator(_c_grid)]
Files = Annotated[Path | list[Path], BeforeValidator(_files)]
