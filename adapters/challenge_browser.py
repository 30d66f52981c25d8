"""Pass a JavaScript cookie challenge in Chromium: open the page, let its scripts set cookies and reload until the
page is no longer a challenge, then hand back the host's cookies and the browser's User-Agent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Request, Route

from adapters.browser import PlaywrightFetchAdapter, first_line
from adapters.protocols import FetchError, FetchTimeout
from harvester.challenge import Clearance

POLL_S = 0.05
EVALUATE_S = 1.0
# A page that is still a challenge after this many loads will not let us through (its cookie is never accepted).
MAX_LOADS = 6


async def _document(page: Page) -> tuple[str, str] | None:
    """(readyState, HTML) of the current document, read at once; None while a navigation replaces it (the
    evaluation then fails, or waits for a document that keeps being replaced)."""
    try:
        state, html = await asyncio.wait_for(
            page.evaluate("[document.readyState, document.documentElement.outerHTML]"), EVALUATE_S)
    except (PlaywrightError, TimeoutError):
        return None
    return str(state), str(html)


async def pass_challenge(adapter: PlaywrightFetchAdapter, url: str, is_challenge: Callable[[str], bool],
                         timeout_s: float = 30.0, max_loads: int = MAX_LOADS) -> Clearance:
    """Open `url` and wait until a fully loaded document is not a challenge (`is_challenge(html)` false).

    Raises FetchTimeout when that does not happen within `timeout_s`, FetchError when the page keeps coming back
    as a challenge for `max_loads` loads or the browser fails.
    """
    async with adapter.page(url) as page:
        loads = [0]

        async def cap_loads(route: Route, request: Request) -> None:
            # A page that reloads itself for ever is stopped here: Chromium will not close a page mid-reload.
            if request.is_navigation_request() and request.frame == page.main_frame:
                loads[0] += 1
                if loads[0] > max_loads:
                    await route.abort()
                    return
            await route.continue_()

        await page.route("**/*", cap_loads)
        try:
            async with asyncio.timeout(timeout_s):
                await page.goto(url, wait_until="commit")
                while True:
                    if loads[0] > max_loads:
                        raise FetchError(f"{url}: still a challenge after {max_loads} page loads")
                    document = await _document(page)
                    if document is not None and document[0] == "complete" and not is_challenge(document[1]):
                        return await _clearance(page, url)
                    await asyncio.sleep(POLL_S)
        except TimeoutError as error:
            raise FetchTimeout(f"{url}: still a challenge after {timeout_s:g}s") from error
        except PlaywrightError as error:
            raise FetchError(f"{url}: {first_line(error)}") from error


async def _clearance(page: Page, url: str) -> Clearance:
    cookies = await page.context.cookies([url])
    user_agent = str(await page.evaluate("navigator.userAgent"))
    kept = tuple({"name": c["name"], "value": c["value"], "path": c.get("path") or "/",
                  "secure": bool(c.get("secure"))} for c in cookies)
    return Clearance(kept, user_agent)
