"""Fetch a few pages of a definition platform without Scrapy or the store (`platforms check`, `fixtures record`).

Plain urllib on purpose: the operator tools must show what a site serves before any crawl state exists.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harvester.definition import Definition
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.registry import PlatformSpec
from harvester.timeutil import utcnow
from spiders.generic.listing import ListPage, parse_list
from spiders.generic.paging import detail_url, list_request
from spiders.generic.stored import row_fields

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Fetched:
    """One fetched page with what its recorded case needs to be parsed again (`page` is list or detail)."""

    page: str
    snapshot: Snapshot
    context: dict[str, Any]
    listing: ListPage | None = None
    error: str | None = None


def fetch(url: str, method: str = "GET", form: Mapping[str, str] | None = None, charset: str | None = None,
          follow_redirects: bool = True, timeout: float = 20) -> Snapshot:
    """The page whatever its HTTP status; redirects followed unless told not to (then the 3xx is the page)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    data = urllib.parse.urlencode(form).encode() if form is not None and method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 - http(s) checked above
                                     headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener() if follow_redirects else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status, headers, body, final = response.status, response.headers, response.read(), response.url
    except urllib.error.HTTPError as error:
        status, headers, body, final = error.code, error.headers, error.read(), url
    return Snapshot(url=final, status=status, body=body, fetched_at=utcnow(), encoding=charset,
                    headers={k.lower(): v for k, v in headers.items()})


def _board(spec: PlatformSpec) -> dict[str, str]:
    return {"id": spec.boards[0].id, "addressee": spec.boards[0].addressee}


def list_pages(spec: PlatformSpec, definition: Definition, base_url: str, pages: int) -> Iterator[Fetched]:
    """The first `pages` list pages of the first board (fewer when the list ends)."""
    board = _board(spec)
    carried = None  # a postback list's form state, read from the page before
    for number in range(1, pages + 1):
        wanted = list_request(definition, base_url, board["id"], number, carried)
        snapshot = fetch(wanted.url, wanted.method, wanted.form, spec.charset)
        context = {"platform": spec.slug, "base_url": base_url, "board": board, "page": number}
        try:
            listing = parse_list(snapshot, definition, number)
        except LayoutChanged as error:
            yield Fetched("list", snapshot, context, error=error.reason)
            return
        yield Fetched("list", snapshot, context, listing)
        carried = listing.carried
        if not listing.more:
            return
        time.sleep(spec.download_delay)


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
        time.sleep(spec.download_delay)
        context = {"platform": spec.slug, "base_url": base_url, "board": board, "external_id": row.id, "url": url,
                   "row": row_fields(row)}
        yield Fetched("detail", fetch(url, charset=spec.charset, follow_redirects=redirects), context)
