"""A plain Scrapy spider over the jact replica, as a real jact crawler reads it: POSTed data-proxy record ranges
(`dataStore = [...]` of row strings) -> letter pages read with parsel, storing nothing (the baseline)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from parsel import Selector
from scrapy.crawler import CrawlerProcess

PROXY = "/jact/front/dataproxy_mailpublist.do"
RECORDS = 57  # perpage 19 x groupSize 3, as the real sites' list script asks
_STORE = re.compile(r"dataStore\s*=\s*(\[.*\])\s*;?", re.DOTALL)


class PlainJactSpider(scrapy.Spider):
    name = "plain_jact"

    def __init__(self, base_url: str, sysid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url, self.sysid, self.parsed = base_url, sysid, 0

    def _records(self, start: int) -> scrapy.FormRequest:
        url = f"{self.base_url}{PROXY}?startrecord={start}&endrecord={start + RECORDS - 1}&perpage=19"
        return scrapy.FormRequest(url, formdata={"sysid": self.sysid}, cb_kwargs={"start": start})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._records(1)

    def parse(self, response: scrapy.http.Response, start: int) -> Iterator[scrapy.Request]:
        found = _STORE.search(response.text)
        rows = json.loads(found.group(1)) if found else []
        for row in rows:
            href = Selector(text=f"<table>{row}</table>").xpath("//td[2]/a/@href").get()
            if href:
                yield scrapy.Request(response.urljoin(f"/jact/front/{href}"), callback=self.parse_detail)
        if len(rows) == RECORDS:
            yield self._records(start + RECORDS)

    def parse_detail(self, response: scrapy.http.Response) -> None:
        cells = [" ".join(td.css("::text").getall()).strip() for td in response.css("table td")]
        fields = dict(zip(cells[::2], cells[1::2], strict=False))
        if fields:
            self.parsed += 1


def main(base_url: str, sysid: str, per_site: int) -> None:
    # Stock Scrapy 2.19 holds CONCURRENT_REQUESTS_PER_DOMAIN only with a download delay (without one it starts
    # every queued request of a site at once; harvester.downloader fixes that for the harvester), so the
    # baseline gets a 1 ms delay: the same politeness as the harvest it is compared with.
    process = CrawlerProcess({"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
                              "REMOTE_CONTROL_ENABLED": False, "CONCURRENT_REQUESTS": 32,
                              "CONCURRENT_REQUESTS_PER_DOMAIN": per_site, "DOWNLOAD_DELAY": 0.001,
                              "COOKIES_ENABLED": True})
    crawler = process.create_crawler(PlainJactSpider)
    process.crawl(crawler, base_url=base_url, sysid=sysid)
    process.start()
    assert crawler.stats is not None and crawler.spider is not None
    print(f"parsed={crawler.spider.parsed} requests={crawler.stats.get_value('downloader/request_count')}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 8)
