"""Reads of the web console beyond the API's (harvester/store/reads.py): filter choices, replies in the outbox
for one message, open letters for the 督办 board, runs and quarantined pages for 运行, a month's letters for 统计."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from harvester.store.models import MessageRow, QuarantineRow, ReplyRow, RunRow
from harvester.store.outbox.models import OutboxRow
from harvester.store.outbox.views import ReplyView, reply_view
from harvester.store.repository import Repository

UNIT = func.coalesce(MessageRow.handling_unit, MessageRow.addressee)  # the unit to chase, else the addressee


@dataclass(frozen=True, slots=True)
class Choices:
    """What the ledger's filters offer: platforms with stored letters, and units (handling or replying)."""

    platforms: list[str]
    units: list[str]


@dataclass(frozen=True, slots=True)
class OpenLetter:
    """An open letter as the 督办 board judges it; `kind` is "complex" when its raw status says it was extended."""

    platform: str
    external_id: str
    title: str
    unit: str
    kind: str
    status: str
    posted_at: datetime
    platform_overdue: bool | None


@dataclass(frozen=True, slots=True)
class MonthLetter:
    """A letter of the month's report: its unit, platform, kind, status, and its first official reply (if any)."""

    platform: str
    unit: str
    kind: str
    status: str
    posted_at: datetime
    first_reply_at: datetime | None


def choices(repo: Repository) -> Choices:
    platforms = list(repo.session.scalars(select(MessageRow.platform).distinct().order_by(MessageRow.platform)))
    handling = set(repo.session.scalars(select(MessageRow.handling_unit).distinct()))
    replying = set(repo.session.scalars(select(ReplyRow.organisation).where(ReplyRow.official).distinct()))
    return Choices(platforms, sorted(u for u in handling | replying if u))


def outbox_replies(repo: Repository, platform: str, external_id: str) -> list[ReplyView]:
    """The outbox's replies to one message, newest first."""
    query = (select(OutboxRow).where(OutboxRow.platform == platform, OutboxRow.external_id == external_id)
             .order_by(OutboxRow.id.desc()))
    return [reply_view(row) for row in repo.session.scalars(query)]


def open_letters(repo: Repository, statuses: Collection[str], complex_statuses: Collection[str],
                 platforms: Collection[str] = ()) -> list[OpenLetter]:
    """Letters in `statuses` (open ones), oldest first."""
    kind = (case((MessageRow.status_raw.in_(list(complex_statuses)), "complex"), else_=MessageRow.kind)
            if complex_statuses else MessageRow.kind)
    query = (select(MessageRow.platform, MessageRow.external_id, MessageRow.title, UNIT, kind, MessageRow.status,
                    MessageRow.posted_at, MessageRow.overdue)
             .where(MessageRow.status.in_(list(statuses))).order_by(MessageRow.posted_at, MessageRow.id))
    if platforms:
        query = query.where(MessageRow.platform.in_(list(platforms)))
    return [OpenLetter(*row) for row in repo.session.execute(query)]


def month_letters(repo: Repository, start: datetime, end: datetime) -> list[MonthLetter]:
    """Letters posted in [start, end), with the time of their first official reply."""
    first = (select(ReplyRow.message_id, func.min(ReplyRow.replied_at).label("at"))
             .where(ReplyRow.official, ReplyRow.replied_at.is_not(None)).group_by(ReplyRow.message_id).subquery())
    query = (select(MessageRow.platform, UNIT, MessageRow.kind, MessageRow.status, MessageRow.posted_at, first.c.at)
             .outerjoin(first, first.c.message_id == MessageRow.id)
             .where(MessageRow.posted_at >= start, MessageRow.posted_at < end).order_by(MessageRow.id))
    return [MonthLetter(*row) for row in repo.session.execute(query)]


def recent_runs(repo: Repository, per_platform: int = 5) -> dict[str, list[dict[str, Any]]]:
    """The last runs of every platform, newest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for platform in repo.session.scalars(select(RunRow.platform).distinct().order_by(RunRow.platform)):
        rows = repo.session.scalars(select(RunRow).where(RunRow.platform == platform)
                                    .order_by(RunRow.id.desc()).limit(per_platform))
        found[platform] = [{"id": r.id, "outcome": r.outcome, "failure_class": r.failure_class, "error": r.error,
                            "started_at": r.started_at, "finished_at": r.finished_at, "items": r.items, "new": r.new,
                            "changed": r.changed, "quarantined": r.quarantined, "figures": r.figures or {}}
                           for r in rows]
    return found


def quarantine_list(repo: Repository, limit: int = 100) -> list[dict[str, Any]]:
    """Quarantined pages, most recently seen first, without their bodies."""
    query = (select(QuarantineRow.id, QuarantineRow.platform, QuarantineRow.url, QuarantineRow.reason,
                    QuarantineRow.status_code, QuarantineRow.times_seen, QuarantineRow.last_seen_at)
             .order_by(QuarantineRow.last_seen_at.desc(), QuarantineRow.id.desc()).limit(limit))
    return [dict(row._mapping) for row in repo.session.execute(query)]


def quarantined_page(repo: Repository, page_id: int) -> dict[str, Any] | None:
    """One quarantined page with its raw bytes and declared encoding, or None."""
    row = repo.session.get(QuarantineRow, page_id)
    if row is None:
        return None
    return {"id": row.id, "platform": row.platform, "url": row.url, "reason": row.reason, "body": row.body,
            "encoding": row.encoding, "status_code": row.status_code, "times_seen": row.times_seen,
            "first_seen_at": row.first_seen_at, "last_seen_at": row.last_seen_at, "external_id": row.external_id}
