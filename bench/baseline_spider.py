"""A plain Scrapy spider over the jact replica: list -> detail with parsel, storing nothing (the baseline)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess


class PlainJactSpider(scrapy.Spider):
    name = "plain_jact"

    def __init__(self, base_url: str, sysid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url, self.sysid, self.parsed = base_url, sysid, 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(f"{self.base_url}/jact/front/mailpublist.do?sysid={self.sysid}&pageIndex=1")

    def parse(self, response: scrapy.http.Response) -> Any:
        for href in response.css("table.list_table tr.tr_css td a::attr(href)").getall():
            yield response.follow(href, callback=self.parse_detail)
        next_page = response.css("div.jact_page a.next::attr(href)").get()
        if next_page:
            yield response.follow(next_page)

    def parse_detail(self, response: scrapy.http.Response) -> None:
        rows = response.css("tr.trbg02")
        fields = {" ".join(r.css("td.list_pd1 ::text").getall()).strip(): " ".join(r.css("td.list_pd2 ::text").getall())
                  for r in rows}
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
