"""The push's transitions of the outbox, one transaction each: which replies are due, claiming one (so two
pushers never send the same reply), taking over one a dead push left in `sending`, counting an attempt, and
ending the hold. Each function commits before it returns: those commits are the exactly-once guarantee."""

from __future__ import annotations

import socket
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from harvester.store.db import Store
from harvester.store.models import MessageRow
from harvester.store.outbox.approval import approval_hash
from harvester.store.outbox.models import OutboxRow
from harvester.store.outbox.records import load, record, void_changed
from harvester.store.outbox.states import State
from harvester.store.runlog import process_alive
from harvester.timeutil import utcnow

VOIDED_NOTE = "approval voided: content changed after approval; not sent"
# A reply changed after its approved text was handed to the platform (a push died holding it, or an earlier
# post's outcome is unknown): that text may be on the platform already, and the store keeps only the approval's
# hash, not the approved text. So nothing is posted or looked up; the reply ends dead and a person checks.
VOIDED_IN_FLIGHT = ("approval voided: content changed after the approved text was handed to the platform; "
                    "nothing more is sent (the approved text may be there already: check the platform)")


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """A reply as a push sees it when it reads the outbox (a copy: it does not change with the table)."""

    id: int
    idempotency_key: str
    message_id: int
    platform: str
    external_id: str
    organisation: str
    account: str
    text: str
    attempts: int
    must_look: bool
    reason: str | None
    approved_hash: str | None
    claimed_by: str | None
    claimed_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessagePlace:
    """Where the message a reply answers is shown: its page and its board."""

    url: str
    board_id: str


@dataclass(frozen=True, slots=True)
class Claimed:
    """A reply this push now holds in `sending` (committed), and where its message is."""

    reply: QueuedReply
    place: MessagePlace


def queued(row: OutboxRow) -> QueuedReply:
    """The row's values as they are now."""
    return QueuedReply(row.id, row.idempotency_key, row.message_id, row.platform, row.external_id, row.organisation,
                       row.account, row.text, row.attempts, row.must_look, row.reason, row.approved_hash,
                       row.claimed_by, row.claimed_at)


def approval_holds(row: OutboxRow | QueuedReply) -> bool:
    """Whether the row carries an approval and its content still hashes to it (a row approved by writing the
    table without `approved_hash` has none)."""
    now_hash = approval_hash(row.platform, row.external_id, row.organisation, row.account, row.text)
    return row.approved_hash is not None and row.approved_hash == now_hash


def is_abandoned(row: OutboxRow | QueuedReply, lease: timedelta, now: datetime | None = None) -> bool:
    """A `sending` row whose push died: its process is gone (same host) or its lease ran out."""
    host, _, pid = (row.claimed_by or "").rpartition(":")
    if row.claimed_at is None or (now or utcnow()) - row.claimed_at > lease:
        return True
    if host == socket.gethostname() and pid.isdigit():
        return not process_alive(int(pid))
    return False


def due(store: Store, platforms: Collection[str] = (), now: datetime | None = None) -> list[QueuedReply]:
    """Approved replies whose `not_before` has passed, oldest approval first."""
    now = now or utcnow()
    query = (select(OutboxRow).where(OutboxRow.state == State.APPROVED.value,
                                     or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now))
             .order_by(OutboxRow.approved_at, OutboxRow.id))
    if platforms:
        query = query.where(OutboxRow.platform.in_(list(platforms)))
    with store.transaction() as repo:
        return [queued(row) for row in repo.session.scalars(query)]


def sending(store: Store, platforms: Collection[str] = ()) -> list[QueuedReply]:
    """Replies in `sending` (held by a live push, or left there by one that died)."""
    query = select(OutboxRow).where(OutboxRow.state == State.SENDING.value).order_by(OutboxRow.id)
    if platforms:
        query = query.where(OutboxRow.platform.in_(list(platforms)))
    with store.transaction() as repo:
        return [queued(row) for row in repo.session.scalars(query)]


