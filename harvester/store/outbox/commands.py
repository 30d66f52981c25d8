"""The outbox's commands and reads for callers outside the store: one transaction per call, frozen values back."""

from __future__ import annotations

from collections.abc import Collection

from harvester.store.db import Store
from harvester.store.outbox import records
from harvester.store.outbox.confirm import Unverified, unverified
from harvester.store.outbox.views import AuditEntry, ReplyView, audit_entry, current_hash, reply_view


def add(store: Store, platform: str, external_id: str, text: str, organisation: str, account: str, actor: str,
        idempotency_key: str | None = None) -> ReplyView:
    """A new draft reply to a stored message; the same key with the same content returns the existing one."""
    with store.transaction() as repo:
        return reply_view(records.add_reply(repo.session, platform, external_id, text, organisation, account, actor,
                                            idempotency_key))


def approve(store: Store, reply_id: int, approver: str, content_hash: str | None = None) -> ReplyView:
    """Approve the reply as it is now (ApprovalMismatch if it no longer hashes to `content_hash`)."""
    with store.transaction() as repo:
        return reply_view(records.approve(repo.session, reply_id, approver, content_hash))


def edit(store: Store, reply_id: int, text: str, actor: str) -> ReplyView:
    """Replace the text; the reply becomes a draft (an approval is voided)."""
    with store.transaction() as repo:
        return reply_view(records.edit_text(repo.session, reply_id, text, actor))


def send_back(store: Store, reply_id: int, actor: str, reason: str) -> ReplyView:
    """Return a draft or approved reply to its drafter with the reason; it stays a draft until approved again."""
    with store.transaction() as repo:
        return reply_view(records.send_back(repo.session, reply_id, actor, reason))


def cancel(store: Store, reply_id: int, actor: str, reason: str = "") -> ReplyView:
    """Withdraw a draft or approved reply."""
    with store.transaction() as repo:
        return reply_view(records.cancel(repo.session, reply_id, actor, reason))


def get(store: Store, reply_id: int) -> ReplyView:
    """One reply (UnknownReply if there is none)."""
    with store.transaction() as repo:
        return reply_view(records.load(repo.session, reply_id, lock=False))


def content_hash(store: Store, reply_id: int) -> str:
    """The hash an approval of the reply as it is now would record."""
    with store.transaction() as repo:
        return current_hash(records.load(repo.session, reply_id, lock=False))


def history(store: Store, reply_id: int) -> list[AuditEntry]:
    """Every transition of the reply, oldest first."""
    with store.transaction() as repo:
        return [audit_entry(row) for row in records.history(repo.session, reply_id)]


def find(store: Store, states: Collection[str] = (), platform: str | None = None,
         limit: int = 100) -> list[ReplyView]:
    """Replies in `states` (all when empty), newest first."""
    with store.transaction() as repo:
        return [reply_view(row) for row in records.find(repo.session, states, platform, limit)]


def posted_unseen(store: Store, after_runs: int) -> list[Unverified]:
    """Posted replies that `after_runs` successful harvests of their platform have not seen."""
    with store.transaction() as repo:
        return unverified(repo.session, after_runs)
