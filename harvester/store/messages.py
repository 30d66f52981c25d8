"""Writing messages: batched upserts that report inserted / updated / unchanged, and withdrawals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from harvester.schema import Message, MessageWithdrawn
from harvester.store.changes import (
    SILENT_FIELDS,
    Change,
    diff,
    message_values,
    reply_identities,
    reply_values,
    stored_message,
    sync_replies,
)
from harvester.store.feed import append_events
from harvester.store.links import link_messages
from harvester.store.models import MessageRow, ReplyRow
from harvester.timeutil import require_aware
from harvester.vocab import Status

CHUNK = 500  # ids per IN (...) list, well below SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What storing one message did, and the feed events it wrote."""

    external_id: str
    outcome: Literal["inserted", "updated", "unchanged"]
    events: list[str] = field(default_factory=list)


def upsert_messages(session: Session, messages: Sequence[Message], run_id: int,
                    seen_at: datetime, link_copies: bool = False) -> list[UpsertResult]:
    """Store a batch: insert new messages, update changed ones with one event per kind of change, and only
    touch `last_seen_at` (and refresh views/likes) of unchanged ones. A message repeated in the batch
    counts once, as its last version.
    """
    require_aware(seen_at)
    batch = {(m.platform, m.external_id): m for m in messages}
    stored = load_messages(session, batch.keys())
    new_ids = _insert(session, [m for key, m in batch.items() if key not in stored], run_id, seen_at)
    pending: list[tuple[int, Message, Change]] = []
    unchanged: list[int] = []
    results = []
    for key, message in batch.items():
        row = stored.get(key)
        outcome: Literal["inserted", "updated", "unchanged"] = "inserted"
        if row is None:
            message_id = new_ids[key]
            changes = [Change("created", {"status": message.status.value, "replies": len(message.replies)})]
        else:
            message_id, changes = row.id, _update(row, message, run_id, seen_at)
            outcome = "updated" if changes else "unchanged"
            if not changes:
                unchanged.append(row.id)
        pending += [(message_id, message, change) for change in changes]
        results.append(UpsertResult(message.external_id, outcome, [c.kind for c in changes]))
    session.flush()
    _touch(session, unchanged, run_id, seen_at)
    _append(session, pending, run_id, seen_at)
    if not link_copies:
        return results
    # new and re-worded messages are sketched and linked to their copies (一稿多投), events after their own
    to_link = {message_id: message for message_id, message, change in pending
               if change.kind in ("created", "text_edited")}
    reworded = {message_id for message_id, _, change in pending if change.kind == "text_edited"}
    append_events(session, link_messages(session, list(to_link.items()), reworded, run_id, seen_at))
    return results


def load_messages(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], MessageRow]:
    """Stored rows (with replies) for (platform, external_id) keys: one query per platform and chunk."""
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in keys:
        by_platform.setdefault(platform, []).append(external_id)
    found: dict[tuple[str, str], MessageRow] = {}
    for platform, ids in by_platform.items():
        for start in range(0, len(ids), CHUNK):
            query = (select(MessageRow).options(selectinload(MessageRow.replies))
                     .where(MessageRow.platform == platform, MessageRow.external_id.in_(ids[start:start + CHUNK])))
            found.update({(platform, row.external_id): row for row in session.scalars(query)})
    return found


def _insert(session: Session, messages: list[Message], run_id: int,
            seen_at: datetime) -> dict[tuple[str, str], int]:
    """Insert new messages and their replies as bulk statements (no ORM objects); return their row ids."""
    if not messages:
        return {}
    provenance = {"first_seen_at": seen_at, "last_seen_at": seen_at, "last_changed_at": seen_at,
                  "first_run_id": run_id, "last_run_id": run_id}
    rows = [message_values(m) | provenance | {"content_hash": m.content_hash()} for m in messages]
    statement = insert(MessageRow).returning(MessageRow.id, sort_by_parameter_order=True)
    ids = list(session.scalars(statement, rows))
    replies = [reply_values(reply) | {"message_id": message_id, "identity": identity, "position": position}
               for message_id, message in zip(ids, messages, strict=True)
               for position, (identity, reply) in enumerate(zip(reply_identities(message.replies),
                                                                 message.replies, strict=True))]
    if replies:
        session.execute(insert(ReplyRow), replies)
    return {(m.platform, m.external_id): message_id for m, message_id in zip(messages, ids, strict=True)}


def _update(row: MessageRow, message: Message, run_id: int, seen_at: datetime) -> list[Change]:
    """Apply a harvested version to its row; return the changes (none: only silent fields refreshed).

    A handling unit once shown stays when a page that does not show it (a detail page, where the unit is on
    the list only) is read again; a different unit replaces it.
    """
    if message.handling_unit is None and row.handling_unit:
        message = replace(message, handling_unit=row.handling_unit)
    new_hash = message.content_hash()
    changes = diff(stored_message(row), message) if new_hash != row.content_hash else []
    values = message_values(message)
    if changes or new_hash != row.content_hash:  # the latter alone: only the hash recipe changed
        for name, value in values.items():
            setattr(row, name, value)
        sync_replies(row, message.replies)
        row.content_hash = new_hash
    else:
        for name in SILENT_FIELDS:
            if getattr(row, name) != values[name]:
                setattr(row, name, values[name])
    if changes:
        row.last_seen_at, row.last_changed_at, row.last_run_id = seen_at, seen_at, run_id
    return changes


def _touch(session: Session, row_ids: list[int], run_id: int, seen_at: datetime) -> None:
    """Mark unchanged messages as seen by this run, in one UPDATE per chunk."""
    for start in range(0, len(row_ids), CHUNK):
        session.execute(update(MessageRow).where(MessageRow.id.in_(row_ids[start:start + CHUNK]))
                        .values(last_seen_at=seen_at, last_run_id=run_id))


def _append(session: Session, pending: list[tuple[int, Message, Change]], run_id: int | None,
            at: datetime) -> None:
    append_events(session, [
        {"message_id": message_id, "platform": message.platform, "external_id": message.external_id,
         "kind": change.kind, "run_id": run_id, "occurred_at": at, "payload": change.payload}
        for message_id, message, change in pending])


def withdraw_message(session: Session, item: MessageWithdrawn, run_id: int) -> str:
    """Mark a message the platform no longer shows as hidden: "withdrawn", "unchanged" or "unknown"."""
    row = load_messages(session, [(item.platform, item.external_id)]).get((item.platform, item.external_id))
    if row is None:
        return "unknown"
    if row.status == Status.HIDDEN.value:
        return "unchanged"
    before = stored_message(row)
    # The hash follows the status, so the same content coming back public again reads as a change.
    hidden = replace(before, status=Status.HIDDEN)
    row.status, row.content_hash = Status.HIDDEN.value, hidden.content_hash()
    row.last_changed_at, row.last_run_id = item.seen_at, run_id
    payload = {"from": before.status.value, "to": Status.HIDDEN.value, "reason": item.reason}
    session.flush()
    _append(session, [(row.id, before, Change("hidden", payload))], run_id, item.seen_at)
    return "withdrawn"
