"""How a kept browser's endpoint reaches a crawl: `HARVESTER_BROWSER_CDP_URL` in a child's environment makes the
Scrapy settings and the fetch adapter connect (with a fallback provider), its absence launches as before, the
child environments carry it, and an http task never sets it nor starts a browser."""

from __future__ import annotations

import logging
import os

import pytest
from scrapy.settings import Settings
from scrapy_playwright.handler import Config

from adapters.browser import PlaywrightFetchAdapter
from adapters.cdp_provider import ConnectOrLaunch
from adapters.playwright_settings import CDP_URL_ENV, PROVIDER, kept_browser_url, playwright_settings
from harvester.app.distributed.keptbrowser import browser_for, kept_browser
from harvester.app.distributed.names import HTTP_QUEUE
from harvester.childenv import harvest_env, push_env

URL = "http://127.0.0.1:41234"


def test_without_a_kept_browser_the_crawl_launches_chromium_itself() -> None:
    settings = playwright_settings(env={"PATH": "/usr/bin"})
    assert settings["PLAYWRIGHT_LAUNCH_OPTIONS"]["executable_path"] == "/usr/bin/chromium"
    assert "PLAYWRIGHT_CDP_URL" not in settings and "PLAYWRIGHT_BROWSER_PROVIDER" not in settings


def test_with_a_kept_browser_the_crawl_connects_to_it_over_cdp_and_may_fall_back(
        caplog: pytest.LogCaptureFixture) -> None:
    settings = playwright_settings(env={"PATH": "/usr/bin", CDP_URL_ENV: URL})
    assert settings["PLAYWRIGHT_CDP_URL"] == URL
    assert settings["PLAYWRIGHT_BROWSER_PROVIDER"] == PROVIDER
    assert "PLAYWRIGHT_LAUNCH_OPTIONS" not in settings  # scrapy-playwright would warn that it ignores them
    with caplog.at_level(logging.WARNING):
        config = Config.from_settings(Settings(settings))
    assert config.cdp_url == URL and config.cdp_kwargs == {"timeout": 10_000}
    assert not caplog.records
    assert isinstance(ConnectOrLaunch(config), ConnectOrLaunch)  # the import path names the provider


def test_an_empty_variable_is_no_kept_browser() -> None:
    assert kept_browser_url({CDP_URL_ENV: ""}) is None
    assert kept_browser_url({CDP_URL_ENV: URL}) == URL


def test_the_fetch_adapter_takes_the_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CDP_URL_ENV, URL)
    assert PlaywrightFetchAdapter().cdp_url == URL
    monkeypatch.delenv(CDP_URL_ENV)
    assert PlaywrightFetchAdapter().cdp_url is None


def test_harvest_and_push_children_get_the_endpoint() -> None:
    env = {"PATH": "/usr/bin", CDP_URL_ENV: URL, "HARVESTER_ACCOUNT_X_Y_PASSWORD": "secret"}
    assert harvest_env(env)[CDP_URL_ENV] == URL
    assert push_env(env)[CDP_URL_ENV] == URL


def test_an_http_task_starts_no_browser_and_sets_no_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CDP_URL_ENV, raising=False)
    with browser_for(HTTP_QUEUE):
        assert CDP_URL_ENV not in os.environ
    with browser_for(None):
        assert CDP_URL_ENV not in os.environ
    assert kept_browser().pid is None
