"""Downloader middleware for the signed API: back off on throttling, re-read the appCode on SN0006.

Throttling looks like 403, 429 or an empty 200; each is retried after a backoff that doubles per attempt
(with jitter), and the download slot's delay grows so the whole crawl slows down, then creeps back to
the platform's own delay while calls succeed. A call refused with SN0006 is signed again with an appCode
read after its refusal (one shell read for every call refused by the same release); refused once more,
it goes to the spider, which falls back to the browser. Responses that give up reach the spider as they
came, so a failed page is recorded and never advances its board's cursor.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any, Protocol

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from harvester.extract.snapshot import Snapshot
from spiders.people.api import Answer, answer
from spiders.people.options import PeopleOptions
from spiders.people.session import ShellUnreadable, SiteRelease
from spiders.people.signing import SignedCall

CALL = "people_call"  # meta: the SignedCall of an API request
SHELL = "people_shell"  # meta: a shell page read for its cookie and appCode (retried when throttled too)
FORM = "people_form"  # meta: an unsigned queryThreadsList call (retried when throttled, never re-signed)
GENERATION = "people_generation"  # meta: the SiteRelease generation it was signed with
ATTEMPT = "people_attempt"  # meta: 1 for the first send
RESIGNED = "people_resigned"  # meta: already signed again after an SN0006
PENALTY_FLOOR_S, MAX_DELAY_S = 0.05, 10.0
SLOWER, FASTER = 1.5, 0.9  # per throttling episode / per answered call
REWARM_INTERVAL_S = 5.0  # a 403 may mean a lost WAF cookie: read a shell, but not on every 403 of a storm


class GuardedSpider(Protocol):
    """What the middleware needs from the spider."""

    options: PeopleOptions
    release: SiteRelease
    via_browser: bool

    def shell_request(self) -> Request: ...
    def snapshot(self, response: Response) -> Snapshot: ...
    def count(self, key: str, value: int = 1) -> None: ...


def signed_request(request: Request, release: SiteRelease, **meta: Any) -> Request:
    """The same call signed with the release's current appCode (a new request, scheduled again); a shell
    request is simply sent again."""
    call: SignedCall | None = request.meta.get(CALL)
    if call is None:
        return request.replace(dont_filter=True, meta={**request.meta, **meta})
    assert release.app_code is not None
    return request.replace(body=call.body(release.app_code), dont_filter=True,
                           meta={**request.meta, GENERATION: release.generation, **meta})


def backoff_s(options: PeopleOptions, attempt: int) -> float:
    """How long to wait before attempt `attempt + 1`: doubling, ±50% jitter, capped."""
    return min(options.max_backoff_s, options.backoff_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)


class PeopleApiGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._slowed_at = float("-inf")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PeopleApiGuard:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        spider: Any = self.crawler.spider
        if spider is None or not (CALL in request.meta or request.meta.get(SHELL) or request.meta.get(FORM)):
            return response
        verdict = answer(spider.snapshot(response))
        if verdict is Answer.THROTTLED:
            return await self._throttled(request, response, spider)
        self._pace(request, spider, throttled=False)
        if verdict is Answer.REJECTED:
            return await self._rejected(request, response, spider)
        return response

    async def _throttled(self, request: Request, response: Response, spider: GuardedSpider) -> Request | Response:
        attempt = int(request.meta.get(ATTEMPT, 1))
        spider.count("throttled")
        self._pace(request, spider, throttled=True)
        if attempt >= spider.options.max_attempts:
            return response
        await asyncio.sleep(backoff_s(spider.options, attempt))
        if response.status == 403 and (CALL in request.meta or request.meta.get(FORM)):  # maybe a lost WAF cookie
            await spider.release.refresh(self._fetch_shell, spider.release.generation, REWARM_INTERVAL_S)
        return signed_request(request, spider.release, **{ATTEMPT: attempt + 1})

    async def _rejected(self, request: Request, response: Response, spider: GuardedSpider) -> Request | Response:
        if request.meta.get(RESIGNED) or spider.via_browser:
            return response  # refused with an appCode read after the first refusal: not a stale appCode
        spider.count("signature_refused")
        if await spider.release.refresh(self._fetch_shell, int(request.meta.get(GENERATION, 0))):
            return signed_request(request, spider.release, **{RESIGNED: True})
        return await self._throttled(request, response, spider)  # no shell to read now: wait, try again

    async def _fetch_shell(self) -> Snapshot:
        spider: Any = self.crawler.spider
        assert self.crawler.engine is not None
        try:
            response = await self.crawler.engine.download_async(spider.shell_request())
        except Exception as error:  # whatever failed, the appCode stays as it was
            raise ShellUnreadable(f"shell: {type(error).__name__}: {error}") from error
        return spider.snapshot(response)

    def _pace(self, request: Request, spider: Any, throttled: bool) -> None:
        """Grow the slot's delay on throttling, once per episode (the calls in flight when the limit hit all
        come back throttled together); let it fall back towards the platform's delay while calls pass."""
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot", ""))
        if slot is None:
            return
        base, now = spider.platform.download_delay, time.monotonic()
        if throttled and now - self._slowed_at >= max(1.0, slot.delay):
            self._slowed_at = now
            slot.delay = min(MAX_DELAY_S, max(slot.delay * SLOWER, PENALTY_FLOOR_S, base))
        elif not throttled and slot.delay > base:
            slot.delay = max(base, slot.delay * FASTER)
