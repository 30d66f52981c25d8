"""Re-checks of open 领导留言板 messages on the hybrid browser path: after the site moved on, every stored open
message is read again by the bundle's own content calls from one more shell page (a content session), not a page
rendered per message, and the messages are stored exactly as the API path's re-check stores them. The page's calls
leave Python alone (spiders/people/hybrid.py `quiet`) and still carry the crawl's User-Agent. Re-checks the API
path was refused go to the content session too once it falls back to the browser."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from harvester.settings import USER_AGENT
from tests.harvesting import harvest, write_config
from tests.integration.test_people_harvest import (
    FAST,
    SLUG,
    VOLATILE,
    BrowserOnlyProxy,
    LoopbackProxy,
    assert_matches_truth,
    definition,
    due_count,
    latest_run,
    requests_made,
    same_site,
    site,
    stored,
    truth,
)
from tests.replicahost import control

pytestmark = pytest.mark.browser

HYBRID = "people_hybrid"
PER_BOARD = 40
STEPS = 2  # 8 hours: open messages get replies, replied ones grades
RECHECK_ALL = {"HARVESTER_RECHECK_AFTER_HOURS": "0"}


class AgentsSeen(LoopbackProxy):
    """Passes every request on to the replica, counting the User-Agent of each API call."""

    def __init__(self, upstream: str) -> None:
        self.agents: Counter[str] = Counter()
        super().__init__(upstream)

    def intercept(self, request: web.Request) -> web.Response | None:
        if request.path.startswith("/v1/"):
            self.agents[request.headers.get("User-Agent", "")] += 1
        return None


@pytest.fixture(scope="module")
def rechecked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One replica harvested in full through the API path and the hybrid path (each its own platform slug in one
    store), then moved on STEPS steps and harvested again by both with every open message due."""
    tmp = tmp_path_factory.mktemp("people_hybrid_recheck")
    seen: dict[str, Any] = {}
    with site(tmp, per_board=PER_BOARD) as urls:
        base, db_url = urls["people"], f"sqlite:///{tmp / 'harvester.db'}"
        proxy = AgentsSeen(base)  # the hybrid path's way to the site
        folder = definition(tmp, HYBRID, path="hybrid")
        try:
            config = write_config(tmp, db_url, {SLUG: base, HYBRID: proxy.url}, overrides={SLUG: FAST, HYBRID: FAST},
                                  extra=f"platforms_dirs = [{json.dumps(str(folder))}]")
            for slug in (SLUG, HYBRID):
                full = harvest(config, slug, timeout=300)
                assert full.returncode == 0, full.stderr[-3000:]
            seen["before"] = stored(db_url, HYBRID)
            seen["moved"] = control(base, "advance", {"steps": STEPS})
            api = harvest(config, SLUG, **RECHECK_ALL)
            assert api.returncode == 0, api.stderr[-3000:]
            control(base, "stats/reset", {})
            proxy.agents.clear()
            hybrid = harvest(config, HYBRID, timeout=300, **RECHECK_ALL)
            assert hybrid.returncode == 0, hybrid.stderr[-3000:]
            seen.update(requests=requests_made(base), truth=truth(base), run=latest_run(db_url, HYBRID),
                        api=stored(db_url, SLUG), hybrid=same_site(stored(db_url, HYBRID), base),
                        agents=dict(proxy.agents))
        finally:
            proxy.close()
        yield seen


def test_a_hybrid_recheck_reads_each_open_message_by_an_in_page_call_not_a_page(rechecked: dict[str, Any]) -> None:
    due, new = due_count(rechecked["before"].values()), rechecked["moved"]["new"]
    figures = rechecked["run"]["figures"]
    assert due > 10 and figures["harvester/rechecks"] == due
    # two board sessions and one content session: three list shells, no message's page loaded
    assert rechecked["requests"]["/threads/list"] == figures["harvester/hybrid_pages"] == 3
    assert "/threads/content" not in rechecked["requests"]
    assert rechecked["requests"]["/v1/threads/content"] == due + len(new)  # each one call, by the bundle


def test_the_quieted_pages_calls_carry_the_crawls_user_agent(rechecked: dict[str, Any]) -> None:
    assert rechecked["agents"] == {USER_AGENT: sum(rechecked["requests"][path] for path in rechecked["requests"]
                                                   if path.startswith("/v1/"))}  # not Chromium's HeadlessChrome


def test_a_hybrid_recheck_stores_the_status_an_open_message_moved_to(rechecked: dict[str, Any]) -> None:
    before, after, site_truth = rechecked["before"], rechecked["hybrid"], rechecked["truth"]
    moved = [tid for tid, message in before.items() if message["status"] in ("pending", "in_progress")
             and site_truth[tid]["stateInfo"] != message["status_raw"]]
    assert moved  # the site moved some open messages on (replied, or taken up)
    for tid in moved:
        assert after[tid]["status_raw"] == site_truth[tid]["stateInfo"] != before[tid]["status_raw"], tid
        assert len(after[tid]["replies"]) == len(site_truth[tid]["replies"]), tid
    assert rechecked["run"]["changed"] >= len(moved)
    assert_matches_truth(after, site_truth)


def test_hybrid_rechecks_store_exactly_what_the_api_paths_rechecks_store(rechecked: dict[str, Any]) -> None:
    def comparable(messages: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {key: {k: v for k, v in m.items() if k not in VOLATILE | {"platform"}} for key, m in messages.items()}

    assert comparable(rechecked["hybrid"]) == comparable(rechecked["api"])


def test_re_checks_the_api_refuses_are_read_in_the_content_session_after_the_fallback(tmp_path: Path,
                                                                                    sqlite_url: str) -> None:
    with site(tmp_path, per_board=8) as urls:
        base = urls["people"]
        first = harvest(write_config(tmp_path, sqlite_url, {SLUG: base}, overrides={SLUG: FAST}))
        assert first.returncode == 0, first.stderr[-3000:]
        due = due_count(stored(sqlite_url).values())
        new = control(base, "advance", {"steps": STEPS})["new"]
        proxy = BrowserOnlyProxy(base)  # from now on the API answers browsers' calls only
        try:
            control(base, "stats/reset", {})
            result = harvest(write_config(tmp_path, sqlite_url, {SLUG: proxy.url}, overrides={SLUG: FAST}),
                             **RECHECK_ALL)
            made, site_truth = requests_made(base), truth(base)
        finally:
            proxy.close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "going on in the browser" in result.stderr and due > 0
    assert "/threads/content" not in made  # the refused re-checks went to the content session, not a page each
    assert made["/v1/threads/content"] == due + len(new)  # the browser's calls: each message once
    assert_matches_truth(stored(sqlite_url), site_truth)
