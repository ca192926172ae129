"""ISO dates of documents: the first and last day a (possibly partial) date stands for."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

_ISO = re.compile(r"\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|[T\s])")


def date_span(text: Any) -> tuple[date, date] | None:
    """The first and last day of an ISO date 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' (a time after it is
    ignored); None if `text` is not one."""
    if isinstance(text, date):
        return text, text
    match = _ISO.match(str(text))
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        first = date(year, month or 1, day or 1)
        after = date(year + (month or 12) // 12, (month or 12) % 12 + 1, 1)
    except ValueError:
        return None
    return first, first if day else after - timedelta(days=1)


def window_date(value: Any, end: bool) -> date | None:
    """A window bound: a date, or a partial ISO date read as its first (`end`: last) day.

    Raises:
        ValueError: not a date.
    """
    if value is None:
        return None
    span = date_span(value)
    if span is None:
        raise ValueError(f"expected a date YYYY-MM-DD (or YYYY, YYYY-MM), found {value!r:.40}")
    return span[1] if end else span[0]
