"""The console's audit log: sign-ins, unmasked views of personal data, exports and reply decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from harvester.store.console_models import ConsoleAuditRow
from harvester.store.repository import Repository
from harvester.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class ConsoleAuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    detail: str | None


def record_action(repo: Repository, actor: str, action: str, target: str, detail: str | None = None) -> None:
    """Append one entry (in the caller's transaction, so it commits with what it records)."""
    repo.session.add(ConsoleAuditRow(at=utcnow(), actor=actor, action=action, target=target[:2000],
                                     detail=None if detail is None else detail[:2000]))


def audit_entries(repo: Repository, actor: str | None = None, action: str | None = None,
                  limit: int = 200) -> list[ConsoleAuditEntry]:
    """The newest entries first, of one actor or action when given."""
    query = select(ConsoleAuditRow).order_by(ConsoleAuditRow.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(ConsoleAuditRow.actor == actor)
    if action is not None:
        query = query.where(ConsoleAuditRow.action == action)
    return [ConsoleAuditEntry(r.at, r.actor, r.action, r.target, r.detail) for r in repo.session.scalars(query)]


def count_actions(repo: Repository, action: str, target: str, since: datetime) -> int:
    """How many `action` entries on `target` were written since `since` (e.g. failed sign-ins of one account)."""
    query = select(func.count()).select_from(ConsoleAuditRow).where(
        ConsoleAuditRow.action == action, ConsoleAuditRow.target == target, ConsoleAuditRow.at >= since)
    return int(repo.session.scalar(query) or 0)
