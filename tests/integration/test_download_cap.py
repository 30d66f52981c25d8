"""A page larger than the download cap is cancelled, not read whole, and its platform fails by that name; the
cap is set per platform in its definition (or [platforms.<slug>])."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.app.harvest import crawl_settings
from harvester.config import load_config
from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.localserver import PageHandler, served

HUGE = 3 * 1024 * 1024
ROW = '<li><a>G20261201-0001</a><a href="/x?gdId={:032x}"><span>关于路灯的问题</span></a><a>咨询</a><a>已办结</a></li>'


class HugePage(PageHandler):
    """Every path answers with a list page of HUGE bytes (a site gone wrong, or hostile)."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        rows = "".join(ROW.format(n) for n in range(5))
        body = f"<html><body><ul class='mt10'>{rows}</ul><!-- {'留言' * (HUGE // 6)} --></body></html>".encode()
        self.answer(body, "text/html; charset=utf-8")


@pytest.fixture
def huge_site() -> Iterator[str]:
    with served(HugePage) as url:
        yield url


def test_the_project_caps_downloads_far_below_scrapys_gigabyte() -> None:
    settings = crawl_settings(load_config(env={}))
    assert settings.getint("DOWNLOAD_MAXSIZE") == 16 * 1024 * 1024
    assert settings.getint("DOWNLOAD_WARNSIZE") == 2 * 1024 * 1024


def test_a_page_over_the_platforms_cap_fails_its_run_as_too_large_and_nothing_is_quarantined(
        tmp_path: Path, huge_site: str) -> None:
    folder = tmp_path / "platforms"
    folder.mkdir()
    text = (BUILTIN_DIR / "dalian_szxx.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "dalian_szxx"', 'slug = "huge_szxx"').replace(
        "download_delay = 0.0", "download_delay = 0.0\ndownload_maxsize = 1048576")
    (folder / "huge_szxx.toml").write_text(text, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db_url, {"huge_szxx": huge_site}, extra=f"platforms_dirs = [{str(folder)!r}]\n")
    result = harvest(config, "huge_szxx")
    assert result.returncode == 1, result.stdout + result.stderr
    with Store.open(db_url) as store, store.transaction() as repo:
        [run] = repo.latest_runs(limit=5, platform="huge_szxx")
        assert repo.quarantined(platform="huge_szxx") == []
        assert sum(1 for _ in repo.iter_messages(platform="huge_szxx")) == 0
    assert (run["outcome"], run["failure_class"]) == ("failed", "too_large")
    assert "page larger than the download cap (1,048,576 bytes)" in run["error"]
