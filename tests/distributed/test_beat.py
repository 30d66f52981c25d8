"""Beat's entry (`harvester.enqueue_due`, what Celery beat sends at `beat_hours`) run by a worker: it enqueues
the due platforms and the monitors, and the workers harvest them; and a real beat (`harvester worker --beat`)
back after a missed hour sends that entry once."""

from __future__ import annotations

import re
import shelve
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery import Celery
from celery.beat import PersistentScheduler

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


def _miss_the_last_beat_hour(app: Celery, schedule_file: Path) -> datetime:
    """Beat's schedule file as a beat host leaves it when it was down through its last hour: the entry last fired
    a day ago. Returns that time."""
    scheduler = PersistentScheduler(app=app, schedule_filename=str(schedule_file), lazy=False)
    try:
        missed = datetime.now(UTC) - timedelta(days=1)
        scheduler.schedule["enqueue-due"].last_run_at = missed
        scheduler.sync()
    finally:
        scheduler.close()
    return missed


def test_a_beat_process_back_after_a_missed_hour_enqueues_what_is_due_once(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    """`harvester worker --beat`, a real beat in the worker, keeps its schedule in the state folder; started after
    it missed an hour it enqueues at once (what is due, by the store) and not again until the next hour."""
    with fleet(tmp_path, 3) as urls:
        config = write_fleet_config(tmp_path, pg_url, urls)
        loaded = load_config(env=cluster_env(config, broker.url), cwd=tmp_path)
        schedule_file = loaded.state_dir / "beat-schedule"
        loaded.state_dir.mkdir(parents=True, exist_ok=True)
        missed = _miss_the_last_beat_hour(create_app(loaded, load_distributed_settings(loaded)), schedule_file)
        workers = Workers(config, broker.url, tmp_path / "workers")
        workers.start("beat-host", 2, "http", "--beat")
        try:
            wait_for(lambda: {r["platform"] for r in all_runs(pg_url) if r["outcome"] == "succeeded"} == set(urls),
                     120, "the platforms the restarted beat enqueued to be harvested")
            wait_for(lambda: re.search(r"harvester\.monitors\[[^\]]+\] succeeded in", workers.log("beat-host")), 60,
                     "the monitors task to run")
            time.sleep(3)  # a beat that fired again would have sent its task by now (beat wakes every few seconds)
        finally:
            workers.stop()
        log = workers.log("beat-host")
        assert log.count("Scheduler: Sending due task enqueue-due") == 1, log[-3000:]
        assert len(all_runs(pg_url)) == len(urls)
        with shelve.open(str(schedule_file)) as stored:  # noqa: S301 - the file beat itself wrote
            assert stored["entries"]["enqueue-due"].last_run_at > missed + timedelta(hours=23)
