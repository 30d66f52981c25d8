"""An ASP.NET WebForms mailbox (徐州 12345 replica, the layout a 2019 crawler of the real site read) harvested from its
definition file alone: list pages reached by posting back the __VIEWSTATE / __EVENTVALIDATION read from the page
before, which the site checks; links taken from onclick="window.open(…)", detail fields by element id.

`harvester harvest` processes write a real SQLite store, compared with the replica's ground truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

SLUG = "xuzhou_12345"
LIST_PATH = "/xzbmweb/ywxxtemplate/ggfw_slgs.aspx"
SCORES = {"满意": 5, "基本满意": 3, "不满意": 1}
LETTERS, PER_PAGE = 45, 10  # five list pages: one GET, four postbacks
NEW_STEPS = 4  # three new letters a step: twelve, more than one list page


def stored(db_url: str) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"]: m for m in repo.iter_messages(platform=SLUG)}


def latest_run(db_url: str) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        run: dict[str, Any] = repo.latest_runs(limit=1, platform=SLUG)[0]
        return run


def postbacks(base: str) -> dict[str, int]:
    figures: dict[str, int] = control(base, "stats")["postbacks"]
    return {key: figures.get(key, 0) for key in ("paged", "refused", "fresh")}


def assert_matches_truth(messages: dict[str, dict[str, Any]], truth: list[dict[str, Any]]) -> None:
    public = {letter["id"]: letter for letter in truth if letter["public"]}
    assert set(messages) == set(public)
    for letter_id, letter in public.items():
        message, reply = messages[letter_id], letter["reply"]
        assert (message["title"], message["body"], message["author"]) == (letter["title"], letter["body"], None)
        assert message["posted_at"] == datetime.fromisoformat(letter["posted_at"])
        assert (message["status_raw"], message["kind_raw"], message["letter_no"]) == \
            (letter["status"], letter["kind"], letter["letter_no"]), letter_id
        assert message["handling_unit"] == (letter["unit"] or None), letter_id
        assert message["url"].endswith(letter["detail_path"]), letter_id  # the onclick's ../ resolved
        assert message["satisfaction"] == ({"overall": SCORES[letter["satisfaction"]]}
                                           if letter["satisfaction"] else {}), letter_id
        # The detail page names no answering unit (the list's 办理部门 is the handling unit).
        assert [(r["text"], r["organisation"], r["replied_at"]) for r in message["replies"]] == \
            ([(reply["text"], None, datetime.fromisoformat(reply["replied_at"]))] if reply else [])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with replica_process(tmp_path_factory.mktemp("xuzhou"), ["xuzhou"],
                         options={"xuzhou": {"letters": LETTERS, "per_page": PER_PAGE}}) as urls:
        yield urls["xuzhou"]


@pytest.fixture(scope="module")
def rounds(site: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The first harvest, a rerun over the unchanged site, then a harvest after new letters and replies."""
    tmp = tmp_path_factory.mktemp("postback")
    db_url = f"sqlite:///{tmp / 'postback.db'}"
    config = write_config(tmp, db_url, {SLUG: site})
    found: dict[str, Any] = {"db_url": db_url}
    for name in ("first", "rerun", "after"):
        if name == "after":
            found["moved"] = control(site, "advance", {"steps": NEW_STEPS})
        before = postbacks(site)
        control(site, "stats/reset", {})
        result = harvest(config)
        after = postbacks(site)
        found[name] = {"returncode": result.returncode, "output": result.stdout + result.stderr,
                       "stored": stored(db_url), "run": latest_run(db_url), "truth": control(site, "xuzhou/letters"),
                       "requests": control(site, "stats")["requests"],
                       "postbacks": {key: after[key] - before[key] for key in after}}
    return found


def test_the_first_harvest_pages_by_postback_and_stores_every_public_letter(rounds: dict[str, Any]) -> None:
    first = rounds["first"]
    assert first["returncode"] == 0, first["output"][-3000:]
    assert_matches_truth(first["stored"], first["truth"])
    private = sum(not letter["public"] for letter in first["truth"])
    assert private and (first["run"]["outcome"], first["run"]["new"], first["run"]["skipped"]) == \
        ("succeeded", LETTERS - private, private)
    pages = -(-LETTERS // PER_PAGE)
    # Page 1 is a GET; every later page a postback the site accepted (none refused, none without state).
    assert first["requests"][LIST_PATH] == pages
    assert first["postbacks"] == {"paged": pages - 1, "refused": 0, "fresh": 0}


def test_a_rerun_over_the_unchanged_site_reads_one_list_page(rounds: dict[str, Any]) -> None:
    rerun = rounds["rerun"]
    assert rerun["returncode"] == 0, rerun["output"][-3000:]
    assert rerun["requests"] == {LIST_PATH: 1}  # page 1 reaches the cursor; open letters are not due yet
    assert rerun["postbacks"] == {"paged": 0, "refused": 0, "fresh": 0}
    assert (rerun["run"]["new"], rerun["run"]["changed"]) == (0, 0)


def test_new_letters_beyond_the_first_page_are_reached_by_postback(rounds: dict[str, Any]) -> None:
    after, moved = rounds["after"], rounds["moved"]
    assert after["returncode"] == 0, after["output"][-3000:]
    new_public = {letter["id"] for letter in after["truth"] if letter["public"]} & set(moved["new"])
    assert len(moved["new"]) > PER_PAGE  # every list row counts: the new letters fill page 1 and spill over
    assert new_public <= set(after["stored"]) and after["run"]["new"] == len(new_public)
    assert after["postbacks"]["paged"] >= 1 and after["postbacks"]["refused"] == 0
    for letter_id in new_public:
        letter = next(x for x in after["truth"] if x["id"] == letter_id)
        assert after["stored"][letter_id]["title"] == letter["title"]
