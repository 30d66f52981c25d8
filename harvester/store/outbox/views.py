"""Outbox rows as frozen values for callers: a reply, and one entry of its audit trail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from harvester.store.outbox.approval import approval_hash
from harvester.store.outbox.models import OutboxEventRow, OutboxRow


@dataclass(frozen=True, slots=True)
class ReplyView:
    """A reply in the outbox as it is now. `approval_valid` is False once the approved content changed."""

    id: int
    idempotency_key: str
    platform: str
    external_id: str
    organisation: str
    account: str
    text: str
    state: str
    reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    approved_hash: str | None
    content_hash: str  # what an approval of the reply as it is now records (pass it to `approve`)
    approval_valid: bool
    attempts: int
    not_before: datetime | None
    platform_reply_id: str | None
    platform_message: str | None
    posted_at: datetime | None
    verified_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """Plain data (times stay aware datetimes)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One transition: when, who, from which state to which, and why."""

    at: datetime
    actor: str
    from_state: str | None
    to_state: str
    detail: str | None


def current_hash(row: OutboxRow) -> str:
    """The approval hash of the row's content as it is now."""
    return approval_hash(row.platform, row.external_id, row.organisation, row.account, row.text)


def reply_view(row: OutboxRow) -> ReplyView:
    now_hash = current_hash(row)
    valid = row.approved_hash is not None and row.approved_hash == now_hash
    return ReplyView(
        id=row.id, idempotency_key=row.idempotency_key, platform=row.platform, external_id=row.external_id,
        organisation=row.organisation, account=row.account, text=row.text, state=row.state, reason=row.reason,
        created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
        approved_by=row.approved_by, approved_at=row.approved_at, approved_hash=row.approved_hash,
        content_hash=now_hash, approval_valid=valid, attempts=row.attempts, not_before=row.not_before,
        platform_reply_id=row.platform_reply_id, platform_message=row.platform_message, posted_at=row.posted_at,
        verified_at=row.verified_at)


def audit_entry(row: OutboxEventRow) -> AuditEntry:
    return AuditEntry(at=row.at, actor=row.actor, from_state=row.from_state, to_state=row.to_state,
                      detail=row.detail)
