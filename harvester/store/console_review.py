"""Sending a reply back to its drafter (退回修改) with the reviewer's reason, through the outbox's own transition
and audit trail: the reply stays a draft (an approval it had is voided) until it is edited and approved again."""

from __future__ import annotations

from harvester.store.outbox import records
from harvester.store.outbox.states import IllegalTransition, State
from harvester.store.outbox.views import ReplyView, reply_view
from harvester.store.repository import Repository

SENT_BACK = "sent back"


def send_back(repo: Repository, reply_id: int, actor: str, reason: str) -> ReplyView:
    """Return a draft or approved reply to its drafter with `reason` (required); IllegalTransition once a push
    holds it or it was sent, UnknownReply if there is none."""
    reason = reason.strip()
    if not reason:
        raise ValueError("sending a reply back needs a reason")
    row = records.load(repo.session, reply_id)
    if row.state not in (State.DRAFT.value, State.APPROVED.value):
        raise IllegalTransition(f"reply {reply_id} is {row.state}; only draft or approved replies can be sent back")
    if row.must_look and row.state == State.APPROVED.value:
        raise IllegalTransition(f"reply {reply_id} may already be on the platform; push it to its end first")
    detail = f"{SENT_BACK}: {reason}" if row.state == State.DRAFT.value else f"{records.VOIDED}: {SENT_BACK}: {reason}"
    records.record(repo.session, row, State.DRAFT, actor, detail, approved_by=None, approved_at=None,
                   approved_hash=None, reason=reason)
    return reply_view(row)
