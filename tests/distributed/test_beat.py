"""Beat's entry (`harvester.enqueue_due`, what Celery beat sends at `beat_hours`) run by a worker: it enqueues
the due platforms and the monitors, and the workers harvest them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.app.distributed.celeryapp import create_app
from harvester.app.distributed.names import ENQUEUE, HTTP_QUEUE
from harvester.app.distributed.settings import load_distributed_settings
from harvester.config import load_config
from tests.distributed.cluster import RedisServer, Workers, all_runs, cluster_env, fleet, wait_for, write_fleet_config

pytestmark = pytest.mark.postgres


def test_beats_entry_enqueues_what_is_due_and_the_workers_harvest_it(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    with fleet(tmp_path, 3) as urls:
        config = write_fleet_config(tmp_path, pg_url, urls)
        env = cluster_env(config, broker.url)
        loaded = load_config(env=env, cwd=tmp_path)
        app = create_app(loaded, load_distributed_settings(loaded))
        app.send_task(ENQUEUE, queue=HTTP_QUEUE)
        workers = Workers(config, broker.url, tmp_path / "workers")
        workers.start("beat-host")
        try:
            wait_for(lambda: {r["platform"] for r in all_runs(pg_url) if r["outcome"] == "succeeded"} == set(urls),
                     120, "the platforms beat's entry enqueued to be harvested")
            wait_for(lambda: re.search(r"harvester\.monitors\[[^\]]+\] succeeded in", workers.log("beat-host")), 60,
                     "the monitors task to run")
        finally:
            workers.stop()
        assert len(all_runs(pg_url)) == len(urls)
