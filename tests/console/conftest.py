"""Console fixtures: a SQLite store with console users and letters, the console serving it, and Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.playwright_settings import CHROMIUM_ARGS
from harvester.store.db import Store
from tests.console.seed import seed_letters
from tests.console.server import Console, add_users, console_server


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated store with the console users and the letters, made once; each test works on a copy."""
    path = tmp_path_factory.mktemp("console") / "seeded.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        add_users(store)
        seed_letters(store, os.getpid())
    finally:
        store.close()
    return path


@pytest.fixture
def console_store(seeded_db: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "console.db"
    shutil.copyfile(seeded_db, copy)
    store = Store.open(f"sqlite:///{copy}")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def console(console_store: Store) -> Iterator[Console]:
    with console_server(console_store) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