def places(store: Store, message_ids: Iterable[int]) -> dict[int, MessagePlace]:
    """message id -> where that stored message is shown (absent ids are missing from the result)."""
    found = {}
    with store.transaction() as repo:
        for message_id in dict.fromkeys(message_ids):
            message = repo.session.get(MessageRow, message_id)
            if message is not None:
                found[message_id] = MessagePlace(message.url, message.board_id)
    return found


def _place(session: Session, row: OutboxRow) -> MessagePlace:
    message = session.get(MessageRow, row.message_id)
    assert message is not None  # foreign key
    return MessagePlace(message.url, message.board_id)


def claim(store: Store, reply_id: int, claimer: str) -> Claimed | str:
    """Move an approved, due reply to `sending` (committed), or say why not.

    The row lock (PostgreSQL) or the immediate write transaction (SQLite) makes a second pusher wait and
    then see `sending`. A reply whose content no longer matches its approval is never claimed: back to draft,
    or dead (VOIDED_IN_FLIGHT) when an earlier post may have landed (`must_look`).
    """
    with store.transaction() as repo:
        session = repo.session
        row = load(session, reply_id)
        if row.state != State.APPROVED.value:
            return f"now {row.state}"
        if row.not_before is not None and row.not_before > utcnow():
            return "not due yet"
        if not approval_holds(row):
            if row.must_look:
                record(session, row, State.DEAD, f"push {claimer}", VOIDED_IN_FLIGHT, reason=VOIDED_IN_FLIGHT)
                return VOIDED_IN_FLIGHT
            void_changed(session, row, f"push {claimer}")
            return VOIDED_NOTE
        place = _place(session, row)
        record(session, row, State.SENDING, f"push {claimer}", f"claimed (attempts so far: {row.attempts})",
               claimed_by=claimer, claimed_at=utcnow())
        return Claimed(queued(row), place)


def take_over(store: Store, reply_id: int, claimer: str, lease: timedelta) -> Claimed | str | None:
    """Claim a reply a dead push left in `sending` (committed); it may already be on the platform.

    None when it is not abandoned (any more). Its approval is checked as a first claim checks it: content
    changed since the approval makes it dead (VOIDED_IN_FLIGHT, returned), never posted.
    """
    with store.transaction() as repo:
        session = repo.session
        row = load(session, reply_id)
        if row.state != State.SENDING.value or not is_abandoned(row, lease):
            return None
        if not approval_holds(row):
            record(session, row, State.DEAD, f"push {claimer}",
                   f"taken over from {row.claimed_by}: {VOIDED_IN_FLIGHT}", reason=VOIDED_IN_FLIGHT,
                   claimed_by=None, claimed_at=None)
            return VOIDED_IN_FLIGHT
        place = _place(session, row)
        detail = f"taken over from {row.claimed_by}, which died mid-send: looking on the platform before posting"
        record(session, row, State.SENDING, f"push {claimer}", detail, claimed_by=claimer, claimed_at=utcnow())
        return Claimed(queued(row), place)


def count_attempt(store: Store, reply_id: int) -> int:
    """Count one more post attempt and mark that the platform must be asked before any later post (committed:
    call it before the adapter). Returns the new count."""
    with store.transaction() as repo:
        row = load(repo.session, reply_id)
        row.attempts += 1
        row.must_look, row.claimed_at = True, utcnow()
        return row.attempts


def note(store: Store, reply_id: int, actor: str, detail: str) -> None:
    """Record a failed attempt in the audit trail (sending -> sending)."""
    with store.transaction() as repo:
        row = load(repo.session, reply_id)
        record(repo.session, row, State.SENDING, actor, detail, reason=detail)


def finish(store: Store, reply_id: int, target: State, actor: str, detail: str, **fields: object) -> None:
    """End a push's hold on the reply: posted, pending moderation, rejected, dead, or back to approved."""
    with store.transaction() as repo:
        row = load(repo.session, reply_id)
        record(repo.session, row, target, actor, detail, claimed_by=None, claimed_at=None, **fields)
