"""The Discuz spider against both replica builds, through `harvester harvest` processes and a real SQLite store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.registry import load_platforms
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

SLUGS = {"discuz": "discuz_demo", "discuz_gbk": "discuz_demo_gbk"}
SITE = {"threads_per_board": 25, "boards": "27", "tpp": 10}
# The GBK definition files official answers under the signing unit, the UTF-8 one under the account name.
UNITS = {"discuz": {}, "discuz_gbk": dict(load_platforms()["discuz_demo_gbk"].options["official_accounts"])}


@pytest.fixture
def forums(tmp_path: Path) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path, list(SLUGS), options={name: SITE for name in SLUGS}) as urls:
        yield urls


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str, forums: dict[str, str]) -> Path:
    return write_config(tmp_path, sqlite_url, {slug: forums[name] for name, slug in SLUGS.items()})


def stored(db_url: str, platform: str) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"]: m for m in repo.iter_messages(platform=platform)}


def events(db_url: str, after: int = 0) -> list[dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return repo.events_since(after, limit=100_000)


def latest_run(db_url: str, platform: str) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        return repo.latest_runs(limit=1, platform=platform)[0]


def readable(truth: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The threads that are messages: not pinned notices, readable by a guest."""
    return {str(t["tid"]): t for t in truth if not t["pinned"] and not t["readperm"]}


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def assert_matches_truth(messages: dict[str, dict[str, Any]], truth: list[dict[str, Any]],
                         units: dict[str, str]) -> None:
    """Every readable thread stored exactly as the forum shows it, and nothing else."""
    threads = readable(truth)
    assert set(messages) == set(threads)
    for tid, thread in threads.items():
        message, opening = messages[tid], thread["posts"][0]
        assert (message["title"], message["body"], message["author"]) == (thread["subject"], opening["message"],
                                                                         thread["author"])
        assert (message["kind_raw"], message["posted_at"]) == (thread["type"], when(thread["posted_at"]))
        assert message["updated_at"] == when(thread["last_post_at"])
        posts = [p for p in thread["posts"][1:] if not p["locked"] and not p["moderated"]]
        assert [(r["external_id"], r["author"], r["text"], r["official"], r["replied_at"])
                for r in message["replies"]] == [
            (str(p["pid"]), p["author"], p["message"], p["official"], when(p["dateline"])) for p in posts]
        assert message["status"] == ("replied" if any(p["official"] for p in posts) else "pending")
        assert [r["organisation"] for r in message["replies"]] == [
            (units.get(p["author"], p["author"]) if p["official"] else None) for p in posts]


def thread_reads(base: str) -> set[str]:
    """Threads whose first page the rewrite-URL build served since the last stats reset."""
    paths = control(base, "stats")["requests"]
    return {m.group(1) for path in paths if (m := re.fullmatch(r"/thread-(\d+)-1-1\.html", path))}


def cursor_minute_threads(truth: list[dict[str, Any]]) -> set[str]:
    """Threads whose last post falls in the newest last-post minute: the list cannot tell them apart."""
    normal = [t for t in truth if not t["pinned"]]
    newest = max(when(t["last_post_at"]).replace(second=0) for t in normal)
    return {str(t["tid"]) for t in normal if when(t["last_post_at"]).replace(second=0) == newest}


def test_both_builds_harvest_into_exact_messages_and_a_rerun_reads_only_the_top(
        config: Path, sqlite_url: str, forums: dict[str, str]) -> None:
    result = harvest(config)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, slug in SLUGS.items():
        truth = control(forums[name], "discuz/threads?fid=27")
        assert_matches_truth(stored(sqlite_url, slug), truth, units=UNITS[name])
        run = latest_run(sqlite_url, slug)
        assert (run["outcome"], run["new"]) == ("succeeded", len(readable(truth)))
        assert run["skipped"] == len(truth) - len(readable(truth))  # pinned notices, read-protected threads
    seq = events(sqlite_url)[-1]["seq"]
    control(forums["discuz"], "stats/reset", {})
    assert harvest(config).returncode == 0
    assert events(sqlite_url, seq) == []
    truth = control(forums["discuz"], "discuz/threads?fid=27")
    assert thread_reads(forums["discuz"]) == cursor_minute_threads(truth) - {
        str(t["tid"]) for t in truth if t["readperm"]}
    assert control(forums["discuz"], "stats")["requests"].get("/forum-27-1.html") == 1
    assert "/forum-27-2.html" not in control(forums["discuz"], "stats")["requests"]


def test_after_advance_only_threads_with_new_posts_are_read_and_become_events(
        config: Path, sqlite_url: str, forums: dict[str, str]) -> None:
    assert harvest(config).returncode == 0
    seq = events(sqlite_url)[-1]["seq"]
    before = {name: control(forums[name], "discuz/threads?fid=27") for name in SLUGS}
    control(forums["discuz"], "stats/reset", {})
    moved = {name: control(forums[name], "advance", {"steps": 2}) for name in SLUGS}
    result = harvest(config)
    assert result.returncode == 0, result.stdout + result.stderr
    fresh = events(sqlite_url, seq)
    for name, slug in SLUGS.items():
        truth = control(forums[name], "discuz/threads?fid=27")
        threads = readable(truth)
        new = {str(t) for t in moved[name]["new_threads"]} & set(threads)
        bumped = {str(t) for t in moved[name]["bumped"]} & set(threads) - new
        assert new and bumped
        kinds: dict[str, set[str]] = {}
        for event in (e for e in fresh if e["platform"] == slug):
            kinds.setdefault(event["external_id"], set()).add(event["kind"])
        # Nothing for threads without new posts. A thread re-read only because its last post shares the old
        # cursor's minute may at most show a post a moderator has hidden meanwhile.
        assert new | bumped <= set(kinds)
        assert all(kinds[t] == {"reply_removed"} for t in set(kinds) - new - bumped)
        assert set(kinds) - new - bumped <= cursor_minute_threads(before[name])
        assert all("created" in kinds[t] for t in new) and all("reply_added" in kinds[t] for t in bumped)
        answered = {str(t) for t in moved[name]["official_replies"]} & bumped
        was_open = {str(t["tid"]) for t in before[name] if not any(p["official"] for p in t["posts"])}
        assert all("status_changed" in kinds[t] for t in answered & was_open)
        assert_matches_truth(stored(sqlite_url, slug), truth, units=UNITS[name])
    reads = thread_reads(forums["discuz"])
    touched = {str(t) for t in moved["discuz"]["new_threads"] + moved["discuz"]["bumped"]}
    assert touched & set(readable(control(forums["discuz"], "discuz/threads?fid=27"))) <= reads
    assert reads - touched <= cursor_minute_threads(before["discuz"])
