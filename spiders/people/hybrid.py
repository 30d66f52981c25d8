"""The hybrid browser session: one shell page per board in Chromium, and the site's own bundle run again in a
detached sandbox of that page for every call the harvest wants, so the site's code signs and sends each call
(its cookies, headers, appCode and signature) while nothing is painted per message.

The bundle is a closure: it reads `window.SITE_CONFIG`, `location.search` and `document.getElementById('app')`
and calls `fetch`. The harness compiles the bundle's source once per page and runs it against a detached
`#app` node and a `location` naming what to read (`?tid=` for a message, `?fid=` for a board's list); its
`fetch` is the page's own, wrapped to hand the answer to us before the bundle renders it into the detached
node. A board's list pages come from clicking that node's 查看更多, as on the rendered page.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route

from harvester.extract.snapshot import Snapshot
from harvester.timeutil import utcnow
from spiders.people.api import Answer, answer
from spiders.people.browser import RETRYABLE, BrowserGaveUp
from spiders.people.guard import backoff_s
from spiders.people.options import PeopleOptions

HARNESS = r"""async () => {
  if (window.__harvester) return true;
  const tag = document.querySelector('script[src*="/pcjs/app."]');
  if (!tag) return false;  // no bundle on this page: the WAF answered instead of the shell
  const source = await fetch(tag.src).then((r) => (r.ok ? r.text() : ''));
  if (!source) return false;
  const run = new Function('window', 'document', 'location', 'fetch', source);
  const lists = new Map();
  let serial = 0;
  // The bundle's fetch: the answer goes to `sink`; a list's answer goes on to the bundle too (it renders the page
  // and keeps the cursor 查看更多 pages by), a message's stops there (`handOnly`: nothing to render it for).
  function captured(sink, handOnly) {
    const hand = (response, body) => sink({url: response.url, status: response.status, body: body,
                                           headers: Object.fromEntries(response.headers.entries())});
    return (url, init) => fetch(url, init).then((response) => {
      if (handOnly) {
        return response.text().then((body) => { hand(response, body); return new Promise(() => {}); },
                                    (error) => { sink({error: String(error)}); return new Promise(() => {}); });
      }
      response.clone().text().then((body) => hand(response, body), (error) => sink({error: String(error)}));
      return response;
    }, (error) => { sink({error: String(error)}); throw error; });
  }
  // What the bundle renders into goes nowhere: a node that keeps attributes, children and click listeners only
  // (real DOM nodes, even detached, cost most of a call's CPU).
  function Node(tag) { this.tag = tag; this.attrs = {}; this.children = []; this.listeners = []; this.style = {};
                       this.className = ''; this.textContent = ''; }
  Node.prototype.appendChild = function (child) { this.children.push(child); return child; };
  Node.prototype.setAttribute = function (name, value) { this.attrs[name] = String(value); };
  Node.prototype.getAttribute = function (name) { return name in this.attrs ? this.attrs[name] : null; };
  Node.prototype.addEventListener = function (kind, listener) { if (kind === 'click') this.listeners.push(listener); };
  Node.prototype.click = function () { this.listeners.forEach((listener) => listener.call(this, {})); };
  Node.prototype.find = function (cls) {
    if (this.className === cls) return this;
    for (const child of this.children) { const found = child.find(cls); if (found) return found; }
    return null;
  };
  Object.defineProperty(Node.prototype, 'innerHTML', {set() { this.children = []; }, get() { return ''; }});
  function start(page, search, kind, sink) {
    const root = new Node('div');
    root.setAttribute('data-page', page);
    root.setAttribute('data-kind', kind);
    const sandbox = {getElementById: (id) => (id === 'app' ? root : null), createElement: (tag) => new Node(tag)};
    run(window, sandbox, {search: search}, captured(sink, page === 'content'));
    return root;
  }
  window.__harvester = {
    content: (tid) => new Promise((resolve) => start('content', '?tid=' + encodeURIComponent(tid), 'df', resolve)),
    contents: (tids) => Promise.all(tids.map((tid) => window.__harvester.content(tid))),
    openList(fid, kind) {
      const id = ++serial, queue = [], waiting = [];
      const sink = (found) => { const wake = waiting.shift(); if (wake) wake(found); else queue.push(found); };
      lists.set(id, {root: start('list', '?fid=' + encodeURIComponent(fid), kind, sink), queue, waiting});
      return id;
    },
    nextList(id) {
      const list = lists.get(id);
      return list.queue.length ? list.queue.shift() : new Promise((resolve) => list.waiting.push(resolve));
    },
    async settled(id, timeoutMs) {  // the bundle rendered the answer it got: more, end or error:<code>
      const root = lists.get(id).root, until = Date.now() + timeoutMs;
      let state = root.getAttribute('data-ready');
      while ((state === null || state === 'loading') && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        state = root.getAttribute('data-ready');
      }
      return state;
    },
    more(id) {
      const root = lists.get(id).root;
      root.setAttribute('data-ready', 'loading');
      root.find('mordList').click();
    },
    async page(id, timeoutMs) {  // the next list page in one round trip: null when the last one was rendered
      const state = await window.__harvester.settled(id, timeoutMs);
      if (state !== 'more') return null;
      window.__harvester.more(id);
      return window.__harvester.nextList(id);
    },
    closeList(id) { lists.delete(id); },
  };
  return true;
}"""




async def quiet(page: Page, user_agent: str, abort: Callable[[Any], bool]) -> None:
    """Leave the page's API calls to Chromium alone. scrapy-playwright routes every request of its pages through
    Python (its abort check, then the headers read and the request continued: two driver round trips per call)
    and listens to every request and response (stats, and the headers of the page's first answer read again for
    each later one: one more round trip). A session's page needs none of it once loaded: its listeners go, its
    API calls are not routed; the shell, bundle and whatever a reload loads are still checked against `abort`,
    and every request keeps the crawl's User-Agent (set once, in the browser). About a quarter of the path's CPU
    per message."""
    # Playwright has no public way to list a page's listeners; without them it stops sending the events at all.
    emitter: Any = getattr(page, "_impl_obj", None)
    if emitter is not None:
        for event in ("request", "response"):
            for listener in list(emitter.listeners(event)):
                emitter.remove_listener(event, listener)

    async def route(found: Route) -> None:
        if abort(found.request):
            await found.abort()
        else:
            await found.continue_()

    await page.set_extra_http_headers({"User-Agent": user_agent})
    await page.unroute("**")
    await page.route(not_api(page.url), route)


def not_api(url: str) -> re.Pattern[str]:
    """Every URL but an API call to the site of `url` (matched in the driver: API calls never reach Python)."""
    site = urlsplit(url)
    return re.compile(rf"^(?!{re.escape(f'{site.scheme}://{site.netloc}')}/v\d+/)")


def snapshot_of(found: dict[str, Any]) -> Snapshot | None:
    """The answer the harness captured as a recorded snapshot; None when the fetch itself failed."""
    if "error" in found:
        return None
    return Snapshot(url=str(found["url"]), status=int(found["status"]), body=str(found["body"]).encode("utf-8"),
                    fetched_at=utcnow(), headers={str(k).lower(): str(v) for k, v in found["headers"].items()})


class HybridSession:
    """One page of a board session: the harness installed, content calls many at once, one list paged through.

    Throttled, refused or failed calls are waited out (backoff with jitter) and sent again; a refusal (a stale
    appCode) or a failed fetch reloads the page first, once for all the calls that saw it, which brings a fresh
    shell, appCode and WAF cookie.
    """

    def __init__(self, page: Page, options: PeopleOptions, in_flight: int, user_agent: str,
                 abort: Callable[[Any], bool]) -> None:
        self.page = page
        self.user_agent, self.abort = user_agent, abort
        self.options = options
        self.in_flight = max(1, in_flight)
        self.slots = asyncio.Semaphore(self.in_flight)  # content calls in flight, at most the platform's concurrency
        self._taking = asyncio.Lock()  # one batch takes its slots at a time: no two half-served batches wait
        self.generation = 0  # page loads since the session began: a call knows whether its page was reloaded
        self.throttled = 0
        self.calls = 0  # API calls sent through the harness, retries included
        self._reloading = asyncio.Lock()
        self._list: int | None = None
        self._list_generation = -1

    @property
    def timeout_s(self) -> float:
        return self.options.browser_timeout_s

    async def start(self) -> None:
        """Install the harness, reloading the page (with backoff) while the shell came without its bundle."""
        for attempt in range(1, self.options.max_attempts + 1):
            try:
                if attempt == 1:
                    await asyncio.wait_for(quiet(self.page, self.user_agent, self.abort), self.timeout_s)
                if await asyncio.wait_for(self.page.evaluate(HARNESS), self.timeout_s):
                    return
            except (PlaywrightError, TimeoutError):
                pass
            self.throttled += 1
            if attempt == self.options.max_attempts:
                break
            await asyncio.sleep(backoff_s(self.options, attempt))
            await self._load()
        raise BrowserGaveUp(f"{self.page.url}: the shell came without its bundle {self.options.max_attempts} times")

    async def contents(self, tids: list[str]) -> dict[str, tuple[Snapshot, Answer] | BaseException]:
        """Messages `tids` read in one round trip to the page (the bundle sends their calls side by side); those
        throttled, refused or failed are read again one by one (`content`). At most `in_flight` tids."""
        if len(tids) > self.in_flight:
            raise ValueError(f"{len(tids)} messages in one batch, at most {self.in_flight}")
        outcomes: dict[str, tuple[Snapshot, Answer] | BaseException] = {}
        generation = self.generation
        async with self._taking:
            for _ in tids:
                await self.slots.acquire()
        try:
            self.calls += len(tids)
            try:
                found = await asyncio.wait_for(
                    self.page.evaluate("tids => window.__harvester.contents(tids)", tids), self.timeout_s)
            except (PlaywrightError, TimeoutError):
                found = [None] * len(tids)
        finally:
            for _ in tids:
                self.slots.release()
        again, reload = [], False
        for tid, raw in zip(tids, found, strict=True):
            snapshot = snapshot_of(raw) if isinstance(raw, dict) else None
            verdict = answer(snapshot) if snapshot is not None else None
            if snapshot is not None and verdict is not None and verdict not in RETRYABLE:
                outcomes[tid] = snapshot, verdict
            else:
                self.throttled += 1
                again.append(tid)
                reload = reload or verdict is None or verdict is Answer.REJECTED
        if again:
            await asyncio.sleep(backoff_s(self.options, 1))
            if reload:
                await self.reload(generation)
        for tid, outcome in zip(again, await asyncio.gather(*(self.content(tid, first_attempt=2) for tid in again),
                                                             return_exceptions=True), strict=True):
            outcomes[tid] = outcome
        return outcomes

    async def content(self, tid: str, first_attempt: int = 1) -> tuple[Snapshot, Answer]:
        """Message `tid` as the content API answered it (neither throttled nor refused, or the last such answer
        when every attempt was); BrowserGaveUp when no attempt got an answer at all."""
        last: tuple[Snapshot, Answer] | None = None
        for attempt in range(first_attempt, self.options.max_attempts + 1):
            generation = self.generation
            async with self.slots:
                self.calls += 1
                snapshot = await self._evaluate("tid => window.__harvester.content(tid)", tid)
            if snapshot is not None:
                last = snapshot, answer(snapshot)
                if last[1] not in RETRYABLE:
                    return last
            self.throttled += 1
            if attempt < self.options.max_attempts:
                await asyncio.sleep(backoff_s(self.options, attempt))
                if last is None or last[1] is Answer.REJECTED:
                    await self.reload(generation)
        if last is None:
            raise BrowserGaveUp(f"{self.page.url}: content {tid}: no answer in {self.options.max_attempts} attempts")
        return last

    async def list_answer(self, fid: str, kind: str, first_attempt: int = 1) -> tuple[Snapshot, Answer]:
        """The board's first list page, or the one the last call failed to get (after a reload: the first)."""
        for attempt in range(first_attempt, self.options.max_attempts + 1):
            generation = self.generation
            snapshot = None
            try:
                if self._list is None or self._list_generation != generation:
                    self._list = await self._evaluate_raw(
                        "([fid, kind]) => window.__harvester.openList(fid, kind)", [fid, kind])
                    self._list_generation = generation
                elif attempt > 1:  # the failed call left the bundle's cursor where it was: the same page again
                    await self._evaluate_raw("id => window.__harvester.more(id)", self._list)
            except (PlaywrightError, TimeoutError):
                self._list = None
            else:
                self.calls += 1
                snapshot = await self._evaluate("id => window.__harvester.nextList(id)", self._list)
            verdict = answer(snapshot) if snapshot is not None else None
            if snapshot is not None and verdict is not None and verdict not in RETRYABLE:
                return snapshot, verdict
            self.throttled += 1
            if attempt == self.options.max_attempts:
                break
            await asyncio.sleep(backoff_s(self.options, attempt))
            if verdict is None or verdict is Answer.REJECTED:
                await self.reload(generation)
        raise BrowserGaveUp(f"{self.page.url}: list of board {fid}: throttled or refused "
                            f"{self.options.max_attempts} times")

    async def next_page(self, fid: str, kind: str) -> tuple[Snapshot, Answer] | None:
        """The board's next list page (asked for as 查看更多 asks, in one round trip); None when the bundle
        rendered the list's last page."""
        if self._list is None or self._list_generation != self.generation:
            return await self.list_answer(fid, kind)  # the page was reloaded: the bundle starts at the top again
        self.calls += 1
        try:
            found = await self._evaluate_raw("([id, ms]) => window.__harvester.page(id, ms)",
                                             [self._list, self.timeout_s * 1000])
        except (PlaywrightError, TimeoutError):
            found = {"error": "page gone"}
        if found is None:
            return None
        snapshot = snapshot_of(found) if isinstance(found, dict) else None
        verdict = answer(snapshot) if snapshot is not None else None
        if snapshot is not None and verdict is not None and verdict not in RETRYABLE:
            return snapshot, verdict
        self.throttled += 1
        await asyncio.sleep(backoff_s(self.options, 1))
        if verdict is None or verdict is Answer.REJECTED:
            await self.reload(self._list_generation)
        return await self.list_answer(fid, kind, first_attempt=2)

    async def reload(self, seen_generation: int) -> None:
        """Load the page again unless another call did since `seen_generation`."""
        async with self._reloading:
            if self.generation != seen_generation:
                return
            await self._load()

    async def close(self) -> None:
        try:
            await self.page.close()
        except PlaywrightError:
            pass

    async def _load(self) -> None:
        self.generation += 1
        try:
            await self.page.reload(wait_until="load", timeout=self.timeout_s * 1000)
            await asyncio.wait_for(self.page.evaluate(HARNESS), self.timeout_s)
        except (PlaywrightError, TimeoutError):
            pass  # the next call fails and waits again, up to max_attempts

    async def _evaluate(self, script: str, argument: Any) -> Snapshot | None:
        try:
            found = await self._evaluate_raw(script, argument)
        except (PlaywrightError, TimeoutError):
            return None  # the page was reloaded under the call, or the harness is gone: try again
        return snapshot_of(found) if isinstance(found, dict) else None

    async def _evaluate_raw(self, script: str, argument: Any) -> Any:
        return await asyncio.wait_for(self.page.evaluate(script, argument), self.timeout_s)
