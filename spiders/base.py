"""The base of every harvesting spider: platform binding, store reads, snapshots, and failure accounting."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from harvester.config import DEFAULTS
from harvester.extract.errors import LayoutChanged
from harvester.extract.quarantine import quarantine_record
from harvester.extract.snapshot import Snapshot
from harvester.extract.softblock import detect_soft_block
from harvester.pipelines.normalise import normalise_message
from harvester.pipelines.validate import problems
from harvester.registry import Board, PlatformSpec
from harvester.runfigures import SOFT_BLOCKED
from harvester.runs import STAT_PREFIX, FetchFailure
from harvester.schema import BoardCursor, Message, QuarantinedPage
from harvester.store.cache import store_for
from harvester.store.db import Store
from harvester.store.rechecks import RecheckTarget
from harvester.store.rechecks import revisit_due as revisit_due  # re-exported for spiders.people
from harvester.timeutil import utcnow
from spiders.scan import BoardScan

BLOCKED_STATUSES = (403, 429)


def snapshot_of(response: Response, charset: str | None) -> Snapshot:
    """A response as a recorded page, decoded with `charset` (a platform's), else what the page declares.
    scrapy-playwright re-encodes the rendered DOM in the charset the page declares, so both paths decode alike."""
    headers = {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v}
    return Snapshot(url=response.url, status=response.status, body=response.body, fetched_at=utcnow(),
                    headers=headers, encoding=charset)


def request_of(failure: Failure) -> scrapy.Request:
    """The request an errback's failure belongs to (Scrapy attaches it to the failure)."""
    request: scrapy.Request = failure.request  # type: ignore[attr-defined]
    return request


def board_subset(boards: Sequence[Board], argument: str | Sequence[str] | None) -> tuple[tuple[Board, ...], list[str]]:
    """The boards a crawl harvests: those of the spider argument `boards` (fids, comma-separated: a board shard
    in distributed mode), in the definition's order, or every board without it; and the fids it names that the
    definition does not have."""
    if argument is None:
        return tuple(boards), []
    wanted = [fid.strip() for fid in (argument.split(",") if isinstance(argument, str) else argument) if fid.strip()]
    known = {board.id for board in boards}
    return tuple(board for board in boards if board.id in wanted), [fid for fid in wanted if fid not in known]


class HarvestSpider(scrapy.Spider):
    """Subclassed per family; the spider loader binds `platform` and names the class by the platform slug."""

    platform: ClassVar[PlatformSpec]
    # A family whose spider harvests only the boards of the spider argument `boards=FID,FID` (`chosen_boards`)
    # sets this: distributed mode may then split its large platforms into board shards.
    board_subsets: ClassVar[bool] = False
    store: Store
    recheck_after: timedelta
    recheck_limit: int
    revisits: dict[str, list[str]]  # board id -> re-checks read after its list (families that do so)
    failures: list[FetchFailure]
    scans: dict[str, BoardScan]
    requested: set[str]

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        spec = getattr(cls, "platform", None)
        if spec is None:
            return
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", spec.concurrency, priority="spider")
        settings.set("DOWNLOAD_DELAY", spec.download_delay, priority="spider")
        for name, value in (("DOWNLOAD_MAXSIZE", spec.download_maxsize), ("DOWNLOAD_WARNSIZE", spec.download_warnsize)):
            if value is not None:
                settings.set(name, value, priority="spider")
        if spec.fetch == "browser":
            from adapters.playwright_settings import playwright_settings

            settings.update(playwright_settings(), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HarvestSpider:
        spider: HarvestSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.store = store_for(crawler.settings["HARVESTER_DB_URL"])
        hours = crawler.settings.getfloat("HARVESTER_RECHECK_AFTER_HOURS", DEFAULTS.recheck_after_hours)
        spider.recheck_after = timedelta(hours=hours)
        spider.recheck_limit = crawler.settings.getint("HARVESTER_RECHECK_LIMIT", DEFAULTS.recheck_limit)
        spider.failures = []
        spider.scans = {}
        spider.requested = set()
        return spider

    # --- pages -----------------------------------------------------------------------------------
    def snapshot(self, response: Response) -> Snapshot:
        """The response as a recorded page (what page objects parse)."""
        return snapshot_of(response, self.platform.charset)

    def request_meta(self, **extra: Any) -> dict[str, Any]:
        """Meta for every request: browser rendering when the platform asks for it."""
        meta: dict[str, Any] = dict(extra)
        if self.platform.fetch == "browser":
            meta["playwright"] = True
        return meta

    def soft_blocked(self, snapshot: Snapshot, unparsed: bool = False) -> bool:
        """Whether the page is a challenge, captcha, login or error page; if so it is recorded as a failed
        request (the run fails as "blocked", or "auth_expired" for a login wall) and must not be parsed.
        `unparsed`: the page did not parse as data (or parsed as an empty list), so its wording may decide too
        (see harvester.extract.softblock)."""
        block = detect_soft_block(snapshot, unparsed=unparsed)
        if block is None:
            return False
        self.logger.warning("%s: %s at %s", self.name, block.describe(), snapshot.url)
        self.record_failure(snapshot.url, "auth_expired" if block.kind == "login" else "blocked", block.describe())
        self.count(SOFT_BLOCKED.removeprefix(STAT_PREFIX))
        self.count(f"{SOFT_BLOCKED.removeprefix(STAT_PREFIX)}/{block.kind}")
        return True

    def checked_listing(self, response: Response, scan: Any,
                        parse: Callable[[Snapshot], Any]) -> Generator[Any, None, Any]:
        """Parse a list page unless it is a soft block; yields a quarantined page when the layout changed.

        Returns (via `yield from`) the parsed listing, or None when there is none to use, in which case the scan is
        marked broken so its cursor cannot move. An empty list that reads like a block page is a block, not "no
        letters". `parse` must return an object with `rows`.
        """
        snapshot = self.snapshot(response)
        try:
            listing = None if self.soft_blocked(snapshot) else parse(snapshot)
        except LayoutChanged as error:
            scan.list_broken = True
            if not self.soft_blocked(snapshot, unparsed=True):
                self.record_failure(response.url, "layout_changed", error.reason)
                yield self.quarantine(snapshot, error.reason)
            return None
        if listing is None or not listing.rows and self.soft_blocked(snapshot, unparsed=True):
            scan.list_broken = True
            return None
        return listing

    def validated(self, message: Message) -> Message:
        """The message, or LayoutChanged with what the validation gate would refuse (an empty body, a date in
        the future …). Checked here, not only in the pipeline, so that the caller treats the page as unread:
        quarantined, and its board's cursor held below it until a later run stores it."""
        found = problems(normalise_message(message))
        if found:
            raise LayoutChanged("validation failed: " + "; ".join(found))
        return message

    def quarantine(self, snapshot: Snapshot, reason: str, external_id: str | None = None) -> QuarantinedPage:
        self.logger.warning("%s: quarantined %s: %s", self.name, snapshot.url, reason)
        return quarantine_record(self.name, snapshot, reason, external_id=external_id)

    def chosen_boards(self) -> tuple[Board, ...]:
        """The boards of the spider argument `boards` (a board shard), in the definition's order, or all of them;
        a fid the definition lacks fails the run (class definition)."""
        chosen, unknown = board_subset(self.platform.boards, getattr(self, "boards", None))
        if unknown:
            self.record_failure(self.platform.base_url, "definition",
                                f"boards {', '.join(unknown)} asked for are not in the platform's definition")
        return chosen

    # --- failures ----------------------------------------------------------------------------------
    def record_failure(self, url: str, failure_class: str, detail: str) -> None:
        self.failures.append(FetchFailure(url, failure_class, detail))

    def classify(self, failure: Failure) -> tuple[str, str]:
        """(failure class, detail) of a request that failed after retries."""
        response = getattr(failure.value, "response", None)
        if response is not None:
            status = response.status
            return ("blocked" if status in BLOCKED_STATUSES else "http_error"), f"HTTP {status}"
        if failure.check(DownloadCancelledError):  # larger than DOWNLOAD_MAXSIZE: never read whole
            cap = self.settings.getint("DOWNLOAD_MAXSIZE")
            return "too_large", f"page larger than the download cap ({cap:,} bytes): {failure.getErrorMessage()[:200]}"
        kind = failure.type.__name__ if failure.type else "error"
        return "network", f"{kind}: {failure.getErrorMessage()[:200]}"

    # --- store reads ---------------------------------------------------------------------------------
    def stored_cursor(self, board_id: str) -> int | None:
        with self.store.transaction() as repo:
            value = repo.get_cursor(self.name, board_id)
        return int(value) if value else None

    def known_states(self, external_ids: Iterable[str]) -> dict[str, Any]:
        with self.store.transaction() as repo:
            return repo.known_states(self.name, list(external_ids))

    def rechecks_by_board(self) -> dict[str, list[str]]:
        """This run's re-checks (`recheck_targets`) by the configured board that holds them, for families that
        read them after that board's list scan (`rechecks_after_list`)."""
        boards = {board.id for board in self.platform.boards}
        grouped: dict[str, list[str]] = {}
        for target in self.recheck_targets():
            if target.board_id in boards:
                grouped.setdefault(target.board_id, []).append(target.external_id)
        return grouped

    def rechecks_after_list(self, board_id: str) -> list[str]:
        """The board's re-checks its list scan did not already read: once, when the scan ends either way (a
        letter the list shows is read from its row, which may carry more than its page, and not twice)."""
        due = [external_id for external_id in self.revisits.pop(board_id, []) if external_id not in self.requested]
        if due:
            self.count("rechecks", len(due))
        return due

    def recheck_targets(self) -> list[RecheckTarget]:
        """Messages to read again this run: every one with a posted reply awaiting confirmation (whatever its
        status, last sighting or quiet time), then open messages due for a re-check, least recently seen first:
        last seen before the recheck interval, not yet settled, and (adaptive revisits) not checked more
        recently than 1/backoff of their quiet time; `recheck_limit` in all."""
        now, spec = utcnow(), self.platform
        with self.store.transaction() as repo:
            queue = repo.recheck_queue(self.name, spec.recheck_statuses, now - self.recheck_after, self.recheck_limit,
                                       changed_after=now - timedelta(days=spec.recheck_window_days),
                                       backoff=spec.recheck_backoff, now=now)
        if queue.awaiting_reply:
            self.count("rechecks_awaiting_reply", queue.awaiting_reply)
        if queue.deferred:  # the least recently seen go first; the rest wait for the next run
            self.count("rechecks_deferred", queue.deferred)
            self.logger.warning("%s: %d re-check(s) deferred past HARVESTER_RECHECK_LIMIT=%d", self.name,
                                queue.deferred, self.recheck_limit)
        return queue.targets

    # --- cursors -----------------------------------------------------------------------------------
    def cursor_if_ready(self, board_id: str) -> Iterator[BoardCursor]:
        """Yield the board's new cursor once its scan and every detail it started are handled."""
        scan = self.scans.get(board_id)
        if scan is None or not scan.ready():
            return
        scan.cursor_emitted = True
        value = scan.new_cursor()
        if value is not None and value != scan.old_cursor:
            yield BoardCursor(platform=self.name, board_id=board_id, value=str(value))

    def count(self, key: str, value: int = 1) -> None:
        self.crawler.stats.inc_value(STAT_PREFIX + key, value)

