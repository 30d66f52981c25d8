"""Never two harvests of one platform at once, from any worker: the replica counts the letter pages it answers at
once, and with one request at a time per harvest it sees one, while three tasks of the platform meet on three
workers. The same count shows two when two harvests do run at once (two stores, no shared lock)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from harvester.app.distributed.celeryapp import create_app
from harvester.app.distributed.names import HARVEST, HTTP_QUEUE
from harvester.config import load_config
from harvester.timeutil import utcnow
from tests.distributed.cluster import (
    RedisServer,
    Workers,
    all_runs,
    cluster_env,
    fleet,
    wait_for,
    write_fleet_config,
)
from tests.harvesting import ROOT
from tests.replicahost import control
from tests.store.conftest import fresh_pg_schema

pytestmark = pytest.mark.postgres
SLUG = "fleet_001"
SLOW = {"delay": 0.0, "concurrency": 1}  # one request at a time per harvest; the replica answers in 300 ms


def test_the_replica_sees_two_sessions_when_two_harvests_overlap(tmp_path: Path) -> None:
    # 40 letters at 300 ms each: each harvest reads letter pages for 12 s, long enough to overlap however
    # unevenly the two processes start on a busy machine.
    with fleet(tmp_path, 1, letters=40, latency_ms=300) as urls, fresh_pg_schema() as one, fresh_pg_schema() as two:
        harvests = []
        for db_url, where in ((one, tmp_path / "a"), (two, tmp_path / "b")):
            where.mkdir()
            config = write_fleet_config(where, db_url, urls, **SLOW)
            harvests.append(subprocess.Popen([sys.executable, "-m", "harvester", "harvest", SLUG], cwd=ROOT,
                                             env=cluster_env(config, "redis://unused"), stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL))
        assert [h.wait(timeout=180) for h in harvests] == [0, 0]
        assert control(urls[SLUG], "stats")["most_in_flight"] == 2


def test_tasks_of_one_platform_on_three_workers_never_harvest_it_twice_at_once(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    with fleet(tmp_path, 1, letters=12, latency_ms=300) as urls:
        config = write_fleet_config(tmp_path, pg_url, urls, **SLOW)
        env = cluster_env(config, broker.url)
        app = create_app(load_config(env=env, cwd=tmp_path))
        app.conf.broker_url = broker.url
        later = (utcnow() + timedelta(hours=1)).isoformat()  # enqueued "later": each task must harvest once
        for _ in range(3):
            app.send_task(HARVEST, args=[[SLUG], later], queue=HTTP_QUEUE)
        workers = Workers(config, broker.url, tmp_path / "workers")
        for name in ("alpha", "bravo", "charlie"):
            workers.start(name, concurrency=1)
        try:
            wait_for(lambda: sum(r["outcome"] == "succeeded" for r in all_runs(pg_url)) == 3, 170,
                     "three harvests of the platform")
        finally:
            workers.stop()
        assert "busy ['fleet_001']" in "".join(workers.log(n) for n in ("alpha", "bravo", "charlie")), \
            "no task ever met another's harvest: the test proved nothing"
        assert control(urls[SLUG], "stats")["most_in_flight"] == 1
        runs = sorted(all_runs(pg_url), key=lambda r: r["started_at"])
        assert [r["outcome"] for r in runs] == ["succeeded"] * 3
        assert all(a["finished_at"] <= b["started_at"] for a, b in zip(runs, runs[1:], strict=False))
