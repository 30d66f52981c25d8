"""Runs closed when their platform's lock is taken: every "running" run of that platform, whichever host it names,
with a reason naming that host and pid; other platforms' runs and finished runs are left alone."""

from __future__ import annotations

import os

from sqlalchemy import update

from harvester.store.db import Store
from harvester.store.models import RunRow
from tests.store.builders import PLATFORM


def test_taking_the_lock_abandons_every_running_run_of_the_platform_naming_its_host(store: Store) -> None:
    with store.transaction() as repo:
        elsewhere = repo.start_run(PLATFORM, 4242)
        repo.session.execute(update(RunRow).where(RunRow.id == elsewhere).values(host="worker-b"))
        here = repo.start_run(PLATFORM, os.getpid())  # alive, on this host: abandon_stale_runs would keep it
        finished = repo.start_run(PLATFORM, 4243)
        repo.finish_run(finished, "succeeded", {})
        other = repo.start_run("jact_demo_gbk", 4244)
    with store.transaction() as repo:
        assert repo.abandon_stale_runs(PLATFORM) == 0  # another host's pid says nothing; ours is alive
        assert repo.abandon_runs_of_dead_holders(PLATFORM) == 2
    with store.transaction() as repo:
        runs = {run_id: repo.get_run(run_id) or {} for run_id in (elsewhere, here, finished, other)}
        assert repo.abandon_runs_of_dead_holders(PLATFORM) == 0
    assert runs[elsewhere]["outcome"] == runs[here]["outcome"] == "abandoned"
    assert runs[elsewhere]["error"].startswith("process 4242 on worker-b died before recording an outcome")
    assert f"pid {os.getpid()} on " in runs[elsewhere]["error"]  # who found it
    assert (runs[finished]["outcome"], runs[other]["outcome"]) == ("succeeded", "running")
