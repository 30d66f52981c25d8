"""The Playwright fetch adapter and the scrapy-playwright settings against a JS-rendered site on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import scrapy
from aiohttp import web
from parsel import Selector

from adapters.browser import PlaywrightFetchAdapter
from adapters.playwright_settings import chromium_launch_options, playwright_settings
from adapters.protocols import FetchAdapter, FetchError, FetchRequest, FetchTimeout
from tests.loopthread import LoopThread

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ITEMS = ["小区门口道路积水", "夜间施工噪音扰民", "公交线路调整建议"]

# The list is empty in the HTML; only a browser running the script shows the items (as SPA boards do).
LIST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>留言列表</title></head><body>
<img src="/pixel.png" alt=""><ul id="items"></ul>
<script>
fetch('/api/items').then(r => r.json()).then(data => {
  const list = document.getElementById('items');
  for (const title of data.items) {
    const li = document.createElement('li');
    li.className = 'item';
    li.textContent = title;
    list.appendChild(li);
  }
});
</script></body></html>"""

# A GBK page whose script writes Chinese too: the snapshot must come back as UTF-8 that decodes cleanly.
GBK_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>市长信箱</title></head><body><h1>市长信箱</h1><span id="state"></span>
<script>document.getElementById('state').textContent = '办理中';</script></body></html>""".encode("gbk")


@dataclass
class Site:
    base_url: str
    hits: Counter[str] = field(default_factory=Counter)
    echoed: list[dict[str, str]] = field(default_factory=list)



def build_app(site: Site) -> web.Application:
    async def list_page(request: web.Request) -> web.Response:
        return web.Response(text=LIST_PAGE, content_type="text/html", charset="utf-8")

    async def api_items(request: web.Request) -> web.Response:
        await asyncio.sleep(0.1)  # the list arrives after the load event, as on real SPA boards
        return web.json_response({"items": ITEMS}, dumps=lambda d: json.dumps(d, ensure_ascii=False))

    async def gbk_page(request: web.Request) -> web.Response:
        return web.Response(body=GBK_PAGE, headers={"Content-Type": "text/html"})

    async def echo(request: web.Request) -> web.Response:
        seen = {"method": request.method, "body": await request.text(), "probe": request.headers.get("X-Probe", "")}
        site.echoed.append(seen)
        cells = "".join(f'<p id="{key}">{value}</p>' for key, value in seen.items())
        return web.Response(text=f"<html><body>{cells}</body></html>", content_type="text/html")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="<html><body>页面找不到了！</body></html>", content_type="text/html")

    async def pixel(request: web.Request) -> web.Response:
        return web.Response(body=b"GIF89a", content_type="image/gif")

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        site.hits[request.path] += 1
        return await handler(request)

    app = web.Application(middlewares=[count])
    app.router.add_get("/", list_page)
    app.router.add_get("/api/items", api_items)
    app.router.add_get("/gbk", gbk_page)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/missing", missing)
    app.router.add_get("/pixel.png", pixel)
    return app


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def site(loop: LoopThread) -> Iterator[Site]:
    site = Site(base_url="")
    runner = web.AppRunner(build_app(site), access_log=None)

    async def start() -> str:
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    site.base_url = loop.run(start())
    yield site
    loop.run(runner.cleanup())


@pytest.fixture(scope="module")
def adapter(loop: LoopThread) -> Iterator[PlaywrightFetchAdapter]:
    # One context, one page: a page left open by a failed fetch would block every later test.
    async def start() -> PlaywrightFetchAdapter:
        return await PlaywrightFetchAdapter(max_contexts=1, max_pages=1, timeout_s=15).__aenter__()

    browser = loop.run(start())
    yield browser
    loop.run(browser.close())


def fetch(loop: LoopThread, adapter: PlaywrightFetchAdapter, request: FetchRequest) -> Any:
    return loop.run(adapter.fetch(request))


async def open_pages(adapter: PlaywrightFetchAdapter, url: str) -> int:
    async with adapter.page(url) as page:
        return len(page.context.pages)


def rendered_items(html: str) -> list[str]:
    return Selector(text=html).css("li.item::text").getall()


def test_snapshot_holds_the_items_the_script_rendered_which_plain_http_lacks(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    with urllib.request.urlopen(f"{site.base_url}/", timeout=10) as response:
        assert rendered_items(response.read().decode("utf-8")) == []
    snapshot = fetch(loop, adapter, FetchRequest(f"{site.base_url}/", wait_for="li.item"))
    assert rendered_items(snapshot.text) == ITEMS
    assert (snapshot.url, snapshot.status) == (f"{site.base_url}/", 200)
    assert snapshot.headers == {"content-type": "text/html; charset=utf-8"}
    assert snapshot.fetched_at.utcoffset() is not None
    assert isinstance(adapter, FetchAdapter)


def test_images_fonts_and_media_the_page_asks_for_are_never_requested(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    site.hits.clear()
    fetch(loop, adapter, FetchRequest(f"{site.base_url}/", wait_for="li.item"))
    assert site.hits["/api/items"] == 1
    assert site.hits["/pixel.png"] == 0


def test_capture_json_returns_the_api_response_the_page_made(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    result = loop.run(adapter.fetch_with_captures(FetchRequest(f"{site.base_url}/", capture_json="/api/items")))
    assert [c.url for c in result.captured] == [f"{site.base_url}/api/items"]
    captured = result.captured[0]
    assert captured.status == 200
    assert json.loads(captured.text) == {"items": ITEMS}
    assert captured.headers["content-type"].startswith("application/json")


def test_capture_json_without_a_matching_response_times_out_naming_the_pattern(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    # 2.5 s, not less: on a loaded CI machine the navigation alone can take a second.
    request = FetchRequest(f"{site.base_url}/", capture_json="/api/threads", timeout_s=2.5)
    with pytest.raises(FetchTimeout, match="no JSON response matching '/api/threads' within 2.5s"):
        loop.run(adapter.fetch_with_captures(request))


def test_wait_for_timeout_raises_a_clear_error_and_frees_the_page(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    url = f"{site.base_url}/"
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as raised:
        fetch(loop, adapter, FetchRequest(url, wait_for="div.replyList", timeout_s=2.5))
    assert str(raised.value) == f"{url}: selector 'div.replyList' did not appear within 2.5s"
    assert time.monotonic() - started < 10
    assert loop.run(open_pages(adapter, url)) == 1  # only the page just opened to count: none leaked
    # The adapter holds one page slot: this only succeeds if the failed fetch gave it back.
    assert rendered_items(fetch(loop, adapter, FetchRequest(url, wait_for="li.item", timeout_s=5)).text) == ITEMS


def test_post_sends_method_body_and_headers_on_the_navigation(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    request = FetchRequest(f"{site.base_url}/echo", method="POST", body=b"tid=42&formhash=ab12cd34",
                           headers={"X-Probe": "reply-adapter", "Content-Type": "application/x-www-form-urlencoded"})
    snapshot = fetch(loop, adapter, request)
    assert site.echoed[-1] == {"method": "POST", "body": "tid=42&formhash=ab12cd34", "probe": "reply-adapter"}
    assert Selector(text=snapshot.text).css("#method::text").get() == "POST"


def test_a_gbk_page_comes_back_as_utf8_with_script_text(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    snapshot = fetch(loop, adapter, FetchRequest(f"{site.base_url}/gbk", wait_for="#state:not(:empty)"))
    assert snapshot.charset == "utf-8"
    page = Selector(text=snapshot.text)
    assert (page.css("h1::text").get(), page.css("#state::text").get()) == ("市长信箱", "办理中")


def test_an_error_status_is_returned_not_raised(
        loop: LoopThread, adapter: PlaywrightFetchAdapter, site: Site) -> None:
    snapshot = fetch(loop, adapter, FetchRequest(f"{site.base_url}/missing"))
    assert snapshot.status == 404
    assert "页面找不到了！" in snapshot.text


def test_a_refused_connection_raises_fetch_error_naming_the_url(
        loop: LoopThread, adapter: PlaywrightFetchAdapter) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    with pytest.raises(FetchError, match="ERR_CONNECTION_REFUSED") as raised:
        fetch(loop, adapter, FetchRequest(url))
    assert not isinstance(raised.value, FetchTimeout)
    assert str(raised.value).startswith(url)


def test_a_wrong_chromium_path_fails_with_the_path_and_the_setting_to_fix_it(loop: LoopThread, site: Site) -> None:
    options = chromium_launch_options(env={"HARVESTER_CHROMIUM": "/nonexistent/chromium"})
    broken = PlaywrightFetchAdapter(launch_options=options)
    try:
        with pytest.raises(FetchError, match="cannot start chromium at /nonexistent/chromium .set HARVESTER_CHROMIUM"):
            loop.run(broken.fetch(FetchRequest(f"{site.base_url}/")))
    finally:
        loop.run(broken.close())


# --- Inside a crawl: the same page through Scrapy with playwright_settings() (own process: one reactor) ----

class RenderedListSpider(scrapy.Spider):
    """Asks for the list page twice: through the browser and plainly, to show only marked requests render."""

    name = "rendered_list"

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url

    async def start(self) -> Any:
        from scrapy_playwright.page import PageMethod

        yield scrapy.Request(self.url, cb_kwargs={"via": "browser"}, meta={
            "playwright": True, "playwright_page_methods": [PageMethod("wait_for_selector", "li.item")]})
        yield scrapy.Request(self.url, cb_kwargs={"via": "plain"}, dont_filter=True)

    def parse(self, response: scrapy.http.Response, via: str) -> Any:
        yield {"via": via, "items": response.css("li.item::text").getall(), "flags": response.flags}


def crawl(url: str, out: Path) -> None:
    """Run RenderedListSpider against `url`; write the items and the crawl stats to `out` as JSON."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    settings = {**playwright_settings(max_contexts=1, max_pages=2), "LOG_LEVEL": "WARNING",
                "REMOTE_CONTROL_ENABLED": False, "TELNETCONSOLE_ENABLED": False}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(RenderedListSpider)
    items: list[dict[str, Any]] = []

    def keep(item: dict[str, Any]) -> None:
        items.append(dict(item))

    crawler.signals.connect(keep, signal=signals.item_scraped)  # a named function: receivers are weak refs
    process.crawl(crawler, url=url)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    out.write_text(json.dumps({"items": items, "stats": stats}, default=str, ensure_ascii=False), "utf-8")


def test_a_spider_receives_the_rendered_dom_through_scrapy_playwright(site: Site, tmp_path: Path) -> None:
    site.hits.clear()
    out = tmp_path / "crawl.json"
    done = subprocess.run([sys.executable, "-m", "tests.integration.test_browser_fetch", f"{site.base_url}/",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text("utf-8"))
    by_via = {item["via"]: item for item in result["items"]}
    assert by_via["browser"]["items"] == ITEMS
    assert by_via["browser"]["flags"] == ["playwright"]
    assert by_via["plain"]["items"] == []  # unmarked requests keep Scrapy's own HTTP path
    assert result["stats"]["playwright/request_count/aborted"] == 1  # the image, via PLAYWRIGHT_ABORT_REQUEST
    assert site.hits["/pixel.png"] == 0
    assert result["stats"]["item_scraped_count"] == 2


if __name__ == "__main__":
    crawl(sys.argv[1], Path(sys.argv[2]))
