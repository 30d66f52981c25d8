"""The store reads the monitors make, inside one read transaction: runs, quarantined pages, field coverage,
open messages for deadlines, posted replies not seen since."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select

from harvester.store.models import MessageRow, QuarantineRow, ReplyRow, RunRow
from harvester.store.outbox.confirm import Unverified, unverified
from harvester.store.repository import Repository

# Message fields whose share a template change shows in (text fields count when not empty).
TEXT_FIELDS = ("author", "letter_no", "kind_raw", "topic_raw", "region")
OTHER_FIELDS = ("views", "likes")
ANSWERED = ("replied", "closed")


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One harvest run as the monitors judge it; `figures` as recorded (None: none kept)."""

    id: int
    outcome: str
    failure_class: str | None
    error: str | None
    items: int
    started_at: datetime
    finished_at: datetime | None
    figures: dict[str, Any] | None
    shard: str | None = None  # the board shard it harvested ("2/4"); None: all the platform's boards


@dataclass(frozen=True, slots=True)
class OpenMessage:
    """An open message for the deadline check: the unit to chase (handling unit, else addressee) and its kind
    (`complex` when its raw status says handling was extended)."""

    external_id: str
    unit: str
    kind: str
    posted_at: datetime


def _summary(row: RunRow) -> RunSummary:
    return RunSummary(row.id, row.outcome, row.failure_class, row.error, row.items, row.started_at, row.finished_at,
                      dict(row.figures) if row.figures is not None else None, row.shard)


def _filled(name: str) -> ColumnElement[bool]:
    column = getattr(MessageRow, name)
    return and_(column.is_not(None), column != "") if name in TEXT_FIELDS else column.is_not(None)


class MonitorReads:
    """Reads of one transaction (`Store.transaction()`), plain values back."""

    def __init__(self, repo: Repository) -> None:
        self._session = repo.session

    def finished_runs(self, platform: str, limit: int) -> list[RunSummary]:
        """The platform's newest runs that have an outcome (not still running), newest first."""
        query = (select(RunRow).where(RunRow.platform == platform, RunRow.outcome != "running")
                 .order_by(RunRow.id.desc()).limit(limit))
        return [_summary(row) for row in self._session.scalars(query)]

    def successful_shard_runs(self, platform: str, shard: str | None, limit: int) -> list[RunSummary]:
        """The platform's newest succeeded runs of board shard `shard` ("2/4"; None: over all its boards), newest
        first."""
        which = RunRow.shard.is_(None) if shard is None else RunRow.shard == shard
        query = (select(RunRow).where(RunRow.platform == platform, RunRow.outcome == "succeeded", which)
                 .order_by(RunRow.id.desc()).limit(limit))
        return [_summary(row) for row in self._session.scalars(query)]

    def newest_of_each_shard(self, platform: str, succeeded: bool = False) -> list[RunSummary]:
        """The platform's newest finished (`succeeded`: successful) run of each board shard it was ever harvested
        in, and its newest over all its boards, newest first."""
        done = RunRow.outcome == "succeeded" if succeeded else RunRow.outcome != "running"
        newest = select(func.max(RunRow.id)).where(RunRow.platform == platform, done).group_by(RunRow.shard)
        query = select(RunRow).where(RunRow.id.in_(newest)).order_by(RunRow.id.desc())
        return [_summary(row) for row in self._session.scalars(query)]

    def quarantined(self, platform: str, after: datetime, until: datetime) -> list[tuple[str, str]]:
        """(url, reason) of the platform's pages first quarantined in (after, until], newest first."""
        query = (select(QuarantineRow.url, QuarantineRow.reason)
                 .where(QuarantineRow.platform == platform, QuarantineRow.first_seen_at > after,
                        QuarantineRow.first_seen_at <= until)
                 .order_by(QuarantineRow.first_seen_at.desc()))
        return [(url, reason) for url, reason in self._session.execute(query)]

    def coverage(self, platform: str, run_ids: Sequence[int], of_runs: bool) -> dict[str, tuple[int, int]]:
        """Per field, (messages carrying it, messages that could) among the platform's shown messages last seen
        by `run_ids` (`of_runs`) or by none of them; "replies" counts answered messages with a stored reply."""
        among = MessageRow.last_run_id.in_(list(run_ids))
        where = among if of_runs else or_(MessageRow.last_run_id.is_(None), not_(among))
        answered = MessageRow.status.in_(ANSWERED)
        has_reply = exists().where(ReplyRow.message_id == MessageRow.id)
        names = TEXT_FIELDS + OTHER_FIELDS
        columns = [func.count(), func.sum(case((answered, 1), else_=0)),
                   func.sum(case((and_(answered, has_reply), 1), else_=0)),
                   *(func.sum(case((_filled(name), 1), else_=0)) for name in names)]
        query = select(*columns).where(MessageRow.platform == platform, MessageRow.status != "hidden", where)
        total, answered_n, replied, *filled = self._session.execute(query).one()
        counts = {name: (int(value or 0), int(total)) for name, value in zip(names, filled, strict=True)}
        counts["replies"] = (int(replied or 0), int(answered_n or 0))
        return counts

    def open_messages(self, platform: str, statuses: Collection[str], posted_by: datetime,
                      extended: Collection[str], complex_kind: str) -> Iterator[OpenMessage]:
        """The platform's messages in `statuses` posted by `posted_by`; a raw status in `extended` makes the
        kind `complex_kind`."""
        unit = func.coalesce(MessageRow.handling_unit, MessageRow.addressee)
        kind = (case((MessageRow.status_raw.in_(list(extended)), complex_kind), else_=MessageRow.kind)
                if extended else MessageRow.kind)
        query = select(MessageRow.external_id, unit, kind, MessageRow.posted_at).where(
            MessageRow.platform == platform, MessageRow.status.in_(list(statuses)), MessageRow.posted_at <= posted_by)
        for external_id, unit_name, kind_name, posted_at in self._session.execute(query):
            yield OpenMessage(external_id, unit_name, kind_name, posted_at)

    def last_successes(self, platforms: Collection[str]) -> dict[str, datetime | None]:
        """When each platform last finished a successful harvest (None: never)."""
        query = (select(RunRow.platform, func.max(RunRow.finished_at))
                 .where(RunRow.platform.in_(list(platforms)), RunRow.outcome == "succeeded")
                 .group_by(RunRow.platform))
        found: dict[str, datetime | None] = {row[0]: row[1] for row in self._session.execute(query)}
        return {platform: found.get(platform) for platform in platforms}

    def sharded(self, platforms: Collection[str]) -> set[str]:
        """Those of `platforms` with a run over a board shard (ever)."""
        query = (select(RunRow.platform).where(RunRow.platform.in_(list(platforms)), RunRow.shard.is_not(None))
                 .distinct())
        return set(self._session.scalars(query))

    def unverified_replies(self, after_runs: int) -> list[Unverified]:
        """Posted replies not seen by `after_runs` or more successful harvests of their platform since posting."""
        return unverified(self._session, after_runs)

