"""A Playwright fetch adapter for browser work outside a crawl (reply back offices, `platforms probe`)."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Playwright, Request, Response, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from adapters.playwright_settings import (
    CDP_TIMEOUT_MS,
    CHROMIUM_ENV,
    HEAVY_RESOURCES,
    chromium_launch_options,
    kept_browser_url,
)
from adapters.protocols import FetchError, FetchRequest, FetchTimeout
from harvester.extract.snapshot import Snapshot
from harvester.timeutil import utcnow

RENDERED_HEADERS = {"content-type": "text/html; charset=utf-8"}
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BrowserFetchResult:
    """The rendered page plus the JSON responses it requested that matched `capture_json`, in order."""

    snapshot: Snapshot
    captured: tuple[Snapshot, ...] = ()


@dataclass(slots=True)
class _Slot:
    context: BrowserContext
    pages: asyncio.Semaphore


class _Captures:
    """Collects the page's own JSON responses whose URL contains `needle`."""

    def __init__(self, needle: str) -> None:
        self.needle = needle
        self.responses: list[Response] = []
        self.seen = asyncio.Event()

    def on_response(self, response: Response) -> None:
        # Sites serve JSON as text/plain or text/html too, so an XHR/fetch call counts whatever its type.
        is_call = response.request.resource_type in ("xhr", "fetch")
        is_json = "json" in response.headers.get("content-type", "")
        if self.needle in response.url and (is_call or is_json) and not 300 <= response.status < 400:
            self.responses.append(response)
            self.seen.set()

    async def snapshots(self) -> tuple[Snapshot, ...]:
        return tuple([Snapshot(url=r.url, status=r.status, body=await r.body(), fetched_at=utcnow(),
                               headers=dict(r.headers)) for r in self.responses])


def first_line(error: BaseException, limit: int = 300) -> str:
    """The first line of an error (Playwright errors carry long call logs), or its type when it says nothing."""
    text = str(error).strip()
    return text.splitlines()[0][:limit] if text else type(error).__name__


