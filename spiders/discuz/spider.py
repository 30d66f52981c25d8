"""Harvests Discuz! X boards incrementally: the list down to the last-post cursor, then each changed thread
(a newer last post, or a reply count the store does not account for)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.registry import Board
from harvester.schema import BoardCursor
from harvester.store.repository import KnownState
from spiders.base import HarvestSpider
from spiders.discuz import pages
from spiders.discuz.messages import ThreadContext, locked_posts, thread_message
from spiders.discuz.options import DiscuzOptions, board_url, parse_options, thread_url
from spiders.discuz.scan import LastPostScan, decode_cursor

MAX_THREAD_PAGES = 500  # a runaway pager must not keep a crawl alive


def _moving_on(read: tuple[pages.ThreadPage, ...]) -> bool:
    """Whether the pager still leads somewhere new (page numbers rising, within bounds)."""
    return len(read) < MAX_THREAD_PAGES and (len(read) == 1 or read[-1].page > read[-2].page)


class DiscuzSpider(HarvestSpider):
    """A changed thread is read whole, every page from the first: the store keeps a message with all its
    replies, so reading only the pages after the change would need the stored replies merged back in, and
    a post hidden or released by a moderator on an earlier page would go unnoticed."""

    name = "discuz"
    options: DiscuzOptions
    board_scans: dict[str, LastPostScan]
    requested: set[str]  # set up by HarvestSpider.from_crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DiscuzSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, DiscuzSpider)
        spider.options = parse_options(cls.platform.options, cls.platform.source)
        spider.board_scans = {}
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for board in self.platform.boards:
            self.board_scans[board.id] = self.board_scan(board.id)
            yield self.list_request(board, board_url(self.platform.base_url, board.id, 1, self.options.url_style))

    def board_scan(self, board_id: str) -> LastPostScan:
        with self.store.transaction() as repo:
            value = repo.get_cursor(self.name, board_id)
        cursor = decode_cursor(value)
        return LastPostScan(board_id, cursor.last_post, hidden=cursor.hidden, old_value=value)

    # --- requests ------------------------------------------------------------------------------------
    def list_request(self, board: Board, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_list, errback=self.list_failed, cb_kwargs={"board": board},
                              meta=self.request_meta(), dont_filter=True)

    def thread_request(self, board: Board, tid: str, url: str, read: tuple[pages.ThreadPage, ...] = (),
                       first: Snapshot | None = None) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_thread, errback=self.thread_failed, dont_filter=True,
                              cb_kwargs={"board": board, "tid": tid, "read": read, "first": first},
                              meta=self.request_meta())

    # --- board list ----------------------------------------------------------------------------------
    def parse_list(self, response: Response, board: Board) -> Iterator[Any]:
        scan = self.board_scans[board.id]
        listing = yield from self.checked_listing(response, scan, pages.parse_board)
        if listing is None:
            return
        self.count("listed", len(listing.rows))
        known = self.known_states(row.tid for row in listing.rows)
        for row in listing.rows:
            if not row.pinned:
                scan.seen[row.tid] = row.last_post_at
            if (row.pinned and not self.options.harvest_pinned) or row.readperm:
                self.count("skipped")  # board notices; threads guests may not read
                continue
            scan.compared[row.tid] = row.last_post_at
            if row.tid not in self.requested and self.changed(scan, row, known.get(row.tid)):
                self.requested.add(row.tid)
                scan.requested(row.tid, row.last_post_at)
                url = thread_url(self.platform.base_url, row.tid, 1, self.options.url_style)
                yield self.thread_request(board, row.tid, url)
        oldest = min((row.last_post_at for row in listing.rows if not row.pinned), default=None)
        if listing.next_url and not scan.reached_cursor(oldest):
            yield self.list_request(board, listing.next_url)
        else:
            scan.list_complete = True
            yield from self.emit_cursor(board.id)

    def changed(self, scan: LastPostScan, row: pages.ThreadRow, state: KnownState | None) -> bool:
        """A new last post, or (for a thread already stored) a reply count the store does not account for:
        a reply released by a moderator after a newer one was posted leaves the last post where it was."""
        if scan.wants(row.last_post_at):
            return True
        if state is None or not scan.recount(row.tid, row.replies, state.replies):
            return False
        self.count("recounted")
        return True

    def list_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
        board: Board = request.cb_kwargs["board"]
        self.board_scans[board.id].list_broken = True
        self.record_failure(request.url, *self.classify(failure))
        return iter(())

    # --- threads -------------------------------------------------------------------------------------
    def parse_thread(self, response: Response, board: Board, tid: str, read: tuple[pages.ThreadPage, ...],
                     first: Snapshot | None) -> Iterator[Any]:
        snapshot = self.snapshot(response)
        if self.soft_blocked(snapshot):  # a WAF's interstitial: the thread is not read, the cursor stays below
            yield from self.thread_done(board, tid, ok=False)
            return
        try:
            page = pages.parse_thread(snapshot)
            read, first = (*read, page), first or snapshot
            if page.next_url and _moving_on(read):
                yield self.thread_request(board, tid, page.next_url, read, first)
                return
            url = thread_url(self.platform.base_url, tid, 1, self.options.url_style)
            message = thread_message(read, ThreadContext(self.name, board, tid, url, self.options), first)
        except NotPublic as error:
            self.logger.info("%s: thread %s skipped: %s", self.name, tid, error.reason)
            self.count("skipped")
        except LayoutChanged as error:
            if not self.soft_blocked(snapshot, unparsed=True):
                yield self.quarantine(snapshot, error.reason, external_id=tid)
            yield from self.thread_done(board, tid, ok=False)
            return
        else:
            self.count("locked_posts", locked_posts(read))
            self.board_scans[board.id].learn(tid, read[0].replies, len(message.replies))
            yield message
        yield from self.thread_done(board, tid, ok=True)

    def thread_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
        kwargs = request.cb_kwargs
        self.record_failure(request.url, *self.classify(failure))
        return self.thread_done(kwargs["board"], kwargs["tid"], ok=False)

    def thread_done(self, board: Board, tid: str, ok: bool) -> Iterator[Any]:
        self.board_scans[board.id].handled(tid, ok)
        yield from self.emit_cursor(board.id)

    def emit_cursor(self, board_id: str) -> Iterator[BoardCursor]:
        """The board's new cursor (ISO time in Beijing time, then the threads' hidden floors) once its scan and
        every thread it started are done."""
        scan = self.board_scans[board_id]
        if not scan.ready():
            return
        scan.cursor_emitted = True
        value = scan.cursor_value()
        if value is not None and value != scan.old_value:
            yield BoardCursor(platform=self.name, board_id=board_id, value=value)
