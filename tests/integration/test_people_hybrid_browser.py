"""The hybrid browser path of 领导留言板 under a WAF that throttles its calls: every throttled list and content call
is waited out and sent again from the same page, and the harvest stores every message whole, with no page loaded
per message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harvesting import harvest, write_config
from tests.integration.test_people_harvest import (
    FAST,
    assert_matches_truth,
    cursors,
    definition,
    latest_run,
    newest_per_board,
    requests_made,
    site,
    stored,
    truth,
)
from tests.replicahost import control

STORM = 7  # 429, a 403 block page and an empty 200 in turn, on the first API calls (the first list pages included)


@pytest.mark.browser
def test_throttled_hybrid_calls_are_waited_out_from_the_same_page(tmp_path: Path, sqlite_url: str) -> None:
    slug = "people_hybrid"
    folder = definition(tmp_path, slug, path="hybrid", backoff_s=0.05)
    with site(tmp_path, per_board=25) as urls:
        base = urls["people"]
        config = write_config(tmp_path, sqlite_url, {slug: base}, extra=f"platforms_dirs = [{str(folder)!r}]",
                              overrides={slug: FAST})
        control(base, "people/waf", {"storm": STORM, "storm_path": "/v1/threads/"})
        result = harvest(config, timeout=300)
        made, site_truth, stats = requests_made(base), truth(base), control(base, "stats")
    assert result.returncode == 0, result.stderr[-3000:]
    assert stats["rate_limited"] == STORM
    assert latest_run(sqlite_url, slug)["requests"] == 2  # Scrapy fetched the two board shells, Chromium the rest
    assert made["/threads/list"] == 2 and "/threads/content" not in made  # no page reloaded, none per message
    assert made["/v1/threads/content"] >= 50  # throttled ones sent again
    assert_matches_truth(stored(sqlite_url, slug), site_truth)
    assert cursors(sqlite_url, slug) == newest_per_board(site_truth)
