"""Which stored messages a harvest reads again: those with a reply awaiting confirmation, then open ones due."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from harvester.store.models import MessageRow
from harvester.store.outbox.models import OutboxRow
from harvester.timeutil import require_aware, utcnow

# Outbox states of a reply the platform took but no harvest has seen yet; the same as
# harvester.store.outbox.states.AWAITING_CONFIRMATION (the store cannot import the replies package: it imports us).
AWAITING_CONFIRMATION = ("posted", "posted_pending_moderation")
LOOKAHEAD = 4  # candidates read per chunk, as a multiple of the limit


@dataclass(frozen=True, slots=True)
class RecheckTarget:
    """A stored message to fetch again: open and due, or carrying a posted reply to confirm."""

    external_id: str
    url: str
    last_seen_at: datetime
    last_changed_at: datetime
    board_id: str
    awaiting_reply: bool = False  # a posted reply waits for a harvest to see it: read whatever else holds


@dataclass(frozen=True, slots=True)
class RecheckQueue:
    """What one harvest re-reads, and how many due messages it leaves for a later one.

    `deferred` counts the due messages met beyond the limit in the candidates read, so it is a lower bound.
    """

    targets: list[RecheckTarget]
    deferred: int = 0

    @property
    def awaiting_reply(self) -> int:
        return sum(target.awaiting_reply for target in self.targets)


def revisit_due(last_seen: datetime, last_changed: datetime, now: datetime, backoff: float) -> bool:
    """A message quiet for Q since its last change is due once it has not been seen for Q / backoff."""
    return backoff <= 0 or (now - last_seen) * backoff >= (now - last_changed)


COLUMNS = (MessageRow.external_id, MessageRow.url, MessageRow.last_seen_at, MessageRow.last_changed_at,
           MessageRow.board_id)


def awaiting_reply(session: Session, platform: str) -> list[RecheckTarget]:
    """The platform's messages with a reply in `posted` or `posted_pending_moderation`, least recently seen
    first, whatever their status, last sighting or quiet time."""
    waiting = exists().where(OutboxRow.message_id == MessageRow.id, OutboxRow.state.in_(AWAITING_CONFIRMATION))
    query = (select(*COLUMNS).where(MessageRow.platform == platform, waiting)
             .order_by(MessageRow.last_seen_at, MessageRow.id))
    return [RecheckTarget(*row, awaiting_reply=True) for row in session.execute(query)]


def candidates(session: Session, platform: str, statuses: Collection[str], seen_before: datetime,
               changed_after: datetime | None, chunk: int) -> Iterator[list[RecheckTarget]]:
    """Messages in `statuses` seen before `seen_before` (and changed since `changed_after`), least recently
    seen first, `chunk` at a time: each chunk resumes after the last (last_seen_at, id) of the one before."""
    query = (select(MessageRow.id, *COLUMNS)
             .where(MessageRow.platform == platform, MessageRow.status.in_([str(s) for s in statuses]),
                    MessageRow.last_seen_at < require_aware(seen_before))
             .order_by(MessageRow.last_seen_at, MessageRow.id).limit(chunk))
    if changed_after is not None:
        query = query.where(MessageRow.last_changed_at >= require_aware(changed_after))
    after: tuple[datetime, int] | None = None
    while True:
        page = query if after is None else query.where(or_(
            MessageRow.last_seen_at > after[0], and_(MessageRow.last_seen_at == after[0], MessageRow.id > after[1])))
        rows = session.execute(page).all()
        if not rows:
            return
        yield [RecheckTarget(*row[1:]) for row in rows]
        if len(rows) < chunk:
            return
        after = (rows[-1].last_seen_at, rows[-1].id)


def recheck_queue(session: Session, platform: str, statuses: Collection[str], seen_before: datetime, limit: int,
                  changed_after: datetime | None = None, backoff: float = 0.0,
                  now: datetime | None = None) -> RecheckQueue:
    """Messages awaiting a reply's confirmation first (all of them), then due open messages up to `limit` in
    all, least recently seen first. Due: in `statuses`, seen before `seen_before`, changed since
    `changed_after`, and (adaptive revisits, `backoff` > 0) `revisit_due` at `now`. Candidates are read in
    chunks until the limit is filled, so due messages behind many recently seen ones are still found.
    """
    now = require_aware(now) if now is not None else utcnow()
    first = awaiting_reply(session, platform)
    taken = {target.external_id for target in first}
    room = max(limit - len(first), 0)
    due: list[RecheckTarget] = []
    deferred = 0
    for chunk in candidates(session, platform, statuses, seen_before, changed_after, max(limit, 1) * LOOKAHEAD):
        for target in chunk:
            if target.external_id in taken or not revisit_due(target.last_seen_at, target.last_changed_at, now,
                                                              backoff):
                continue
            if len(due) < room:
                due.append(target)
            else:
                deferred += 1
        if len(due) >= room:
            break
    return RecheckQueue(first + due, deferred)
