"""Which runs the monitors judge for a platform harvested in board shards, and when all its boards were last
harvested, as its shard count changes between cycles (pure: runs as the store hands them over, newest first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harvester.app.monitors.history import current_runs, oldest_success
from harvester.store.monitoring import RunSummary

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def run(run_id: int, shard: str | None, hours_ago: float, outcome: str = "succeeded") -> RunSummary:
    at = NOW - timedelta(hours=hours_ago)
    return RunSummary(run_id, outcome, None, None, 0, at, at, None, shard)


def ids(runs: list[RunSummary]) -> list[int]:
    return [r.id for r in runs]


def test_a_run_over_all_boards_after_a_failed_shard_leaves_that_shard_out() -> None:
    newest = [run(12, "1/4", 1), run(10, None, 5), run(5, "2/4", 9, "failed")]
    assert ids(current_runs(newest)) == [12]
    assert ids(current_runs([run(12, "1/4", 1), run(5, "2/4", 9, "failed")])) == [12, 5]


def test_shards_of_an_earlier_count_are_not_judged_once_the_count_changed() -> None:
    assert ids(current_runs([run(12, "1/5", 1), run(8, "3/4", 3), run(5, "2/4", 9, "failed")])) == [12]
    assert current_runs([]) == []


def test_a_shard_of_a_new_count_not_yet_harvested_counts_from_the_platform_s_earlier_count() -> None:
    successes = [run(12, "1/3", 1), run(8, "2/2", 8), run(7, "1/2", 10)]
    assert oldest_success(successes) == (NOW - timedelta(hours=10), "1/2")
    assert oldest_success([run(12, "1/3", 1), run(11, "2/3", 2), run(10, "3/3", 3), *successes[1:]]) == (
        NOW - timedelta(hours=3), "3/3")


def test_a_board_never_harvested_leaves_the_platform_never_harvested_whole() -> None:
    assert oldest_success([run(12, "1/3", 1), run(11, "2/3", 2)]) is None
    assert oldest_success([run(12, "1/3", 1), run(3, None, 30)]) == (NOW - timedelta(hours=30), None)
    assert oldest_success([]) is None
