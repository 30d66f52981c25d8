"""大连 as its 2019 list suggests it is: only answered letters are listed, each at its posting place in the gdId
order, so a letter answered late appears below letters listed before it. The built-in definition reads back 45
days behind the newest letter and stores every one posted within them (the real data: 1% answered later than
40 days); the same definition without the window loses some.

`harvester harvest` processes write real SQLite stores, compared with the replica's ground truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

LETTERS, PER_PAGE = 200, 10  # 60 days of letters: 20 list pages
WINDOW = timedelta(days=45)
STEPS = 6  # a day: letters answered in it include ones posted weeks ago
PLATFORMS = ("dalian_szxx", "dalian_no_lookback")


def stored_ids(db_url: str, slug: str) -> set[str]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"] for m in repo.iter_messages(platform=slug) if m["status"] != "hidden"}


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("lookback")
    platforms = tmp / "platforms"
    platforms.mkdir()
    text = (BUILTIN_DIR / "dalian_szxx.toml").read_text(encoding="utf-8")
    assert "lookback_days = 45\n" in text
    (platforms / "dalian_no_lookback.toml").write_text(
        text.replace('slug = "dalian_szxx"', 'slug = "dalian_no_lookback"').replace("lookback_days = 45\n", ""),
        encoding="utf-8")
    options = {"dalian": {"letters": LETTERS, "per_page": PER_PAGE, "answered_only": 1}}
    with replica_process(tmp, ["dalian"], options=options) as urls:
        site = urls["dalian"]
        db_url = f"sqlite:///{tmp / 'lookback.db'}"
        config = write_config(tmp, db_url, dict.fromkeys(PLATFORMS, site), extra=f'platforms_dirs = ["{platforms}"]')
        first = harvest(config)
        before = control(site, "dalian/letters")
        moved = control(site, "advance", {"steps": STEPS})
        control(site, "stats/reset", {})
        after = harvest(config)
        yield {"first": first, "after": after, "before": before, "moved": moved, "db_url": db_url,
               "truth": control(site, "dalian/letters"), "requests": control(site, "stats")["requests"]}


def listed_public(truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for x in truth if x["listed"] and x["public"]]


def within_window(truth: list[dict[str, Any]]) -> set[str]:
    """Listed public letters posted within the window of the newest listed one."""
    letters = listed_public(truth)
    newest = max(datetime.fromisoformat(x["posted_at"]) for x in letters)
    return {x["id"] for x in letters if datetime.fromisoformat(x["posted_at"]).date() >= (newest - WINDOW).date()}


def test_only_answered_letters_are_listed_and_late_answers_appear_below_listed_ones(rounds: dict[str, Any]) -> None:
    truth, before = rounds["truth"], {x["id"] for x in listed_public(rounds["before"])}
    assert {x["status"] for x in truth if x["listed"]} == {"已办结"} and not all(x["listed"] for x in truth)
    order = [x["id"] for x in truth if x["listed"]]
    late = [x for x in listed_public(truth) if x["id"] not in before and x["id"] not in rounds["moved"]["new"]]
    assert late, "precondition: letters posted before the first harvest were answered after it"
    deepest = max(order.index(x["id"]) for x in late)
    assert deepest >= 2 * PER_PAGE  # at its posting place, pages below the top


def test_reading_back_stores_every_letter_answered_late_within_the_window(rounds: dict[str, Any]) -> None:
    assert rounds["first"].returncode == 0 and rounds["after"].returncode == 0, rounds["after"].stdout[-2000:]
    stored = stored_ids(rounds["db_url"], "dalian_szxx")
    assert within_window(rounds["truth"]) <= stored <= {x["id"] for x in listed_public(rounds["truth"])}


def test_without_the_window_late_answers_are_lost(rounds: dict[str, Any]) -> None:
    """The reason for lookback_days: without it the scan stops at the first page past the cursor that shows no
    unknown letter, and the late answers further down stay unread."""
    missing = within_window(rounds["truth"]) - stored_ids(rounds["db_url"], "dalian_no_lookback")
    late = {x["id"] for x in listed_public(rounds["truth"])} - {x["id"] for x in listed_public(rounds["before"])}
    assert missing and missing <= late

