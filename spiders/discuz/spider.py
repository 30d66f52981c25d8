"""Harvests Discuz! X boards incrementally: the list down to the last-post cursor, then each changed thread
(a newer last post, or a reply count the store does not account for).

A stored thread with a newer last post (or one in the cursor's minute) is read from the page that holds its last
stored reply, not from page 1 (`posts_per_page` option, the forum's ppp), and the floors before that page come
from the store; the message yielded is still the whole thread. See spiders.discuz.resume for the page arithmetic
and for when the merge is refused and the thread read whole instead.

What a partial read cannot see: an edit of a reply on a page it skips, an edit of the opening post (title, type
and views are re-read; the body is not), and a moderator hiding or releasing a floor on a skipped page (the reply
count stays the same). The store keeps those floors as they were until the thread is next read whole: a refused
merge, a read triggered by the reply count alone (a queued reply approved lands in the middle of the thread,
so such a thread is always read whole), or its next re-check (recheck_statuses).
"""

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
from harvester.schema import BoardCursor, Message
from harvester.store.repository import KnownState
from harvester.vocab import Status
from spiders.base import HarvestSpider, request_of
from spiders.discuz import pages
from spiders.discuz.messages import ThreadContext, locked_posts, thread_message
from spiders.discuz.options import DiscuzOptions, board_url, parse_options, thread_url
from spiders.discuz.resume import Resume, Untrusted, resume_page, resumed_message, stored_thread
from spiders.discuz.scan import LastPostScan, decode_cursor

MAX_THREAD_PAGES = 500  # a runaway pager must not keep a crawl alive


def _moving_on(read: tuple[pages.ThreadPage, ...]) -> bool:
    """Whether the pager still leads somewhere new (page numbers rising, within bounds)."""
    return len(read) < MAX_THREAD_PAGES and (len(read) == 1 or read[-1].page > read[-2].page)


