"""Aware time helpers: Asia/Shanghai at the edges, UTC in the store, never naive."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_LOCAL_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


class NaiveDatetime(ValueError):
    """Raised when a naive datetime tries to cross a module boundary."""


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def require_aware(value: datetime) -> datetime:
    """Return `value` unchanged if it carries a timezone; raise otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(f"naive datetime {value!r}")
    return value


def to_utc(value: datetime) -> datetime:
    """Aware datetime converted to UTC; naive values are rejected."""
    return require_aware(value).astimezone(UTC)


def to_shanghai(value: datetime) -> datetime:
    """Aware datetime shown in Asia/Shanghai."""
    return require_aware(value).astimezone(SHANGHAI)


def parse_local(text: str, formats: tuple[str, ...] = _LOCAL_FORMATS) -> datetime:
    """Parse a platform time written in Beijing time into an aware datetime.

    Tolerates the padding real pages have (non-breaking spaces, single-digit months like 2017-9-10).
    Raises ValueError naming the text when no format matches.
    """
    cleaned = re.sub(r"[\s\u00a0\u3000]+", " ", text).strip()
    for fmt in formats:
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    raise ValueError(f"unrecognised time {text!r}")


def from_unix(seconds: int | float | str) -> datetime:
    """Unix seconds (as platforms send them) to an aware UTC datetime."""
    return datetime.fromtimestamp(float(seconds), UTC)
