"""The spider's hybrid browser path (`path = "hybrid"`): one shell page per board in Chromium, the site's own
bundle signing and sending every list and content call from inside that page (spiders/people/hybrid.py), many
content calls in flight, and their answers taken over by the same handlers as the API path. Messages asked for
outside a board's list (re-checks of open messages, and those the API path asked for before it fell back) are
read the same way in a content session: one more shell page, not a page per message."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from playwright.async_api import Error as PlaywrightError
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from twisted.python.failure import Failure

from adapters.browser import first_line
from adapters.playwright_settings import AbortRequest
from harvester.extract.snapshot import Snapshot
from harvester.registry import Board
from spiders.people.api import THROTTLE_STATUSES, Answer
from spiders.people.base import PeopleBase
from spiders.people.browser import BrowserGaveUp, close_failed_page
from spiders.people.content import detail_url
from spiders.people.hybrid import HybridSession

HYBRID_TID = "people_tid"  # meta of a content request the hybrid path reads in a session's page instead
ERRORS = (BrowserGaveUp, PlaywrightError, TimeoutError)
Outcome = tuple[Snapshot, Answer] | BaseException
CONTENT_SESSIONS = "spiders.people.hybrid_path.ContentSessions"
CONTENT_SESSIONS_ORDER = 950  # next to the spider: the request is replaced before depth, referer and offsite see it


class InFlight:
    """Messages read in a session's page: one round trip per batch of half the session's calls (two batches side
    by side), outcomes taken as they come back."""

    def __init__(self, session: HybridSession) -> None:
        self.shell = session  # the board session whose page sends the calls
        self.done: asyncio.Queue[tuple[str, Outcome]] = asyncio.Queue()
        self.tasks: set[asyncio.Future[Any]] = set()  # cancelled if the crawl closes the callback early
        self.waiting = 0  # messages asked for whose outcome has not been taken yet

    def track(self, future: asyncio.Future[Any]) -> None:
        self.tasks.add(future)
        future.add_done_callback(self.tasks.discard)

    def ask(self, tids: list[str]) -> None:
        batch = max(1, self.shell.in_flight // 2)
        for start in range(0, len(tids), batch):
            self.track(asyncio.ensure_future(_read(self.shell, tids[start:start + batch], self.done)))
        self.waiting += len(tids)

    def ready(self) -> Iterator[tuple[str, Outcome]]:
        """The outcomes already back."""
        while not self.done.empty():
            self.waiting -= 1
            yield self.done.get_nowait()

    async def next(self) -> tuple[str, Outcome]:
        found = await self.done.get()
        self.waiting -= 1
        return found

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()


class HybridPath(PeopleBase):
    """A board's session: its list paged by the bundle in a detached sandbox, each message it asks for read
    by the bundle too, `concurrency` of them at once; other messages go to the content session."""

    content_queue: deque[tuple[str, str | None]]  # (tid, board id or None) waiting for the content session
    content_session_open: bool  # a content session is asked for or reading: new messages join its queue

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if getattr(cls, "platform", None) is not None:
            settings.set("SPIDER_MIDDLEWARES", {**settings.getdict("SPIDER_MIDDLEWARES"),
                                                CONTENT_SESSIONS: CONTENT_SESSIONS_ORDER}, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HybridPath:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, HybridPath)
        spider.content_queue, spider.content_session_open = deque(), False
        return spider

    @property
    def hybrid(self) -> bool:
        """Boards go through hybrid sessions: configured so, or fallen back to the browser from the API path (a
        full render per message is kept for `path = "browser"` and `fetch = "browser"`)."""
        return self.options.path == "hybrid" or (self.options.path == "api" and self.platform.fetch != "browser")

    def session_request(self, shell: Board, callback: Any, errback: Any, **cb_kwargs: Any) -> scrapy.Request:
        """The list shell of board `shell` in Chromium, kept open for a session (its cookies, appCode, bundle)."""
        meta = {"playwright": True, "playwright_include_page": True, "playwright_context": self.name,
                "dont_merge_cookies": True, "handle_httpstatus_list": list(THROTTLE_STATUSES)}
        return scrapy.Request(f"{self.platform.base_url}/threads/list?fid={shell.id}", callback=callback,
                              errback=errback, cb_kwargs=cb_kwargs, meta=meta, dont_filter=True)

    def hybrid_list_request(self, board: Board) -> scrapy.Request:
        return self.session_request(board, self.parse_hybrid_list, self.list_failed_closing_page, board=board)

    async def list_failed_closing_page(self, failure: Failure) -> None:
        await close_failed_page(failure)
        self.list_failed(failure)

    async def parse_hybrid_list(self, response: Response, board: Board) -> AsyncIterator[Any]:
        scan = self.scans[board.id]
        session = self.hybrid_session(response)
        reads = InFlight(session)
        kind = "bw" if board.id in self.options.ministry_boards else "df"
        try:
            try:
                await session.start()
                page: tuple[Snapshot, Answer] | None = await session.list_answer(board.id, kind)
                while page is not None:
                    # the next page is asked for before this one is handled (its answer is on its way while
                    # Python reads this one); when this one ends the scan, the page read ahead is dropped
                    ahead = asyncio.ensure_future(session.next_page(board.id, kind))
                    reads.track(ahead)
                    asked: list[str] = []
                    for item in self.take_list_answer(board, *page, None, "browser", None):
                        if isinstance(item, scrapy.Request) and HYBRID_TID in item.meta:
                            asked.append(item.meta[HYBRID_TID])
                        else:
                            yield item
                    reads.ask(asked)
                    for item in self.took_ready(reads, board.id):
                        yield item
                    if scan.list_complete or scan.list_broken:
                        ahead.cancel()
                        break
                    page = await ahead
                    if page is None:  # the bundle rendered the list's last page
                        for item in self.end_list(board):
                            yield item
            except ERRORS as error:
                scan.list_broken = True
                self.record_failure(response.url, _failure_class(error), first_line(error))
            while reads.waiting:  # the messages asked for before the list ended (or broke)
                for item in self._took(*(await reads.next()), board.id):
                    yield item
        finally:
            reads.cancel()
            await self.close_session(session)

    # --- the content session: messages asked for outside a board's list ----------------------------
    def join_content_session(self, request: scrapy.Request) -> scrapy.Request | None:
        """Queue the message of a content request for the content session; the session's own request when none
        is open (the first message opens one), else None: the open session reads it."""
        self.content_queue.append((request.meta[HYBRID_TID], request.cb_kwargs.get("board_id")))
        if self.content_session_open:
            return None
        self.content_session_open = True
        shell = next((board for board in self.platform.boards if board.id in self.scans), self.platform.boards[0])
        return self.session_request(shell, self.parse_content_session, self.content_session_failed)

    async def parse_content_session(self, response: Response) -> AsyncIterator[Any]:
        """Read the queued messages in flight until the queue is empty (messages queued meanwhile included)."""
        session = self.hybrid_session(response)
        reads = InFlight(session)
        try:
            try:
                await session.start()
            except ERRORS as error:
                for item in self.content_session_lost(error):
                    yield item
                return
            boards: dict[str, str | None] = {}
            while self.content_queue or reads.waiting:
                if self.content_queue:
                    asked = [self.content_queue.popleft() for _ in range(len(self.content_queue))]
                    boards.update(asked)
                    reads.ask([tid for tid, _ in asked])
                tid, outcome = await reads.next()
                for item in self._took(tid, outcome, boards.pop(tid, None)):
                    yield item
                for found, outcome in reads.ready():
                    for item in self._took(found, outcome, boards.pop(found, None)):
                        yield item
            self.content_session_open = False  # before the page closes: a message asked for now opens a new one
        finally:
            self.content_session_open = False
            reads.cancel()
            await self.close_session(session)

    async def content_session_failed(self, failure: Failure) -> AsyncIterator[Any]:
        await close_failed_page(failure)
        for item in self.content_session_lost(failure.value or RuntimeError(failure.getErrorMessage())):
            yield item

    def content_session_lost(self, error: BaseException) -> Iterator[Any]:
        """The content session's page never came up: each queued message failed."""
        self.content_session_open = False
        while self.content_queue:
            tid, board_id = self.content_queue.popleft()
            yield from self._took(tid, error, board_id)

    # --- sessions and outcomes ----------------------------------------------------------------------
    def hybrid_session(self, response: Response) -> HybridSession:
        self.count("hybrid_pages")  # shell pages of hybrid sessions: per board and content session, never per message
        return HybridSession(response.meta["playwright_page"], self.options, self.platform.concurrency,
                             self.settings.get("USER_AGENT"), AbortRequest(self.platform.base_url))

    async def close_session(self, session: HybridSession) -> None:
        self.count("throttled", session.throttled)
        self.count("hybrid_calls", session.calls)
        await session.close()

    def took_ready(self, reads: InFlight, board_id: str | None) -> Iterator[Any]:
        for tid, outcome in reads.ready():
            yield from self._took(tid, outcome, board_id)

    def _took(self, tid: str, outcome: Outcome, board_id: str | None) -> Iterator[Any]:
        if isinstance(outcome, BaseException):
            self.record_failure(detail_url(self.platform.base_url, tid), _failure_class(outcome), first_line(outcome))
            return self.content_done(tid, board_id, ok=False)
        return self.take_content(*outcome, tid, board_id)


class ContentSessions(BaseSpiderMiddleware):
    """Spider middleware of the people family: on the hybrid path, a content request made outside a board's
    session (a re-check yielded by start(), a message the API path asked for before it fell back) joins the
    content session instead of rendering a page of its own."""

    def get_processed_request(self, request: scrapy.Request, response: Response | None) -> scrapy.Request | None:
        spider = self.crawler.spider
        if isinstance(spider, HybridPath) and HYBRID_TID in request.meta and spider.hybrid:
            return spider.join_content_session(request)
        return request


async def _read(session: HybridSession, tids: list[str], done: asyncio.Queue[tuple[str, Outcome]]) -> None:
    try:
        outcomes = await session.contents(tids)
    except Exception as error:  # whatever failed is these messages' failure, recorded by the session's callback
        outcomes = dict.fromkeys(tids, error)
    for tid in tids:
        done.put_nowait((tid, outcomes[tid]))



def _failure_class(error: BaseException) -> str:
    return "blocked" if isinstance(error, BrowserGaveUp) else "network"
