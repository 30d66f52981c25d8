"""A whole platform's task harvests nothing twice: its child asks again, under the platform's lock, whether the
platform was harvested since the task was enqueued. The race, without waiting on it: the parent found the
platform not yet harvested (another harvest of it still ran); by the time the child takes the lock, that harvest
has ended with success. The child is run just as a task's parent runs it, at that moment."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.store.db import Store
from harvester.timeutil import utcnow
from tests.distributed.cluster import all_runs, cluster_env, fleet, write_fleet_config
from tests.harvesting import ROOT
from tests.replicahost import control

pytestmark = pytest.mark.postgres
SLUG = "fleet_001"


def task_child(tmp_path: Path, config: Path, enqueued_at: datetime) -> list[dict[str, Any]]:
    """A harvest task's child process over the whole platform; the outcomes it wrote."""
    out = tmp_path / "outcomes.json"
    out.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "harvester.app.distributed.child", str(out), enqueued_at.isoformat(),
                    SLUG], cwd=ROOT, env=cluster_env(config, "redis://unused"), check=True, timeout=180,
                   capture_output=True)
    return list(json.loads(out.read_text(encoding="utf-8")))


def other_harvest_succeeded(db_url: str) -> int:
    """The run of another task's harvest of the platform: started after this task was enqueued, now ended."""
    with Store.open(db_url) as store, store.transaction() as repo:
        run_id = repo.start_run(SLUG, 4242)
        repo.finish_run(run_id, "succeeded", {"items": 6})
    return run_id


def test_a_task_s_child_finding_the_platform_harvested_since_enqueued_under_its_lock_harvests_nothing(
        tmp_path: Path, pg_url: str) -> None:
    with fleet(tmp_path, 1, letters=6) as urls:
        config = write_fleet_config(tmp_path, pg_url, urls)
        enqueued_at = utcnow()
        other = other_harvest_succeeded(pg_url)
        outcomes = task_child(tmp_path, config, enqueued_at)
        untouched = control(urls[SLUG], "stats")["total"]
        later = task_child(tmp_path, config, utcnow())  # a task enqueued after that harvest: it harvests
    assert outcomes == [{"platform": SLUG, "run_id": None, "busy": None, "skipped": True}]
    assert untouched == 0  # the site saw no request of the skipped task
    assert sorted(run["id"] for run in all_runs(pg_url)) == [other, later[0]["run_id"]]
    harvested = next(run for run in all_runs(pg_url) if run["id"] == later[0]["run_id"])
    assert (harvested["outcome"], harvested["items"]) == ("succeeded", 6)
