"""The push's side of the outbox: which replies are due, claiming one (so two pushers never send the same
reply), taking over a reply a dead push left in `sending`, and recording each attempt and its end."""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from adapters.protocols import OutgoingReply
from harvester.store.db import Store
from harvester.store.models import MessageRow
from harvester.store.outbox.models import OutboxRow
from harvester.store.outbox.records import load, record, void_changed
from harvester.store.outbox.states import State
from harvester.store.outbox.views import current_hash
from harvester.store.runlog import process_alive
from harvester.timeutil import utcnow

VOIDED_NOTE = "approval voided: content changed after approval; not sent"
# A reply changed after its approved text was handed to the platform (a push died holding it, or an earlier
# post's outcome is unknown): that text may be on the platform already, and the store keeps only the approval's
# hash, not the approved text. So nothing is posted or looked up; the reply ends dead and a person checks.
VOIDED_IN_FLIGHT = ("approval voided: content changed after the approved text was handed to the platform; "
                    "nothing more is sent (the approved text may be there already: check the platform)")


def claimer_id() -> str:
    """Who is pushing: `host:pid`, so a later push can tell whether that process is still alive."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class Claim:
    """A reply this push holds in `sending`. `look_first`: ask the platform before any post."""

    reply_id: int
    outgoing: OutgoingReply
    attempts: int
    look_first: bool
    last_reason: str | None = None
    relogged: bool = False


def due(store: Store, platforms: Collection[str] = (), now: datetime | None = None) -> list[OutboxRow]:
    """Approved replies whose `not_before` has passed, oldest approval first (rows detached, for planning)."""
    now = now or utcnow()
    query = (select(OutboxRow).where(OutboxRow.state == State.APPROVED.value,
                                     or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now))
             .order_by(OutboxRow.approved_at, OutboxRow.id))
    if platforms:
        query = query.where(OutboxRow.platform.in_(list(platforms)))
    with store.transaction() as repo:
        return list(repo.session.scalars(query))


def sending(store: Store, platforms: Collection[str] = ()) -> list[OutboxRow]:
    """Replies in `sending` (held by a live push, or left there by one that died)."""
    query = select(OutboxRow).where(OutboxRow.state == State.SENDING.value).order_by(OutboxRow.id)
    if platforms:
        query = query.where(OutboxRow.platform.in_(list(platforms)))
    with store.transaction() as repo:
        return list(repo.session.scalars(query))


def is_abandoned(row: OutboxRow, lease: timedelta, now: datetime | None = None) -> bool:
    """A `sending` row whose push died: its process is gone (same host) or its lease ran out."""
    host, _, pid = (row.claimed_by or "").rpartition(":")
    if row.claimed_at is None or (now or utcnow()) - row.claimed_at > lease:
        return True
    if host == socket.gethostname() and pid.isdigit():
        return not process_alive(int(pid))
    return False


def outgoing(row: OutboxRow, message: MessageRow) -> OutgoingReply:
    """The adapter's view of a reply: what to post, where, and as which account."""
    return OutgoingReply(reply_id=row.id, idempotency_key=row.idempotency_key, platform=row.platform,
                         external_id=row.external_id, message_url=message.url, board_id=message.board_id,
                         organisation=row.organisation, account=row.account, text=row.text)


def claim(store: Store, reply_id: int, claimer: str) -> Claim | str:
    """Move an approved, due reply to `sending` (committed), or say why not.

    The row lock (PostgreSQL) or the immediate write transaction (SQLite) makes a second pusher wait and
    then see `sending`. A reply whose content no longer matches its approval is never claimed: back to draft,
    or dead (VOIDED_IN_FLIGHT) when an earlier post may have landed (`must_look`).
    """
    with store.transaction() as repo:
        row = load(repo.session, reply_id)
        if row.state != State.APPROVED.value:
            return f"now {row.state}"
        if row.not_before is not None and row.not_before > utcnow():
            return "not due yet"
        if not approval_holds(row):
            if row.must_look:
                record(repo.session, row, State.DEAD, f"push {claimer}", VOIDED_IN_FLIGHT, reason=VOIDED_IN_FLIGHT)
                return VOIDED_IN_FLIGHT
            void_changed(repo.session, row, f"push {claimer}")
            return VOIDED_NOTE
        message = repo.session.get(MessageRow, row.message_id)
        assert message is not None  # foreign key
        record(repo.session, row, State.SENDING, f"push {claimer}", f"claimed (attempts so far: {row.attempts})",
               claimed_by=claimer, claimed_at=utcnow())
        return Claim(row.id, outgoing(row, message), row.attempts, look_first=row.must_look, last_reason=row.reason)


def approval_holds(row: OutboxRow) -> bool:
    """Whether the row carries an approval and its content still hashes to it (a row approved by writing the
    table without `approved_hash` has none)."""
    return row.approved_hash is not None and row.approved_hash == current_hash(row)


def take_over(store: Store, reply_id: int, claimer: str, lease: timedelta) -> Claim | str | None:
    """Claim a reply a dead push left in `sending`; it may already be on the platform, so look first.

    None when it is not abandoned (any more). Its approval is checked as a first claim checks it: content
    changed since the approval makes it dead (VOIDED_IN_FLIGHT, returned), never posted.
    """
    with store.transaction() as repo:
        row = load(repo.session, reply_id)
        if row.state != State.SENDING.value or not is_abandoned(row, lease):
            return None
        if not approval_holds(row):
            record(repo.session, row, State.DEAD, f"push {claimer}",
                   f"taken over from {row.claimed_by}: {VOIDED_IN_FLIGHT}", reason=VOIDED_IN_FLIGHT,
                   claimed_by=None, claimed_at=None)
            return VOIDED_IN_FLIGHT
        message = repo.session.get(MessageRow, row.message_id)
        assert message is not None
        detail = f"taken over from {row.claimed_by}, which died mid-send: looking on the platform before posting"
        record(repo.session, row, State.SENDING, f"push {claimer}", detail, claimed_by=claimer, claimed_at=utcnow())
        return Claim(row.id, outgoing(row, message), row.attempts, look_first=True, last_reason=row.reason)


def begin_attempt(store: Store, held: Claim) -> int:
    """Count one more post attempt and mark that the platform must be asked before any later post;
    committed before the adapter is called. Returns the new count."""
    with store.transaction() as repo:
        row = load(repo.session, held.reply_id)
        row.attempts += 1
        row.must_look, row.claimed_at = True, utcnow()
        held.attempts = row.attempts
    return held.attempts


def note(store: Store, held: Claim, actor: str, detail: str) -> None:
    """Record a failed attempt in the audit trail (sending -> sending)."""
    with store.transaction() as repo:
        row = load(repo.session, held.reply_id)
        record(repo.session, row, State.SENDING, actor, detail, reason=detail)


def finish(store: Store, held: Claim, target: State, actor: str, detail: str, **fields: object) -> None:
    """End this push's hold on the reply: posted, pending moderation, rejected, dead, or back to approved."""
    with store.transaction() as repo:
        row = load(repo.session, held.reply_id)
        record(repo.session, row, target, actor, detail, claimed_by=None, claimed_at=None, **fields)
