"""The jact spider against the jact replicas, through `harvester harvest` processes and a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path, ["jact", "jact_gbk"], options={"jact": {"letters": 90},
                                                                  "jact_gbk": {"letters": 40}}) as urls:
        yield urls


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str, mailbox: dict[str, str]) -> Path:
    return write_config(tmp_path, sqlite_url, {"jact_demo": mailbox["jact"], "jact_demo_gbk": mailbox["jact_gbk"]})


def stored(db_url: str, platform: str) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"]: m for m in repo.iter_messages(platform=platform)}


def events(db_url: str) -> list[dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return repo.events_since(0, limit=100_000)


def latest_run(db_url: str, platform: str) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        return repo.latest_runs(limit=1, platform=platform)[0]


def assert_matches_truth(messages: dict[str, dict[str, Any]], truth: list[dict[str, Any]],
                         exact: bool = True) -> None:
    """Every public letter stored as the site shows it (and, when exact, nothing else)."""
    public = {str(letter["id"]): letter for letter in truth if letter["public"]}
    assert set(messages) == set(public) if exact else set(public) <= set(messages)
    for letter_id, letter in public.items():
        message = messages[letter_id]
        assert message["title"] == letter["title"]
        assert message["status_raw"] == letter["status"]
        assert message["posted_at"] == datetime.fromisoformat(letter["posted_at"])
        assert [r["text"] for r in message["replies"]] == [r["text"] for r in letter["replies"]]
        assert message["handling_unit"] == (letter["unit"] or None), letter_id  # list-only until answered


def test_full_harvest_stores_every_public_letter_of_both_builds(config: Path, sqlite_url: str,
                                                                mailbox: dict[str, str]) -> None:
    result = harvest(config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_matches_truth(stored(sqlite_url, "jact_demo"), control(mailbox["jact"], "jact/letters"))
    assert_matches_truth(stored(sqlite_url, "jact_demo_gbk"), control(mailbox["jact_gbk"], "jact/letters"))
    run = latest_run(sqlite_url, "jact_demo")
    public = control(mailbox["jact"], "stats")["public"]
    assert (run["outcome"], run["new"], run["items"]) == ("succeeded", public, public)
    assert run["skipped"] == 90 - public  # non-public rows are counted, not stored


def test_rerun_over_unchanged_pages_changes_nothing_and_reads_one_list_page(config: Path, sqlite_url: str,
                                                                             mailbox: dict[str, str]) -> None:
    assert harvest(config).returncode == 0
    before_events, before = len(events(sqlite_url)), stored(sqlite_url, "jact_demo")
    control(mailbox["jact"], "stats/reset", {})
    assert harvest(config).returncode == 0
    assert len(events(sqlite_url)) == before_events
    after = stored(sqlite_url, "jact_demo")
    assert {k: v["content_hash"] for k, v in after.items()} == {k: v["content_hash"] for k, v in before.items()}
    run = latest_run(sqlite_url, "jact_demo")
    assert (run["new"], run["changed"]) == (0, 0)
    assert control(mailbox["jact"], "stats")["total"] == 1  # page 1 reaches the cursor; open letters not yet due


def test_changes_on_the_platform_become_events_in_sequence(config: Path, sqlite_url: str,
                                                            mailbox: dict[str, str]) -> None:
    assert harvest(config).returncode == 0
    first_seq = events(sqlite_url)[-1]["seq"]
    open_before = {k for k, v in stored(sqlite_url, "jact_demo").items() if v["status"] in ("pending", "in_progress")}
    moved = control(mailbox["jact"], "advance", {"steps": 3})
    result = harvest(config, HARVESTER_RECHECK_AFTER_HOURS="0")
    assert result.returncode == 0, result.stdout + result.stderr
    new_events = [e for e in events(sqlite_url) if e["seq"] > first_seq and e["platform"] == "jact_demo"]
    seqs = [e["seq"] for e in new_events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    kinds = {(e["kind"], e["external_id"]) for e in new_events}
    truth = {str(x["id"]): x for x in control(mailbox["jact"], "jact/letters")}
    for letter_id in map(str, moved["new"]):
        assert (("created", letter_id) in kinds) == truth[letter_id]["public"]
    for letter_id in map(str, moved["replied"]):
        if truth[letter_id]["public"] and letter_id in open_before:
            assert ("reply_added", letter_id) in kinds and ("status_changed", letter_id) in kinds
    hidden_open = [i for i in map(str, moved["hidden"]) if i in open_before]
    for letter_id in hidden_open:
        assert ("hidden", letter_id) in kinds
    assert_matches_truth({k: v for k, v in stored(sqlite_url, "jact_demo").items() if v["status"] != "hidden"},
                         list(truth.values()), exact=False)


def test_a_broken_detail_page_is_quarantined_with_its_reason(config: Path, sqlite_url: str,
                                                             mailbox: dict[str, str]) -> None:
    letters = control(mailbox["jact"], "jact/letters")
    broken = next(x for x in letters if x["public"] and x["status"] == "办理中")
    control(mailbox["jact"], "jact/break", {"transactId": broken["id"]})
    assert harvest(config).returncode == 0
    assert str(broken["id"]) not in stored(sqlite_url, "jact_demo")
    with Store.open(sqlite_url).transaction() as repo:
        rows = repo.quarantined(platform="jact_demo")
    assert len(rows) == 1
    assert "来信时间" in rows[0]["reason"] and f"transactId={broken['id']}" in rows[0]["url"]
    assert "xj_content" in rows[0]["body"].decode("utf-8")
    assert latest_run(sqlite_url, "jact_demo")["quarantined"] == 1


def test_a_letter_the_validation_gate_refuses_holds_the_cursor_until_the_site_repairs_it(
        config: Path, sqlite_url: str, mailbox: dict[str, str]) -> None:
    public = sorted((x for x in control(mailbox["jact"], "jact/letters") if x["public"]), key=lambda x: -x["id"])
    blank = public[len(public) // 2]  # deep in the list: the rerun reads down to it only if the cursor waited
    control(mailbox["jact"], "jact/break", {"transactId": blank["id"], "how": "blank_body"})
    assert harvest(config).returncode == 0  # one odd page among many: quarantined and reported
    with Store.open(sqlite_url).transaction() as repo:
        [row] = repo.quarantined(platform="jact_demo")
    assert "body is empty" in row["reason"] and str(blank["id"]) not in stored(sqlite_url, "jact_demo")
    control(mailbox["jact"], "jact/break", {"transactId": blank["id"], "how": "repair"})
    assert harvest(config).returncode == 0
    assert stored(sqlite_url, "jact_demo")[str(blank["id"])]["body"] == blank["body"]


def test_a_login_wall_fails_the_run_as_auth_expired_and_stores_nothing_from_it(config: Path, sqlite_url: str,
                                                                             mailbox: dict[str, str]) -> None:
    control(mailbox["jact"], "jact/mode", {"mode": "login"})  # every page: 请先登录 (HTTP 200)
    result = harvest(config, "jact_demo")
    run = latest_run(sqlite_url, "jact_demo")
    assert result.returncode == 1 and (run["outcome"], run["failure_class"]) == ("failed", "auth_expired")
    assert "login page" in run["error"] and stored(sqlite_url, "jact_demo") == {}


def test_an_unreachable_platform_fails_its_run_loudly_and_spares_the_others(tmp_path: Path, sqlite_url: str,
                                                                            mailbox: dict[str, str]) -> None:
    config = write_config(tmp_path, sqlite_url, {"jact_demo": "http://127.0.0.1:9",
                                                 "jact_demo_gbk": mailbox["jact_gbk"]})
    result = harvest(config)
    assert result.returncode == 1
    assert "jact_demo" in result.stdout
    failed = latest_run(sqlite_url, "jact_demo")
    assert failed["outcome"] == "failed" and failed["failure_class"] == "network"
    assert "127.0.0.1:9" in failed["error"]
    assert latest_run(sqlite_url, "jact_demo_gbk")["outcome"] == "succeeded"


def test_letters_made_non_public_become_hidden_events(config: Path, sqlite_url: str,
                                                      mailbox: dict[str, str]) -> None:
    assert harvest(config).returncode == 0
    stored_before = stored(sqlite_url, "jact_demo")
    first_page = [x for x in control(mailbox["jact"], "jact/letters") if x["public"]][-5:]  # newest public ones
    closed = next((x for x in reversed(first_page) if x["status"] in ("已回复", "已办结")), first_page[-1])
    control(mailbox["jact"], "jact/hide", {"transactId": closed["id"]})
    assert harvest(config).returncode == 0
    after = stored(sqlite_url, "jact_demo")
    assert str(closed["id"]) in stored_before
    assert after[str(closed["id"])]["status"] == "hidden"
    hidden = [e for e in events(sqlite_url) if e["kind"] == "hidden"]
    assert [e["external_id"] for e in hidden] == [str(closed["id"])]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_the_platforms_concurrency_is_what_the_site_sees_at_most(tmp_path: Path, sqlite_url: str,
                                                                 concurrency: int) -> None:
    """Politeness as the site's own log would show it: never more detail pages in flight than configured."""
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 30, "latency_ms": 150}}) as urls:
        config = write_config(tmp_path, sqlite_url, {"jact_demo": urls["jact"]},
                              overrides={"jact_demo": {"concurrency": concurrency}})
        assert harvest(config).returncode == 0
        most = control(urls["jact"], "stats")["most_in_flight"]
    assert most == concurrency  # reached (30 letters wait in the queue) and never passed
