"""Harvests a Hanweb "jact" mailbox incrementally: the letter list down to the board cursor (record ranges POSTed
to the data proxy, as real sites serve it, or an older build's pageIndex pages: `options.list`), details of new
and changed letters, and re-checks of letters still open."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from harvester.extract.errors import LayoutChanged
from harvester.extract.quarantine import row_page
from harvester.registry import Board
from harvester.schema import MessageWithdrawn
from harvester.timeutil import utcnow
from spiders.base import HarvestSpider, request_of
from spiders.jact import pages
from spiders.jact.listing import RejectedRow
from spiders.jact.options import JactOptions, parse_options
from spiders.scan import BoardScan

# jact answers a letter that is not (or no longer) public with a redirect back to the list.
WITHDRAWN_STATUSES = (301, 302, 404)


class JactSpider(HarvestSpider):
    name = "jact"
    options: JactOptions

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> JactSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, JactSpider)
        spider.options = parse_options(cls.platform.options, cls.platform.source)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        # Re-checks wait for their board's list scan: a letter the list shows is read from its row, which
        # carries what the detail page may not show yet (the unit handling it).
        self.revisits = self.rechecks_by_board()
        for board in self.platform.boards:
            self.scans[board.id] = BoardScan(board.id, self.stored_cursor(board.id))
            yield self.list_request(board, 1)

    def recheck_reads(self, board: Board) -> Iterator[scrapy.Request]:
        for transact_id in self.rechecks_after_list(board.id):
            yield self.detail_request(board, transact_id, from_list=False)

    # --- requests ------------------------------------------------------------------------------------
    def list_request(self, board: Board, page: int) -> scrapy.Request:
        """List page `page`: a POST to the data proxy for its record range, or a GET of mailpublist.do."""
        url = pages.list_url(self.platform.base_url, board.id, page, self.options)
        kwargs: dict[str, Any] = {"callback": self.parse_list, "errback": self.list_failed,
                                  "cb_kwargs": {"board": board, "page": page}, "meta": self.request_meta(),
                                  "dont_filter": True}
        if self.options.list == "pageindex":
            return scrapy.Request(url, **kwargs)
        return scrapy.FormRequest(url, formdata=pages.list_form(self.options, board.id), **kwargs)

    def detail_request(self, board: Board, transact_id: str, from_list: bool,
                       listed_unit: str | None = None) -> scrapy.Request:
        self.requested.add(transact_id)
        if from_list:
            self.scans[board.id].requested(int(transact_id))
        return scrapy.Request(
            pages.detail_url(self.platform.base_url, board.id, transact_id), callback=self.parse_detail,
            errback=self.detail_failed, dont_filter=True,
            cb_kwargs={"board": board, "transact_id": transact_id, "from_list": from_list,
                       "listed_unit": listed_unit},
            meta=self.request_meta(dont_redirect=True, handle_httpstatus_list=list(WITHDRAWN_STATUSES)))

    # --- list pages ----------------------------------------------------------------------------------
    def parse_list(self, response: Response, board: Board, page: int) -> Iterator[Any]:
        scan = self.scans[board.id]
        listing = yield from self.checked_listing(response, scan, pages.parse_list)
        if listing is None:
            yield from self.recheck_reads(board)
            return
        self.count("listed", listing.size)
        yield from self.rejected_rows(response, scan, listing.rejected)
        public = [row for row in listing.rows if row.transact_id]
        hidden = [row for row in listing.rows if not row.transact_id]
        self.count("skipped", len(hidden))  # not public: nothing to read
        yield from self.withdrawn_rows(hidden)
        known = self.known_states(row.transact_id for row in public if row.transact_id)
        for row in public:
            assert row.transact_id is not None
            scan.seen.add(int(row.transact_id))
            state = known.get(row.transact_id)
            if row.transact_id not in self.requested and (state is None or state.status_raw != row.status_raw):
                yield self.detail_request(board, row.transact_id, from_list=True, listed_unit=row.unit or None)
        oldest = min((int(r.transact_id) for r in public if r.transact_id), default=None)
        if listing.rows and self.more_after(listing, page) and not scan.reached_cursor(oldest):
            yield self.list_request(board, page + 1)
        else:
            scan.list_complete = True
            yield from self.recheck_reads(board)
            yield from self.cursor_if_ready(board.id)

    def rejected_rows(self, response: Response, scan: BoardScan, rows: tuple[RejectedRow, ...]) -> Iterator[Any]:
        """Each row that failed on a page whose other rows read: quarantined alone with its markup and reason; a
        row whose link shows its transactId holds the board's cursor below it until a later run stores it."""
        page = self.snapshot(response) if rows else None
        for row in rows:
            assert page is not None
            yield self.quarantine(row_page(page, row.raw, "text/html"), f"list row: {row.reason}",
                                  external_id=row.transact_id)
            if row.transact_id:
                scan.requested(int(row.transact_id))
                scan.handled(int(row.transact_id), ok=False)

    def more_after(self, listing: pages.ListPage, page: int) -> bool:
        """Whether the list goes on after page `page`: the pager's next link, or a full data proxy answer."""
        if self.options.list == "pageindex":
            return listing.next_url is not None
        _, end = pages.record_range(self.options, page)
        return pages.proxy_has_more(listing, self.options.records_per_request, end)

    def withdrawn_rows(self, rows: list[pages.ListRow]) -> Iterator[MessageWithdrawn]:
        """Letters we stored that the list now shows without a link have been made non-public."""
        if not rows:
            return
        with self.store.transaction() as repo:
            stored = repo.public_by_letter_no(self.name, [row.letter_no for row in rows])
        for row in rows:
            if row.letter_no in stored:
                yield MessageWithdrawn(platform=self.name, external_id=stored[row.letter_no], seen_at=utcnow(),
                                       reason="listed without a link (不公开)")

    def list_failed(self, failure: Failure) -> Iterator[Any]:
        request = request_of(failure)
        board: Board = request.cb_kwargs["board"]
        self.scans[board.id].list_broken = True
        self.record_failure(request.url, *self.classify(failure))
        return self.recheck_reads(board)

    # --- detail pages --------------------------------------------------------------------------------
    def parse_detail(self, response: Response, board: Board, transact_id: str, from_list: bool,
                     listed_unit: str | None = None) -> Iterator[Any]:
        snapshot = self.snapshot(response)
        ok = True
        if response.status in WITHDRAWN_STATUSES:
            yield MessageWithdrawn(platform=self.name, external_id=transact_id, seen_at=utcnow(),
                                   reason=f"detail answered HTTP {response.status}")
        elif self.soft_blocked(snapshot):
            ok = False
        else:
            try:
                yield self.validated(pages.parse_detail(snapshot, self.name, self.platform.base_url, board,
                                                        transact_id, listed_unit))
            except LayoutChanged as error:
                ok = False
                if not self.soft_blocked(snapshot, unparsed=True):
                    yield self.quarantine(snapshot, error.reason, external_id=transact_id)
        yield from self.detail_done(board, transact_id, from_list, ok)

    def detail_failed(self, failure: Failure) -> Iterator[Any]:
        request = request_of(failure)
        kwargs = request.cb_kwargs
        self.record_failure(request.url, *self.classify(failure))
        return self.detail_done(kwargs["board"], kwargs["transact_id"], kwargs["from_list"], ok=False)

    def detail_done(self, board: Board, transact_id: str, from_list: bool, ok: bool) -> Iterator[Any]:
        if from_list:
            self.scans[board.id].handled(int(transact_id), ok)
            yield from self.cursor_if_ready(board.id)
