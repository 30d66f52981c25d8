"""A run left "running" by a host that died is closed as abandoned by the next harvest that takes the platform's
lock (the lock proves its process is gone), not 24 h later; while another harvest holds the lock it is left alone."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from harvester.store.db import Store
from harvester.store.models import RunRow
from harvester.store.platformlock import BUSY_EXIT
from harvester.timeutil import utcnow
from tests.harvesting import ROOT, harvest, write_config
from tests.replicahost import replica_process
from tests.store.conftest import fresh_pg_schema

pytestmark = pytest.mark.postgres

SLUG = "jact_demo"
HOLDER = """
import sys, time
from harvester.store.platformlock import PlatformLock
lock = PlatformLock(sys.argv[1], sys.argv[2])
assert lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""


def run_of_a_dead_host(db_url: str) -> int:
    """A run started 10 minutes ago by pid 4242 on worker-b, which died without recording an outcome."""
    with Store.open(db_url) as store, store.transaction() as repo:
        run_id = repo.start_run(SLUG, 4242)
        repo.session.execute(update(RunRow).where(RunRow.id == run_id).values(
            host="worker-b", started_at=utcnow() - timedelta(minutes=10)))
    return run_id


def run(db_url: str, run_id: int) -> dict:
    with Store.open(db_url) as store, store.transaction() as repo:
        found = repo.get_run(run_id)
    assert found is not None
    return found


def test_the_next_harvest_taking_the_lock_abandons_a_dead_hosts_run(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 5}}) as urls, \
            fresh_pg_schema() as db_url:
        config = write_config(tmp_path, db_url, {SLUG: urls["jact"]})
        dead = run_of_a_dead_host(db_url)

        holder = subprocess.Popen([sys.executable, "-c", HOLDER, db_url, SLUG], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE)  # a live harvest elsewhere: its run may be that one
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            refused = harvest(config, SLUG)
        finally:
            holder.kill()
            holder.wait(timeout=10)
        assert refused.returncode == BUSY_EXIT, refused.stdout[-2000:] + refused.stderr[-3000:]
        assert run(db_url, dead)["outcome"] == "running"  # not this harvest's to close

        done = harvest(config, SLUG)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        closed = run(db_url, dead)
        assert closed["outcome"] == "abandoned" and closed["finished_at"] is not None
        assert "process 4242 on worker-b died before recording an outcome" in closed["error"]
        with Store.open(db_url) as store, store.transaction() as repo:
            outcomes = [r["outcome"] for r in repo.latest_runs(limit=5, platform=SLUG)]
        assert outcomes == ["succeeded", "abandoned"]
