"""A 知道创宇 加速乐-style challenge (HTTP 521 + a cookie script) in front of the jact replica is passed in Chromium
once, and the crawl goes on over plain HTTP with the browser's cookies and User-Agent; switched off, it is a soft
block as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.settings import USER_AGENT
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

pytestmark = pytest.mark.browser
LETTERS = 40
# A jact platform of our own, to set the challenge options the built-in definitions leave at their defaults.
DEFINITION = """slug = "{slug}"
name = "加速乐 示例 市长信箱"
family = "jact"
base_url = "http://127.0.0.1:1"
download_delay = {delay}

[[boards]]
id = "6"
addressee = "市长信箱"

[options]
{options}
"""


def stored_ids(db_url: str, platform: str) -> set[str]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"] for m in repo.iter_messages(platform=platform)}


def latest_run(db_url: str, platform: str) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        return repo.latest_runs(limit=1, platform=platform)[0]


def public_ids(site: str) -> set[str]:
    return {str(letter["id"]) for letter in control(site, "jact/letters") if letter["public"]}


def platform_config(tmp_path: Path, db_url: str, site: str, slug: str, options: str, delay: float = 0.0) -> Path:
    """A config whose platforms dir holds `slug`, a jact definition with these `[options]`."""
    (tmp_path / "platforms").mkdir()
    text = DEFINITION.format(slug=slug, options=options, delay=delay)
    (tmp_path / "platforms" / f"{slug}.toml").write_text(text, encoding="utf-8")
    return write_config(tmp_path, db_url, {slug: site}, extra='platforms_dirs = ["platforms"]')


@pytest.fixture
def jsl_site(tmp_path: Path) -> Iterator[str]:
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": LETTERS}}) as urls:
        control(urls["jact"], "jact/mode", {"mode": "jsl"})
        yield urls["jact"]


def test_a_jsl_challenge_is_solved_once_and_every_public_letter_is_stored(tmp_path: Path, sqlite_url: str,
                                                                          jsl_site: str) -> None:
    result = harvest(write_config(tmp_path, sqlite_url, {"jact_demo": jsl_site}))
    assert result.returncode == 0, result.stderr[-3000:]
    run = latest_run(sqlite_url, "jact_demo")
    assert run["outcome"] == "succeeded", run["error"]
    assert stored_ids(sqlite_url, "jact_demo") == public_ids(jsl_site)
    jsl = control(jsl_site, "stats")["jsl"]
    assert jsl["challenges_solved"] >= 1
    assert jsl["passed"] >= len(public_ids(jsl_site))  # the pages themselves came over HTTP with the clearance
    assert run["figures"]["harvester/challenge_solves"] == 1  # one browser solve, not one per page
    assert jsl["challenges_served"] <= 4  # the crawler's first request, then the browser's two stages
    assert result.stderr.count("passed a JavaScript cookie challenge") == 1
    assert "__jsl_clearance_s=" not in result.stderr  # no cookie values in the log
    assert jsl["user_agents"] == [USER_AGENT]  # the browser solved it as the crawler, not as "HeadlessChrome"


def test_an_expiring_clearance_is_solved_again_and_nothing_is_lost(tmp_path: Path, sqlite_url: str) -> None:
    # Clearances hold 2 s; 120 letters whose detail pages take 0.25 s each, 8 at a time: the crawl outlives a
    # clearance or two. (Scrapy attaches cookies when a request enters the downloader, which may hold it for
    # three answers' time, so a clearance must outlive that wait.)
    options = {"jact": {"letters": 120, "jsl_ttl_s": 2, "latency_ms": 250}}
    with replica_process(tmp_path, ["jact"], options=options) as urls:
        site = urls["jact"]
        control(site, "jact/mode", {"mode": "jsl"})
        config = platform_config(tmp_path, sqlite_url, site, "jact_jsl", "challenge_max_solves = 20")
        result = harvest(config)
        jsl, public = control(site, "stats")["jsl"], public_ids(site)
    assert result.returncode == 0, result.stderr[-3000:]
    run = latest_run(sqlite_url, "jact_jsl")
    assert run["outcome"] == "succeeded", run["error"]
    assert stored_ids(sqlite_url, "jact_jsl") == public
    assert jsl["expired"] >= 1 and jsl["challenges_solved"] >= 2
    assert run["figures"]["harvester/challenge_solves"] >= 2
    # once per clearance, not per page: every solve after the first answers a request whose clearance expired
    assert run["figures"]["harvester/challenge_solves"] <= jsl["expired"] + 1


def test_with_solving_off_the_challenge_fails_the_run_as_blocked(tmp_path: Path, sqlite_url: str,
                                                                 jsl_site: str) -> None:
    config = platform_config(tmp_path, sqlite_url, jsl_site, "jact_nosolve", "solve_challenges = false")
    result = harvest(config)
    assert result.returncode != 0
    run = latest_run(sqlite_url, "jact_nosolve")
    assert (run["outcome"], run["failure_class"]) == ("failed", "blocked"), run["error"]
    assert "soft block: challenge page" in run["error"]
    assert stored_ids(sqlite_url, "jact_nosolve") == set()
    assert control(jsl_site, "stats")["jsl"]["challenges_solved"] == 0
    assert "passed a JavaScript cookie challenge" not in result.stderr


def test_a_challenge_the_browser_cannot_pass_fails_the_run_as_blocked(tmp_path: Path, sqlite_url: str) -> None:
    # The replica's `challenge` mode: HTTP 200 script pages whose cookie is never accepted (a reload loop).
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 20}}) as urls:
        control(urls["jact"], "jact/mode", {"mode": "challenge"})
        config = platform_config(tmp_path, sqlite_url, urls["jact"], "jact_all", 'solve_challenges = "all"')
        result = harvest(config, timeout=120)
    assert result.returncode != 0
    run = latest_run(sqlite_url, "jact_all")
    assert (run["outcome"], run["failure_class"]) == ("failed", "blocked"), run["error"]
    assert run["figures"]["harvester/challenge_solves_failed"] == 1  # tried once, then soft blocks
    assert "JavaScript challenge at" in result.stderr and "not passed" in result.stderr
    assert "still a challenge after 6 page loads" in result.stderr  # stopped by the page-load cap, not the clock
