"""Pass JavaScript cookie challenges (知道创宇 加速乐 and look-alikes) in Chromium, then crawl on with their cookies.

A response that is a solvable challenge (harvester.challenge.solvable_challenge) is not handed to the spider:
the URL is opened in Chromium (adapters.challenge_browser), which runs the scripts until the page is real; the
request is then sent again with the browser's cookies (from then on in Scrapy's cookie jar) and, for that host,
the browser's User-Agent, to which clearances are often bound. One solve at a time per host; requests that
met the challenge while it was being solved are simply retried. A clearance that expires is solved again, at
most `max_solves` times per host and run; after that, or when the browser cannot get through, challenge pages go
to the spider, which records them as soft blocks (the run fails as "blocked").

Settings (harvester/settings.py), overridable per platform in the definition's `[options]`:
  CHALLENGE_SOLVE               "521" (default) | "all" | "off"   options.solve_challenges (true = all, false = off)
  CHALLENGE_SOLVE_MAX_PER_HOST  5                                 options.challenge_max_solves
  CHALLENGE_SOLVE_TIMEOUT       30 seconds per solve
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from adapters.protocols import FetchError
from harvester.challenge import (
    CHALLENGE_STATUSES,
    HostState,
    SolvePolicy,
    SolveScope,
    Step,
    next_step,
    solvable_challenge,
    solve_policy,
)
from harvester.extract.snapshot import Snapshot
from harvester.extract.softblock import SoftBlock, detect_soft_block
from harvester.runs import STAT_PREFIX
from harvester.timeutil import utcnow
from spiders.base import snapshot_of

if TYPE_CHECKING:
    from adapters.browser import PlaywrightFetchAdapter

logger = logging.getLogger(__name__)

GENERATION = "challenge_generation"  # request meta: the host's solve generation when the request was sent
RETRIES = "challenge_retries"  # request meta: how often this request was sent again after a challenge
BROWSER_GRACE_S = 10.0  # beyond the solve timeout, for opening and closing pages and the browser


def _host(request: Request) -> str:
    return urlparse_cached(request).netloc


def _with_cookies(current: Any, added: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The request's own cookies (a dict or a list of dicts) followed by `added`."""
    if isinstance(current, Mapping):
        own = [{"name": name, "value": value} for name, value in current.items()]
    else:
        own = [dict(cookie) for cookie in current or ()]
    return own + [dict(cookie) for cookie in added]


