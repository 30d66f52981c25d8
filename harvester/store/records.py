"""Rows as plain dicts for readers (CLI, exports, tests): aware UTC datetimes, JSON columns as lists/dicts."""

from __future__ import annotations

from typing import Any

from harvester.store.base import Base
from harvester.store.models import MessageRow, RunRow

_INTERNAL = frozenset({"id", "message_id"})


def columns(row: Base, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every column of `row` by name, except those in `skip`."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key not in skip}


def message_record(row: MessageRow) -> dict[str, Any]:
    """A stored message with its replies in page order; internal row ids left out."""
    record = columns(row, _INTERNAL)
    record["replies"] = [columns(reply, _INTERNAL) for reply in row.replies]
    return record


def run_record(row: RunRow, events: int) -> dict[str, Any]:
    """A run with its counters, its duration in seconds (None while running) and how many events it wrote."""
    record = columns(row)
    record["seconds"] = (row.finished_at - row.started_at).total_seconds() if row.finished_at else None
    record["events"] = events
    return record
