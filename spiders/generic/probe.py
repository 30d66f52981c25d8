"""Fetch a few pages of a definition platform without the store (`platforms probe`, `fixtures record`).

Pages come through the harvest's own Scrapy stack (spiders/generic/fetcher.py): the same middlewares (cookies,
challenge solving, retries), download delay, User-Agent and charset handling, so what the operator tools see is
what a harvest would meet. One crawl per platform and process carries cookies from the list to the details.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harvester.definition import Definition
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.extract.softblock import detect_soft_block
from harvester.registry import PlatformSpec
from harvester.timeutil import utcnow
from spiders.generic.fetcher import FetchFailed, ScrapyFetcher
from spiders.generic.listing import ListPage, parse_list
from spiders.generic.paging import detail_url, list_request
from spiders.generic.stored import row_fields

__all__ = ["FetchFailed", "Fetched", "detail_pages", "fetch", "list_pages", "session"]

_sessions: dict[str, ScrapyFetcher] = {}


@dataclass(frozen=True, slots=True)
class Fetched:
    """One fetched page with what its recorded case needs to be parsed again (`page` is list or detail)."""

    page: str
    snapshot: Snapshot
    context: dict[str, Any]
    listing: ListPage | None = None
    error: str | None = None


def session(spec: PlatformSpec | None) -> ScrapyFetcher:
    """This process's crawl for `spec` (None: pages of no platform), started on first use, ended at exit."""
    key = repr(spec)
    if key not in _sessions:
        if not _sessions:
            atexit.register(close_sessions)
        _sessions[key] = ScrapyFetcher(spec)
    return _sessions[key]


def close_sessions() -> None:
    """End every crawl this process started for probes."""
    while _sessions:
        _sessions.popitem()[1].close()


def fetch(url: str, method: str = "GET", form: Mapping[str, str] | None = None, charset: str | None = None,
          follow_redirects: bool = True, spec: PlatformSpec | None = None) -> Snapshot:
    """The page whatever its HTTP status, fetched as a harvest of `spec` would (redirects followed unless told
    not to: then the 3xx is the page); FetchFailed (an OSError) when none came back."""
    return session(spec).fetch(url, method, form, charset, follow_redirects)


def blocked(snapshot: Snapshot, unparsed: bool = False) -> None:
    """Raise LayoutChanged naming the soft block (a challenge, captcha or login page) the page is, as a harvest
    records it (spiders.base.HarvestSpider.soft_blocked) instead of parsing it."""
    found = detect_soft_block(snapshot, unparsed=unparsed)
    if found is not None:
        raise LayoutChanged(found.describe())


def _board(spec: PlatformSpec) -> dict[str, str]:
    return {"id": spec.boards[0].id, "addressee": spec.boards[0].addressee}


def list_pages(spec: PlatformSpec, definition: Definition, base_url: str, pages: int) -> Iterator[Fetched]:
    """The first `pages` list pages of the first board (fewer when the list ends)."""
    board = _board(spec)
    carried = None  # a postback list's form state, read from the page before
    for number in range(1, pages + 1):
        wanted = list_request(definition, base_url, board["id"], number, carried)
        snapshot = fetch(wanted.url, wanted.method, wanted.form, spec.charset, spec=spec)
        context = {"platform": spec.slug, "base_url": base_url, "board": board, "page": number}
        try:
            blocked(snapshot)
            listing = parse_list(snapshot, definition, number)
            if not listing.rows:
                blocked(snapshot, unparsed=True)
        except LayoutChanged as error:
            found = detect_soft_block(snapshot, unparsed=True)
            yield Fetched("list", snapshot, context, error=found.describe() if found else error.reason)
            return
        yield Fetched("list", snapshot, context, listing)
        carried = listing.carried
        if not listing.more:
            return


def detail_pages(spec: PlatformSpec, definition: Definition, base_url: str, listing: ListPage,
                 limit: int) -> Iterator[Fetched]:
    """Detail pages of the first `limit` public rows of a list page."""
    board = _board(spec)
    redirects = not any(s < 400 for s in definition.detail.not_public_statuses)
    for row in [r for r in listing.public if r.id][:limit]:
        try:
            url = detail_url(definition, base_url, board["id"], str(row.id), row.values.get("link"))
        except ValueError as error:
            yield Fetched("detail", Snapshot(url="", status=0, body=b"", fetched_at=utcnow()), {}, error=str(error))
            continue
        context = {"platform": spec.slug, "base_url": base_url, "board": board, "external_id": row.id, "url": url,
                   "row": row_fields(row)}
        snapshot = fetch(url, charset=spec.charset, follow_redirects=redirects, spec=spec)
        found = detect_soft_block(snapshot)  # as the harvest refuses it before parsing
        yield Fetched("detail", snapshot, context, error=found.describe() if found else None)
