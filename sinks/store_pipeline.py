"""Pipeline step 3: batched writes to the SQL store, and the run record around the crawl."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from harvester.config import DEFAULTS
from harvester.extract.snapshot import Snapshot
from harvester.pipelines.storable import quarantine_id
from harvester.runfigures import figures_from_stats
from harvester.runs import STAT_PREFIX, verdict
from harvester.runs_debug import crash_point
from harvester.schema import BoardCursor, Message, MessageWithdrawn, QuarantinedPage
from harvester.store.cache import store_for
from harvester.store.errors import DataError
from harvester.timeutil import utcnow

logger = logging.getLogger(__name__)


class StorePipeline:
    """Buffers items and writes them in one transaction per batch.

    A board cursor is written in the same transaction as the messages before it, never earlier, so a crash
    can only make the next run re-read letters, never skip them.

    A write that fails mid-crawl (database gone, disk full, a lock held too long) keeps its batch: the crawl is
    stopped, nothing more is written until the final flush retries the whole buffer in order, and the run is
    recorded as failed (class `store`). So no cursor is ever committed past letters that were not stored.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = crawler.settings.getint("HARVESTER_BATCH_SIZE", DEFAULTS.batch_size)
        self.link_copies = crawler.settings.getbool("HARVESTER_LINK_COPIES", DEFAULTS.link_copies)
        self.store = store_for(crawler.settings["HARVESTER_DB_URL"])
        self.run_id: int | None = None
        self.buffer: list[Any] = []
        self.flush_error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @property
    def platform(self) -> str:
        spider = self.crawler.spider
        assert spider is not None
        return spider.name

    def open_spider(self) -> None:
        with self.store.transaction() as repo:
            abandoned = repo.abandon_stale_runs(self.platform)
            if abandoned:
                logger.warning("%s: %d earlier run(s) died without an outcome", self.platform, abandoned)
            # a board shard's crawl (spider argument `shard`, distributed mode) says which shard its run covers
            self.run_id = repo.start_run(self.platform, os.getpid(), getattr(self.crawler.spider, "shard", None))
        self.stats.set_value(STAT_PREFIX + "run_id", self.run_id)
        crash_point("harvest.run_started")

    def process_item(self, item: Any) -> Any:
        self.buffer.append(item)
        self.stats.inc_value(STAT_PREFIX + "items_buffered")
        if self.flush_error is None and (isinstance(item, BoardCursor) or len(self.buffer) >= self.batch_size):
            crash_point("harvest.cursor_buffered" if isinstance(item, BoardCursor) else "harvest.flush_due")
            try:
                self.flush()
            except Exception as error:
                self.write_failed(error)
        return item

    def write_failed(self, error: Exception) -> None:
        """Keep the buffer, stop the crawl: more pages would only pile up items that cannot be written."""
        self.flush_error = f"store write failed: {describe(error)}"
        logger.error("%s: %s; the crawl stops, %d item(s) kept for the final write", self.platform,
                     self.flush_error, len(self.buffer))
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="store_failed"))

    def close_spider(self) -> None:
        try:
            self.flush()
        except Exception as error:  # recorded on the run by spider_closed; not re-raised, whose log would
            self.flush_error = f"final write failed: {describe(error)}"  # carry the statement
            logger.error("%s: %s; %d item(s) not stored: the next run reads them again (no cursor passed them)",
                         self.platform, self.flush_error, len(self.buffer))
            return
        if self.flush_error:
            logger.warning("%s: the final write stored every item kept since the failed write", self.platform)

    def flush(self) -> None:
        """Write the buffer in one transaction and count the outcomes; on failure the buffer is left whole."""
        if not self.buffer:
            return
        taken = list(self.buffer)
        try:
            counts = self._write(taken)
        except DataError as error:  # one value the database refuses: find it, quarantine it, write the rest
            counts = self._write(self._without_refused(taken, error))
        crash_point("harvest.committed")
        del self.buffer[:len(taken)]
        for name, value in counts.items():
            self.stats.inc_value(STAT_PREFIX + name, value)

    def _without_refused(self, batch: list[Any], error: DataError) -> list[Any]:
        """The batch with each message the database refuses alone (tried one by one, rolled back) turned into
        a quarantined record with the database's reason, and without its board's cursors: the gate should have
        refused it, and the next run must read it again."""
        refused = {id(m): describe(e) for m in batch if isinstance(m, Message) and (e := self._refusal(m))}
        if not refused:
            raise error
        boards = {(m.platform, m.board_id) for m in batch if id(m) in refused}
        return [refused_record(i, refused[id(i)]) if id(i) in refused else i for i in batch
                if not (isinstance(i, BoardCursor) and (i.platform, i.board_id) in boards)]

    def _refusal(self, message: Message) -> DataError | None:
        assert self.run_id is not None
        try:
            with self.store.transaction() as repo:
                repo.upsert_messages([message], self.run_id, utcnow())
                raise _Probed
        except _Probed:
            return None
        except DataError as error:
            return error

    def _write(self, batch: list[Any]) -> dict[str, int]:
        """Write `batch` in one transaction; its run counters."""
        assert self.run_id is not None
        seen_at = utcnow()
        with self.store.transaction() as repo:
            messages = [i for i in batch if isinstance(i, Message)]
            results = (repo.upsert_messages(messages, self.run_id, seen_at, link_copies=self.link_copies)
                       if messages else [])
            # Posted replies this batch shows on their messages become verified, in the same transaction.
            self.stats.inc_value(STAT_PREFIX + "replies_verified",
                                 repo.confirm_posted_replies(messages, self.run_id, seen_at))
            outcomes: list[str] = [r.outcome for r in results]
            for item in batch:
                if isinstance(item, QuarantinedPage):
                    repo.quarantine_page(item, self.run_id)
                elif isinstance(item, MessageWithdrawn):
                    outcomes.append(repo.withdraw_message(item, self.run_id))  # withdrawn | unchanged | unknown
                elif isinstance(item, BoardCursor):
                    repo.set_cursor(item, self.run_id)
            counts = batch_counts(batch, outcomes)
            repo.add_run_counts(self.run_id, counts)  # committed with the batch: a killed run still shows it
            crash_point("harvest.in_transaction")
        return counts

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Record the run's outcome (after the final flush) with why it failed, if it did."""
        if self.run_id is None:
            return
        failures = list(getattr(spider, "failures", []))
        result = verdict(reason, failures, self.stats.get_stats())
        if self.flush_error:
            result.outcome, result.failure_class, result.error = "failed", "store", self.flush_error
        crash_point("harvest.before_run_record")
        with self.store.transaction() as repo:
            repo.finish_run(self.run_id, result.outcome, result.counts, error=result.error,
                            failure_class=result.failure_class, figures=figures_from_stats(self.stats.get_stats()))
        log = logger.info if result.outcome == "succeeded" else logger.error
        log("%s: run %s %s %s", self.platform, self.run_id, result.outcome, result.error or "")


