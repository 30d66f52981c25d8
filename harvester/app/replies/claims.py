"""The push's hold on a reply: who is pushing, the Claim it holds while sending, and the outbox transitions of
harvester/store/outbox/claims.py (each one transaction, committed before it returns) in terms of that Claim."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from adapters.protocols import OutgoingReply
from harvester.store.db import Store
from harvester.store.outbox import claims as outbox
from harvester.store.outbox.claims import (
    VOIDED_IN_FLIGHT,
    VOIDED_NOTE,
    Claimed,
    MessagePlace,
    QueuedReply,
    approval_holds,
    due,
    is_abandoned,
    places,
    sending,
)
from harvester.store.outbox.states import State

__all__ = ["VOIDED_IN_FLIGHT", "VOIDED_NOTE", "Claim", "MessagePlace", "QueuedReply", "approval_holds",
           "begin_attempt", "claim", "claimer_id", "due", "finish", "is_abandoned", "note", "outgoing", "places",
           "sending", "take_over"]


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


def outgoing(reply: QueuedReply, place: MessagePlace) -> OutgoingReply:
    """The adapter's view of a reply: what to post, where, and as which account."""
    return OutgoingReply(reply_id=reply.id, idempotency_key=reply.idempotency_key, platform=reply.platform,
                         external_id=reply.external_id, message_url=place.url, board_id=place.board_id,
                         organisation=reply.organisation, account=reply.account, text=reply.text)


def _held(claimed: Claimed, look_first: bool) -> Claim:
    reply = claimed.reply
    return Claim(reply.id, outgoing(reply, claimed.place), reply.attempts, look_first=look_first,
                 last_reason=reply.reason)


def claim(store: Store, reply_id: int, claimer: str) -> Claim | str:
    """Move an approved, due reply to `sending` (committed), or say why not (see the store's `claim`)."""
    claimed = outbox.claim(store, reply_id, claimer)
    return claimed if isinstance(claimed, str) else _held(claimed, look_first=claimed.reply.must_look)


def take_over(store: Store, reply_id: int, claimer: str, lease: timedelta) -> Claim | str | None:
    """Claim a reply a dead push left in `sending`; it may already be on the platform, so look first.
    None when it is not abandoned (any more); VOIDED_IN_FLIGHT when its content changed since approval."""
    claimed = outbox.take_over(store, reply_id, claimer, lease)
    return claimed if claimed is None or isinstance(claimed, str) else _held(claimed, look_first=True)


def begin_attempt(store: Store, held: Claim) -> int:
    """Count one more post attempt and mark that the platform must be asked before any later post;
    committed before the adapter is called. Returns the new count."""
    held.attempts = outbox.count_attempt(store, held.reply_id)
    return held.attempts


def note(store: Store, held: Claim, actor: str, detail: str) -> None:
    """Record a failed attempt in the audit trail (sending -> sending)."""
    outbox.note(store, held.reply_id, actor, detail)


def finish(store: Store, held: Claim, target: State, actor: str, detail: str, **fields: object) -> None:
    """End this push's hold on the reply: posted, pending moderation, rejected, dead, or back to approved."""
    outbox.finish(store, held.reply_id, target, actor, detail, **fields)