class PlaywrightFetchAdapter:
    """FetchAdapter over one chromium: at most `max_contexts` contexts, `max_pages` open pages in each.

    Each site (scheme and host) always lands in the same context, so a back-office login's cookies hold
    across fetches. The browser starts on first use; use `async with` or call `close()`. Given a kept browser's
    CDP endpoint (`cdp_url`, by default `HARVESTER_BROWSER_CDP_URL`), it connects to that browser instead, in
    contexts of its own that `close()` closes before disconnecting (the kept browser goes on); one that does not
    answer costs a warning, and a Chromium is launched as without it.
    """

    def __init__(self, max_contexts: int = 2, max_pages: int = 4, timeout_s: float = 30.0,
                 headless: bool = True, block_resources: Collection[str] = HEAVY_RESOURCES,
                 launch_options: Mapping[str, Any] | None = None, user_agent: str | None = None,
                 cdp_url: str | None = None) -> None:
        self.timeout_s = timeout_s
        # None: Chromium's own, which says "HeadlessChrome" when headless (a WAF may hold that against us)
        self.user_agent = user_agent
        self.max_pages = max_pages
        self.block_resources = frozenset(block_resources)
        self.launch_options = dict(launch_options or chromium_launch_options(headless=headless))
        self.cdp_url = cdp_url or kept_browser_url()
        self._slots: list[_Slot | None] = [None] * max_contexts
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def __aenter__(self) -> PlaywrightFetchAdapter:
        await self._ensure_browser()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.close()

    async def fetch(self, request: FetchRequest) -> Snapshot:
        """The rendered DOM after load (and `wait_for`), UTF-8, with the main response's status."""
        return (await self.fetch_with_captures(request)).snapshot

    async def fetch_with_captures(self, request: FetchRequest) -> BrowserFetchResult:
        """Like `fetch`; with `capture_json`, also waits for and returns the matching JSON responses."""
        timeout_s = request.timeout_s or self.timeout_s
        async with self.page(request.url) as page:
            captures = _Captures(request.capture_json) if request.capture_json else None
            if captures:
                page.on("response", captures.on_response)
            await self._route(page, request)
            status = await self._navigate(page, request, timeout_s)
            if request.wait_for:
                await self._wait_for_selector(page, request, timeout_s)
            if captures:
                await self._wait_for_capture(captures, request, timeout_s)
            html = await page.content()
            snapshot = Snapshot(url=page.url, status=status, body=html.encode("utf-8"), fetched_at=utcnow(),
                                headers=dict(RENDERED_HEADERS), encoding="utf-8")
            return BrowserFetchResult(snapshot, await captures.snapshots() if captures else ())

    @asynccontextmanager
    async def page(self, url: str) -> AsyncIterator[Page]:
        """A fresh page in the context of `url`'s site, within the page bound; closed on exit."""
        slot = await self._slot_for(url)
        async with slot.pages:
            page = await slot.context.new_page()
            try:
                yield page
            finally:
                with suppress(PlaywrightError):
                    await page.close()

    async def close(self) -> None:
        """Close contexts, the browser (a connected one: disconnect from it) and the Playwright driver; safe to
        call twice."""
        async with self._lock:
            for slot in filter(None, self._slots):
                with suppress(PlaywrightError):
                    await slot.context.close()
            self._slots = [None] * len(self._slots)
            if self._browser is not None:
                with suppress(PlaywrightError):
                    await self._browser.close()
            if self._playwright is not None:
                await self._playwright.stop()
            self._browser = self._playwright = None

    async def _ensure_browser(self) -> Browser:
        if self._browser is None:
            self._playwright = self._playwright or await async_playwright().start()
            if self.cdp_url:
                self._browser = await self._connect(self._playwright, self.cdp_url)
                if self._browser is not None:
                    return self._browser
            try:
                self._browser = await self._playwright.chromium.launch(**self.launch_options)
            except PlaywrightError as error:
                path = self.launch_options.get("executable_path")
                raise FetchError(f"cannot start chromium at {path} (set {CHROMIUM_ENV}): "
                                 f"{first_line(error)}") from error
        return self._browser

    async def _connect(self, playwright: Playwright, url: str) -> Browser | None:
        """The kept browser at `url`, or None (with one warning; later calls launch) if it does not answer."""
        try:
            return await playwright.chromium.connect_over_cdp(url, timeout=CDP_TIMEOUT_MS)
        except PlaywrightError as error:
            logger.warning("the kept chromium at %s does not answer (%s); launching one", url, first_line(error))
            self.cdp_url = None
            return None

    async def _slot_for(self, url: str) -> _Slot:
        # A stable hash (not hash()) so a site maps to the same context in every process.
        index = zlib.crc32(urlsplit(url).netloc.encode()) % len(self._slots)
        async with self._lock:
            slot = self._slots[index]
            if slot is None:
                browser = await self._ensure_browser()
                context = await (browser.new_context(user_agent=self.user_agent) if self.user_agent
                                 else browser.new_context())
                slot = self._slots[index] = _Slot(context, asyncio.Semaphore(self.max_pages))
            return slot

    async def _route(self, page: Page, request: FetchRequest) -> None:
        """Abort heavy resources; give the first main-frame navigation the request's method, body, headers."""
        override = request.method.upper() != "GET" or request.body is not None or bool(request.headers)
        if not override and not self.block_resources:
            return
        pending = [override]

        async def handle(route: Route, sent: Request) -> None:
            if sent.resource_type in self.block_resources:
                await route.abort()
            elif pending[0] and sent.is_navigation_request() and sent.frame == page.main_frame:
                pending[0] = False
                headers = {**await sent.all_headers(), **{k.lower(): v for k, v in request.headers.items()}}
                await route.continue_(method=request.method.upper(), post_data=request.body, headers=headers)
            else:
                await route.continue_()

        await page.route("**/*", handle)

    async def _navigate(self, page: Page, request: FetchRequest, timeout_s: float) -> int:
        try:
            response = await page.goto(request.url, timeout=timeout_s * 1000, wait_until="load")
        except PlaywrightTimeout as error:
            raise FetchTimeout(f"{request.url}: page did not load within {timeout_s:g}s") from error
        except PlaywrightError as error:
            raise FetchError(f"{request.url}: {first_line(error)}") from error
        # goto answers None only for same-document navigations; the document was served, so 200.
        return response.status if response is not None else 200

    async def _wait_for_selector(self, page: Page, request: FetchRequest, timeout_s: float) -> None:
        try:
            await page.wait_for_selector(request.wait_for or "", state="attached", timeout=timeout_s * 1000)
        except PlaywrightTimeout as error:
            raise FetchTimeout(f"{request.url}: selector {request.wait_for!r} did not appear "
                               f"within {timeout_s:g}s") from error

    async def _wait_for_capture(self, captures: _Captures, request: FetchRequest, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(captures.seen.wait(), timeout_s)
        except TimeoutError as error:
            raise FetchTimeout(f"{request.url}: no JSON response matching {captures.needle!r} "
                               f"within {timeout_s:g}s") from error
