"""The store's intention-named reads and writes, bound to one session (one transaction)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, selectinload

from harvester.schema import BoardCursor, Message, MessageWithdrawn, QuarantinedPage
from harvester.store import runlog
from harvester.store.feed import events_after
from harvester.store.messages import CHUNK, UpsertResult, load_messages, upsert_messages, withdraw_message
from harvester.store.models import CursorRow, EventRow, MessageRow, QuarantineRow, ReplyRow, RunRow
from harvester.store.outbox.confirm import confirm_posted_replies
from harvester.store.rechecks import RecheckQueue, RecheckTarget, recheck_queue
from harvester.store.records import columns, message_record, run_record
from harvester.store.upsert import upsert
from harvester.timeutil import utcnow

__all__ = ["KnownState", "RecheckQueue", "RecheckTarget", "Repository", "UpsertResult"]

@dataclass(frozen=True, slots=True)
class KnownState:
    """What the store knows of a message, enough for a spider to decide whether to fetch it again."""

    status: str
    status_raw: str
    content_hash: str
    last_seen_at: datetime
    replies: int = 0  # replies stored under the message (a list showing another count may hold news)


class Repository:
    """Reads and writes of one transaction; `Store.transaction()` commits or rolls it back."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- messages ------------------------------------------------------------------------------------
    def upsert_messages(self, messages: Sequence[Message], run_id: int, seen_at: datetime,
                        link_copies: bool = False) -> list[UpsertResult]:
        """Store a batch: insert new messages, update changed ones with one event per kind of change, and only
        touch `last_seen_at` (and refresh views/likes) of unchanged ones. A message repeated in the batch
        counts once, as its last version. `link_copies`: link new and re-worded messages to their copies on
        other platforms or the same one (一稿多投; harvester/store/links.py).
        """
        return upsert_messages(self.session, messages, run_id, seen_at, link_copies)

    def withdraw_message(self, item: MessageWithdrawn, run_id: int) -> str:
        """Mark a message the platform no longer shows as hidden: "withdrawn", "unchanged" or "unknown"."""
        return withdraw_message(self.session, item, run_id)

    def known_states(self, platform: str, external_ids: Iterable[str]) -> dict[str, KnownState]:
        """What is stored of these messages (absent ids are simply missing from the result)."""
        ids = list(dict.fromkeys(external_ids))
        states: dict[str, KnownState] = {}
        replies = (select(func.count(ReplyRow.id)).where(ReplyRow.message_id == MessageRow.id)
                   .correlate(MessageRow).scalar_subquery())
        for start in range(0, len(ids), CHUNK):
            query = select(MessageRow.external_id, MessageRow.status, MessageRow.status_raw,
                           MessageRow.content_hash, MessageRow.last_seen_at, replies).where(
                MessageRow.platform == platform, MessageRow.external_id.in_(ids[start:start + CHUNK]))
            states.update({row[0]: KnownState(*row[1:]) for row in self.session.execute(query)})
        return states

    def public_by_letter_no(self, platform: str, letter_nos: Iterable[str]) -> dict[str, str]:
        """letter number -> external id of stored messages not yet hidden (to notice letters made non-public)."""
        numbers = list(dict.fromkeys(n for n in letter_nos if n))
        found: dict[str, str] = {}
        for start in range(0, len(numbers), CHUNK):
            query = select(MessageRow.letter_no, MessageRow.external_id).where(
                MessageRow.platform == platform, MessageRow.letter_no.in_(numbers[start:start + CHUNK]),
                MessageRow.status != "hidden")
            found.update({str(number): external_id for number, external_id in self.session.execute(query)})
        return found

    def due_for_recheck(self, platform: str, statuses: Collection[str], seen_before: datetime,
                        limit: int, changed_after: datetime | None = None, *, backoff: float = 0.0,
                        now: datetime | None = None) -> list[RecheckTarget]:
        """The targets of `recheck_queue`: messages with a posted reply awaiting confirmation (whatever their
        status or last sighting), then messages in `statuses` last seen before `seen_before`, least recently
        seen first, `limit` in all (the first kind is never cut).

        `changed_after` bounds the work: a message unchanged since then has settled and is not re-checked.
        """
        return self.recheck_queue(platform, statuses, seen_before, limit, changed_after, backoff=backoff,
                                  now=now).targets

    def recheck_queue(self, platform: str, statuses: Collection[str], seen_before: datetime, limit: int,
                      changed_after: datetime | None = None, *, backoff: float = 0.0,
                      now: datetime | None = None) -> RecheckQueue:
        """What a harvest re-reads (see `due_for_recheck`), with adaptive revisits when `backoff` > 0 (a
        message is due once unseen for 1/backoff of its quiet time at `now`), and how many due ones it leaves
        for a later run."""
        return recheck_queue(self.session, platform, statuses, seen_before, limit, changed_after, backoff, now)

    def get_message(self, platform: str, external_id: str) -> dict[str, Any] | None:
        """One stored message with its replies, or None."""
        row = load_messages(self.session, [(platform, external_id)]).get((platform, external_id))
        return message_record(row) if row else None

    def iter_messages(self, platform: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored message (of one platform, if given) with replies, streamed in storage order."""
        query = (select(MessageRow).options(selectinload(MessageRow.replies))
                 .order_by(MessageRow.platform, MessageRow.id).execution_options(yield_per=500))
        if platform is not None:
            query = query.where(MessageRow.platform == platform)
        for row in self.session.scalars(query):
            yield message_record(row)

    def confirm_posted_replies(self, messages: Sequence[Message], run_id: int | None, seen_at: datetime) -> int:
        """Mark verified every posted reply that its message in `messages` (as just harvested) shows; returns
        how many. Runs in this transaction: a harvest calls it with the batch it stores."""
        return confirm_posted_replies(self.session, messages, run_id, seen_at)

    # --- quarantine and cursors ------------------------------------------------------------------------
    def quarantine_page(self, page: QuarantinedPage, run_id: int) -> str:
        """Keep an unparseable page: "inserted", or "repeated" when the same bytes at the same URL are known."""
        snapshot = page.snapshot
        table = cast(Table, QuarantineRow.__table__)
        values = {
            "platform": page.platform, "run_id": run_id, "last_run_id": run_id, "url": snapshot.url,
            "external_id": page.external_id, "status_code": snapshot.status, "headers": dict(snapshot.headers),
            "body": snapshot.body, "encoding": snapshot.charset, "reason": page.reason,
            "body_sha256": snapshot.sha256, "first_seen_at": snapshot.fetched_at,
            "last_seen_at": snapshot.fetched_at, "times_seen": 1,
        }
        statement = upsert(self.session, table, values, keys=("platform", "url", "body_sha256"),
                           replace=("last_seen_at", "last_run_id", "reason"),
                           increments={"times_seen": table.c.times_seen + 1})
        times_seen = self.session.execute(statement.returning(table.c.times_seen)).scalar_one()
        return "inserted" if times_seen == 1 else "repeated"

    def quarantined(self, platform: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Quarantined pages, most recently seen first, with their raw bytes."""
        query = select(QuarantineRow).order_by(QuarantineRow.last_seen_at.desc(), QuarantineRow.id.desc())
        if platform is not None:
            query = query.where(QuarantineRow.platform == platform)
        return [columns(row) for row in self.session.scalars(query.limit(limit))]

    def get_cursor(self, platform: str, board_id: str) -> str | None:
        """The board's stored sync watermark, or None before its first complete scan."""
        row = self.session.get(CursorRow, (platform, board_id))
        return row.value if row else None

    def set_cursor(self, cursor: BoardCursor, run_id: int) -> None:
        """Store the board's watermark (in the same transaction as the messages below it)."""
        values = {"platform": cursor.platform, "board_id": cursor.board_id, "value": cursor.value,
                  "updated_at": utcnow(), "run_id": run_id}
        table = cast(Table, CursorRow.__table__)
        self.session.execute(upsert(self.session, table, values, keys=("platform", "board_id"),
                                    replace=("value", "updated_at", "run_id")))

    # --- runs ------------------------------------------------------------------------------------------
    def start_run(self, platform: str, pid: int, shard: str | None = None) -> int:
        """Record a run starting now (of the board shard `shard`, e.g. "2/4"; None: all boards); return its id."""
        return runlog.start_run(self.session, platform, pid, shard)

    def finish_run(self, run_id: int, outcome: str, counts: Mapping[str, int], error: str | None = None,
                   failure_class: str | None = None, figures: Mapping[str, int] | None = None) -> None:
        """Record how the run ended, with its counters (requests, items, new, changed, …) and extra figures
        (HTTP status counts, soft blocks, rows listed: see harvester.runfigures)."""
        runlog.finish_run(self.session, run_id, outcome, counts, error, failure_class, figures)

    def add_run_counts(self, run_id: int, counts: Mapping[str, int]) -> None:
        """Add a batch's counts (new, changed, items, …) to the run, committed with the batch itself."""
        runlog.add_run_counts(self.session, run_id, counts)

    def abandon_stale_runs(self, platform: str) -> int:
        """Close the platform's runs whose process died (or that are over 24 h old) as abandoned."""
        return runlog.abandon_stale_runs(self.session, platform)

    def abandon_runs_of_dead_holders(self, platform: str, shard: str | None = None) -> int:
        """Close every "running" run of the platform (of the shard and of all boards, for a shard) as abandoned;
        only while holding its (the shard's) harvest lock."""
        return runlog.abandon_runs_of_dead_holders(self.session, platform, shard)

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """One run as a dict, or None."""
        row = self.session.get(RunRow, run_id)
        return self._run_records([row])[0] if row else None

    def latest_runs(self, limit: int = 20, platform: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first."""
        query = select(RunRow).order_by(RunRow.id.desc()).limit(limit)
        if platform is not None:
            query = query.where(RunRow.platform == platform)
        return self._run_records(list(self.session.scalars(query)))

    def latest_shard_runs(self, platform: str, shard: str, limit: int = 5) -> list[dict[str, Any]]:
        """The newest runs of the platform's board shard `shard` ("2/4"), newest first."""
        return self._run_records(runlog.latest_shard_runs(self.session, platform, shard, limit))

    def _run_records(self, rows: list[RunRow]) -> list[dict[str, Any]]:
        query = (select(EventRow.run_id, func.count()).where(EventRow.run_id.in_([row.id for row in rows]))
                 .group_by(EventRow.run_id))
        events: dict[int | None, int] = {run_id: count for run_id, count in self.session.execute(query)}
        return [run_record(row, events.get(row.id, 0)) for row in rows]

    # --- feed and totals -------------------------------------------------------------------------------
    def events_since(self, seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Change events with seq > `seq`, oldest first: resume with the last seq you processed."""
        return events_after(self.session, seq, limit)

    def counts(self) -> dict[str, int]:
        """How many messages, events, quarantined pages and runs are stored."""
        tables = {"messages": MessageRow.id, "events": EventRow.seq, "quarantine": QuarantineRow.id,
                  "runs": RunRow.id}
        return {name: self.session.scalar(select(func.count(key))) or 0 for name, key in tables.items()}
