"""What both 领导留言板 paths share: settings, options, and what to do with a list or content answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from harvester.extract.errors import LayoutChanged
from harvester.extract.quarantine import row_page
from harvester.extract.snapshot import Snapshot
from harvester.registry import Board
from harvester.schema import MessageWithdrawn
from harvester.timeutil import utcnow
from spiders.base import HarvestSpider, request_of
from spiders.people import api
from spiders.people.api import Answer, ListPage, RejectedItem
from spiders.people.content import ContentContext, parse_content
from spiders.people.lookback import LookbackScan
from spiders.people.options import PeopleOptions, parse_options
from spiders.people.paging import PageSizes
from spiders.people.session import SiteRelease

GUARD = "spiders.people.guard.PeopleApiGuard"
GUARD_ORDER = 560  # its process_response runs before RetryMiddleware's (550): throttling is ours to retry


class PeopleBase(HarvestSpider):
    """The API path (spider.py) and the browser path (browser_path.py) read the same answers the same way."""

    options: PeopleOptions
    release: SiteRelease
    context: ContentContext
    via_browser: bool  # every page through Chromium (configured, or fallen back to)
    browser_ready: bool  # scrapy-playwright is installed for this crawl
    requested: set[str]
    page_sizes: PageSizes  # the largest page each list API answered: tells a short (last) page
    recheck_after: timedelta
    recheck_limit: int

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        spec = getattr(cls, "platform", None)
        if spec is None:
            return
        settings.set("DOWNLOADER_MIDDLEWARES", {**settings.getdict("DOWNLOADER_MIDDLEWARES"), GUARD: GUARD_ORDER},
                     priority="spider")
        codes = [int(code) for code in settings.getlist("RETRY_HTTP_CODES") if int(code) not in api.THROTTLE_STATUSES]
        settings.set("RETRY_HTTP_CODES", codes, priority="spider")
        options = parse_options(spec.options, spec.source)
        if spec.fetch == "browser" or options.path != "api" or options.browser_fallback:
            from adapters.playwright_settings import HANDLER, playwright_settings

            settings.update(playwright_settings(site=spec.base_url), priority="spider")
            # One handler instance per scheme, each starting its own Playwright driver: only the site's scheme.
            settings.set("DOWNLOAD_HANDLERS", {urlsplit(spec.base_url).scheme: HANDLER}, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PeopleBase:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, PeopleBase)
        spec = cls.platform
        spider.options = parse_options(spec.options, spec.source)
        spider.release = SiteRelease()
        spider.page_sizes = PageSizes()
        spider.via_browser = spec.fetch == "browser" or spider.options.path != "api"
        spider.browser_ready = spider.via_browser or spider.options.browser_fallback
        spider.context = ContentContext(spider.name, spec.base_url, {b.id: b.addressee for b in spec.boards},
                                        spider.options)
        return spider

    def content_request(self, tid: str, board_id: str | None) -> scrapy.Request:
        raise NotImplementedError

    def new_scan(self, board: Board) -> LookbackScan:
        """The board's scan from its stored cursor, reading on below it for late publications."""
        return LookbackScan(board.id, self.stored_cursor(board.id), lag=self.options.publication_lag,
                            backfill=self.options.backfill)

    def board_scan(self, board_id: str) -> LookbackScan:
        scan = self.scans[board_id]
        assert isinstance(scan, LookbackScan), "people scans are made by new_scan"
        return scan

    # --- lists ---------------------------------------------------------------------------------------
    def take_list_answer(self, board: Board, snapshot: Snapshot, verdict: Answer,
                         next_page: Callable[[str], scrapy.Request] | None, api_name: str,
                         asked: int | None) -> Iterator[Any]:
        """Content requests for new and changed messages, then the next page (when `next_page` makes it; the
        browser clicks for it) or the end of the board's scan. `api_name` is the list API that answered (df, bw,
        form, browser) and `asked` the rows its call asked for (None: not known), to tell a short last page."""
        scan = self.board_scan(board.id)
        if verdict is not Answer.OK:
            scan.list_broken = True
            self.record_failure(snapshot.url, _failure_class(verdict),
                                f"board {board.id}: {verdict.value}, HTTP {snapshot.status}")
            return
        try:
            listing = api.parse_list(snapshot)
        except LayoutChanged as error:
            scan.list_broken = True
            self.record_failure(snapshot.url, "layout_changed", error.reason)
            yield self.quarantine(snapshot, error.reason)
            return
        yield from self.rejected_items(snapshot, scan, listing.rejected)
        yield from self.take_listing(board, listing)
        ended = self.page_sizes.ended(api_name, listing.size, asked)
        if not ended and not scan.paging_done(listing):
            if next_page is not None:
                yield next_page(listing.next_cursor)
            return
        yield from self.end_list(board)

    def end_list(self, board: Board) -> Iterator[Any]:
        """The board's list was read to its end (or to where this run stops): its cursor may follow."""
        scan = self.board_scan(board.id)
        scan.list_complete = True
        if scan.lookback_pages:
            self.count("lookback_pages", scan.lookback_pages)
        yield from self.cursor_if_ready(board.id)

    def rejected_items(self, snapshot: Snapshot, scan: LookbackScan, items: tuple[RejectedItem, ...]) -> Iterator[Any]:
        """Each item that did not read on a page whose others did: quarantined alone with its JSON and reason;
        one whose tid reads holds the board's cursor below it until a later run stores it."""
        for item in items:
            yield self.quarantine(row_page(snapshot, item.raw, "application/json"), f"list item: {item.reason}",
                                  external_id=str(item.tid) if item.tid is not None else None)
            if item.tid is not None:
                scan.requested(item.tid)
                scan.handled(item.tid, ok=False)

    def take_listing(self, board: Board, listing: ListPage) -> Iterator[scrapy.Request]:
        """Read whole every message the store lacks or holds in another state; one the store lacks below the old
        cursor was published late (counted)."""
        scan = self.board_scan(board.id)
        scan.note(listing)
        known = self.known_states(str(item.tid) for item in listing.items)
        for item in listing.items:
            scan.seen.add(item.tid)
            if scan.before_backfill(item):
                self.count("before_backfill")
                continue
            tid, state = str(item.tid), known.get(str(item.tid))
            if tid not in self.requested and (state is None or state.status_raw != item.state):
                if state is None and scan.below_cursor(item.tid):
                    if not scan.published_within_lag(item):
                        continue  # older than any late publication: left out by a first harvest's backfill window
                    self.count("late_publications")
                yield self.content_request(tid, board.id)

    def list_failed(self, failure: Failure) -> Iterator[Any]:
        board: Board = request_of(failure).cb_kwargs["board"]
        self.scans[board.id].list_broken = True
        self.record_failure(request_of(failure).url, *self.classify(failure))
        return iter(())

    # --- messages ------------------------------------------------------------------------------------
    def take_content(self, snapshot: Snapshot, verdict: Answer, tid: str, board_id: str | None) -> Iterator[Any]:
        """The message, its withdrawal, or a quarantined or failed read; then the board's cursor if ready."""
        ok = True
        if verdict is Answer.OK:
            try:
                yield self.validated(parse_content(snapshot, self.context))
            except LayoutChanged as error:
                ok = False
                yield self.quarantine(snapshot, error.reason, external_id=tid)
        elif verdict is Answer.NOT_FOUND:
            yield MessageWithdrawn(platform=self.name, external_id=tid, seen_at=utcnow(),
                                   reason="the content API no longer has this message")
        else:
            ok = False
            self.record_failure(f"{snapshot.url}#tid={tid}", _failure_class(verdict),
                                f"{verdict.value}, HTTP {snapshot.status}")
        yield from self.content_done(tid, board_id, ok)

    def content_failed(self, failure: Failure) -> Iterator[Any]:
        kwargs = request_of(failure).cb_kwargs
        self.record_failure(request_of(failure).url, *self.classify(failure))
        return self.content_done(kwargs["tid"], kwargs["board_id"], ok=False)

    def content_done(self, tid: str, board_id: str | None, ok: bool) -> Iterator[Any]:
        """`board_id` is the board whose list asked for the message (its cursor waits); None for re-checks."""
        if board_id is not None:
            self.scans[board_id].handled(int(tid), ok)
            yield from self.cursor_if_ready(board_id)


def _failure_class(verdict: Answer) -> str:
    return "blocked" if verdict in (Answer.THROTTLED, Answer.REJECTED) else "http_error"