class ChallengeMiddleware:
    """Downloader middleware: challenge responses become a browser solve plus a retry, or a soft block."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.default_scope = settings.get("CHALLENGE_SOLVE", SolveScope.JSL.value)
        self.default_max = settings.getint("CHALLENGE_SOLVE_MAX_PER_HOST", 5)
        self.timeout_s = settings.getfloat("CHALLENGE_SOLVE_TIMEOUT", 30.0)
        self.hosts: dict[str, HostState] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.browser: PlaywrightFetchAdapter | None = None
        self._policy: SolvePolicy | None = None
        crawler.signals.connect(self.close_browser, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        return cls(crawler)

    @property
    def policy(self) -> SolvePolicy:
        """The platform's policy, read once (an invalid option fails the first request, naming the option)."""
        if self._policy is None:
            spec = getattr(self.crawler.spider, "platform", None)
            options, fetch = (spec.options, spec.fetch) if spec is not None else ({}, "http")
            self._policy = solve_policy(options, fetch, self.default_scope, self.default_max)
        return self._policy

    # --- requests: the solved host's User-Agent, and its cookies into the jar -----------------------
    def process_request(self, request: Request) -> None:
        if self.policy.scope is SolveScope.OFF:
            return
        state = self.hosts.get(_host(request))
        request.meta[GENERATION] = state.generation if state else 0
        if state is None or state.clearance is None:
            return
        request.headers["User-Agent"] = state.clearance.user_agent
        if state.unsent and not request.meta.get("dont_merge_cookies"):
            # The cookies middleware (after this one) stores request cookies in the jar for later requests.
            request.cookies = _with_cookies(request.cookies, state.clearance.cookies)  # type: ignore[assignment]
            state.unsent = False

    # --- responses -----------------------------------------------------------------------------
    async def process_response(self, request: Request, response: Response) -> Request | Response:
        policy = self.policy
        if response.status not in CHALLENGE_STATUSES or response.status == 200 and policy.scope is not SolveScope.ALL:
            return response  # the common case: no parse, no scan
        block = solvable_challenge(self._snapshot(response))
        if block is None:
            return response
        self._count("challenges_met")
        if not policy.scope.covers(response.status):
            return self._hand_over(request, response)
        host = _host(request)
        state = self.hosts.setdefault(host, HostState())
        step, why = self._next(state, request, policy)
        if step is Step.SOLVE:
            async with self.locks.setdefault(host, asyncio.Lock()):
                step, why = self._next(state, request, policy)  # another request may have solved it meanwhile
                if step is Step.SOLVE:
                    await self._solve(host, request.url, response.status, block, state, policy)
                    step, why = self._next(state, request, policy)
        if step is Step.RETRY:
            retry = request.replace(dont_filter=True)
            retry.meta[RETRIES] = request.meta.get(RETRIES, 0) + 1
            self._count("challenge_retries")
            return retry
        if not state.exhausted_logged:
            state.exhausted_logged = True
            logger.error("%s: JavaScript challenge at %s not passed (%s); its pages are soft blocks this run",
                         self._slug(), host, why)
        return self._hand_over(request, response)

    def _next(self, state: HostState, request: Request, policy: SolvePolicy) -> tuple[Step, str]:
        return next_step(state, request.meta.get(GENERATION, 0), request.meta.get(RETRIES, 0), policy.max_solves)

    def _hand_over(self, request: Request, response: Response) -> Response:
        """Let the spider see the challenge page (HTTP 521 included), which it records as a soft block."""
        if response.status != 200:
            allowed = request.meta.get("handle_httpstatus_list", getattr(self.crawler.spider, "handle_httpstatus_list",
                                       self.crawler.settings.getlist("HTTPERROR_ALLOWED_CODES")))
            request.meta["handle_httpstatus_list"] = [*allowed, response.status]
        return response

    # --- the browser -----------------------------------------------------------------------------
    async def _solve(self, host: str, url: str, status: int, block: SoftBlock, state: HostState,
                     policy: SolvePolicy) -> None:
        from adapters.challenge_browser import pass_challenge

        state.solves += 1
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            # Bounded twice: a browser that stops answering must not stop the crawl.
            clearance = await asyncio.wait_for(
                pass_challenge(self._browser(), url, self._still_challenged, timeout_s=self.timeout_s),
                self.timeout_s + BROWSER_GRACE_S)
        except (FetchError, TimeoutError) as error:
            state.failed = str(error) or f"the browser did not answer within {self.timeout_s + BROWSER_GRACE_S:g}s"
            self._count("challenge_solves_failed")
            return
        state.generation += 1
        state.clearance, state.unsent = clearance, True
        self._count("challenge_solves")
        logger.info("%s: passed a JavaScript cookie challenge at %s (HTTP %d, %s) in Chromium in %.1fs, solve %d of "
                    "at most %d this run; %d cookie(s) and the browser's User-Agent from now on", self._slug(), host,
                    status, block.marker, loop.time() - started, state.solves, policy.max_solves,
                    len(clearance.cookies))

    def _browser(self) -> PlaywrightFetchAdapter:
        if self.browser is None:
            from adapters.browser import PlaywrightFetchAdapter

            # The crawl's own User-Agent, so the clearance is bound to what the crawl sends anyway (and the
            # WAF does not see "HeadlessChrome").
            self.browser = PlaywrightFetchAdapter(max_contexts=1, max_pages=2, timeout_s=self.timeout_s,
                                                  block_resources=(),
                                                  user_agent=self.crawler.settings.get("USER_AGENT") or None)
        return self.browser

    async def close_browser(self) -> None:
        browser, self.browser = self.browser, None
        if browser is not None:
            try:
                await asyncio.wait_for(browser.close(), BROWSER_GRACE_S)
            except TimeoutError:  # the driver and chromium end with this process
                logger.warning("%s: chromium did not close within %gs", self._slug(), BROWSER_GRACE_S)

    # --- helpers ---------------------------------------------------------------------------------
    def _snapshot(self, response: Response) -> Snapshot:
        spec = getattr(self.crawler.spider, "platform", None)
        return snapshot_of(response, spec.charset if spec is not None else None)

    @staticmethod
    def _still_challenged(html: str) -> bool:
        rendered = Snapshot(url="about:blank", status=200, body=html.encode("utf-8"), fetched_at=utcnow(),
                            encoding="utf-8")
        return detect_soft_block(rendered) is not None

    def _slug(self) -> str:
        return getattr(self.crawler.spider, "name", "crawl")

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(STAT_PREFIX + key)
