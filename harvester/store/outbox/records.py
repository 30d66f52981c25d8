"""Outbox writes and reads inside one session: add, approve, edit, cancel, and the audited transition."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.store.models import MessageRow
from harvester.store.outbox.approval import clean_text
from harvester.store.outbox.models import OutboxEventRow, OutboxRow
from harvester.store.outbox.states import CANCELLABLE, EDITABLE, IllegalTransition, State, check_transition
from harvester.store.outbox.views import current_hash
from harvester.timeutil import utcnow

# Account names become parts of environment variable names (HARVESTER_ACCOUNT_<SLUG>_<ACCOUNT>_PASSWORD).
ACCOUNT = re.compile(r"^[A-Za-z0-9_]{1,64}$")
VOIDED = "approval voided"
SENT_BACK = "sent back"


class UnknownReply(LookupError):
    """No reply with that id in the outbox."""


class UnknownMessage(LookupError):
    """The message a reply is for is not in the store (harvest it first)."""


class ApprovalMismatch(ValueError):
    """The approver saw other content than the reply now holds; nothing was approved."""


class KeyConflict(ValueError):
    """An idempotency key that is already used by a reply with different content."""


def record(session: Session, row: OutboxRow, target: State, actor: str, detail: str | None = None,
           **fields: object) -> None:
    """Move `row` to `target` (IllegalTransition if not allowed), set `fields`, and write the audit entry."""
    check_transition(row.id, row.state, target)
    now = utcnow()
    session.add(OutboxEventRow(reply_id=row.id, at=now, actor=actor, from_state=row.state, to_state=target.value,
                               detail=detail))
    row.state, row.updated_at = target.value, now
    for name, value in fields.items():
        setattr(row, name, value)


def load(session: Session, reply_id: int, lock: bool = True) -> OutboxRow:
    """The row (locked for update on PostgreSQL), or UnknownReply."""
    query = select(OutboxRow).where(OutboxRow.id == reply_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise UnknownReply(f"no reply {reply_id} in the outbox")
    return row


def add_reply(session: Session, platform: str, external_id: str, text: str, organisation: str, account: str,
              actor: str, idempotency_key: str | None = None) -> OutboxRow:
    """A new draft for a stored message; the same key with the same content returns the existing reply."""
    text, organisation = clean_text(text), organisation.strip()
    if not ACCOUNT.match(account):
        raise ValueError(f"account {account!r} must be 1-64 ASCII letters, digits or underscores")
    if not organisation:
        raise ValueError("a reply needs the replying unit (organisation)")
    if idempotency_key:
        existing = session.scalar(select(OutboxRow).where(OutboxRow.idempotency_key == idempotency_key))
        if existing is not None:
            if (existing.platform, existing.external_id, existing.organisation, existing.account,
                    existing.text) != (platform, external_id, organisation, account, text):
                raise KeyConflict(f"idempotency key {idempotency_key!r} is reply {existing.id}, with other content")
            return existing
    message_id = session.scalar(select(MessageRow.id).where(MessageRow.platform == platform,
                                                            MessageRow.external_id == external_id))
    if message_id is None:
        raise UnknownMessage(f"no stored message {platform}/{external_id}")
    now = utcnow()
    row = OutboxRow(idempotency_key=idempotency_key or f"{platform}:{external_id}:{uuid.uuid4().hex}",
                    message_id=message_id, platform=platform, external_id=external_id, organisation=organisation,
                    account=account, text=text, state=State.DRAFT.value, created_by=actor, created_at=now,
                    updated_at=now, attempts=0)
    session.add(row)
    session.flush()
    session.add(OutboxEventRow(reply_id=row.id, at=now, actor=actor, from_state=None, to_state=State.DRAFT.value,
                               detail="created"))
    return row


def approve(session: Session, reply_id: int, approver: str, content_hash: str | None = None) -> OutboxRow:
    """Approve a draft as it is now; `content_hash` (from `show`) guards against approving unseen edits."""
    row = load(session, reply_id)
    now_hash = current_hash(row)
    if content_hash is not None and content_hash != now_hash:
        raise ApprovalMismatch(f"reply {reply_id} changed since it was read (hash {now_hash[:12]}…)")
    if row.state == State.APPROVED.value:
        if row.approved_hash == now_hash:
            return row  # approving twice is a no-op
        if row.must_look:
            raise IllegalTransition(f"reply {reply_id} changed after its approved text was handed to the platform; "
                                    "the next push ends it dead")
        void_changed(session, row, approver)  # changed behind the approval's back: this approves the new content
    record(session, row, State.APPROVED, approver, f"approved (hash {now_hash[:12]}…)", approved_by=approver,
           approved_at=utcnow(), approved_hash=now_hash, reason=None, not_before=None)
    return row


def edit_text(session: Session, reply_id: int, text: str, actor: str) -> OutboxRow:
    """Replace the text; an approved reply goes back to draft with its approval voided."""
    row = load(session, reply_id)
    new_text = clean_text(text)
    if State(row.state) not in EDITABLE:
        raise IllegalTransition(f"reply {reply_id} is {row.state}; its text can no longer change")
    if row.must_look and row.state == State.APPROVED.value:
        raise IllegalTransition(f"reply {reply_id} may already be on the platform (an earlier post's outcome is "
                                "unknown); push it to its end before changing it")
    if new_text == row.text:
        return row
    detail = f"{VOIDED}: text edited" if row.state == State.APPROVED.value else "text edited"
    record(session, row, State.DRAFT, actor, detail, text=new_text, approved_by=None, approved_at=None,
           approved_hash=None, reason=detail if row.state == State.APPROVED.value else None)
    return row


def void_changed(session: Session, row: OutboxRow, actor: str) -> None:
    """An approved row whose content no longer matches its approval goes back to draft, unsent."""
    detail = f"{VOIDED}: content changed after approval"
    record(session, row, State.DRAFT, actor, detail, approved_by=None, approved_at=None, approved_hash=None,
           reason=detail)


def cancel(session: Session, reply_id: int, actor: str, reason: str = "") -> OutboxRow:
    """Withdraw a draft or approved reply; one that is being sent or was sent cannot be cancelled."""
    row = load(session, reply_id)
    if State(row.state) not in CANCELLABLE:
        raise IllegalTransition(f"reply {reply_id} is {row.state}; only draft or approved replies can be cancelled")
    record(session, row, State.CANCELLED, actor, reason or "cancelled", reason=reason or "cancelled")
    return row


def send_back(session: Session, reply_id: int, actor: str, reason: str) -> OutboxRow:
    """Return a draft or approved reply to its drafter (退回修改) with `reason` (required): it stays a draft (an
    approval it had is voided) until edited and approved again. IllegalTransition once a push holds it, was
    sent or may already be on the platform; UnknownReply if there is none."""
    reason = reason.strip()
    if not reason:
        raise ValueError("sending a reply back needs a reason")
    row = load(session, reply_id)
    if row.state not in (State.DRAFT.value, State.APPROVED.value):
        raise IllegalTransition(f"reply {reply_id} is {row.state}; only draft or approved replies can be sent back")
    if row.must_look and row.state == State.APPROVED.value:
        raise IllegalTransition(f"reply {reply_id} may already be on the platform; push it to its end first")
    detail = f"{SENT_BACK}: {reason}" if row.state == State.DRAFT.value else f"{VOIDED}: {SENT_BACK}: {reason}"
    record(session, row, State.DRAFT, actor, detail, approved_by=None, approved_at=None, approved_hash=None,
           reason=reason)
    return row


def find(session: Session, states: Collection[str] = (), platform: str | None = None,
         limit: int = 100) -> list[OutboxRow]:
    """Replies in `states` (any when empty), newest first."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if states:
        query = query.where(OutboxRow.state.in_(list(states)))
    if platform is not None:
        query = query.where(OutboxRow.platform == platform)
    return list(session.scalars(query))


def history(session: Session, reply_id: int) -> list[OutboxEventRow]:
    """The reply's audit trail, oldest first."""
    query = select(OutboxEventRow).where(OutboxEventRow.reply_id == reply_id).order_by(OutboxEventRow.id)
    return list(session.scalars(query))
