"""The spider's browser path: list and detail shells rendered in Chromium, their API answers taken over by
the same handlers as the API path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from playwright.async_api import Error as PlaywrightError
from scrapy.http import Response
from twisted.python.failure import Failure

from adapters.browser import first_line
from harvester.registry import Board
from spiders.people.browser import (
    CONTENT_CALLS,
    LIST_CALLS,
    BrowserGaveUp,
    PageDriver,
    browser_meta,
    close_failed_page,
    throttled,
)
from spiders.people.content import detail_url
from spiders.people.hybrid_path import HYBRID_TID, HybridPath

BROWSER_ERRORS = (BrowserGaveUp, PlaywrightError, TimeoutError)


class BrowserPath(HybridPath):
    """Requests that render in Chromium, and the callbacks that drive the pages. What to do with an answer
    is PeopleBase's, the same as on the API path. With `path = "hybrid"` a board's list is a hybrid session
    (hybrid_path.py), which reads the messages it asks for in its own page; the content requests made here for
    other messages (re-checks) are taken over by its content session."""

    def browser_list_request(self, board: Board) -> scrapy.Request:
        if self.hybrid:
            return self.hybrid_list_request(board)
        url = f"{self.platform.base_url}/threads/list?fid={board.id}"
        return scrapy.Request(url, callback=self.parse_browser_list, errback=self.browser_list_failed,
                              cb_kwargs={"board": board}, meta=browser_meta(LIST_CALLS), dont_filter=True)

    def browser_content_request(self, tid: str, board_id: str | None) -> scrapy.Request:
        return scrapy.Request(detail_url(self.platform.base_url, tid), callback=self.parse_browser_content,
                              errback=self.browser_content_failed, cb_kwargs={"tid": tid, "board_id": board_id},
                              meta={**browser_meta(CONTENT_CALLS), HYBRID_TID: tid}, dont_filter=True)

    def driver(self, response: Response) -> PageDriver:
        # The body is the rendered DOM, never empty: an empty 200 from the WAF shows in Content-Length only.
        length = (response.headers.get("Content-Length") or b"").decode("latin-1")
        blocked = throttled(response.status, {"content-length": length})
        return PageDriver(response.meta["playwright_page"], response.meta, blocked, self.options)

    async def parse_browser_list(self, response: Response, board: Board) -> AsyncIterator[Any]:
        """Page through the board as a reader does until its cursor (or the end) shows up."""
        driver, scan = self.driver(response), self.scans[board.id]
        try:
            while not (scan.list_complete or scan.list_broken):
                snapshot, verdict = await driver.next_answer()
                # the bundle chose its rows: only an empty page ends the list here, else its 查看更多 tells
                for item in self.take_list_answer(board, snapshot, verdict, None, "browser", None):
                    yield item
                if not (scan.list_complete or scan.list_broken) and not await driver.more():
                    for item in self.end_list(board):
                        yield item
        except BROWSER_ERRORS as error:
            scan.list_broken = True
            self.record_failure(response.url, "blocked" if isinstance(error, BrowserGaveUp) else "network",
                                first_line(error))
        finally:
            self.count("throttled", driver.throttled)
            await driver.close()

    async def parse_browser_content(self, response: Response, tid: str,
                                    board_id: str | None) -> AsyncIterator[Any]:
        driver = self.driver(response)
        try:
            snapshot, verdict = await driver.next_answer()
        except BROWSER_ERRORS as error:
            self.record_failure(response.url, "blocked" if isinstance(error, BrowserGaveUp) else "network",
                                first_line(error))
            outcome = self.content_done(tid, board_id, ok=False)
        else:
            outcome = self.take_content(snapshot, verdict, tid, board_id)
        finally:
            self.count("throttled", driver.throttled)
            await driver.close()
        for item in outcome:
            yield item

    async def browser_list_failed(self, failure: Failure) -> None:
        await close_failed_page(failure)
        self.list_failed(failure)

    async def browser_content_failed(self, failure: Failure) -> AsyncIterator[Any]:
        await close_failed_page(failure)
        for item in self.content_failed(failure):
            yield item


