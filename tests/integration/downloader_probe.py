"""A crawl of `count` requests to one site with CONCURRENT_REQUESTS_PER_DOMAIN = `per_site` and no download delay,
through the downloader class named; prints the most requests the site saw in flight at once.

Usage: python tests/integration/downloader_probe.py DOWNLOADER PER_SITE COUNT [REACTOR]
(the minimal reproduction of the Scrapy bug harvester/downloader.py works around; docs/performance.md)
"""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess


class Site(BaseHTTPRequestHandler):
    """Answers every GET once `hold` is released or after a second; counts the requests in flight."""

    lock, now, most = threading.Lock(), 0, 0
    seen = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        with Site.lock:
            Site.now += 1
            Site.most = max(Site.most, Site.now)
        Site.seen.wait(0.3)  # keep the request open long enough for the next ones to arrive
        with Site.lock:
            Site.now -= 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


class Burst(scrapy.Spider):
    name = "burst"

    def __init__(self, url: str, count: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url, self.count = url, count

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for index in range(self.count):
            yield scrapy.Request(f"{self.url}/{index}", dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> None:
        return None


def main(downloader: str, per_site: int, count: int, reactor: str | None) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = {"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False, "DOWNLOADER": downloader,
                "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": per_site, "DOWNLOAD_DELAY": 0,
                "ROBOTSTXT_OBEY": False}
    if reactor:
        settings["TWISTED_REACTOR"] = reactor
    process = CrawlerProcess(settings)
    process.crawl(Burst, url=f"http://127.0.0.1:{server.server_port}", count=count)
    process.start()
    server.shutdown()
    print(Site.most)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
