"""Runs of board shards, on SQLite and PostgreSQL: each says which shard it harvested, one shard's runs are read
apart from the others', and a shard's holder closes only its own dead runs and those over all boards."""

from __future__ import annotations

from harvester.store.db import Store
from tests.store.builders import PLATFORM


def test_a_run_says_which_shard_it_harvested_and_a_shard_s_runs_are_read_alone(store: Store) -> None:
    with store.transaction() as repo:
        whole = repo.start_run(PLATFORM, 4001)
        first = repo.start_run(PLATFORM, 4002, shard="1/2")
        repo.finish_run(first, "failed", {}, error="HTTP 500", failure_class="http_error")
        second = repo.start_run(PLATFORM, 4003, shard="2/2")
        repo.finish_run(second, "succeeded", {"items": 7})
        again = repo.start_run(PLATFORM, 4004, shard="1/2")
        repo.start_run("jact_demo_gbk", 4005, shard="1/2")
    with store.transaction() as repo:
        assert [r["id"] for r in repo.latest_shard_runs(PLATFORM, "1/2")] == [again, first]
        assert [(r["id"], r["items"]) for r in repo.latest_shard_runs(PLATFORM, "2/2")] == [(second, 7)]
        assert repo.latest_shard_runs(PLATFORM, "1/3") == []
        listed = {r["id"]: r for r in repo.latest_runs(platform=PLATFORM)}
    assert {run_id: run["shard"] for run_id, run in listed.items()} == {
        whole: None, first: "1/2", second: "2/2", again: "1/2"}
    assert (listed[first]["outcome"], listed[first]["failure_class"]) == ("failed", "http_error")


def test_a_shard_s_holder_abandons_its_own_and_whole_platform_runs_not_other_shards(store: Store) -> None:
    with store.transaction() as repo:
        whole = repo.start_run(PLATFORM, 4101)
        mine = repo.start_run(PLATFORM, 4102, shard="1/2")
        other = repo.start_run(PLATFORM, 4103, shard="2/2")
    with store.transaction() as repo:
        assert repo.abandon_runs_of_dead_holders(PLATFORM, "1/2") == 2
    with store.transaction() as repo:
        outcomes = {run_id: (repo.get_run(run_id) or {})["outcome"] for run_id in (whole, mine, other)}
        assert outcomes == {whole: "abandoned", mine: "abandoned", other: "running"}
        assert repo.abandon_runs_of_dead_holders(PLATFORM) == 1  # the whole platform's lock excludes every shard
        assert (repo.get_run(other) or {})["outcome"] == "abandoned"


def test_harvester_queue_names_each_running_shard_beside_its_platform(store: Store) -> None:
    from harvester.app.distributed.queueview import store_running

    with store.transaction() as repo:
        for index in range(1, 5):
            repo.start_run(PLATFORM, 4200 + index, shard=f"{index}/4")
        done = repo.start_run(PLATFORM, 4300, shard="4/4")
        repo.finish_run(done, "succeeded", {})
    entries = store_running(store, [PLATFORM])
    assert sorted(e.platform for e in entries) == [f"{PLATFORM}#{i}/4" for i in range(1, 5)]
    assert {e.state for e in entries} == {"running"}
    assert sorted(e.detail.split(",")[0] for e in entries) == [f"pid {4200 + i}" for i in range(1, 5)]
