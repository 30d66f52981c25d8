"""The one spider for every definition platform: list pages down to the board cursor, details of new and
changed letters, and re-checks of open letters (by their detail pages, or through the list)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from harvester.definition import Definition, definition_of
from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.pipelines.normalise import clean_line
from harvester.registry import Board
from harvester.runs import EMPTY_BY_DESIGN
from harvester.schema import BoardCursor, MessageWithdrawn
from harvester.timeutil import utcnow
from spiders.base import HarvestSpider, request_of
from spiders.generic.convert import row_posted_at
from spiders.generic.listing import Row, parse_list, row_snapshot, usable_rows
from spiders.generic.message import LetterContext, read_letter, to_message
from spiders.generic.paging import detail_url, list_request
from spiders.generic.scan import KeyScan, join_key, oldest
from spiders.generic.stored import recheck_row, row_fields, stored_cursor, stored_records, withdrawn_rows

MAX_REDIRECT_STATUS = 399


class GenericSpider(HarvestSpider):
    """Bound to a platform by the spider loader; the definition is validated when that binding happens, so a
    mistake stops `harvester harvest` before any crawl with a message naming file, line and field."""

    name = "generic"
    definition: ClassVar[Definition]
    key_scans: dict[str, KeyScan]
    public_numbers: set[str]  # letter numbers public rows showed this run (a number may name two letters)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("platform")
        if spec is not None:
            cls.definition = definition_of(spec)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> GenericSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, GenericSpider)
        spider.key_scans = {}
        spider.public_numbers = set()
        return spider

    async def start(self) -> AsyncIterator[Any]:
        due = self.recheck_targets()
        records = stored_records(self.store, self.name, [t.external_id for t in due])
        by_list = self.definition.list.recheck == "list"
        for board in self.platform.boards:
            scan = KeyScan(board.id, stored_cursor(self.store, self.name, board.id))
            days = self.definition.list.paging.lookback_days
            scan.lookback = timedelta(days=days) if days else None
            if by_list:
                scan.floor = oldest([recheck_row(self.definition, r)["key"] for r in records.values()
                                     if r["board_id"] == board.id])
            self.key_scans[board.id] = scan
            yield self.list_request(board, 1)
        for target in [] if by_list else due:
            record = records.get(target.external_id)
            owner = next((b for b in self.platform.boards if record and b.id == record["board_id"]), None)
            if owner is not None and record is not None:
                self.count("rechecks")
                # A URL template follows base_url (operators move platforms); a list link is kept as stored.
                url = detail_url(self.definition, self.platform.base_url, owner.id, target.external_id, target.url)
                yield self.detail_request(owner, target.external_id, url,
                                          recheck_row(self.definition, record)["row"], key=None)

    # --- requests ------------------------------------------------------------------------------------
    def list_request(self, board: Board, page: int, carried: Mapping[str, str] | None = None) -> scrapy.Request:
        """List page `page`; a postback list posts back `carried`, the form values read from page `page - 1`
        (so its pages are fetched one after another, as they are anyway: page n+1 follows from page n)."""
        wanted = list_request(self.definition, self.platform.base_url, board.id, page, carried)
        common: dict[str, Any] = {"callback": self.parse_list, "errback": self.list_failed, "dont_filter": True,
                                  "cb_kwargs": {"board": board, "page": page}, "meta": self.request_meta()}
        if wanted.method == "POST":
            return scrapy.FormRequest(wanted.url, formdata=dict(wanted.form or {}), **common)
        return scrapy.Request(wanted.url, **common)

    def detail_request(self, board: Board, external_id: str, url: str, row: dict[str, Any],
                       key: str | None) -> scrapy.Request:
        self.requested.add(external_id)
        if key is not None:
            self.key_scans[board.id].requested(external_id, key)
        statuses = list(self.definition.detail.not_public_statuses)
        meta = self.request_meta(handle_httpstatus_list=statuses,
                                 dont_redirect=any(s <= MAX_REDIRECT_STATUS for s in statuses))
        return scrapy.Request(url, callback=self.parse_detail, errback=self.detail_failed, dont_filter=True,
                              cb_kwargs={"board": board, "external_id": external_id, "url": url, "row": row,
                                         "key": key}, meta=meta)

    # --- list pages ----------------------------------------------------------------------------------
    def parse_list(self, response: Response, board: Board, page: int) -> Iterator[Any]:
        scan = self.key_scans[board.id]
        listing = yield from self.checked_listing(
            response, scan, lambda snapshot: usable_rows(parse_list(snapshot, self.definition, page)))
        if listing is None:
            return
        self.count("listed", len(listing.rows) + len(listing.rejected))
        yield from self.rejected_rows(response, scan, listing.rejected)
        if not listing.rows and page == 1 and self.definition.list.may_be_empty:
            self.count(EMPTY_BY_DESIGN)
        public = [row for row in listing.public if row.id]
        self.count("skipped", len(listing.rows) - len(public))  # not public: nothing to read
        self.public_numbers.update(str(row.values["letter_no"]) for row in public if row.values.get("letter_no"))
        yield from withdrawn_rows(self.store, self.name, [row for row in listing.rows if not row.public],
                                  self.public_numbers)
        known = self.known_states(str(row.id) for row in public)
        yield from self.changed_letters(board, scan, public, known)
        keys = [self.key_of(row) for row in public]
        unknown = [self.key_of(row) for row in public if str(row.id) not in known]
        last_known = bool(public) and str(public[-1].id) in known
        recent = scan.within_lookback(p for p in (row_posted_at(row.values, self.definition) for row in public) if p)
        if listing.more and (recent or not scan.reached(oldest(keys), unknown, last_known)):
            yield self.list_request(board, page + 1, listing.carried)
        else:
            scan.list_complete = True
            yield from self.cursor_ready(board.id)

    def rejected_rows(self, response: Response, scan: KeyScan, rows: tuple[Row, ...]) -> Iterator[Any]:
        """Each row that failed on a page whose other rows read: quarantined alone with its raw text and reason;
        a row whose id and key read holds the board's cursor below it until a later run stores it."""
        page = self.snapshot(response) if rows else None
        for row in rows:
            assert page is not None
            reason = "list row: " + "; ".join(row.errors.values())
            yield self.quarantine(row_snapshot(page, row, self.definition.list.format == "json"), reason,
                                  external_id=row.id)
            if row.id and all(part == "id" or row.values.get(part) for part in self.definition.list.cursor):
                scan.requested(row.id, self.key_of(row))
                scan.handled(row.id, ok=False)

    def key_of(self, row: Row) -> str:
        return join_key(str(row.id if part == "id" else row.values[part]) for part in self.definition.list.cursor)

    def changed_letters(self, board: Board, scan: KeyScan, rows: list[Row],
                        known: Mapping[str, Any]) -> Iterator[scrapy.Request]:
        """Detail requests for letters not stored yet, or whose status on the list differs from the stored one."""
        for row in rows:
            external_id, key = str(row.id), self.key_of(row)
            scan.seen.add(key)
            state, status = known.get(external_id), row.values.get("status")
            changed = state is None or (status is not None and clean_line(status) != state.status_raw)
            if external_id not in self.requested and changed:
                url = detail_url(self.definition, self.platform.base_url, board.id, external_id,
                                 row.values.get("link"))
                yield self.detail_request(board, external_id, url, row_fields(row), key=key)

    def list_failed(self, failure: Failure) -> Iterator[Any]:
        request = request_of(failure)
        self.key_scans[request.cb_kwargs["board"].id].list_broken = True
        self.record_failure(request.url, *self.classify(failure))
        return iter(())

    # --- detail pages --------------------------------------------------------------------------------
    def parse_detail(self, response: Response, board: Board, external_id: str, url: str, row: dict[str, Any],
                     key: str | None) -> Iterator[Any]:
        snapshot = self.snapshot(response)
        ok = not self.soft_blocked(snapshot)
        if ok:
            try:
                letter = read_letter(snapshot, self.definition, row)
                yield self.validated(to_message(letter, LetterContext(self.name, board, external_id, url), snapshot))
            except NotPublic as refusal:
                yield MessageWithdrawn(platform=self.name, external_id=external_id, seen_at=utcnow(),
                                       reason=refusal.reason)
            except LayoutChanged as error:
                ok = False
                if not self.soft_blocked(snapshot, unparsed=True):
                    yield self.quarantine(snapshot, error.reason, external_id=external_id)
        yield from self.detail_done(board, external_id, key, ok)

    def detail_failed(self, failure: Failure) -> Iterator[Any]:
        request = request_of(failure)
        kwargs = request.cb_kwargs
        self.record_failure(request.url, *self.classify(failure))
        return self.detail_done(kwargs["board"], kwargs["external_id"], kwargs["key"], ok=False)

    def detail_done(self, board: Board, external_id: str, key: str | None, ok: bool) -> Iterator[Any]:
        if key is not None:
            self.key_scans[board.id].handled(external_id, ok)
            yield from self.cursor_ready(board.id)

    def cursor_ready(self, board_id: str) -> Iterator[BoardCursor]:
        """The board's new cursor once its scan and every detail it started are handled."""
        scan = self.key_scans[board_id]
        if not scan.ready():
            return
        scan.cursor_emitted = True
        value = scan.new_cursor()
        if value is not None and value != scan.old_cursor:
            yield BoardCursor(platform=self.name, board_id=board_id, value=value)
