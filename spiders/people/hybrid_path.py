"""The spider's hybrid browser path (`path = "hybrid"`): one shell page per board in Chromium, the site's own
bundle signing and sending every list and content call from inside that page (spiders/people/hybrid.py), many
content calls in flight, and their answers taken over by the same handlers as the API path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from playwright.async_api import Error as PlaywrightError
from scrapy.http import Response

from adapters.browser import first_line
from harvester.extract.snapshot import Snapshot
from harvester.registry import Board
from spiders.people.api import THROTTLE_STATUSES, Answer
from spiders.people.base import PeopleBase
from spiders.people.browser import BrowserGaveUp
from spiders.people.content import detail_url
from spiders.people.hybrid import HybridSession

HYBRID_TID = "people_tid"  # meta of a content request the hybrid session reads in its page instead
ERRORS = (BrowserGaveUp, PlaywrightError, TimeoutError)
Outcome = tuple[Snapshot, Answer] | BaseException


class HybridPath(PeopleBase):
    """A board's session: its list paged by the bundle in a detached sandbox, each message it asks for read
    by the bundle too, `concurrency` of them at once."""

    @property
    def hybrid(self) -> bool:
        """Boards go through hybrid sessions: configured so, or fallen back to the browser from the API path (a
        full render per message is kept for `path = "browser"` and `fetch = "browser"`)."""
        return self.options.path == "hybrid" or (self.options.path == "api" and self.platform.fetch != "browser")

    def hybrid_list_request(self, board: Board) -> scrapy.Request:
        """The board's list shell in Chromium, kept open for the session (its cookies, appCode and bundle)."""
        meta = {"playwright": True, "playwright_include_page": True, "playwright_context": self.name,
                "dont_merge_cookies": True, "handle_httpstatus_list": list(THROTTLE_STATUSES)}
        return scrapy.Request(f"{self.platform.base_url}/threads/list?fid={board.id}", callback=self.parse_hybrid_list,
                              errback=self.list_failed_closing_page, cb_kwargs={"board": board}, meta=meta,
                              dont_filter=True)

    async def list_failed_closing_page(self, failure: Any) -> None:
        page = failure.request.meta.get("playwright_page") if hasattr(failure, "request") else None
        if page is not None:
            try:
                await page.close()
            except PlaywrightError:
                pass
        self.list_failed(failure)

    async def parse_hybrid_list(self, response: Response, board: Board) -> AsyncIterator[Any]:
        scan = self.scans[board.id]
        session = HybridSession(response.meta["playwright_page"], self.options, self.platform.concurrency)
        done: asyncio.Queue[tuple[str, Outcome]] = asyncio.Queue()
        tasks: set[asyncio.Task[Any]] = set()  # cancelled if the crawl closes the callback early
        waiting = 0  # messages asked for whose outcome has not been taken yet
        kind = "bw" if board.id in self.options.ministry_boards else "df"
        try:
            try:
                await session.start()
                page: tuple[Snapshot, Answer] | None = await session.list_answer(board.id, kind)
                while page is not None:
                    # the next page is asked for before this one is handled (its answer is on its way while
                    # Python reads this one); when this one ends the scan, the page read ahead is dropped
                    ahead = asyncio.ensure_future(session.next_page(board.id, kind))
                    tasks.add(ahead)
                    ahead.add_done_callback(tasks.discard)
                    asked: list[str] = []
                    for item in self.take_list_answer(board, *page, None, "browser", None):
                        if isinstance(item, scrapy.Request) and HYBRID_TID in item.meta:
                            asked.append(item.meta[HYBRID_TID])
                        else:
                            yield item
                    batch = max(1, session.in_flight // 2)  # two batches in flight side by side
                    for start in range(0, len(asked), batch):  # one round trip to the page per batch
                        task = asyncio.ensure_future(_read(session, asked[start:start + batch], done))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    waiting += len(asked)
                    while not done.empty():
                        waiting -= 1
                        for item in self._took(*done.get_nowait(), board.id):
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
                self.record_failure(response.url, "blocked" if isinstance(error, BrowserGaveUp) else "network",
                                    first_line(error))
            while waiting:  # the messages asked for before the list ended (or broke)
                waiting -= 1
                for item in self._took(*(await done.get()), board.id):
                    yield item
        finally:
            for task in tasks:
                task.cancel()
            self.count("throttled", session.throttled)
            self.count("hybrid_calls", session.calls)
            await session.close()

    def _took(self, tid: str, outcome: Outcome, board_id: str) -> Iterator[Any]:
        if isinstance(outcome, BaseException):
            self.record_failure(detail_url(self.platform.base_url, tid),
                                "blocked" if isinstance(outcome, BrowserGaveUp) else "network", first_line(outcome))
            return self.content_done(tid, board_id, ok=False)
        return self.take_content(*outcome, tid, board_id)


async def _read(session: HybridSession, tids: list[str], done: asyncio.Queue[tuple[str, Outcome]]) -> None:
    try:
        outcomes = await session.contents(tids)
    except Exception as error:  # whatever failed is these messages' failure, recorded by the list's callback
        outcomes = dict.fromkeys(tids, error)
    for tid in tids:
        done.put_nowait((tid, outcomes[tid]))