def batch_counts(batch: list[Any], outcomes: list[str]) -> dict[str, int]:
    """A written batch's run counters: new, changed, unchanged, withdrawn, items, quarantined."""
    names = {"inserted": "new", "updated": "changed", "unchanged": "unchanged", "withdrawn": "withdrawn"}
    counts = dict.fromkeys(names.values(), 0)
    for outcome in outcomes:
        if outcome in names:
            counts[names[outcome]] += 1
    counts["items"] = sum(isinstance(i, Message) for i in batch)
    counts["quarantined"] = sum(isinstance(i, QuarantinedPage) for i in batch)
    return counts


def describe(error: BaseException) -> str:
    """The error's class and first line, from the driver's own error when SQLAlchemy wraps one: never the
    statement or its parameters (message text, citizens' data)."""
    cause = getattr(error, "orig", None) or error
    first_line = (str(cause).splitlines() or [""])[0][:200]
    return f"{cause.__class__.__name__}: {first_line}" if first_line else cause.__class__.__name__


class _Probed(Exception):
    """Rolls back a one-message trial write that succeeded."""


def refused_record(message: Message, reason: str) -> QuarantinedPage:
    """A message the database refused, quarantined as its JSON (NUL and surrogates escaped) with the reason."""
    try:
        data = json.dumps(message.content_fields(), ensure_ascii=True, default=str).encode()
    except Exception:  # noqa: BLE001 - a value too odd to serialise: keep the reason alone
        data = b""
    page = Snapshot(url=message.url, status=200, body=data, fetched_at=message.fetched_at,
                    headers={"content-type": "application/json; charset=utf-8"})
    return QuarantinedPage(platform=message.platform, snapshot=page, reason=f"store refused the message: {reason}",
                           external_id=quarantine_id(message.external_id))
