"""The outbox's Python API for downstream systems: one transaction per call, frozen values back."""

from __future__ import annotations

from harvester.store.db import Store
from harvester.store.outbox import commands
from harvester.store.outbox.confirm import Unverified
from harvester.store.outbox.views import AuditEntry, ReplyView


class Outbox:
    """Create, approve, edit, cancel and read replies. `actor` names the person or system acting.

    >>> box = Outbox.open("sqlite:///harvester.db")
    >>> reply = box.add("jact_demo", "48123", "您好，……", organisation="市住房和城乡建设局", account="zjj",
    ...                 actor="oa-system")
    >>> box.approve(reply.id, approver="张科长", content_hash=reply.content_hash)
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def open(cls, db_url: str) -> Outbox:
        """An outbox on the store at `db_url` (migrated to head on first use)."""
        return cls(Store.open(db_url))

    def add(self, platform: str, external_id: str, text: str, organisation: str, account: str, actor: str,
            idempotency_key: str | None = None) -> ReplyView:
        """A new draft reply to a stored message. Passing your own `idempotency_key` makes `add` safe to repeat:
        the same key and content return the existing reply; the same key with other content raises KeyConflict.
        """
        return commands.add(self.store, platform, external_id, text, organisation, account, actor, idempotency_key)

    def approve(self, reply_id: int, approver: str, content_hash: str | None = None) -> ReplyView:
        """Approve the reply as it is now. Pass the `content_hash` of the version the approver read: if the
        reply changed since, ApprovalMismatch is raised and nothing is approved."""
        return commands.approve(self.store, reply_id, approver, content_hash)

    def edit(self, reply_id: int, text: str, actor: str) -> ReplyView:
        """Change the text of a draft, approved (voids the approval) or rejected reply; it becomes a draft."""
        return commands.edit(self.store, reply_id, text, actor)

    def send_back(self, reply_id: int, actor: str, reason: str) -> ReplyView:
        """Return a draft or approved reply to its drafter (退回修改) with the reason (required); it stays a draft,
        its approval voided, until edited and approved again (IllegalTransition once a push holds it)."""
        return commands.send_back(self.store, reply_id, actor, reason)

    def cancel(self, reply_id: int, actor: str, reason: str = "") -> ReplyView:
        """Withdraw a draft or approved reply (IllegalTransition once a push holds it)."""
        return commands.cancel(self.store, reply_id, actor, reason)

    def get(self, reply_id: int) -> ReplyView:
        """One reply (UnknownReply if there is none)."""
        return commands.get(self.store, reply_id)

    def content_hash(self, reply_id: int) -> str:
        """The hash an approval of the reply as it is now would record."""
        return commands.content_hash(self.store, reply_id)

    def history(self, reply_id: int) -> list[AuditEntry]:
        """Every transition of the reply, oldest first."""
        return commands.history(self.store, reply_id)

    def list_replies(self, states: tuple[str, ...] = (), platform: str | None = None,
                     limit: int = 100) -> list[ReplyView]:
        """Replies in `states` (all when empty), newest first."""
        return commands.find(self.store, states, platform, limit)

    def unverified(self, after_runs: int = 3) -> list[Unverified]:
        """Posted replies that `after_runs` successful harvests of their platform have not seen."""
        return commands.posted_unseen(self.store, after_runs)
