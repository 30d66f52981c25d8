"""A harvest killed mid-way shows, on its (abandoned) run, the counts of what it committed: not 0.

The kill comes at a known write boundary (HARVESTER_DEBUG_CRASH_AT): right after the third batch commits, or
inside the third batch's transaction (so only two batches count). Both databases.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from harvester.runs_debug import CRASHED, SETTING
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import replica_process
from tests.store.conftest import database

SLUG = "jact_demo"
BATCH = 10



@pytest.mark.parametrize(("backend", "crash_at", "committed"), [
    ("sqlite", "harvest.committed@3", 3),
    ("sqlite", "harvest.in_transaction@3", 2),
    pytest.param("postgres", "harvest.committed@3", 3, marks=pytest.mark.postgres),
])
def test_killed_harvest_run_shows_what_it_committed(backend: str, crash_at: str, committed: int,
                                                    tmp_path: Path) -> None:
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 120}}) as urls, \
            database(backend, tmp_path) as db_url:
        config = write_config(tmp_path, db_url, {SLUG: urls["jact"]})
        killed = harvest(config, SLUG, HARVESTER_BATCH_SIZE=str(BATCH), **{SETTING: crash_at})
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        assert f"{CRASHED} {crash_at}" in killed.stderr
        with Store.open(db_url) as store, store.transaction() as repo:
            stored = repo.counts()["messages"]
            (dead,) = repo.latest_runs(limit=5, platform=SLUG)
        assert stored == committed * BATCH  # messages only, no cursor in these first batches
        assert dead["outcome"] == "running"  # nobody has looked yet; the counts are there already
        assert (dead["items"], dead["new"]) == (stored, stored)

        rerun = harvest(config, SLUG)
        assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
        with Store.open(db_url) as store, store.transaction() as repo:
            latest, abandoned = repo.latest_runs(limit=5, platform=SLUG)
        assert (abandoned["outcome"], abandoned["items"], abandoned["new"]) == ("abandoned", stored, stored)
        assert latest["outcome"] == "succeeded"
        assert latest["new"] + abandoned["new"] == repo_messages(db_url)  # every letter counted new exactly once


def repo_messages(db_url: str) -> int:
    with Store.open(db_url) as store, store.transaction() as repo:
        return int(repo.counts()["messages"])
