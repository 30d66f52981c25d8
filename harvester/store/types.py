"""Column types: a UTC datetime that refuses naive values and comes back aware on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from harvester.timeutil import NaiveDatetime


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC.

    PostgreSQL keeps it in `timestamptz`; SQLite has no time zones, so the UTC wall time is stored and UTC is
    attached again when read. A naive value raises `NaiveDatetime` before it reaches the database, because a
    naive time in this store could only be a guess about its zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected an aware datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetime(f"naive datetime {value!r} refused by the store; attach a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: stored as UTC wall time
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