class DiscuzSpider(HarvestSpider):
    """A new thread is read whole; a stored one with a newer last post from the page of its last stored reply
    (the message yielded is still the whole thread: stored floors before that page, the pages read after it)."""

    name = "discuz"
    board_subsets = True  # takes `boards=FID,FID` (a board shard of distributed mode): HarvestSpider.chosen_boards
    options: DiscuzOptions
    board_scans: dict[str, LastPostScan]
    closed_in_list: dict[str, bool]  # tid -> shown closed (th.lock) by a board list page read this run
    requested: set[str]  # set up by HarvestSpider.from_crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DiscuzSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, DiscuzSpider)
        spider.options = parse_options(cls.platform.options, cls.platform.source)
        spider.board_scans = {}
        spider.closed_in_list = {}
        return spider

    async def start(self) -> AsyncIterator[Any]:
        # Threads read again after their board's list (which reads them anyway when they moved): those holding a
        # reply of ours that waits to be confirmed (a queued reply does not bump its thread, nor does an old one
        # sink back into view), and open threads due for a re-check when the definition asks for them
        # (recheck_statuses): a moderator closing a thread posts nothing, so a closed thread below the first list
        # page is found only so.
        chosen = self.chosen_boards()
        self.revisits = {board_id: due for board_id, due in self.rechecks_by_board().items()
                         if board_id in {board.id for board in chosen}}
        for board in chosen:
            self.board_scans[board.id] = self.board_scan(board.id)
            yield self.list_request(board, board_url(self.platform.base_url, board.id, 1, self.options.url_style))

    def recheck_reads(self, board: Board) -> Iterator[scrapy.Request]:
        """Whole reads of the board's threads due again (a reply to confirm, or a re-check) that the list did not
        read."""
        for tid in self.rechecks_after_list(board.id):
            self.requested.add(tid)
            yield self.first_thread_request(board, tid, None)

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
                       first: Snapshot | None = None, resume: Resume | None = None) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_thread, errback=self.thread_failed, dont_filter=True,
                              cb_kwargs={"board": board, "tid": tid, "read": read, "first": first,
                                         "resume": resume},
                              meta=self.request_meta())

    def first_thread_request(self, board: Board, tid: str, resume: Resume | None) -> scrapy.Request:
        """The thread's page 1, or the page a partial read starts at."""
        page = resume.page if resume else 1
        return self.thread_request(board, tid, thread_url(self.platform.base_url, tid, page, self.options.url_style),
                                   resume=resume)

    # --- board list ----------------------------------------------------------------------------------
    def parse_list(self, response: Response, board: Board) -> Iterator[Any]:
        scan = self.board_scans[board.id]
        listing = yield from self.checked_listing(response, scan, pages.parse_board)
        if listing is None:
            yield from self.recheck_reads(board)
            return
        self.count("listed", len(listing.rows))
        known = self.known_states(row.tid for row in listing.rows)
        for row in listing.rows:
            self.closed_in_list[row.tid] = row.closed
            if not row.pinned:
                scan.seen[row.tid] = row.last_post_at
            if (row.pinned and not self.options.harvest_pinned) or row.readperm or row.moved_to:
                self.count("skipped")  # board notices; threads guests may not read; stubs of moved threads
                continue
            scan.compared[row.tid] = row.last_post_at
            state = known.get(row.tid)
            if row.tid not in self.requested and self.changed(scan, row, state):
                self.requested.add(row.tid)
                scan.requested(row.tid, row.last_post_at)
                yield self.first_thread_request(board, row.tid, self.resume_at(scan, row, state))
        oldest = min((row.last_post_at for row in listing.rows if not row.pinned), default=None)
        if listing.next_url and not scan.reached_cursor(oldest):
            yield self.list_request(board, listing.next_url)
        else:
            scan.list_complete = True
            yield from self.recheck_reads(board)
            yield from self.emit_cursor(board.id)

    def changed(self, scan: LastPostScan, row: pages.ThreadRow, state: KnownState | None) -> bool:
        """A new last post, or (for a thread already stored) a reply count the store does not account for:
        a reply released by a moderator after a newer one was posted leaves the last post where it was."""
        if scan.wants(row.last_post_at):
            return True
        if state is not None and row.closed != (state.status == Status.CLOSED):
            self.count("closed_moved")  # closed (or reopened) by a moderator: nothing was posted
            return True
        if state is None or not scan.recount(row.tid, row.replies, state.replies):
            return False
        self.count("recounted")
        return True

    def resume_at(self, scan: LastPostScan, row: pages.ThreadRow, state: KnownState | None) -> Resume | None:
        """Where to read a stored thread with a newer last post (new floors come at the end); None = whole.
        A thread read only for its reply count is read whole: an approved reply lands in the middle."""
        if state is None or not scan.wants(row.last_post_at):
            return None
        page = resume_page(state.replies, self.options.posts_per_page)
        return Resume(page, scan.hidden_floors(row.tid), row.replies, row.views) if page > 1 else None

    def list_failed(self, failure: Failure) -> Iterator[Any]:
        request = request_of(failure)
        board: Board = request.cb_kwargs["board"]
        self.board_scans[board.id].list_broken = True
        self.record_failure(request.url, *self.classify(failure))
        return self.recheck_reads(board)

    # --- threads -------------------------------------------------------------------------------------
    def parse_thread(self, response: Response, board: Board, tid: str, read: tuple[pages.ThreadPage, ...],
                     first: Snapshot | None, resume: Resume | None = None) -> Iterator[Any]:
        snapshot = self.snapshot(response)
        if self.soft_blocked(snapshot):  # a WAF's interstitial: the thread is not read, the cursor stays below
            yield from self.thread_done(board, tid, ok=False)
            return
        try:
            page = pages.parse_thread(snapshot)
            read, first = (*read, page), first or snapshot
            if page.next_url and _moving_on(read):
                yield self.thread_request(board, tid, page.next_url, read, first, resume)
                return
            url = thread_url(self.platform.base_url, tid, 1, self.options.url_style)
            context = ThreadContext(self.name, board, tid, url, self.options, closed=self.thread_closed(tid, read))
            message = (thread_message(read, context, first) if resume is None
                       else self.resumed(read, context, first, resume))
            if message is None:  # the partial read cannot be trusted: read the thread whole
                yield self.first_thread_request(board, tid, None)
                return
            message = self.validated(message)
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
            counted = read[0].replies if read[0].replies is not None else resume.replies if resume else None
            if counted is not None:
                self.board_scans[board.id].learn(tid, counted, len(message.replies))
            yield message
        yield from self.thread_done(board, tid, ok=True)

    def thread_closed(self, tid: str, read: tuple[pages.ThreadPage, ...]) -> bool:
        """As the board list showed the thread this run (th.lock); else as its opening post's latest moderation
        says (关闭 / 打开; another action says nothing); else as the store has it."""
        if tid in self.closed_in_list:
            return self.closed_in_list[tid]
        said = next((page.closed for page in read if page.page == 1 and page.closed is not None), None)
        if said is not None:
            return said
        state = self.known_states([tid]).get(tid)
        return state is not None and state.status == Status.CLOSED

    def resumed(self, read: tuple[pages.ThreadPage, ...], context: ThreadContext, first: Snapshot,
                resume: Resume) -> Message | None:
        """The whole thread from a partial read and the stored floors, or None when the merge is refused."""
        with self.store.transaction() as repo:
            record = repo.get_message(self.name, context.tid)
        try:
            if record is None:
                raise Untrusted("the thread is no longer stored")
            message = resumed_message(stored_thread(record), read, resume, context, first)
        except Untrusted as refusal:
            self.logger.info("%s: thread %s read whole after a partial read from page %d: %s", self.name,
                             context.tid, resume.page, refusal.reason)
            self.count("resume_refused")
            return None
        self.count("resumed")
        self.count("thread_pages_skipped", resume.page - 1)
        return message

    def thread_failed(self, failure: Failure) -> Iterator[Any]:
        request = request_of(failure)
        kwargs = request.cb_kwargs
        self.record_failure(request.url, *self.classify(failure))
        return self.thread_done(kwargs["board"], kwargs["tid"], ok=False)

    def thread_done(self, board: Board, tid: str, ok: bool) -> Iterator[Any]:
        scan = self.board_scans[board.id]
        if tid in scan.pending:  # not so for a re-check read, which the list did not start
            scan.handled(tid, ok)
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
