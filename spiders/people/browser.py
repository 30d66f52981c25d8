"""The browser path: Chromium (scrapy-playwright) loads the SPA shells, its own bundle signs and sends the API
calls, and the answers it receives are parsed by the same page objects as on the API path.

For boards whose API refuses plain clients. A list page loads the board's first page; more pages come from
clicking 查看更多 as a reader does; a detail page loads one message. Throttled or refused answers are waited
out (backoff with jitter) and the page reloaded, which also brings a fresh WAF cookie and appCode.
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import Response as PlaywrightResponse
from twisted.python.failure import Failure

from harvester.extract.snapshot import Snapshot
from harvester.timeutil import utcnow
from spiders.base import request_of
from spiders.people.api import THROTTLE_STATUSES, Answer, answer
from spiders.people.guard import backoff_s
from spiders.people.options import PeopleOptions

LIST_CALLS, CONTENT_CALLS = "/v1/threads/list/", "/v1/threads/content"
MORE = "div.mordList"  # 查看更多
RENDERED = '#app[data-ready="more"], #app[data-ready="end"]'  # the bundle rendered a page: with 查看更多, or the last
RETRYABLE = (Answer.THROTTLED, Answer.REJECTED)


class BrowserGaveUp(RuntimeError):
    """The page kept being throttled or refused (or made no call) through every attempt."""


class Captures:
    """The page's own API answers whose URL contains `needle`, in arrival order (a page event handler)."""

    def __init__(self, needle: str) -> None:
        self.needle = needle
        self._queue: asyncio.Queue[PlaywrightResponse] = asyncio.Queue()

    def __call__(self, response: PlaywrightResponse) -> None:
        if self.needle in response.url and response.request.method == "POST":
            self._queue.put_nowait(response)
        elif response.request.resource_type == "script" and throttled(response.status, response.headers):
            self._queue.put_nowait(response)  # the bundle was refused: no call will come, say so at once

    async def next(self, timeout_s: float) -> Snapshot:
        """The next answer as a recorded snapshot; TimeoutError if the page makes no call in time."""
        response = await asyncio.wait_for(self._queue.get(), timeout_s)
        return Snapshot(url=response.url, status=response.status, body=await response.body(), fetched_at=utcnow(),
                        headers={k.lower(): v for k, v in response.headers.items()})


def throttled(status: int, headers: dict[str, str]) -> bool:
    """A WAF refusal of a page or script: 403/429, or an empty 200."""
    return status in THROTTLE_STATUSES or (status == 200 and headers.get("content-length") == "0")


def browser_meta(needle: str) -> dict[str, Any]:
    """Meta of a request rendered in Chromium with its API answers captured. The browser context keeps its
    own cookies (the WAF cookie it earned), so Scrapy's jar is kept out of its navigations."""
    captures = Captures(needle)
    return {"playwright": True, "playwright_include_page": True, "people_captures": captures,
            "playwright_page_event_handlers": {"response": captures}, "dont_merge_cookies": True,
            "handle_httpstatus_list": list(THROTTLE_STATUSES)}


class PageDriver:
    """One SPA page and the answers it fetches: waits out throttling, asks for more list pages."""

    def __init__(self, page: Page, meta: dict[str, Any], shell_blocked: bool, options: PeopleOptions) -> None:
        self.page = page
        self.captures: Captures = meta["people_captures"]
        self.options = options
        self.attempt = 1
        self.shown = False  # a list page rendered since the last load: 查看更多 is there to click
        self.shell_blocked = shell_blocked  # the WAF answered instead of the shell: the page has no script
        self.throttled = 0

    async def next_answer(self) -> tuple[Snapshot, Answer]:
        """The next answer that is neither throttling nor a refusal; BrowserGaveUp after max_attempts."""
        while True:
            snapshot = None if self.shell_blocked else await self._capture()
            verdict = answer(snapshot) if snapshot is not None else Answer.THROTTLED
            if snapshot is not None and verdict not in RETRYABLE:
                self.attempt = 1
                return snapshot, verdict
            await self._wait(verdict)
            if self.shown and verdict is Answer.THROTTLED and snapshot is not None:
                await self.page.click(MORE)  # the failed call left the bundle's cursor where it was
            else:
                await self._reload()

    async def more(self) -> bool:
        """Ask for the next list page: 查看更多, once the bundle has rendered the last one. False when the page
        offers no more (the bundle rendered the list's last page)."""
        app = await self.page.wait_for_selector(RENDERED, timeout=self.options.browser_timeout_s * 1000)
        if app is None or await app.get_attribute("data-ready") != "more":
            return False
        self.shown = True
        await self.page.click(MORE)
        return True

    async def close(self) -> None:
        try:
            await self.page.close()
        except PlaywrightError:
            pass

    async def _capture(self) -> Snapshot | None:
        try:
            return await self.captures.next(self.options.browser_timeout_s)
        except TimeoutError:
            return None  # no call at all: the bundle was blocked or the page broke; load it again

    async def _wait(self, verdict: Answer) -> None:
        self.throttled += 1
        if self.attempt >= self.options.max_attempts:
            raise BrowserGaveUp(f"{self.page.url}: {verdict.value} {self.attempt} times")
        await asyncio.sleep(backoff_s(self.options, self.attempt))
        self.attempt += 1

    async def _reload(self) -> None:
        response = await self.page.reload(wait_until="load", timeout=self.options.browser_timeout_s * 1000)
        self.shell_blocked = response is not None and throttled(response.status, await response.all_headers())
        self.shown = False


async def close_failed_page(failure: Failure) -> None:
    """Close the Chromium page a failed request held (scrapy-playwright leaves it open), if it is still open."""
    page = request_of(failure).meta.get("playwright_page")
    if page is not None:
        try:
            await page.close()
        except PlaywrightError:
            pass
