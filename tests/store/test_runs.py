"""Run records: started, finished with counts, and abandoned when their process died."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import update

from harvester.store.db import Store
from harvester.store.models import RunRow
from harvester.timeutil import utcnow
from tests.store.builders import PLATFORM, letter, store_batch

COUNTS = {"requests": 31, "items": 28, "new": 20, "changed": 5, "unchanged": 3, "quarantined": 1,
          "withdrawn": 2, "skipped": 4}


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_starts_running_and_finishes_with_its_counts(store: Store) -> None:
    with store.transaction() as repo:
        run_id = repo.start_run(PLATFORM, os.getpid())
        started = repo.get_run(run_id)
    assert started is not None and started["outcome"] == "running" and started["finished_at"] is None
    assert (started["pid"], started["host"], started["new"]) == (os.getpid(), socket.gethostname(), 0)
    with store.transaction() as repo:
        repo.finish_run(run_id, "failed", COUNTS, error="3 request(s) failed; first: http://127.0.0.1:9/",
                        failure_class="network")
    with store.transaction() as repo:
        finished = repo.get_run(run_id)
    assert finished is not None
    assert {key: finished[key] for key in COUNTS} == COUNTS
    assert (finished["outcome"], finished["failure_class"]) == ("failed", "network")
    assert finished["error"].startswith("3 request(s) failed") and finished["finished_at"] >= finished["started_at"]


def test_finish_run_refuses_unknown_outcomes_counters_and_runs(store: Store, run_id: int) -> None:
    with store.transaction() as repo:
        with pytest.raises(ValueError, match="outcome"):
            repo.finish_run(run_id, "done", {})
        with pytest.raises(ValueError, match="counters"):
            repo.finish_run(run_id, "succeeded", {"pages": 3})
        with pytest.raises(LookupError):
            repo.finish_run(run_id + 1000, "succeeded", {})


def test_runs_whose_process_died_are_abandoned_and_live_ones_kept(store: Store) -> None:
    with store.transaction() as repo:
        dead = repo.start_run(PLATFORM, dead_pid())
        alive = repo.start_run(PLATFORM, os.getpid())
        other_platform = repo.start_run("other", dead_pid())
        finished = repo.start_run(PLATFORM, dead_pid())
        repo.finish_run(finished, "succeeded", {})
    with store.transaction() as repo:
        assert repo.abandon_stale_runs(PLATFORM) == 1
    with store.transaction() as repo:
        runs = {run["id"]: run for run in repo.latest_runs(limit=10)}
        assert repo.abandon_stale_runs(PLATFORM) == 0
    assert runs[dead]["outcome"] == "abandoned" and runs[dead]["finished_at"] is not None
    assert runs[dead]["error"] == "process died before recording an outcome"
    assert [runs[i]["outcome"] for i in (alive, other_platform, finished)] == ["running", "running", "succeeded"]


def test_runs_older_than_a_day_are_abandoned_even_on_another_host(store: Store) -> None:
    with store.transaction() as repo:
        old = repo.start_run(PLATFORM, os.getpid())
        remote = repo.start_run(PLATFORM, dead_pid())
        repo.session.execute(update(RunRow).where(RunRow.id == old).values(started_at=utcnow() - timedelta(hours=25)))
        repo.session.execute(update(RunRow).where(RunRow.id == remote).values(host="another-harvester"))
    with store.transaction() as repo:
        assert repo.abandon_stale_runs(PLATFORM) == 1
        outcomes = {run["id"]: run["outcome"] for run in repo.latest_runs()}
    assert outcomes == {old: "abandoned", remote: "running"}


def test_latest_runs_are_newest_first_and_filtered_by_platform(store: Store) -> None:
    with store.transaction() as repo:
        ids = [repo.start_run(platform, 1) for platform in (PLATFORM, "other", PLATFORM, PLATFORM)]
    with store.transaction() as repo:
        assert [r["id"] for r in repo.latest_runs()] == ids[::-1]
        assert [r["id"] for r in repo.latest_runs(limit=2, platform=PLATFORM)] == [ids[3], ids[2]]
        assert repo.get_run(ids[-1] + 1) is None
        assert repo.counts() == {"messages": 0, "events": 0, "quarantine": 0, "runs": 4}


def test_a_run_record_says_how_long_it_took_and_how_many_events_it_wrote(store: Store, run_id: int) -> None:
    store_batch(store, [letter("1"), letter("2")], run_id)
    with store.transaction() as repo:
        quiet = repo.start_run(PLATFORM, 1)
        running = repo.get_run(run_id)
        repo.finish_run(run_id, "succeeded", {"new": 2})
    with store.transaction() as repo:
        finished, other = repo.get_run(run_id), repo.get_run(quiet)
    assert running is not None and finished is not None and other is not None
    assert (running["seconds"], running["events"]) == (None, 2)
    assert finished["seconds"] >= 0 and finished["events"] == 2 and other["events"] == 0
