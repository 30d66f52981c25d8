"""Fetch pages one at a time through the harvest's own Scrapy stack, for the operator tools (`platforms probe`,
`fixtures record`, `fixtures record --check/--refresh-inputs`, `platforms boards`).

One crawl runs in a child process with a harvest's settings (harvester/settings.py and the config on top, then the
platform's download delay, concurrency and size limits): the same downloader middlewares (cookies, the JavaScript
challenge solver, retries, redirects, decompression), User-Agent and charset handling. So a probe meets a site as
the harvest does: it passes where the harvest gets through and fails where the harvest is blocked. Nothing is
stored (no item pipelines) and no run is recorded. The caller asks for one page at a time and gets its Snapshot,
so a page can decide the next request (a postback list's form state, the rows of a list).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import scrapy
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from harvester import logsafety
from harvester.extract.snapshot import Snapshot
from harvester.registry import PlatformSpec
from spiders.base import HarvestSpider, snapshot_of

ANSWER_WAIT_S = 0.5  # how often a waiting caller looks whether the crawl is still alive


class FetchFailed(OSError):
    """No page came back (connection refused, timeouts after the retries, a download cancelled as too large)."""


@dataclass(frozen=True, slots=True)
class Wanted:
    url: str
    method: str = "GET"
    form: Mapping[str, str] | None = None
    charset: str | None = None
    follow_redirects: bool = True


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str


@dataclass(frozen=True, slots=True)
class _Setup:
    spec: PlatformSpec | None
    settings: dict[str, Any] = field(default_factory=dict)


class ProbeSpider(HarvestSpider):
    """Fetches what the parent process asks for, one request at a time, and sends back each page's Snapshot.
    `platform` is bound per probe (as the spider loader binds it per harvest), so the platform's politeness values
    and challenge options apply; it is None for a page of no configured platform."""

    name = "probe"
    conn: Connection

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ProbeSpider:
        # scrapy.Spider's, not HarvestSpider's: a probe opens no store.
        spider: ProbeSpider = super(HarvestSpider, cls).from_crawler(crawler, *args, **kwargs)
        return spider

    def request_meta(self, **extra: Any) -> dict[str, Any]:
        if getattr(self, "platform", None) is None:
            return dict(extra)
        return super().request_meta(**extra)

    async def start(self) -> Any:
        while (wanted := await maybe_deferred_to_future(deferToThread(_receive, self.conn))) is not None:
            self.conn.send(await self._fetch(wanted))
        return
        yield  # an async generator of no start requests: every page is fetched by `_fetch`

    async def _fetch(self, wanted: Wanted) -> Snapshot | Failed:
        meta = self.request_meta(dont_redirect=not wanted.follow_redirects)
        common: dict[str, Any] = {"dont_filter": True, "meta": meta}
        request = (scrapy.FormRequest(wanted.url, formdata=dict(wanted.form or {}), **common)
                   if wanted.method == "POST" else Request(wanted.url, method=wanted.method, **common))
        assert self.crawler.engine is not None
        try:
            response: Response = await self.crawler.engine.download_async(request)
        except Exception as error:  # whatever the download raised is the caller's answer, not the crawl's end
            return Failed(f"{type(error).__name__}: {error}".rstrip(": "))
        return snapshot_of(response, wanted.charset)


def _receive(conn: Connection) -> Wanted | None:
    """The next page wanted; None when the caller is done or gone."""
    try:
        wanted: Wanted | None = conn.recv()
    except (EOFError, OSError):
        return None
    return wanted


def probe_settings(overrides: Mapping[str, Any]) -> Settings:
    """A harvest's settings (the config is applied by harvester.settings' add-on unless `overrides` carry it),
    without item pipelines: a probe stores nothing. Quieter logs: the tools print their own report."""
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    settings.update(dict(overrides), priority="cmdline")
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    if "LOG_LEVEL" not in overrides:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    return settings


def serve(setup: _Setup, conn: Connection) -> None:
    """The child process: one crawl answering `conn` until the caller closes it."""
    process = CrawlerProcess(probe_settings(setup.settings))
    spec = setup.spec
    spider = type(f"ProbeSpider_{spec.slug}" if spec else "ProbeSpider", (ProbeSpider,),
                  {"name": spec.slug if spec else "probe", "platform": spec, "conn": conn})
    process.crawl(process.create_crawler(spider))
    logsafety.install()  # after create_crawler, as a harvest does: each crawler replaces Scrapy's root handler
    process.start()


class ScrapyFetcher:
    """Pages of one platform (`spec`; None: no platform's options) fetched in order through one crawl, so cookies
    and a passed challenge carry from page to page as in a harvest. `settings` go on top of the harvest's (tests
    name the database or a delay there). Use as a context manager, or `close()` it."""

    def __init__(self, spec: PlatformSpec | None = None, settings: Mapping[str, Any] | None = None) -> None:
        ours, theirs = socket.socketpair()
        # A fresh interpreter (a Twisted reactor starts once per process), with this one's import path.
        path = os.pathsep.join(entry for entry in sys.path if entry)
        self._process = subprocess.Popen([sys.executable, "-m", __name__, str(theirs.fileno())],
                                         pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                         env={**os.environ, "PYTHONPATH": path})
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(_Setup(spec, dict(settings or {})))
        self.spec = spec

    def fetch(self, url: str, method: str = "GET", form: Mapping[str, str] | None = None,
              charset: str | None = None, follow_redirects: bool = True) -> Snapshot:
        """The page whatever its HTTP status (after the middlewares: retries, a solved challenge, redirects
        followed unless told not to, when the 3xx is the page). FetchFailed when no page came back."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")
        try:
            self._conn.send(Wanted(url, method, dict(form) if form is not None else None, charset,
                                   follow_redirects))
            while not self._conn.poll(ANSWER_WAIT_S):
                if self._process.poll() is not None:
                    raise FetchFailed(f"{url}: the fetching crawl ended (exit code {self._process.returncode})")
            answer: Snapshot | Failed = self._conn.recv()
        except (EOFError, ConnectionError) as error:
            raise FetchFailed(f"{url}: the fetching crawl has ended ({type(error).__name__})") from error
        if isinstance(answer, Failed):
            raise FetchFailed(f"{url}: {answer.reason}")
        return answer

    def close(self) -> None:
        """End the crawl (its browser, if a challenge started one, closes with it); idempotent."""
        if not self._conn.closed:
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._conn.close()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> ScrapyFetcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def main(argv: list[str]) -> None:
    """`python -m spiders.generic.fetcher FD`: the child, answering the socket FD until it is closed."""
    conn = Connection(int(argv[1]))
    try:
        setup: _Setup = conn.recv()
    except EOFError:
        return
    serve(setup, conn)


if __name__ == "__main__":
    from spiders.generic import fetcher  # this module under its own name, so what it sends unpickles there

    fetcher.main(sys.argv)
