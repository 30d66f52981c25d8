"""Monitors judge a platform harvested in board shards by each shard's newest run, on SQLite and PostgreSQL: a
failed shard alerts naming it though a later run of another shard succeeded, and the platform counts as
harvested when all its shards had succeeded."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from harvester.app.monitors.base import CheckResult
from harvester.app.monitors.runner import checks_settings, run_checks
from harvester.config import load_config
from harvester.registry import platforms_for
from harvester.runfigures import LISTED
from harvester.store.db import Store
from harvester.store.models import RunRow
from harvester.timeutil import utcnow
from tests.harvesting import write_config

PLATFORM = "people_demo"
NOW = utcnow()


def _run(store: Store, shard: str | None, outcome: str, hours_ago: float, error: str | None = None,
         figures: dict[str, int] | None = None) -> int:
    with store.transaction() as repo:
        run_id = repo.start_run(PLATFORM, 5000, shard=shard)
        repo.finish_run(run_id, outcome, {"items": 3}, error=error,
                        failure_class="network" if outcome == "failed" else None, figures=figures)
        row = repo.session.get_one(RunRow, run_id)
        row.started_at = row.finished_at = NOW - timedelta(hours=hours_ago)
    return run_id


def _checks(tmp_path: Path, db_url: str, store: Store, now: datetime = NOW) -> dict[str, CheckResult]:
    path = write_config(tmp_path, db_url, {PLATFORM: "http://127.0.0.1:9"}, extra='state_dir = "state"\n')
    config = load_config(env={"HARVESTER_CONFIG": str(path)})
    results = run_checks(store, platforms_for(config), checks_settings(config), now, config)
    return {r.check: r for r in results if r.platform == PLATFORM}


def test_a_failed_shard_alerts_naming_it_though_another_shard_succeeded_later(tmp_path: Path, db_url: str,
                                                                              store: Store) -> None:
    for index in (1, 2, 3, 4):
        _run(store, f"{index}/4", "succeeded", 6)
    _run(store, "1/4", "succeeded", 2.5)
    failed = _run(store, "2/4", "failed", 2, error="connection refused")
    _run(store, "3/4", "succeeded", 1.5)
    _run(store, "4/4", "succeeded", 1)
    found = _checks(tmp_path, db_url, store)
    assert found["last_run"].status == "failed"
    assert found["last_run"].detail == f"{PLATFORM}#2/4: run {failed} failed (network): connection refused"
    assert found["last_run"].figures["run_id"] == failed
    assert found["staleness"].holds  # every board harvested within 13 h: shard 2's six hours ago


def test_a_shard_failing_past_the_window_makes_the_platform_stale_naming_the_shard(tmp_path: Path, db_url: str,
                                                                                  store: Store) -> None:
    for index in (1, 2, 3, 4):
        _run(store, f"{index}/4", "succeeded", 20)
    for index in (1, 3, 4):
        _run(store, f"{index}/4", "succeeded", 1)
    _run(store, "2/4", "failed", 1)
    stale = _checks(tmp_path, db_url, store)["staleness"]
    assert stale.status == "failed" and f"of {PLATFORM}#2/4 20.0 h ago" in stale.detail


def test_all_shards_succeeded_hold_both_monitors_and_a_later_whole_harvest_clears_an_old_failed_shard(
        tmp_path: Path, db_url: str, store: Store) -> None:
    _run(store, "2/4", "failed", 30)
    _run(store, None, "succeeded", 20)  # `harvester harvest people_demo` by hand: all the boards
    _run(store, "1/4", "succeeded", 2)  # the next cycle: shard 1 done, the others not yet
    found = _checks(tmp_path, db_url, store)
    assert found["last_run"].holds, found["last_run"].detail
    assert found["staleness"].status == "failed" and "20.0 h ago" in found["staleness"].detail
    for index in (2, 3, 4):
        _run(store, f"{index}/4", "succeeded", 1)
    found = _checks(tmp_path, db_url, store)
    assert found["last_run"].holds and found["last_run"].figures["shards"] == {
        f"{index}/4": "succeeded" for index in (1, 2, 3, 4)}
    assert found["staleness"].holds and found["staleness"].figures["age_hours"] == 2.0


CLEAN = {"downloader/response_count": 40, "downloader/response_status_count/200": 40}
THROTTLED = {"downloader/response_count": 40, "downloader/response_status_count/200": 20,
             "downloader/response_status_count/429": 20, "harvester/soft_blocked": 3,
             "harvester/soft_blocked/challenge": 3}


def test_a_shard_answered_challenges_and_429s_alerts_naming_it_though_a_later_shard_ran_clean(
        tmp_path: Path, db_url: str, store: Store) -> None:
    _run(store, "1/2", "succeeded", 2, figures=CLEAN)
    blocked = _run(store, "2/2", "succeeded", 1.5, figures=THROTTLED)
    found = _checks(tmp_path, db_url, store)
    assert found["soft_blocks"].status == "failed"
    assert found["soft_blocks"].detail.startswith(f"{PLATFORM}#2/2: run {blocked} was answered 3 page(s)")
    assert found["error_rates"].status == "failed" and found["error_rates"].figures["blocked"] == 20
    assert found["error_rates"].detail.startswith(f"{PLATFORM}#2/2: run {blocked}: 20 of 40 answers were errors")
    _run(store, "1/2", "succeeded", 1, figures=CLEAN)  # the newest run is shard 1's, clean
    found = _checks(tmp_path, db_url, store)
    assert found["soft_blocks"].status == "failed" and found["error_rates"].status == "failed"
    _run(store, "2/2", "succeeded", 0.5, figures=CLEAN)
    found = _checks(tmp_path, db_url, store)
    assert found["soft_blocks"].holds and found["error_rates"].holds


def test_a_shard_failed_for_layout_alerts_naming_it_though_a_later_shard_succeeded(tmp_path: Path, db_url: str,
                                                                                 store: Store) -> None:
    with store.transaction() as repo:
        broken = repo.start_run(PLATFORM, 5000, shard="2/4")
        repo.finish_run(broken, "failed", {}, error="list page: no rows matched", failure_class="layout_changed")
    _run(store, "1/4", "succeeded", 0)
    layout = _checks(tmp_path, db_url, store)["layout_change"]
    assert layout.status == "failed"
    assert layout.detail == f"{PLATFORM}#2/4: run {broken} failed for layout: list page: no rows matched"


def test_a_shard_whose_boards_went_empty_alerts_by_its_own_history_though_another_shard_saw_rows(
        tmp_path: Path, db_url: str, store: Store) -> None:
    for hours_ago in (30, 20, 10):
        _run(store, "1/2", "succeeded", hours_ago, figures={LISTED: 40})
        _run(store, "2/2", "succeeded", hours_ago - 1, figures={LISTED: 25})
    empty = _run(store, "2/2", "succeeded", 2, figures={LISTED: 0})
    _run(store, "1/2", "succeeded", 1, figures={LISTED: 40})
    zero = _checks(tmp_path, db_url, store)["zero_items"]
    assert zero.status == "failed" and zero.figures["history"] == [25, 25, 25]
    assert zero.detail.startswith(f"{PLATFORM}#2/2: run {empty} saw 0 where 3 of the 3 runs before saw some (typically 25)")


def test_the_run_report_counts_a_sharded_platform_harvested_at_its_oldest_shard(store: Store) -> None:
    """`harvester run`'s summary and the last-success metric read last_successes: a shard that keeps failing
    must not hide behind a newer success of another shard."""
    from harvester.app.monitors.runner import last_successes

    whole = _run(store, None, "succeeded", 30)
    for index, hours in ((1, 3), (2, 9), (3, 1)):
        _run(store, f"{index}/3", "succeeded", hours)
    _run(store, "2/3", "failed", 0.5)
    with store.transaction() as repo:
        nine_hours = repo.session.get_one(RunRow, whole + 2).finished_at
    assert last_successes(store, [PLATFORM, "jact_demo"]) == {PLATFORM: nine_hours, "jact_demo": None}


def test_a_shard_never_harvested_counts_from_the_whole_platform_before_it(store: Store) -> None:
    from harvester.app.monitors.runner import last_successes

    whole = _run(store, None, "succeeded", 30)
    _run(store, "1/2", "succeeded", 2)
    _run(store, "2/2", "failed", 1)
    with store.transaction() as repo:
        thirty_hours = repo.session.get_one(RunRow, whole).finished_at
    assert last_successes(store, [PLATFORM]) == {PLATFORM: thirty_hours}
