"""Reads for the HTTP API: messages by filter with keyset pagination, one message's history, platform health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from harvester.store.models import EventRow, MessageRow, QuarantineRow, ReplyRow, RunRow
from harvester.store.records import message_record
from harvester.store.repository import Repository


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """What a message list asks for; every field left None matches everything. Lists match any value."""

    platform: tuple[str, ...] = ()
    board: tuple[str, ...] = ()
    unit: str | None = None  # the handling unit, or a unit that replied
    status: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    posted_after: datetime | None = None
    posted_before: datetime | None = None
    changed_after: datetime | None = None  # last changed in the store (a new reply, status, text)
    changed_before: datetime | None = None
    overdue: bool | None = None
    link_group: int | None = None


@dataclass(frozen=True, slots=True)
class MessagePage:
    """Messages newest first, and the cursor of the next page (None on the last)."""

    items: list[dict[str, Any]]
    next_cursor: int | None


def _where(query: Select[Any], f: MessageFilter) -> Select[Any]:
    for column, values in ((MessageRow.platform, f.platform), (MessageRow.board_id, f.board),
                           (MessageRow.status, f.status), (MessageRow.kind, f.kind), (MessageRow.topic, f.topic)):
        if values:
            query = query.where(column.in_(values))
    if f.unit is not None:
        replied = select(ReplyRow.id).where(ReplyRow.message_id == MessageRow.id, ReplyRow.organisation == f.unit)
        query = query.where(or_(MessageRow.handling_unit == f.unit, replied.exists()))
    bounds: list[tuple[Any, datetime | None, datetime | None]] = [
        (MessageRow.posted_at, f.posted_after, f.posted_before),
        (MessageRow.last_changed_at, f.changed_after, f.changed_before)]
    for column, after, before in bounds:
        if after is not None:
            query = query.where(column >= after)
        if before is not None:
            query = query.where(column < before)
    if f.overdue is not None:
        query = query.where(MessageRow.overdue.is_(f.overdue))
    if f.link_group is not None:
        query = query.where(MessageRow.link_group == f.link_group)
    return query


def find_messages(repo: Repository, f: MessageFilter, limit: int = 50, cursor: int | None = None) -> MessagePage:
    """One page of matching messages with replies, newest stored first; pass `next_cursor` for the next.

    The cursor is a row position, so messages stored while a reader pages do not shift or repeat its pages.
    """
    query = _where(select(MessageRow).options(selectinload(MessageRow.replies)), f)
    if cursor is not None:
        query = query.where(MessageRow.id < cursor)
    rows = list(repo.session.scalars(query.order_by(MessageRow.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage([message_record(row) for row in rows],
                       rows[-1].id if more and rows else None)


def message_history(repo: Repository, platform: str, external_id: str) -> list[dict[str, Any]]:
    """The feed events of one message, oldest first, in the feed's own form."""
    query = (select(EventRow).where(EventRow.platform == platform, EventRow.external_id == external_id)
             .order_by(EventRow.seq))
    return [{"seq": row.seq, "kind": row.kind, "platform": row.platform, "external_id": row.external_id,
             "run_id": row.run_id, "occurred_at": row.occurred_at.isoformat(), "payload": row.payload}
            for row in repo.session.scalars(query)]


def find_by_keys(repo: Repository, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Stored messages (with replies) for (platform, external_id) keys; unknown keys are left out."""
    if not keys:
        return []
    query = (select(MessageRow).options(selectinload(MessageRow.replies))
             .where(or_(*[(MessageRow.platform == p) & (MessageRow.external_id == e) for p, e in keys])))
    return [message_record(row) for row in repo.session.scalars(query.order_by(MessageRow.id))]


def platform_health(repo: Repository) -> list[dict[str, Any]]:
    """Per platform with stored runs or messages: its last run, last success, failures since, and totals."""
    messages = dict(repo.session.execute(select(MessageRow.platform, func.count()).group_by(MessageRow.platform))
                    .all())
    quarantined = dict(repo.session.execute(select(QuarantineRow.platform, func.count())
                                            .group_by(QuarantineRow.platform)).all())
    platforms = sorted(set(messages) | set(repo.session.scalars(select(RunRow.platform).distinct())))
    return [_health(repo, p, int(messages.get(p, 0)), int(quarantined.get(p, 0))) for p in platforms]


def _health(repo: Repository, platform: str, messages: int, quarantined: int) -> dict[str, Any]:
    runs = select(RunRow).where(RunRow.platform == platform).order_by(RunRow.id.desc())
    last = repo.session.scalar(runs.limit(1))
    success = repo.session.scalar(runs.where(RunRow.outcome == "succeeded").limit(1))
    failed_since = repo.session.scalar(
        select(func.count()).select_from(RunRow).where(
            RunRow.platform == platform, RunRow.outcome.in_(("failed", "abandoned")),
            RunRow.id > (success.id if success else 0))) or 0
    return {"platform": platform, "messages": messages, "quarantined": quarantined,
            "last_run": None if last is None else {"id": last.id, "outcome": last.outcome,
                                                  "started_at": last.started_at, "finished_at": last.finished_at,
                                                  "failure_class": last.failure_class},
            "last_success_at": success.finished_at if success else None,
            "failures_since_success": failed_since,
            "healthy": last is not None and (last.outcome in ("succeeded", "running") and failed_since == 0)}


def latest_seq(repo: Repository) -> int:
    """The newest change-feed seq (0 for an empty feed)."""
    return int(repo.session.scalar(select(func.max(EventRow.seq))) or 0)
