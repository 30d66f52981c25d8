"""Confirmation: a harvest that sees a posted reply on its message marks it verified; unseen ones are listed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harvester.schema import Message, Reply
from harvester.store.models import RunRow
from harvester.store.outbox.approval import comparable
from harvester.store.outbox.models import OutboxRow
from harvester.store.outbox.records import record
from harvester.store.outbox.states import AWAITING_CONFIRMATION, State
from harvester.store.outbox.views import ReplyView, reply_view

CHUNK = 500
WAITING = [state.value for state in AWAITING_CONFIRMATION]


def matches(row: OutboxRow, reply: Reply) -> bool:
    """The harvested reply is ours: the platform's id we were given, or the same unit and the same text."""
    if not reply.official:
        return False
    if row.platform_reply_id and reply.external_id:
        return row.platform_reply_id == reply.external_id
    return comparable(reply.organisation) == comparable(row.organisation) and comparable(reply.text) == comparable(
        row.text)


def confirm_posted_replies(session: Session, messages: Sequence[Message], run_id: int | None,
                           seen_at: datetime) -> int:
    """Mark verified every posted reply whose message in this batch shows it; returns how many.

    Runs in the harvest's transaction (the store pipeline calls it after upserting the batch).
    """
    batch = {(m.platform, m.external_id): m for m in messages}
    verified = 0
    for platform in {platform for platform, _ in batch}:
        ids = [external_id for p, external_id in batch if p == platform]
        for start in range(0, len(ids), CHUNK):
            query = select(OutboxRow).where(OutboxRow.platform == platform, OutboxRow.state.in_(WAITING),
                                            OutboxRow.external_id.in_(ids[start:start + CHUNK]))
            for row in session.scalars(query):
                verified += _confirm(session, row, batch[(platform, row.external_id)], run_id, seen_at)
    return verified


def _confirm(session: Session, row: OutboxRow, message: Message, run_id: int | None, seen_at: datetime) -> int:
    seen = next((reply for reply in message.replies if matches(row, reply)), None)
    if seen is None:
        return 0
    record(session, row, State.VERIFIED, f"harvest run {run_id}", f"seen on the platform at {message.url}",
           verified_at=seen_at, verified_run_id=run_id, platform_reply_id=row.platform_reply_id or seen.external_id)
    return 1


@dataclass(frozen=True, slots=True)
class Unverified:
    """A posted reply that successful harvests of its platform have not seen yet."""

    reply: ReplyView
    runs_since: int


def unverified(session: Session, after_runs: int) -> list[Unverified]:
    """Posted replies not seen by `after_runs` or more successful harvests of their platform since posting."""
    found = []
    for row in session.scalars(select(OutboxRow).where(OutboxRow.state.in_(WAITING)).order_by(OutboxRow.id)):
        since = row.posted_at or row.updated_at
        runs = session.scalar(select(func.count(RunRow.id)).where(
            RunRow.platform == row.platform, RunRow.outcome == "succeeded", RunRow.started_at > since)) or 0
        if runs >= after_runs:
            found.append(Unverified(reply_view(row), runs))
    return found
