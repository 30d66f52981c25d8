"""Appending to the change feed so that sequence numbers grow in commit order, and reading it back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from harvester.store.models import EventRow

# Any constant will do, as long as every writer of events uses the same one ("lyev").
EVENT_LOCK_KEY = 0x6C79_6576


def append_events(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Insert change events (each a dict of EventRow columns) at the end of the feed.

    Readers page the feed with `seq > last seen`, so a seq must never become visible after a larger one.
    On PostgreSQL a sequence hands out numbers at INSERT time, not at COMMIT: a transaction that took seq 9
    could commit after another took 10 and committed, and a reader that already moved past 10 would never see
    9. The transaction-scoped advisory lock makes writers of events take turns from their first event until
    their commit, so seqs become visible in order. SQLite needs nothing: BEGIN IMMEDIATE (see db.py) already
    lets only one writer in at a time.
    """
    if not events:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOCK_KEY})
    session.execute(insert(EventRow), list(events))


def events_after(session: Session, seq: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` events with a seq greater than `seq`, oldest first, times as ISO 8601 UTC."""
    rows = session.scalars(select(EventRow).where(EventRow.seq > seq).order_by(EventRow.seq).limit(limit))
    return [
        {"seq": row.seq, "kind": row.kind, "platform": row.platform, "external_id": row.external_id,
         "run_id": row.run_id, "occurred_at": row.occurred_at.isoformat(), "payload": row.payload}
        for row in rows
    ]
