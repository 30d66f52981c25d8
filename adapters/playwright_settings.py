"""Chromium launch options and the Scrapy settings that route `meta={"playwright": True}` through it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from harvester.childenv import browser_env

DEFAULT_CHROMIUM = "/usr/bin/chromium"  # Debian's build; `playwright install` cannot download here
CHROMIUM_ENV = "HARVESTER_CHROMIUM"
# The CDP endpoint (http://127.0.0.1:PORT) of a Chromium kept by the browser worker that started this process
# (harvester/app/distributed/keptbrowser.py): connect to it instead of launching one.
CDP_URL_ENV = "HARVESTER_BROWSER_CDP_URL"
CDP_TIMEOUT_MS = 10_000  # a kept browser that does not answer within this is taken for dead: launch one
PROVIDER = "adapters.cdp_provider.ConnectOrLaunch"

# Playwright already adds --no-sandbox unless chromium_sandbox=True; it is spelled out because chromium run
# as root refuses to start without it. Without the background-networking flags chromium keeps dialling
# Google services (safe browsing, component updates, sync), which floods a closed network with failures.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # Pages of one site share renderers beyond this many processes: a crawl's memory stays bounded however many
    # pages it opens (each renderer holds its V8 heap and Blink caches; a hundred pages would be a hundred).
    "--renderer-process-limit=2",
    "--disable-extensions",
    "--mute-audio",
)

# Nothing a page object reads comes from these; skipping them is most of a render's bandwidth.
HEAVY_RESOURCES = frozenset({"image", "font", "media"})

HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


class _HasResourceType(Protocol):
    resource_type: str


class _HasUrl(_HasResourceType, Protocol):
    url: str


def chromium_launch_options(headless: bool = True, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for `BrowserType.launch`: the chromium binary (`HARVESTER_CHROMIUM` wins), flags, and
    the browser's environment: system variables only, so reply accounts, webhook keys and the database URL of
    the process that starts it never reach the browser (Playwright would otherwise hand it the whole one)."""
    env = os.environ if env is None else env
    return {
        "executable_path": env.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM,
        "headless": headless,
        "args": list(CHROMIUM_ARGS),
        "env": browser_env(env),
    }


def kept_browser_url(env: Mapping[str, str] | None = None) -> str | None:
    """The kept browser's CDP endpoint this process was given (`HARVESTER_BROWSER_CDP_URL`), or None."""
    env = os.environ if env is None else env
    return env.get(CDP_URL_ENV) or None


def should_abort_request(request: _HasResourceType) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST predicate: drop images, fonts and media a page asks for."""
    return request.resource_type in HEAVY_RESOURCES


class AbortRequest:
    """PLAYWRIGHT_ABORT_REQUEST predicate of one site: images, fonts and media, and every request to another
    host (analytics, CDNs of widgets, ads), which the harvest never reads."""

    def __init__(self, site: str) -> None:
        self.host = urlsplit(site).netloc

    def __call__(self, request: _HasUrl) -> bool:
        return request.resource_type in HEAVY_RESOURCES or urlsplit(request.url).netloc != self.host


def playwright_settings(max_contexts: int = 2, max_pages: int = 4, headless: bool = True,
                        navigation_timeout_s: float = 30.0, site: str | None = None,
                        env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Scrapy settings switching scrapy-playwright on; only requests with `meta={"playwright": True}` use it.

    Everything else in the crawl (throttling, retries, stats, pipelines) stays the ordinary Scrapy path.
    Contexts and pages per context are bounded so a long crawl cannot grow the browser without limit. With
    `site` (its base URL), requests to any other host are aborted too. With `HARVESTER_BROWSER_CDP_URL` in `env`
    (the process's environment by default) the crawl connects to that kept browser (its own contexts, closed at
    the end; the browser stays) and launches its own only if it does not answer (adapters/cdp_provider.py).
    """
    cdp_url = kept_browser_url(env)
    browser: dict[str, Any] = (
        {"PLAYWRIGHT_BROWSER_PROVIDER": PROVIDER, "PLAYWRIGHT_CDP_URL": cdp_url,
         "PLAYWRIGHT_CDP_KWARGS": {"timeout": CDP_TIMEOUT_MS}} if cdp_url
        else {"PLAYWRIGHT_LAUNCH_OPTIONS": chromium_launch_options(headless=headless, env=env)})
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_ABORT_REQUEST": AbortRequest(site) if site else f"{__name__}.should_abort_request",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": navigation_timeout_s * 1000,
        "PLAYWRIGHT_MAX_CONTEXTS": max_contexts,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max_pages,
        "TWISTED_REACTOR": ASYNCIO_REACTOR,
        **browser,
    }
