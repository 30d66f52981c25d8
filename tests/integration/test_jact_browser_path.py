"""The browser path (scrapy-playwright, Debian chromium) yields exactly what the HTTP path yields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import replica_process

pytestmark = pytest.mark.browser
# Store bookkeeping, and link_group: copies (一稿多投) are numbered as they arrive, and the two platforms here
# serve the same letters, harvested side by side, so which one opens a group is an accident of timing.
VOLATILE = {"id", "first_seen_at", "last_seen_at", "last_changed_at", "first_run_id", "last_run_id", "link_group"}


def normalised(db_url: str, platform: str) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"]: {k: v for k, v in m.items() if k not in VOLATILE}
                for m in repo.iter_messages(platform=platform)}


def test_browser_and_http_paths_store_identical_messages(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["jact", "jact_gbk"], options={"jact": {"letters": 12},
                                                                  "jact_gbk": {"letters": 12}}) as urls:
        platforms = {"jact_demo": urls["jact"], "jact_demo_gbk": urls["jact_gbk"]}
        http_db, browser_db = f"sqlite:///{tmp_path / 'http.db'}", f"sqlite:///{tmp_path / 'browser.db'}"
        (tmp_path / "http").mkdir()
        (tmp_path / "browser").mkdir()
        http = harvest(write_config(tmp_path / "http", http_db, platforms))
        browser = harvest(write_config(tmp_path / "browser", browser_db, platforms,
                                       overrides={slug: {"fetch": "browser"} for slug in platforms}))
    assert http.returncode == 0, http.stderr[-3000:]
    assert browser.returncode == 0, browser.stderr[-3000:]
    assert "playwright" in browser.stderr.lower()
    for slug in platforms:
        from_http, from_browser = normalised(http_db, slug), normalised(browser_db, slug)
        assert len(from_http) >= 8
        assert from_browser == from_http
